import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compilePolicy } from '../policy/index.js'
import { testStores } from '../store/connection/index.js'
import { TEST_POLICY, testGateway, type TestGateway } from '../server/test-gateway.js'
import { replayPolicy, windowStart } from './policy-replay.js'

const START = new Date('2026-11-02T09:00:00Z')
const HOUR = 3_600_000

/** The test policy with one rule added: reading the users table of a prod database needs review. */
const TIGHTENED = `${TEST_POLICY}
  - id: users-reads-reviewed
    match: { kind: sql, env: prod }
    when: '"users" in sql.tables && sql.read_only'
    effect: review
    review: { approvers: [group:dba] }
`

/** Submits a history as deploy-bot, an hour apart; returns each action's id by label. */
async function submitHistory(gateway: TestGateway): Promise<Record<string, string>> {
  const history: [string, string, Record<string, unknown>][] = [
    ['select-one', 'prod-db', { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT 1' } }],
    ['users-read', 'prod-db', { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT id, email FROM users WHERE id = 7' } }],
    ['orders-read', 'prod-db', { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT count(*) FROM orders' } }],
    ['users-delete', 'prod-db', { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users WHERE id = 7' } }],
    ['drop', 'prod-db', { kind: 'sql', target: 'prod-db', payload: { sql: 'DROP TABLE orders' } }],
    ['echo', 'build-host', { kind: 'shell', target: 'build-host', payload: { command: 'echo hello' } }],
    ['users-read-again', 'prod-db', { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT id, email FROM users WHERE id = 7' } }],
    ['rm', 'build-host', { kind: 'shell', target: 'build-host', payload: { command: 'rm -rf /tmp/x' } }],
  ]
  const ids: Record<string, string> = {}
  for (const [label, , action] of history) {
    const response = await gateway.call('POST', '/v1/actions', { as: 'deployBot', body: action })
    assert.equal(response.status, 201, JSON.stringify(response.body))
    ids[label] = response.body.id
    gateway.advance(HOUR)
  }
  return ids
}

for (const store of testStores()) {
  describe(`policy replay over the stored history (${store.name})`, () => {
    it('replays the policy in force to the same decisions as live, and a tightened rule to exactly the actions it catches', async () => {
      const connection = await store.open()
      const gateway = await testGateway(connection, { now: START })
      try {
        const ids = await submitHistory(gateway)
        const sources = { store: gateway.store, directory: gateway.gateway.directory, analyzers: gateway.gateway.analyzers }
        const compile = (text: string) => compilePolicy(text, { factKinds: gateway.gateway.analyzers.factKinds })
        const since = new Date(START.getTime() - HOUR)

        // Unchanged: every action decided as it was live, with facts analyzed again and as recorded.
        for (const facts of ['current', 'recorded'] as const) {
          const same = await replayPolicy(sources, compile(TEST_POLICY), { since, facts })
          assert.equal(same.replayed, 8)
          assert.equal(same.changed, 0, JSON.stringify(same.changes))
          assert.deepEqual(same.changes, [])
          assert.deepEqual(same.effects, [
            { from: 'allow', to: 'allow', actions: 5 },
            { from: 'review', to: 'review', actions: 2 },
            { from: 'deny', to: 'deny', actions: 1 },
          ])
          assert.deepEqual(same.facts, facts === 'current' ? { analyzed: 8, recorded: 0 } : { analyzed: 0, recorded: 8 })
        }

        // An action stored before `decided` existed, and one whose text holds the page's field separator, read all the same.
        await gateway.store.db.updateTable('actions').set({ decided: null } as never).where('id', '=', ids['users-read']!).execute()
        await gateway.store.db.updateTable('actions').set({ owner: 'odd\x1fowner' }).where('id', '=', ids['echo']!).execute()

        // Tightened: the two reads of users, and nothing else.
        const tightened = await replayPolicy(sources, compile(TIGHTENED), { since, publicUrl: 'https://countersign.test/' })
        assert.equal(tightened.changed, 2)
        assert.deepEqual(tightened.effects.filter((pair) => pair.from !== pair.to), [{ from: 'allow', to: 'review', actions: 2 }])
        assert.deepEqual(tightened.rules, [{ rule: 'users-reads-reviewed', actions: 2 }])
        assert.deepEqual(
          tightened.changes.map((change) => change.id),
          [ids['users-read'], ids['users-read-again']],
        )
        const first = tightened.changes[0]!
        assert.deepEqual(first.before, { effect: 'allow', rules: ['read-only'] })
        assert.deepEqual(first.after, { effect: 'review', rules: ['read-only', 'users-reads-reviewed'] })
        assert.deepEqual(first.responsible, ['users-reads-reviewed'])
        assert.equal(first.agent, 'deploy-bot')
        assert.equal(first.at, new Date(START.getTime() + HOUR).toISOString())
        assert.equal(first.link, `https://countersign.test/actions/${ids['users-read']}`)

        // The tightened rule in shadow: nothing changes, and the report says where it would have.
        const shadowed = await replayPolicy(sources, compile(`${TIGHTENED}    mode: shadow\n`), { since })
        assert.equal(shadowed.changed, 0)
        assert.deepEqual(shadowed.shadow, [{ rule: 'users-reads-reviewed', effect: 'review', actions: 2, would_change: 2 }])
        assert.deepEqual(tightened.shadow, [])

        // A window and a target narrow what is read.
        const late = await replayPolicy(sources, compile(TIGHTENED), { since: new Date(START.getTime() + 2 * HOUR) })
        assert.equal(late.replayed, 6)
        assert.deepEqual(late.changes.map((change) => change.id), [ids['users-read-again']])
        const shell = await replayPolicy(sources, compile(TIGHTENED), { since, targets: ['build-host'] })
        assert.equal(shell.replayed, 2)
        assert.equal(shell.changed, 0)
        const bounded = await replayPolicy(sources, compile(TIGHTENED), { since, until: new Date(START.getTime() + 2 * HOUR) })
        assert.equal(bounded.replayed, 2)
        const listed = await replayPolicy(sources, compile(TIGHTENED), { since, maxChanges: 1 })
        assert.equal(listed.changed, 2)
        assert.equal(listed.changes.length, 1)
        assert.equal(listed.truncated, true)

        // A loosened default and a rule whose effect changed: responsible is that rule.
        const loosened = await replayPolicy(sources, compile(TEST_POLICY.replace('effect: deny', 'effect: review')), { since })
        assert.deepEqual(loosened.changes.map((change) => [change.id, change.responsible]), [[ids['drop'], ['no-drop']]])
        const defaulted = await replayPolicy(sources, compile(TEST_POLICY.replace('default: review', 'default: deny')), { since })
        assert.deepEqual(defaulted.changes.map((change) => [change.id, change.before.effect, change.after.effect, change.responsible]), [[ids['rm'], 'review', 'deny', ['default']]])
      } finally {
        await gateway.close()
        await connection.drop()
      }
    })
  })
}

describe('windowStart', () => {
  const now = new Date('2026-12-31T00:00:00Z')
  it('reads a duration back from now, or an ISO 8601 time, and nothing else', () => {
    assert.equal(windowStart('30d', now)?.toISOString(), '2026-12-01T00:00:00.000Z')
    assert.equal(windowStart('12h', now)?.toISOString(), '2026-12-30T12:00:00.000Z')
    assert.equal(windowStart('2026-11-05', now)?.toISOString(), '2026-11-05T00:00:00.000Z')
    assert.equal(windowStart('2026-11-05T10:00:00+01:00', now)?.toISOString(), '2026-11-05T09:00:00.000Z')
    for (const bad of ['30', 'yesterday', '', '2026-13-45']) assert.equal(windowStart(bad, now), undefined, bad)
  })
})

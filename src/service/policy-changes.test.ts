import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { TEST_POLICY, testGateway, type TestGateway } from '../server/test-gateway.js'
import { openPostgres, testStores } from '../store/connection/index.js'
import { latestPolicyVersion } from '../store/index.js'

/** The test policy, plus: a policy change needs two approvals from security or dba. */
const IN_FORCE = `${TEST_POLICY}
  - id: policy-changes
    match: { kind: policy }
    effect: review
    review: { approvers: [group:security, group:dba], min_approvals: 2, reason_required: true }
`
/** The change: reading users on a prod database needs review. */
const PROPOSED = `${IN_FORCE}
  - id: users-reads-reviewed
    match: { kind: sql, env: prod }
    when: '"users" in sql.tables && sql.read_only'
    effect: review
`
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

/** Waits until the brokered policy action has run (the executor is woken by the approval). */
async function settled(gateway: TestGateway, id: string): Promise<string> {
  for (;;) {
    const { body } = await gateway.call('GET', `/v1/actions/${id}?wait=10`, { as: 'alice' })
    if (body.status === 'succeeded' || body.status === 'failed') return body.status
  }
}

describe('policy.source: store — policy changes under quorum', () => {
  it('puts an approved change in force on every replica, refuses its author\'s approval, and audits every version', async () => {
    const factory = testStores().find((store) => store.name === 'postgres')!
    const connection = await factory.open()
    const first = await testGateway(connection, { policy: IN_FORCE, policySource: 'store', assemble: { policyPollMs: 0 } })
    const second = await testGateway(await openPostgres({ url: connection.url! }), { policy: IN_FORCE, policySource: 'store', assemble: { policyPollMs: 0 } })
    try {
      assert.equal(first.policy.current.version, sha256(IN_FORCE))
      assert.equal((await latestPolicyVersion(first.store.db))?.version, 1)
      const before = await first.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT email FROM users' } } })
      assert.equal(before.body.status, 'allowed')

      // An agent cannot propose; a proposal against a policy not in force, or an invalid one, is refused.
      const byAgent = await first.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'policy', target: 'policy', payload: { text: PROPOSED, base: sha256(IN_FORCE) } } })
      assert.equal(byAgent.status, 403)
      const stale = await first.call('POST', '/v1/actions', { as: 'carol', body: { kind: 'policy', target: 'policy', payload: { text: PROPOSED, base: 'a'.repeat(64) } } })
      assert.equal(stale.status, 400)
      const invalid = await first.call('POST', '/v1/actions', { as: 'carol', body: { kind: 'policy', target: 'policy', payload: { text: 'version: 1\nrules:\n  - { id: x, effect: allow, when: sql.nope }\n', base: sha256(IN_FORCE) } } })
      assert.equal(invalid.status, 400)
      assert.match(JSON.stringify(invalid.body), /unknown field \\"nope\\"/)

      // carol (an admin) proposes: pending, with the diff and the replay as its facts.
      const proposed = await first.call('POST', '/v1/actions', { as: 'carol', body: { kind: 'policy', target: 'policy', payload: { text: PROPOSED, base: sha256(IN_FORCE) }, context: { reason: 'review reads of users' } } })
      assert.equal(proposed.status, 201, JSON.stringify(proposed.body))
      assert.equal(proposed.body.status, 'pending')
      assert.deepEqual(proposed.body.decision.matched_rules, ['policy-changes'])
      const facts = proposed.body.impact.facts
      assert.deepEqual(facts.diff.added, ['users-reads-reviewed'])
      assert.equal(facts.replay.changed, 1)
      assert.deepEqual(facts.replay.effects, [{ from: 'allow', to: 'review', actions: 1 }])
      assert.match(proposed.body.impact.summary, /1 rule added.*1 of \d+ actions would be decided differently/)
      const id = proposed.body.id as string

      // Its author may not approve it, admin or not; two others may.
      const own = await first.call('POST', `/v1/actions/${id}/reviews`, { as: 'carol', body: { decision: 'approve', reason: 'mine' } })
      assert.equal(own.status, 403)
      assert.equal((await first.call('POST', `/v1/actions/${id}/reviews`, { as: 'frank', body: { decision: 'approve', reason: 'checked the replay' } })).body.status, 'pending')
      assert.equal(first.policy.current.version, sha256(IN_FORCE))
      assert.equal((await first.call('POST', `/v1/actions/${id}/reviews`, { as: 'bob', body: { decision: 'approve', reason: 'agreed' } })).status, 200)
      assert.equal(await settled(first, id), 'succeeded')

      // In force here at once, and on the other replica when it next reads the store.
      assert.equal(first.policy.current.version, sha256(PROPOSED))
      assert.equal(second.policy.current.version, sha256(IN_FORCE))
      await second.reloadPolicy()
      assert.equal(second.policy.current.version, sha256(PROPOSED))
      const after = await second.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT email FROM users' } } })
      assert.equal(after.body.status, 'pending')

      const version = await latestPolicyVersion(first.store.db)
      assert.deepEqual([version?.version, version?.createdBy, version?.actionId], [2, 'human:carol@example.com', id])
      const events = (await first.store.auditEvents(0, 1000)).map((event) => JSON.parse(event.event) as { type: string; action_id: string | null; data: Record<string, unknown> })
      const loads = events.filter((event) => event.type === 'policy.loaded' && event.data['version'] === 2)
      assert.equal(loads.length, 2, 'each replica records the version it put in force')
      assert.deepEqual(
        events.filter((event) => event.action_id === id).map((event) => event.type),
        // This replica puts it in force while executing it; the other when it reads the store.
        ['action.submitted', 'action.pending', 'review.approve', 'review.approve', 'action.approved', 'action.executing', 'policy.loaded', 'action.succeeded', 'policy.loaded'],
      )

      // A change approved against a policy no longer in force is not put in force.
      const late = await first.call('POST', '/v1/actions', { as: 'frank', body: { kind: 'policy', target: 'policy', payload: { text: `${PROPOSED}\n`, base: sha256(PROPOSED) } } })
      const rival = await first.call('POST', '/v1/actions', { as: 'frank', body: { kind: 'policy', target: 'policy', payload: { text: `${PROPOSED}\n\n`, base: sha256(PROPOSED) } } })
      for (const [action, reviewers] of [[late.body.id, ['alice', 'bob']], [rival.body.id, ['alice', 'bob']]] as const) {
        for (const reviewer of reviewers) await first.call('POST', `/v1/actions/${action}/reviews`, { as: reviewer, body: { decision: 'approve', reason: 'ok' } })
      }
      const outcomes = [await settled(first, late.body.id), await settled(first, rival.body.id)]
      assert.deepEqual(outcomes, ['succeeded', 'failed'])
      assert.equal((await latestPolicyVersion(first.store.db))?.version, 3)
    } finally {
      await second.close()
      await first.close()
      await connection.drop()
    }
  })
})

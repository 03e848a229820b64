import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { cliAgainst, startStandIn, type StandIn } from './test-api-stand-in.js'

describe('countersign show', () => {
  let standIn: StandIn
  before(async () => (standIn = await startStandIn()))
  after(() => standIn.close())

  it('shows the payload with bidi overrides and escape sequences escaped, line breaks kept', async () => {
    const action = standIn.add({ kind: 'shell', target: 'build-host', payload: { command: 'echo ok\n# \u202Etxt.hsab\x1b[2K rm -rf /' } })
    const result = await cliAgainst(standIn, ['show', action.id])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /\n {2}command: \|\n {4}echo ok\n {4}# \\u\{202E\}txt\.hsab\\u\{001B\}\[2K rm -rf \/\n/)
    assert.doesNotMatch(result.stdout, /[\u202E\x1b]/)
  })

  it('escapes invisible characters everywhere an agent can write: nested payload values, reason, target', async () => {
    const action = standIn.add({ kind: 'custom', target: 'prod\u200Edb', payload: { args: { path: '/tmp/a\u200Bb' } }, context: { reason: 'safe\u2066 change' } })
    const result = await cliAgainst(standIn, ['show', action.id])
    assert.match(result.stdout, /"path": "\/tmp\/a\\u\{200B\}b"/)
    assert.match(result.stdout, /reason: +safe\\u\{2066\} change/)
    assert.match(result.stdout, /custom on prod\\u\{200E\}db/)
    assert.doesNotMatch(result.stdout, /[\u200B\u200E\u2066]/)
  })

  it('shows the origin, impact, rules, each requirement with its approvals, reviews, timeline and result', async () => {
    const action = standIn.add({
      on_behalf_of: 'bob@example.com',
      reviews: [{ reviewer: 'alice@example.com', decision: 'approve', reason: 'looks right', channel: 'slack', at: '2030-01-01T00:00:00.000Z' }],
      timeline: [{ seq: 7, at: '2030-01-01T00:00:00.000Z', type: 'action.pending', actor: 'agent:deploy-bot', channel: 'api', data: {} }],
      result: { exit_code: 0, output: 'DELETE 1\nDELETE 2\n' },
    })
    const requirement = action.decision.requirements[0]!
    Object.assign(requirement, { approved_by: ['alice@example.com'] })
    const result = await cliAgainst(standIn, ['show', action.id])
    for (const expected of [
      /agent: +deploy-bot/,
      /owner: +carol@example\.com/,
      /on behalf of: +bob@example\.com/,
      /submitted by: +agent:deploy-bot/,
      /model: +claude/,
      /session: +sess-1/,
      /reason: +remove a test account/,
      /payload \(sql\): exactly what will run\n {2}sql: DELETE FROM users WHERE id = 42\n/,
      /impact\n {2}DELETE on users \(1 statement\)\n {2}! deletes rows from users/,
      /matched rules: +destructive-sql-prod/,
      /\[ \] 1 of 2 approvals from group:dba \(destructive-sql-prod\); approved by alice@example\.com; reason required/,
      /reviews\n {2}2030-01-01T00:00:00\.000Z {2}alice@example\.com approved via slack: "looks right"/,
      /timeline\n {2}#7 {2}2030-01-01T00:00:00\.000Z {2}action\.pending by agent:deploy-bot via api/,
      /result\n {2}exit_code: 0\n {2}output: \|\n {4}DELETE 1\n {4}DELETE 2\n/,
      new RegExp(`digest ${'a'.repeat(64)}`),
    ]) {
      assert.match(result.stdout, expected)
    }
  })

  it('prints the raw action with --json', async () => {
    const action = standIn.add({ payload: { sql: 'SELECT \u202E1' } })
    const result = await cliAgainst(standIn, ['show', action.id, '--json'])
    assert.equal(result.code, 0)
    assert.deepEqual(JSON.parse(result.stdout), JSON.parse(JSON.stringify(action)))
  })
})

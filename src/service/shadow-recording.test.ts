import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TEST_POLICY, testGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'

/** The test policy with two shadow rules: one that would review reads of users, one that would allow every shell command. */
const SHADOWED = `${TEST_POLICY}
  - id: users-reads-reviewed
    match: { kind: sql, env: prod }
    when: '"users" in sql.tables && sql.read_only'
    effect: review
    mode: shadow
  - id: shell-anything
    match: { kind: shell }
    effect: allow
    mode: shadow
`

describe('shadow rules in the gateway', () => {
  it('records what a shadow rule would have done with the decision and its audit event, counts it in /metrics, and never enforces it', async () => {
    const connection = await testStores()[0]!.open()
    const gateway = await testGateway(connection, { policy: SHADOWED })
    try {
      const read = await gateway.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT email FROM users' } } })
      assert.equal(read.status, 201)
      assert.equal(read.body.status, 'allowed')
      const shell = await gateway.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'shell', target: 'build-host', payload: { command: 'rm -rf /tmp/x' } } })
      assert.equal(shell.body.status, 'pending')

      assert.deepEqual(read.body.decision.shadow, { effect: 'review', matched_rules: ['users-reads-reviewed'] })
      const viewed = await gateway.call('GET', `/v1/actions/${read.body.id}`, { as: 'alice' })
      assert.deepEqual(viewed.body.decision.shadow, { effect: 'review', matched_rules: ['users-reads-reviewed'] })
      const stored = await gateway.store.getAction(read.body.id)
      assert.deepEqual(stored?.decision['matched_rules'], ['read-only'])
      assert.deepEqual((stored?.decision['shadow'] as { effect: string; matched_rules: string[] }).matched_rules, ['users-reads-reviewed'])
      assert.equal((stored?.decision['shadow'] as { effect: string }).effect, 'review')
      const pending = await gateway.store.getAction(shell.body.id)
      assert.deepEqual((pending?.decision['requirements'] as { rule: string }[]).map((requirement) => requirement.rule), ['default'])
      assert.equal((pending?.decision['shadow'] as { effect: string }).effect, 'allow')

      const events = await gateway.store.actionEvents(read.body.id)
      const allowed = JSON.parse(events.find((event) => event.event.includes('"action.allowed"'))!.event) as { data: Record<string, unknown> }
      assert.deepEqual(allowed.data['shadow'], { effect: 'review', matched_rules: ['users-reads-reviewed'] })

      const metrics = await gateway.call('GET', '/metrics')
      assert.match(metrics.body, /countersign_shadow_hits_total\{rule="users-reads-reviewed",effect="review"\} 1/)
      assert.match(metrics.body, /countersign_shadow_hits_total\{rule="shell-anything",effect="allow"\} 1/)
    } finally {
      await gateway.close()
      await connection.drop()
    }
  })
})

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { openPostgres, testStores } from '../store/connection/index.js'

const MIN = 60_000
const T0 = new Date('2026-12-07T02:00:00Z')
const POLICY = `
version: 1
default: deny
rules:
  - id: shell-review
    match: { kind: shell }
    effect: review
    review: { approvers: [group:dba], timeout: 1h, remind_after: 10m, escalate: [{ after: 15m, to: [group:security] }] }
`

describe('reminders and escalation with two replicas on one PostgreSQL database', () => {
  let a: TestGateway
  let b: TestGateway
  let drop: () => Promise<void>
  before(async () => {
    const first = await testStores().find((factory) => factory.name === 'postgres')!.open()
    drop = first.drop
    a = await testGateway(first, { policy: POLICY, now: T0 })
    b = await testGateway(await openPostgres({ url: first.url!, poolSize: 4 }), { policy: POLICY, now: T0 })
  })
  after(async () => {
    await b.close()
    await a.close()
    await drop()
  })

  it('takes each step once when both replicas sweep at the same time', async () => {
    const ids: string[] = []
    for (let i = 0; i < 10; i++) ids.push((await a.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'shell', target: 'build-host', payload: { command: `echo ${i}` } } })).body.id)
    a.advance(16 * MIN)
    b.advance(16 * MIN)
    const [first, second] = await Promise.all([a.gateway.routeDue(), b.gateway.routeDue()])
    // Per action: one reminder (10m) and one escalation (15m), whoever took them.
    assert.equal(first.steps + second.steps, 20)
    assert.equal(first.failed + second.failed, 0)
    for (const id of ids) {
      const timeline = (await b.call('GET', `/v1/actions/${id}`, { as: 'bob' })).body.timeline as { type: string }[]
      assert.deepEqual(timeline.filter((entry) => entry.type === 'request.reminded' || entry.type === 'request.escalated').map((entry) => entry.type), ['request.escalated', 'request.reminded'])
    }
    const verified = await a.auditLog.verify()
    assert.equal(verified.ok, true, JSON.stringify(verified).slice(0, 2000))
  })
})

import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'

const T0 = new Date('2026-12-18T09:00:00Z')
const HOUR = 3_600_000

/**
 * Outside the freeze a DBA approves shell commands; inside it only security may, and commands
 * that touch anything are denied. The freeze starts 1h after T0 and ends 10h after T0.
 */
const POLICY = `
version: 1
default: deny
rules:
  - id: outside-freeze
    match: { kind: shell }
    when: '!calendar.freeze'
    effect: review
    review: { approvers: [group:dba], timeout: 12h, execute_within: 12h }
  - id: during-freeze
    match: { kind: shell }
    when: calendar.freeze
    effect: review
    review: { approvers: [group:security], timeout: 12h, execute_within: 12h }
`
const CALENDARS = { freeze: [{ start: new Date(T0.getTime() + HOUR).toISOString(), end: new Date(T0.getTime() + 10 * HOUR).toISOString() }] }

for (const store of testStores()) {
  describe(`change windows on ${store.name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-windows-'))
    let gw: TestGateway
    let drop: () => Promise<void>
    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection, {
        policy: POLICY,
        now: T0,
        calendars: CALENDARS,
        targets: [{ name: 'ops-host', kind: 'shell', labels: { env: 'prod' }, connector: { type: 'shell', cwd: dir, timeout: '20s', run_as_gateway_user: true } }],
      })
      // Execution is driven by hand below, so that the clock can move between approval and execution.
      await gw.executor.stop()
    })
    after(async () => {
      await gw.close()
      await drop()
    })

    /** Moves the clock to `ms` after T0 (the tests run in order, each later than the last). */
    const at = (ms: number) => gw.advance(T0.getTime() + ms - gw.gateway.now().getTime())
    const submit = async (target: string) => {
      const response = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'shell', target, payload: { command: 'echo hi' } } })
      assert.equal(response.status, 201, JSON.stringify(response.body))
      return response.body as { id: string; status: string; decision: { calendars?: Record<string, boolean>; matched_rules: string[] } }
    }
    const approve = async (id: string, as: 'bob' | 'frank') => {
      const response = await gw.call('POST', `/v1/actions/${id}/reviews`, { as, body: { decision: 'approve', reason: 'ok' } })
      assert.equal(response.status, 200, JSON.stringify(response.body))
      assert.equal(response.body.status, 'approved')
    }

    it('refuses to redeem an approval given before the freeze once the freeze has begun, with the calendar named', async () => {
      at(30 * 60_000)
      const { id, decision } = await submit('build-host')
      assert.deepEqual(decision.matched_rules, ['outside-freeze'])
      assert.deepEqual(decision.calendars, { freeze: false })
      await approve(id, 'bob')
      const { body: receipt } = await gw.call('GET', `/v1/actions/${id}/receipt`, { as: 'deployBot' })
      at(HOUR + 60_000) // the freeze begins
      const redeemed = await gw.call('POST', '/v1/receipts/redeem', { as: 'deployBot', body: { receipt: receipt.receipt, target: 'build-host', digest: receipt.digest } })
      assert.equal(redeemed.status, 409, JSON.stringify(redeemed.body))
      assert.match(redeemed.body.detail, /calendar\.freeze was false when it was decided and is true now/)
      const action = (await gw.call('GET', `/v1/actions/${id}`, { as: 'deployBot' })).body
      assert.equal(action.status, 'expired')
      assert.match(action.result.error, /change window changed/)
      const events = await gw.store.actionEvents(id)
      const expired = events.map((event) => JSON.parse(event.event)).find((event) => event.type === 'action.expired')
      assert.deepEqual(expired.data.calendars, [{ name: 'freeze', was: false, now: true }])
    })

    it('decides a new request during the freeze under the freeze, and refuses to execute it once the freeze has ended', async () => {
      at(2 * HOUR)
      const { id, decision } = await submit('ops-host')
      assert.deepEqual(decision.matched_rules, ['during-freeze'])
      assert.deepEqual(decision.calendars, { freeze: true })
      await approve(id, 'frank')
      at(10 * HOUR + 60_000) // the freeze ends before anyone runs it
      assert.equal(await gw.gateway.claimExecution(id, 'test-executor', 30_000), undefined)
      const action = (await gw.call('GET', `/v1/actions/${id}`, { as: 'deployBot' })).body
      assert.equal(action.status, 'expired')
      assert.match(action.result.error, /calendar\.freeze was true when it was decided and is false now/)
    })

    it('runs an approval whose window still holds at execution', async () => {
      at(11 * HOUR)
      const { id, decision } = await submit('ops-host')
      assert.deepEqual(decision.calendars, { freeze: false })
      await approve(id, 'bob')
      at(12 * HOUR)
      const claimed = await gw.gateway.claimExecution(id, 'test-executor', 30_000)
      assert.equal(claimed?.status, 'executing')
    })
  })
}

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { generateSigningKey, loadSigningKey, localSigner } from '../audit/index.js'
import { actionDigest } from '../action/index.js'
import { Receipts, RECEIPT_TYPE, REPORT_WINDOW_MS } from '../service/index.js'
import { testGateway, type Person, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'

const readOnly = { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT count(*) FROM users' } } as const
const scopedUpdate = { kind: 'sql', target: 'prod-db', payload: { sql: 'UPDATE users SET plan = 2 WHERE id = 42' } } as const

for (const store of testStores()) {
  describe(`approval receipts on ${store.name}`, () => {
    let gw: TestGateway
    let drop: () => Promise<void>
    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection)
    })
    after(async () => {
      await gw.close()
      await drop()
    })

    const submit = async (action: unknown, as: Person = 'deployBot') => {
      const response = await gw.call('POST', '/v1/actions', { as, body: action })
      assert.equal(response.status, 201, JSON.stringify(response.body))
      return response.body as { id: string; status: string; digest: string }
    }
    const receiptOf = async (id: string, as: Person = 'deployBot') => gw.call('GET', `/v1/actions/${id}/receipt`, { as })
    const redeem = (body: Record<string, unknown>, as: Person = 'deployBot') => gw.call('POST', '/v1/receipts/redeem', { as, body })
    const approved = async (action: unknown) => {
      const { id } = await submit(action)
      assert.equal((await gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'scoped' } })).body.status, 'approved')
      return id
    }

    it('issues a receipt anyone can check against the published keys, binding digest, target, agent and approvers', async () => {
      const id = await approved(scopedUpdate)
      const { status, body } = await receiptOf(id)
      assert.equal(status, 200, JSON.stringify(body))
      const jwks = (await gw.call('GET', '/.well-known/jwks.json')).body
      assert.equal(jwks.keys.length, 1)
      assert.equal(jwks.keys[0].d, undefined, 'the private part is never published')
      const header = decodeProtectedHeader(body.receipt)
      assert.equal(header.alg, 'EdDSA')
      assert.equal(header.typ, RECEIPT_TYPE)
      assert.equal(header.kid, jwks.keys[0].kid)
      const { payload } = await jwtVerify(body.receipt, createLocalJWKSet(jwks), { currentDate: gw.gateway.now() })
      assert.equal(payload.sub, id)
      assert.equal(payload['digest'], actionDigest(scopedUpdate))
      assert.equal(payload['target'], 'prod-db')
      assert.equal(payload['agent'], 'deploy-bot')
      assert.deepEqual(payload['approvers'], ['alice@example.com'])
      const action = (await gw.call('GET', `/v1/actions/${id}`, { as: 'deployBot' })).body
      assert.equal(new Date(payload.exp! * 1000).toISOString(), new Date(Math.floor(Date.parse(action.execute_by) / 1000) * 1000).toISOString(), 'a receipt ends with its approval')
    })

    it('redeems a receipt once: the action becomes executing, then takes the outcome its agent reports', async () => {
      const { id } = await submit(readOnly)
      const { receipt } = (await receiptOf(id)).body
      const redeemed = await redeem({ receipt, target: 'prod-db', action: readOnly })
      assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body))
      assert.equal(redeemed.body.status, 'executing')
      const replay = await redeem({ receipt, target: 'prod-db', action: readOnly })
      assert.equal(replay.status, 409)
      assert.match(replay.body.detail, /good once/)
      const second = await receiptOf(id)
      assert.equal(second.status, 409, 'an executing action has no new receipt')
      const report = await gw.call('POST', `/v1/actions/${id}/outcome`, { as: 'deployBot', body: { status: 'succeeded', exit_code: 0, output: '42' } })
      assert.equal(report.body.status, 'succeeded')
      const timeline = (await gw.call('GET', `/v1/actions/${id}`, { as: 'deployBot' })).body.timeline.map((event: { type: string; actor: string }) => `${event.type} ${event.actor}`)
      assert.deepEqual(timeline, ['action.submitted agent:deploy-bot', 'action.allowed system', 'action.executing agent:deploy-bot', 'action.succeeded agent:deploy-bot'])
    })

    it('refuses a changed payload, another target and a wrong digest, and the receipt stays good', async () => {
      const { id } = await submit(readOnly)
      const { receipt } = (await receiptOf(id)).body
      const changed = await redeem({ receipt, target: 'prod-db', action: { ...readOnly, payload: { sql: 'SELECT count(*) FROM users; DROP TABLE users' } } })
      assert.equal(changed.status, 403)
      assert.match(changed.body.detail, /digest differs/)
      const elsewhere = await redeem({ receipt, target: 'staging-db', digest: actionDigest(readOnly) })
      assert.equal(elsewhere.status, 403)
      assert.match(elsewhere.body.detail, /for target prod-db/)
      const wrongDigest = await redeem({ receipt, target: 'prod-db', digest: 'f'.repeat(64) })
      assert.equal(wrongDigest.status, 403)
      assert.equal((await gw.call('GET', `/v1/actions/${id}`, { as: 'deployBot' })).body.status, 'allowed', 'nothing changed')
      assert.equal((await redeem({ receipt, target: 'prod-db', digest: actionDigest(readOnly) })).body.status, 'executing')
    })

    it("refuses another agent's redemption and a forged or tampered receipt", async () => {
      const { id } = await submit(readOnly)
      const { receipt } = (await receiptOf(id)).body
      const other = await redeem({ receipt, target: 'prod-db', action: readOnly }, 'analyticsAgent')
      assert.equal(other.status, 403)
      const forger = new Receipts(localSigner(loadSigningKey(generateSigningKey().privateKeyPem)), 'https://countersign.test')
      const record = (await gw.gateway.store.getAction(id))!
      const forged = (await forger.issue(record, [], gw.gateway.now())).receipt
      assert.equal((await redeem({ receipt: forged, target: 'prod-db', action: readOnly })).status, 400)
      const [head, claims, signature] = receipt.split('.')
      const tampered = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(claims, 'base64url').toString()), target: 'staging-db' })).toString('base64url')}.${signature}`
      assert.equal((await redeem({ receipt: tampered, target: 'staging-db', action: readOnly })).status, 400)
      assert.equal((await gw.call('GET', `/v1/actions/${id}`, { as: 'deployBot' })).body.status, 'allowed')
    })

    it('gives no receipt for a pending action, a brokered one, or to anyone but its submitter', async () => {
      const pending = await submit({ kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' } })
      assert.equal((await receiptOf(pending.id)).status, 409)
      const brokered = await submit({ kind: 'sql', target: 'staging-db', payload: { sql: 'SELECT 1' } })
      assert.equal((await receiptOf(brokered.id)).status, 409)
      const mine = await submit(readOnly)
      assert.equal((await receiptOf(mine.id, 'analyticsAgent')).status, 404)
      assert.equal((await receiptOf(mine.id, 'alice')).status, 403)
    })

    it('refuses a receipt after its approval expired, and the action expires', async () => {
      const id = await approved(scopedUpdate)
      const { receipt } = (await receiptOf(id)).body
      gw.advance(11 * 60_000)
      const late = await redeem({ receipt, target: 'prod-db', action: scopedUpdate })
      assert.equal(late.status, 400)
      assert.match(late.body.detail, /expired/)
      assert.equal((await gw.call('GET', `/v1/actions/${id}`, { as: 'deployBot' })).body.status, 'expired')
    })

    it('fails an action whose receipt was redeemed but whose outcome never came, saying the result is unknown', async () => {
      const { id } = await submit(readOnly)
      const { receipt } = (await receiptOf(id)).body
      await redeem({ receipt, target: 'prod-db', action: readOnly })
      assert.equal((await gw.call('POST', `/v1/actions/${id}/outcome`, { as: 'analyticsAgent', body: { status: 'succeeded' } })).status, 404)
      gw.advance(REPORT_WINDOW_MS + 1000)
      const action = (await gw.call('GET', `/v1/actions/${id}`, { as: 'deployBot' })).body
      assert.equal(action.status, 'failed')
      assert.match(action.result.error, /reported no outcome in time; the result is unknown/)
      assert.equal((await gw.auditLog.verify()).ok, true)
    })
  })
}

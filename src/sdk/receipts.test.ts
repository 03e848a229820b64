import assert from 'node:assert/strict'
import { createHmac, generateKeyPairSync } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { Countersign, ReceiptError, verifyReceipt, type ActionInput, type Jwks, type ReceiptProblem } from './index.js'
import { servedGateway, type ServedGateway } from './test-served-gateway.js'

const readOnly: ActionInput = { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT count(*) FROM users' } }

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const parts = (receipt: string) => {
  const [header, claims, signature] = receipt.split('.') as [string, string, string]
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()), claims: JSON.parse(Buffer.from(claims, 'base64url').toString()), signature }
}
const refusal = (code: ReceiptProblem) => (error: unknown) => error instanceof ReceiptError && error.code === code

describe('receipts verified offline by the SDK', () => {
  let served: ServedGateway
  let agent: Countersign
  let jwks: Jwks
  let receipt: string
  before(async () => {
    served = await servedGateway()
    agent = served.client('deployBot')
    const action = await agent.run(readOnly)
    receipt = (await agent.receipt(action.id)).receipt
    jwks = await agent.jwks()
  })
  after(() => served.close())

  it('accepts a good receipt for this target and this action, offline', async () => {
    const claims = await verifyReceipt(receipt, { jwks, target: 'prod-db', action: readOnly })
    assert.equal(claims.target, 'prod-db')
    assert.equal(claims.status, 'allowed')
    assert.equal(claims.agent, 'deploy-bot')
    assert.equal(claims.iss, 'https://countersign.test')
    const byDigest = await verifyReceipt(receipt, { jwks, target: 'prod-db', digest: claims.digest, issuer: 'https://countersign.test' })
    assert.equal(byDigest.jti, claims.jti)
    // The same through the key set's URL, and through the client's kept keys.
    await verifyReceipt(receipt, { jwksUrl: `${served.url}/.well-known/jwks.json`, target: 'prod-db', action: readOnly })
    await agent.verifyReceipt(receipt, { target: 'prod-db', action: readOnly })
  })

  it('refuses a receipt whose claims were changed after signing', async () => {
    const { header, claims, signature } = parts(receipt)
    const forged = `${b64(header)}.${b64({ ...claims, target: 'staging-db' })}.${signature}`
    await assert.rejects(verifyReceipt(forged, { jwks, target: 'staging-db', action: { ...readOnly, target: 'staging-db' } }), refusal('BAD_SIGNATURE'))
  })

  it('refuses an expired receipt', async () => {
    await assert.rejects(verifyReceipt(receipt, { jwks, target: 'prod-db', action: readOnly, now: new Date(Date.now() + 16 * 60_000) }), refusal('EXPIRED'))
  })

  it('refuses a receipt presented for another target', async () => {
    await assert.rejects(verifyReceipt(receipt, { jwks, target: 'staging-db', action: readOnly }), refusal('WRONG_TARGET'))
  })

  it('refuses a changed payload: the digest is not the approved one', async () => {
    await assert.rejects(verifyReceipt(receipt, { jwks, target: 'prod-db', action: { ...readOnly, payload: { sql: 'SELECT count(*) FROM users; DELETE FROM users' } } }), refusal('WRONG_DIGEST'))
    await assert.rejects(verifyReceipt(receipt, { jwks, target: 'prod-db', digest: '0'.repeat(64) }), refusal('WRONG_DIGEST'))
  })

  it('refuses a receipt signed by a key the gateway does not publish', async () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })
    await assert.rejects(verifyReceipt(receipt, { jwks: { keys: [{ ...other, kid: 'someone-else' }] }, target: 'prod-db', action: readOnly }), refusal('UNKNOWN_KEY'))
    const { header, claims } = parts(receipt)
    await assert.rejects(verifyReceipt(`${b64({ ...header, kid: 'nope' })}.${b64(claims)}.AAAA`, { jwks, target: 'prod-db', action: readOnly }), refusal('UNKNOWN_KEY'))
  })

  it('never takes the algorithm from the token: alg none and HMAC with the public key are refused', async () => {
    const { header, claims } = parts(receipt)
    const unsigned = `${b64({ ...header, alg: 'none' })}.${b64(claims)}.`
    await assert.rejects(verifyReceipt(unsigned, { jwks, target: 'prod-db', action: readOnly }), refusal('MALFORMED'))
    const hsHeader = b64({ ...header, alg: 'HS256' })
    const body = b64(claims)
    const mac = createHmac('sha256', String(jwks.keys[0]!['x'])).update(`${hsHeader}.${body}`).digest('base64url')
    await assert.rejects(verifyReceipt(`${hsHeader}.${body}.${mac}`, { jwks, target: 'prod-db', action: readOnly }), refusal('MALFORMED'))
  })

  it('refuses something that is not a receipt at all', async () => {
    await assert.rejects(verifyReceipt('not.a.jws!', { jwks, target: 'prod-db', action: readOnly }), refusal('MALFORMED'))
    const { claims, signature } = parts(receipt)
    await assert.rejects(verifyReceipt(`${b64({ alg: 'EdDSA', typ: 'JWT' })}.${b64(claims)}.${signature}`, { jwks, target: 'prod-db', action: readOnly }), refusal('WRONG_TYPE'))
  })

  it('a verified receipt is still single use: the gateway redeems it once', async () => {
    await verifyReceipt(receipt, { jwks, target: 'prod-db', action: readOnly })
    assert.equal((await agent.redeem({ receipt, target: 'prod-db', action: readOnly })).status, 'executing')
    await assert.rejects(agent.redeem({ receipt, target: 'prod-db', action: readOnly }), { name: 'ApiError', code: 'ALREADY_DECIDED' })
    // Offline, it still looks good: only redeeming makes it single use.
    await verifyReceipt(receipt, { jwks, target: 'prod-db', action: readOnly })
  })
})

import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateSigningKey, loadSigningKey, localSigner, signingKeyId } from '../audit/index.js'
import { parseConfig, resolveSecret } from '../config/index.js'
import { AuditLog, Receipts } from '../service/index.js'
import { testStores } from '../store/connection/index.js'
import { previousKeysFor } from './signing-key.js'
import { testGateway, type TestGateway } from './test-gateway.js'

// Rotating audit.signing_key: the chain's old checkpoints were signed with the old key. Without
// audit.previous_keys they no longer verify; with it they do, and the JWKS still publishes the old key.
describe('audit key rotation (audit.previous_keys)', () => {
  let gw: TestGateway
  let drop: () => Promise<void>
  before(async () => {
    const connection = await testStores()[0]!.open()
    drop = connection.drop
    gw = await testGateway(connection)
    const submitted = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT 1' } } })
    assert.equal(submitted.status, 201)
    assert.ok(await gw.auditLog.checkpoint(), 'a checkpoint signed with the old key')
  })
  after(async () => {
    await gw.close()
    await drop()
  })

  const oldKey = () => loadSigningKey(resolveSecret(gw.config.audit.signing_key!))
  const newKey = loadSigningKey(generateSigningKey().privateKeyPem)

  it('reports the old checkpoints when only the new key is known', async () => {
    const report = await new AuditLog(gw.store, localSigner(newKey)).verify()
    assert.equal(report.ok, false)
    assert.ok(report.problems.some((problem) => /not among the public keys given/.test(problem.message)))
  })

  it('verifies them with the old key among audit.previous_keys (a public or private PEM)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-rotation-'))
    writeFileSync(join(dir, 'old.pub.pem'), oldKey().publicKey.export({ type: 'spki', format: 'pem' }))
    const config = parseConfig('policy: p\naudit: { previous_keys: [file:./old.pub.pem] }\n', { baseDir: dir })
    const previous = previousKeysFor(config)
    assert.deepEqual(previous.map(signingKeyId), [oldKey().keyId])
    const report = await new AuditLog(gw.store, localSigner(newKey), undefined, previous).verify()
    assert.deepEqual(report.problems, [])
    assert.equal(report.ok, true)
  })

  it('publishes the current key first and the previous ones after it in the JWKS', () => {
    const receipts = new Receipts(localSigner(newKey), 'https://countersign.test', [oldKey().publicKey])
    assert.deepEqual(receipts.jwks().keys.map((key) => key.kid), [newKey.keyId, oldKey().keyId])
  })

  it('refuses a previous key that is not an Ed25519 PEM', () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-rotation-'))
    writeFileSync(join(dir, 'junk.pem'), 'not a key')
    assert.throws(() => previousKeysFor(parseConfig('policy: p\naudit: { previous_keys: [file:./junk.pem] }\n', { baseDir: dir })), /is not a PEM key/)
  })
})

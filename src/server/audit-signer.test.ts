import assert from 'node:assert/strict'
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { commandSigner, parseCheckpoint, signingKeyId, verifyNoteSignature } from '../audit/index.js'
import { testStores } from '../store/connection/index.js'
import { AuditLog } from '../service/index.js'
import { auditSignerFor } from './signing-key.js'
import { testGateway, type TestGateway } from './test-gateway.js'

/**
 * The stand-in for an HSM's or a KMS's command-line tool: it signs stdin with a key file the
 * gateway's config never names, and prints the signature in base64.
 */
const SIGNER_SCRIPT = `
const { createPrivateKey, sign } = require('node:crypto')
const { readFileSync } = require('node:fs')
const chunks = []
process.stdin.on('data', (chunk) => chunks.push(chunk))
process.stdin.on('end', () => {
  const key = createPrivateKey(readFileSync(process.argv[2], 'utf8'))
  process.stdout.write(sign(null, Buffer.concat(chunks), key).toString('base64') + '\\n')
})
`

describe('a checkpoint signer outside the gateway (audit.signer.command)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-signer-'))
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  writeFileSync(join(dir, 'hsm-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
  writeFileSync(join(dir, 'audit.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }))
  writeFileSync(join(dir, 'sign.cjs'), SIGNER_SCRIPT)
  const command = [process.execPath, join(dir, 'sign.cjs'), join(dir, 'hsm-key.pem')]

  it('signs with the key only the command reads, and refuses a command that answers anything else', async () => {
    const signer = commandSigner(command, publicKey)
    assert.equal(signer.keyId, signingKeyId(publicKey))
    assert.equal((await signer.sign(Buffer.from('tree head'))).length, 64)
    // Signs with another key than the configured public key: refused.
    const other = generateKeyPairSync('ed25519')
    writeFileSync(join(dir, 'other.pem'), other.privateKey.export({ type: 'pkcs8', format: 'pem' }))
    await assert.rejects(commandSigner([process.execPath, join(dir, 'sign.cjs'), join(dir, 'other.pem')], publicKey).sign(Buffer.from('x')), /did not answer an Ed25519 signature/)
    await assert.rejects(commandSigner([process.execPath, '-e', 'process.exit(3)'], publicKey).sign(Buffer.from('x')), /failed \(exit 3\)/)
    await assert.rejects(commandSigner([process.execPath, '-e', 'console.log("not a signature")'], publicKey).sign(Buffer.from('x')), /did not answer/)
  })

  for (const store of testStores()) {
    describe(`on ${store.name}`, () => {
      let gw: TestGateway
      let drop: () => Promise<void>
      before(async () => {
        const connection = await store.open()
        drop = connection.drop
        gw = await testGateway(connection, { audit: { signing_key: undefined, signer: { command, public_key: `file:${join(dir, 'audit.pub.pem')}` }, origin: 'countersign.test/audit' } })
      })
      after(async () => {
        await gw.close()
        await drop()
      })

      it('signs checkpoints, tree heads and receipts through the command, each naming its key', async () => {
        const keyId = signingKeyId(createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })))
        const submitted = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT 1' } } })
        assert.equal(submitted.body.status, 'allowed', JSON.stringify(submitted.body))
        const checkpoint = await gw.auditLog.checkpoint()
        assert.ok(checkpoint?.note)
        assert.equal(checkpoint.key_id, keyId)
        const note = parseCheckpoint(checkpoint.note)
        assert.ok(verifyNoteSignature(note.body, note.signatures[0]!, 'countersign.test/audit', publicKey))
        const verified = await gw.call('GET', '/v1/audit/verify', { as: 'alice' })
        assert.equal(verified.body.ok, true, JSON.stringify(verified.body.problems))

        const receipt = await gw.call('GET', `/v1/actions/${submitted.body.id}/receipt`, { as: 'deployBot' })
        assert.equal(receipt.status, 200, JSON.stringify(receipt.body))
        assert.equal(decodeProtectedHeader(receipt.body.receipt).kid, keyId)
        const jwks = (await gw.call('GET', '/.well-known/jwks.json')).body
        const { payload } = await jwtVerify(receipt.body.receipt, createLocalJWKSet(jwks), { currentDate: gw.gateway.now() })
        assert.equal(payload.sub, submitted.body.id)
        // And the gateway redeems what it signed through the command.
        const redeemed = await gw.call('POST', '/v1/receipts/redeem', { as: 'deployBot', body: { receipt: receipt.body.receipt, target: 'prod-db', action: { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT 1' } } } })
        assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body))
      })

      it('keeps one chain of checkpoints when replicas sign at once through slow signers', async () => {
        const replicas = [gw.auditLog, new AuditLog(gw.store, auditSignerFor(gw.config)), new AuditLog(gw.store, auditSignerFor(gw.config))]
        for (let round = 0; round < 3; round += 1) {
          const submitted = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'prod-db', payload: { sql: `SELECT ${round + 2}` } } })
          assert.equal(submitted.status, 201)
          await Promise.all(replicas.map((replica) => replica.checkpoint()))
        }
        const checkpoints = await gw.store.checkpoints()
        for (const [index, checkpoint] of checkpoints.entries()) assert.equal(checkpoint.prev_signature, checkpoints[index - 1]?.signature ?? null)
        assert.equal(checkpoints.at(-1)!.seq, (await gw.store.auditHead()).seq)
        const verified = await gw.call('GET', '/v1/audit/verify', { as: 'alice' })
        assert.equal(verified.body.ok, true, JSON.stringify(verified.body.problems))
      })
    })
  }
})

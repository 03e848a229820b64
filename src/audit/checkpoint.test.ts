import assert from 'node:assert/strict'
import { createHash, generateKeyPairSync, verify, type KeyObject } from 'node:crypto'
import { describe, it } from 'node:test'
import { CountersignError } from '../errors/index.js'
import { generateSigningKey, loadSigningKey, signCheckpoint, verifyChain, verifyCheckpointSignature, type Checkpoint, type StoredAuditEvent } from './index.js'
import { checkpointsFor, problemKeys, sampleChain, testKey } from './test-support.js'

// RFC 8032 §7.1, test 1: a published Ed25519 key, wrapped as PKCS#8.
const RFC8032_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
const RFC8032_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
const RFC8032_PEM = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(`302e020100300506032b657004220420${RFC8032_SECRET}`, 'hex').toString('base64')}\n-----END PRIVATE KEY-----\n`

function expectError(code: string, pattern: RegExp) {
  return (error: unknown) => error instanceof CountersignError && error.code === code && pattern.test(error.message)
}

describe('checkpoint signing keys', () => {
  it('names a key by the SHA-256 of its raw 32-byte public key', () => {
    const key = loadSigningKey(RFC8032_PEM)
    assert.equal(key.keyId, createHash('sha256').update(Buffer.from(RFC8032_PUBLIC, 'hex')).digest('hex'))
    assert.equal(key.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex'), RFC8032_PUBLIC)
  })

  it('generates an Ed25519 key pair that loads back with the same id', () => {
    const generated = generateSigningKey()
    assert.match(generated.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/)
    assert.match(generated.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/)
    const loaded = loadSigningKey(generated.privateKeyPem)
    assert.equal(loaded.keyId, generated.keyId)
    assert.equal(loaded.publicKey.export({ format: 'pem', type: 'spki' }), generated.publicKeyPem)
  })

  it('refuses what is not an Ed25519 private key, without quoting it', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const encrypted = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' }) as string
    const cases: [string, string, RegExp][] = [
      ['garbage', 'not a key at all, but maybe a secret', /not an unencrypted PEM private key/],
      ['a public key', generateSigningKey().publicKeyPem, /not an unencrypted PEM private key/],
      ['an encrypted key', encrypted, /not an unencrypted PEM private key/],
      ['an EC key', ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, /is a ec key; checkpoints are signed with Ed25519/],
    ]
    for (const [name, pem, message] of cases) {
      assert.throws(
        () => loadSigningKey(pem),
        (error) => expectError('INVALID', message)(error) && !(error as Error).message.includes(pem.slice(30, 50)) && (error as Error).cause === undefined,
        name,
      )
    }
  })
})

describe('signing and checking one checkpoint', () => {
  const key = loadSigningKey(RFC8032_PEM)
  const body = { seq: 42, hash: 'ab'.repeat(32), at: '2026-01-05T12:00:00.000Z', prev_signature: null, key_id: key.keyId }

  it('signs the canonical JSON of the body with Ed25519, in base64', () => {
    const checkpoint = signCheckpoint(body, key.privateKey)
    const signed = Buffer.from(`{"at":"2026-01-05T12:00:00.000Z","hash":"${'ab'.repeat(32)}","key_id":"${key.keyId}","prev_signature":null,"seq":42}`)
    assert.equal(Buffer.from(checkpoint.signature, 'base64').length, 64)
    assert.deepEqual(checkpoint, { ...body, signature: checkpoint.signature })
    assert.equal(verifyCheckpointSignature(checkpoint, key.publicKey), true)
    assert.equal(verifyCheckpointSignature(checkpoint, key.privateKey), true, 'a private key verifies as its public half')
    assert.equal(signCheckpoint(body, key.privateKey).signature, checkpoint.signature, 'Ed25519 is deterministic')
    assert.equal(verify(null, signed, key.publicKey, Buffer.from(checkpoint.signature, 'base64')), true, 'an auditor can check it with any Ed25519 library')
  })

  it('fails verification when any member or the signature changes', () => {
    const checkpoint = signCheckpoint(body, key.privateKey)
    const other = testKey()
    const signature = Buffer.from(checkpoint.signature, 'base64')
    signature[10] = signature[10]! ^ 1
    // The 86th character carries 4 unused bits: setting one spells the same bytes differently.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    const last = alphabet.indexOf(checkpoint.signature[85]!)
    const respelled = `${checkpoint.signature.slice(0, 85)}${alphabet[last | 1]}==`
    assert.deepEqual(Buffer.from(respelled, 'base64'), Buffer.from(checkpoint.signature, 'base64'))
    const tampered: [string, Checkpoint][] = [
      ['seq', { ...checkpoint, seq: 43 }],
      ['hash', { ...checkpoint, hash: 'cd'.repeat(32) }],
      ['at', { ...checkpoint, at: '2026-01-05T12:00:00.001Z' }],
      ['prev_signature', { ...checkpoint, prev_signature: checkpoint.signature }],
      ['key_id', { ...checkpoint, key_id: other.keyId }],
      ['signature', { ...checkpoint, signature: signature.toString('base64') }],
      ['signature spelling', { ...checkpoint, signature: respelled }],
    ]
    for (const [name, changed] of tampered) assert.equal(verifyCheckpointSignature(changed, key.publicKey), false, name)
    assert.equal(verifyCheckpointSignature(checkpoint, other.publicKey), false, 'another key')
    assert.equal(verifyCheckpointSignature({ ...checkpoint, key_id: other.keyId }, other.publicKey), false, 'another key, named')
  })

  it('refuses to sign what it could not stand behind', () => {
    const other = testKey()
    const cases: [string, () => unknown, RegExp][] = [
      ['a body naming another key', () => signCheckpoint({ ...body, key_id: other.keyId }, key.privateKey), /names key/],
      ['a body with a signature already', () => signCheckpoint({ ...body, signature: 'x' } as typeof body, key.privateKey), /unknown member "signature"/],
      ['a hash that is not a SHA-256', () => signCheckpoint({ ...body, hash: 'abc' }, key.privateKey), /hash/],
      ['a seq of 0', () => signCheckpoint({ ...body, seq: 0 }, key.privateKey), /seq/],
      ['a public key', () => signCheckpoint(body, key.publicKey), /private key/],
      ['an EC key', () => signCheckpoint(body, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), /Ed25519/],
    ]
    for (const [name, sign, message] of cases) assert.throws(sign, expectError('INVALID', message), name)
    assert.throws(() => verifyCheckpointSignature(signCheckpoint(body, key.privateKey), generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), expectError('INVALID', /Ed25519/))
  })
})

describe('verifying a log against its checkpoints', () => {
  const key = testKey()
  const rows = sampleChain(10)
  const event = (seq: number): StoredAuditEvent => rows[seq - 1]!
  const checkpoints = checkpointsFor([event(3), event(6), event(9)], key)
  const [first, second, third] = checkpoints as [Checkpoint, Checkpoint, Checkpoint]
  const flip = (signature: string) => {
    const bytes = Buffer.from(signature, 'base64')
    bytes[0] = bytes[0]! ^ 0x80
    return bytes.toString('base64')
  }

  it('verifies every checkpoint that is signed, chained and matches its event', async () => {
    const report = await verifyChain(rows, { checkpoints, publicKeys: [key.publicKey] })
    assert.deepEqual({ ok: report.ok, checkpoints: report.checkpoints, problems: report.problems }, { ok: true, checkpoints: 3, problems: [] })
  })

  it('follows the checkpoint chain across a key rotation', async () => {
    const next = testKey()
    const rotated = [first, second, ...checkpointsFor([event(9)], next, second)]
    const report = await verifyChain(rows, { checkpoints: rotated, publicKeys: [key.publicKey, next.publicKey] })
    assert.deepEqual({ ok: report.ok, checkpoints: report.checkpoints }, { ok: true, checkpoints: 3 })
  })

  const mallory = testKey()
  const cases: { name: string; checkpoints: readonly Checkpoint[]; publicKeys?: readonly KeyObject[]; problems: string[]; message?: RegExp; verified?: number }[] = [
    { name: 'a signature altered', checkpoints: [first, { ...second, signature: flip(second.signature) }, third], problems: ['6 bad_checkpoint', '9 bad_checkpoint'], message: /does not verify/, verified: 2 },
    { name: 'a signed member edited', checkpoints: [first, { ...second, hash: event(7).hash, seq: 7 }, third], problems: ['7 bad_checkpoint'], message: /does not verify/ },
    {
      name: 'a checkpoint forged with another key',
      checkpoints: [first, second, ...checkpointsFor([event(9)], mallory, second)],
      problems: ['9 bad_checkpoint'],
      message: /not among the public keys given/,
    },
    { name: 'checkpoints with no key to check them', checkpoints, publicKeys: [], problems: ['3 bad_checkpoint', '6 bad_checkpoint', '9 bad_checkpoint'], verified: 0 },
    { name: 'a checkpoint removed from the middle', checkpoints: [first, third], problems: ['9 bad_checkpoint'], message: /does not chain to the checkpoint before it/, verified: 2 },
    { name: 'the first checkpoint removed', checkpoints: [second, third], problems: ['6 bad_checkpoint'], message: /earlier checkpoints are missing/ },
    { name: 'checkpoints out of order', checkpoints: [first, third, second], problems: ['6 bad_checkpoint', '6 bad_checkpoint', '9 bad_checkpoint'] },
    { name: 'a checkpoint that is not one', checkpoints: [first, { ...second, signature: undefined } as unknown as Checkpoint, third], problems: ['6 bad_checkpoint', '9 bad_checkpoint'], message: /signature that is not the base64 of 64 bytes/ },
  ]

  for (const scenario of cases) {
    it(`reports ${scenario.name}`, async () => {
      const report = await verifyChain(rows, { checkpoints: scenario.checkpoints, publicKeys: scenario.publicKeys ?? [key.publicKey] })
      assert.equal(report.ok, false)
      assert.deepEqual(problemKeys(report.problems), scenario.problems, JSON.stringify(report.problems, null, 1))
      if (scenario.message) assert.match(report.problems[0]!.message, scenario.message)
      if (scenario.verified !== undefined) assert.equal(report.checkpoints, scenario.verified)
    })
  }

  it('uses only authentic checkpoints to judge the log: a forged one cannot make it look truncated', async () => {
    const forged = checkpointsFor([{ ...event(9), seq: 20 }], mallory, third)
    const report = await verifyChain(rows, { checkpoints: [...checkpoints, ...forged], publicKeys: [key.publicKey] })
    assert.deepEqual(problemKeys(report.problems), ['20 bad_checkpoint'])
  })

  it('refuses a public key that is not Ed25519', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    await assert.rejects(verifyChain(rows, { checkpoints, publicKeys: [ec] }), expectError('INVALID', /Ed25519/))
  })
})

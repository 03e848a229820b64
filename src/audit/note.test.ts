import assert from 'node:assert/strict'
import { createHash, generateKeyPairSync, verify } from 'node:crypto'
import { describe, it } from 'node:test'
import { CountersignError } from '../errors/index.js'
import { checkpointBody, cosignNote, formatWitnessKey, parseCheckpoint, parseWitnessKey, signNote, verifyCosignature, verifyNoteSignature } from './note.js'

const ROOT = createHash('sha256').update('root').digest()
const invalid = (error: unknown) => error instanceof CountersignError && error.code === 'INVALID'

describe('signed checkpoints (C2SP signed note)', () => {
  it('writes origin, size and base64 root, a blank line and an em-dash signature line with a 4-byte key hash', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const body = checkpointBody({ origin: 'gw.example.com/audit', size: 42, root: ROOT })
    assert.equal(body, `gw.example.com/audit\n42\n${ROOT.toString('base64')}\n`)
    const note = `${body}\n${signNote(body, 'gw.example.com/audit', privateKey)}\n`
    const parsed = parseCheckpoint(note)
    assert.equal(parsed.size, 42)
    assert.deepEqual(parsed.root, ROOT)
    const [signature] = parsed.signatures
    assert.ok(signature)
    assert.ok(signature.line.startsWith('\u2014 gw.example.com/audit '))
    // Key hash as c2sp.org/signed-note defines it, checked from first principles.
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
    const expectedHash = createHash('sha256').update('gw.example.com/audit\n').update(Uint8Array.of(1)).update(raw).digest().subarray(0, 4)
    assert.deepEqual(signature.keyHash, expectedHash)
    assert.ok(verify(null, Buffer.from(body), publicKey, signature.signature))
    assert.ok(verifyNoteSignature(body, signature, 'gw.example.com/audit', publicKey))
    assert.ok(!verifyNoteSignature(body.replace('42', '43'), signature, 'gw.example.com/audit', publicKey))
    assert.ok(!verifyNoteSignature(body, signature, 'gw.example.com/audit', generateKeyPairSync('ed25519').publicKey))
  })

  it('cosigns as cosignature/v1: key hash, 8-byte time, signature over the time line and body', () => {
    const witness = generateKeyPairSync('ed25519')
    const body = checkpointBody({ origin: 'gw.example.com/audit', size: 7, root: ROOT })
    const line = cosignNote(body, 'witness.example.org', witness.privateKey, 1_700_000_000)
    const [signature] = parseCheckpoint(`${body}\n${line}\n`).signatures
    assert.ok(signature)
    assert.equal(signature.signature.length, 72)
    assert.equal(signature.signature.readBigUInt64BE(0), 1_700_000_000n)
    const message = Buffer.from(`cosignature/v1\ntime 1700000000\n${body}`)
    assert.ok(verify(null, message, witness.publicKey, signature.signature.subarray(8)))
    assert.equal(verifyCosignature(body, signature, 'witness.example.org', witness.publicKey), 1_700_000_000)
    assert.equal(verifyCosignature(body.replace('\n7\n', '\n8\n'), signature, 'witness.example.org', witness.publicKey), undefined)
    // A log signature is not a cosignature, and the other way round.
    assert.ok(!verifyNoteSignature(body, signature, 'witness.example.org', witness.publicKey))
  })

  it('round-trips witness verifier keys and refuses one whose hash does not match', () => {
    const witness = generateKeyPairSync('ed25519')
    const vkey = formatWitnessKey('witness.example.org', witness.publicKey)
    assert.match(vkey, /^witness\.example\.org\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/)
    const parsed = parseWitnessKey(vkey)
    assert.equal(parsed.name, 'witness.example.org')
    assert.ok(parsed.publicKey.equals(witness.publicKey))
    assert.throws(() => parseWitnessKey(vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')), invalid)
    assert.throws(() => parseWitnessKey('not a key'), invalid)
  })

  it('refuses texts that are not signed checkpoints', () => {
    const { privateKey } = generateKeyPairSync('ed25519')
    const body = checkpointBody({ origin: 'o', size: 1, root: ROOT })
    const line = signNote(body, 'o', privateKey)
    for (const text of [body, `${body}\n`, `${body}\n${line}`, `o\nx\n${ROOT.toString('base64')}\n\n${line}\n`, `o\n1\nAAAA\n\n${line}\n`, `${body}\n- o AAAAAAAA\n`]) {
      assert.throws(() => parseCheckpoint(text), invalid, JSON.stringify(text))
    }
  })
})

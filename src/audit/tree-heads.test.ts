import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPairSync } from 'node:crypto'
import { checkpointBody, cosignNote, leafHash, MerkleTree, parseCheckpoint, signCheckpoint, signNote, verifyChain, type Checkpoint, type StoredAuditEvent, type WitnessKey } from './index.js'
import { sealEvents } from './seal.js'
import { GENESIS_HASH } from './event.js'
import { problemKeys, sampleChain, testKey } from './test-support.js'

const ORIGIN = 'countersign.test/audit'

/** Checkpoints at `seqs`, each with its signed tree head, as the gateway writes them. */
function checkpointsWithTreeHeads(events: readonly StoredAuditEvent[], seqs: readonly number[], key = testKey()): { checkpoints: Checkpoint[]; key: ReturnType<typeof testKey> } {
  const tree = new MerkleTree(events.map((event) => leafHash(event.event)))
  const checkpoints: Checkpoint[] = []
  for (const seq of seqs) {
    const signed = signCheckpoint({ seq, hash: events[seq - 1]!.hash, at: JSON.parse(events[seq - 1]!.event).at, prev_signature: checkpoints.at(-1)?.signature ?? null, key_id: key.keyId }, key.privateKey)
    const body = checkpointBody({ origin: ORIGIN, size: seq, root: tree.root(seq) })
    checkpoints.push({ ...signed, note: `${body}\n${signNote(body, ORIGIN, key.privateKey)}\n` })
  }
  return { checkpoints, key }
}

/** The log rewritten from `seq` on, with every hash recomputed: what a holder of the store can do. */
function rewriteFrom(events: readonly StoredAuditEvent[], seq: number): StoredAuditEvent[] {
  const bodies = events.map((event) => JSON.parse(event.event) as Record<string, unknown>)
  bodies[seq - 1] = { ...bodies[seq - 1], actor: 'human:mallory@example.com' }
  return sealEvents(GENESIS_HASH, bodies as never)
}

describe('signed tree heads in verification', () => {
  it('verifies a log against its own tree heads and a tree head saved outside it', async () => {
    const events = sampleChain(40)
    const { checkpoints, key } = checkpointsWithTreeHeads(events, [10, 25, 40])
    const saved = parseCheckpoint(checkpoints[1]!.note!)
    const report = await verifyChain(events, { checkpoints, publicKeys: [key.publicKey], anchors: [saved] })
    assert.deepEqual(report.problems, [])
    assert.equal(report.checkpoints, 3)
  })

  it('reports a history rewritten with recomputed hashes and re-signed checkpoints as rewritten, against a tree head saved outside', async () => {
    const events = sampleChain(40)
    const { checkpoints: honest } = checkpointsWithTreeHeads(events, [10, 25])
    const saved = parseCheckpoint(honest[1]!.note!)
    const rewritten = rewriteFrom(events, 17)
    // The rewriter holds the key: the log's own checkpoints are re-signed and agree with it.
    const { checkpoints, key } = checkpointsWithTreeHeads(rewritten, [10, 25, 40])
    const own = await verifyChain(rewritten, { checkpoints, publicKeys: [key.publicKey] })
    assert.deepEqual(own.problems, [])
    const report = await verifyChain(rewritten, { checkpoints, publicKeys: [key.publicKey], anchors: [saved] })
    assert.deepEqual(problemKeys(report.problems), ['25 rewritten'])
    // Before the rewritten event, the saved head still matches.
    const early = parseCheckpoint(honest[0]!.note!)
    assert.deepEqual((await verifyChain(rewritten, { anchors: [early] })).problems, [])
  })

  it('reports a log shorter than a tree head saved outside as truncated', async () => {
    const events = sampleChain(30)
    const { checkpoints } = checkpointsWithTreeHeads(events, [30])
    const report = await verifyChain(events.slice(0, 22), { anchors: [parseCheckpoint(checkpoints[0]!.note!)] })
    assert.deepEqual(problemKeys(report.problems), ['23 truncated'])
  })

  it('reports a tree head that does not match its checkpoint\'s events, or is not signed by its key', async () => {
    const events = sampleChain(20)
    const { checkpoints, key } = checkpointsWithTreeHeads(events, [10, 20])
    const other = testKey()
    const forgedBody = checkpointBody({ origin: ORIGIN, size: 20, root: leafHash('nothing') })
    const mismatched = [checkpoints[0]!, { ...checkpoints[1]!, note: `${forgedBody}\n${signNote(forgedBody, ORIGIN, key.privateKey)}\n` }]
    assert.deepEqual(problemKeys((await verifyChain(events, { checkpoints: mismatched, publicKeys: [key.publicKey] })).problems), ['20 rewritten'])
    const body = checkpoints[1]!.note!.slice(0, checkpoints[1]!.note!.indexOf('\n\n') + 1)
    const foreign = [checkpoints[0]!, { ...checkpoints[1]!, note: `${body}\n${signNote(body, ORIGIN, other.privateKey)}\n` }]
    assert.deepEqual(problemKeys((await verifyChain(events, { checkpoints: foreign, publicKeys: [key.publicKey] })).problems), ['20 bad_checkpoint'])
    // A tree head signed with a key the current one replaced still verifies with it among the keys.
    const { checkpoints: old } = checkpointsWithTreeHeads(events, [10], other)
    assert.deepEqual((await verifyChain(events, { checkpoints: old, publicKeys: [key.publicKey, other.publicKey] })).problems, [])
  })
})

describe('checkpoint freshness', () => {
  const minute = 60_000
  const events = sampleChain(12) // one event a second from 2026-01-05T12:00:01Z
  const at = (seq: number) => Date.parse(JSON.parse(events[seq - 1]!.event).at)
  const { checkpoints, key } = checkpointsWithTreeHeads(events, [8])

  it('warns when an event has waited longer than the interval plus a margin for a checkpoint', async () => {
    const report = await verifyChain(events, { checkpoints, publicKeys: [key.publicKey], freshness: { intervalMs: minute, now: new Date(at(9) + 2 * minute + 1) } })
    assert.ok(report.ok)
    assert.deepEqual(report.warnings.map((warning) => `${warning.seq} ${warning.kind}`), ['9 stale_checkpoint'])
    assert.match(report.warnings[0]!.message, /the newest signed checkpoint covers event 8 .* event 9 .* has waited 2 minutes/)
  })

  it('is quiet within the interval plus the margin, and when the newest events are covered', async () => {
    assert.deepEqual((await verifyChain(events, { checkpoints, publicKeys: [key.publicKey], freshness: { intervalMs: minute, now: new Date(at(9) + 2 * minute) } })).warnings, [])
    const covered = checkpointsWithTreeHeads(events, [12], key).checkpoints
    assert.deepEqual((await verifyChain(events, { checkpoints: covered, publicKeys: [key.publicKey], freshness: { intervalMs: minute, now: new Date(at(12) + 60 * minute) } })).warnings, [])
  })

  it('warns when no event is covered at all', async () => {
    const report = await verifyChain(events, { freshness: { intervalMs: minute, now: new Date(at(1) + 10 * minute) } })
    assert.deepEqual(report.warnings.map((warning) => `${warning.seq} ${warning.kind}`), ['1 stale_checkpoint'])
    assert.match(report.warnings[0]!.message, /no event is covered by a signed checkpoint/)
  })
})


describe('witness quorum', () => {
  const minute = 60_000
  const events = sampleChain(12)
  const at = (seq: number) => Date.parse(JSON.parse(events[seq - 1]!.event).at)
  const { checkpoints, key } = checkpointsWithTreeHeads(events, [6, 12])
  const bodyOf = (checkpoint: Checkpoint) => parseCheckpoint(checkpoint.note!).body
  const witnesses = ['w1.example', 'w2.example', 'w3.example'].map((name) => ({ name, ...generateKeyPairSync('ed25519') }))
  const listed: WitnessKey[] = witnesses.map(({ name, publicKey }) => ({ name, publicKey }))
  const cosign = (checkpoint: Checkpoint, witness: (typeof witnesses)[number]) => cosignNote(bodyOf(checkpoint), witness.name, witness.privateKey, 1_767_614_400)
  const verify = (lines: Record<number, string[]>, required: number, now: number) =>
    verifyChain(events, { checkpoints, publicKeys: [key.publicKey], freshness: { intervalMs: minute, now: new Date(now) }, witnessQuorum: { required, witnesses: listed, cosignatures: (seq) => lines[seq] ?? [] } })

  it('is quiet when the newest tree head old enough has the required cosignatures', async () => {
    const report = await verify({ 12: [cosign(checkpoints[1]!, witnesses[0]!), cosign(checkpoints[1]!, witnesses[2]!)] }, 2, at(12) + 2 * minute + 1)
    assert.deepEqual(report.warnings, [])
  })

  it('warns when it has fewer, naming who cosigned', async () => {
    const report = await verify({ 12: [cosign(checkpoints[1]!, witnesses[0]!)] }, 2, at(12) + 2 * minute + 1)
    assert.ok(report.ok, 'a missing cosignature is a warning, not tampering')
    assert.deepEqual(report.warnings.map((warning) => `${warning.seq} ${warning.kind}`), ['12 witness_quorum'])
    assert.match(report.warnings[0]!.message, /has 1 of the 2 witness cosignatures .*only w1\.example of 3/)
  })

  it('gives witnesses the interval plus the margin: a younger tree head is not judged, the one before it is', async () => {
    const lines = { 6: [cosign(checkpoints[0]!, witnesses[0]!)] }
    assert.deepEqual((await verify(lines, 1, at(12) + 2 * minute)).warnings, [])
    const report = await verify(lines, 2, at(12) + 2 * minute)
    assert.deepEqual(report.warnings.map((warning) => `${warning.seq} ${warning.kind}`), ['6 witness_quorum'])
  })

  it('counts only cosignatures that verify, of listed witnesses, once each', async () => {
    const stranger = { name: 'w2.example', ...generateKeyPairSync('ed25519') }
    const lines = {
      12: [
        cosign(checkpoints[1]!, witnesses[0]!),
        cosign(checkpoints[1]!, witnesses[0]!),
        cosign(checkpoints[0]!, witnesses[1]!), // another tree head's
        cosign(checkpoints[1]!, stranger), // a listed name with another key
        'not a signature line',
      ],
    }
    const report = await verify(lines, 2, at(12) + 10 * minute)
    assert.deepEqual(report.warnings.map((warning) => `${warning.seq} ${warning.kind}`), ['12 witness_quorum'])
    assert.match(report.warnings[0]!.message, /has 1 of the 2/)
  })

  it('requires nothing with a quorum of 0', async () => {
    assert.deepEqual((await verify({}, 0, at(12) + 10 * minute)).warnings, [])
  })
})

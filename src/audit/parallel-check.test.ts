import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { checkpointBody, parseCheckpoint, signCheckpoint, signNote, verifyChain, type Checkpoint, type StoredAuditEvent } from './index.js'
import { BATCH_ROWS, checkBatch, ReadRows } from './parallel-check.js'
import { sealEvents } from './seal.js'
import { editText, forge, sampleChain, testKey } from './test-support.js'

const ORIGIN = 'countersign.test/parallel'
const KEY = testKey()
const ROWS = sampleChain(3 * BATCH_ROWS + 200)

/** RFC 9162 MTH by its recursive definition, with a Hash object per node: the reference tree head. */
function referenceRoot(texts: readonly string[]): Buffer {
  const sha = (...parts: (string | Uint8Array)[]) => parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest()
  if (texts.length === 1) return sha(Uint8Array.of(0), texts[0]!)
  let split = 1
  while (split * 2 < texts.length) split *= 2
  return sha(Uint8Array.of(1), referenceRoot(texts.slice(0, split)), referenceRoot(texts.slice(split)))
}

/** Checkpoints with signed tree heads at `sizes` of the untampered log, roots from the reference. */
function checkpointsAt(rows: readonly StoredAuditEvent[], sizes: readonly number[]): Checkpoint[] {
  const checkpoints: Checkpoint[] = []
  for (const size of sizes) {
    const signed = signCheckpoint({ seq: size, hash: rows[size - 1]!.hash, at: (JSON.parse(rows[size - 1]!.event) as { at: string }).at, prev_signature: checkpoints.at(-1)?.signature ?? null, key_id: KEY.keyId }, KEY.privateKey)
    const body = checkpointBody({ origin: ORIGIN, size, root: referenceRoot(rows.slice(0, size).map((row) => row.event)) })
    checkpoints.push({ ...signed, note: `${body}\n${signNote(body, ORIGIN, KEY.privateKey)}\n` })
  }
  return checkpoints
}

type Tampering = 'text' | 'hash' | 'delete' | 'swap' | 'insert' | 'rewrite' | 'clock' | 'junk'

function tamper(rows: StoredAuditEvent[], how: Tampering, at: number): StoredAuditEvent[] {
  if (rows.length === 0) return rows
  const index = at % rows.length
  const row = rows[index]!
  switch (how) {
    case 'text':
      return rows.with(index, editText(row, (body) => (body.actor = 'human:mallory@example.com')))
    case 'hash':
      return rows.with(index, { ...row, hash: createHash('sha256').update(String(row.hash)).digest('hex') })
    case 'delete':
      return rows.toSpliced(index, 1)
    case 'swap':
      return index + 1 < rows.length ? rows.with(index, { ...rows[index + 1]!, seq: row.seq }).with(index + 1, { ...row, seq: row.seq + 1 }) : rows
    case 'insert':
      return [...rows.slice(0, index), forge(row.prev_hash, row.seq), ...rows.slice(index).map((stored) => ({ ...stored, seq: stored.seq + 1 }))]
    case 'rewrite':
    case 'clock': {
      // Every hash from here on recomputed: only the tree heads can tell (and, set back a day, the clock).
      const bodies = rows.slice(index).map((stored) => JSON.parse(stored.event) as Record<string, unknown>)
      bodies[0] = how === 'rewrite' ? { ...bodies[0], actor: 'human:mallory@example.com' } : { ...bodies[0], at: new Date(Date.parse(String(bodies[0]!.at)) - 86_400_000).toISOString() }
      try {
        return [...rows.slice(0, index), ...sealEvents(row.prev_hash, bodies as never)]
      } catch {
        return rows // after an insertion the texts' seqs are not consecutive: no writer seals that
      }
    }
    case 'junk':
      // Not an audit event at all: its batch is checked in the walking thread.
      return rows.with(index, { ...row, hash: 5 } as unknown as StoredAuditEvent)
  }
}

describe('checking rows in worker threads', () => {
  it('reports exactly what checking in one thread reports, on logs tampered at random, against reference tree heads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: ROWS.length }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: ROWS.length }), fc.constantFrom(BATCH_ROWS, 2 * BATCH_ROWS, BATCH_ROWS + 1)), { maxLength: 4 }),
        fc.array(fc.record({ how: fc.constantFrom<Tampering>('text', 'hash', 'delete', 'swap', 'insert', 'rewrite', 'clock', 'junk'), at: fc.nat() }), { maxLength: 3 }),
        async (length, sizes, tamperings) => {
          const honest = ROWS.slice(0, length)
          const checkpoints = checkpointsAt(honest, [...new Set(sizes.filter((size) => size <= length))].sort((a, b) => a - b))
          let rows = honest
          for (const { how, at } of tamperings) rows = tamper(rows, how, at)
          const options = { checkpoints, publicKeys: [KEY.publicKey] }
          const alone = await verifyChain(rows, { ...options, threads: 0 })
          const parallel = await verifyChain(rows, { ...options, threads: 2 })
          assert.deepEqual(parallel, alone)
          if (tamperings.length === 0) assert.deepEqual(alone.problems, [], 'the fast Merkle tree disagrees with the reference tree heads')
          // Streamed from a store (an async iterable), the same.
          assert.deepEqual(await verifyChain((async function* () { yield* rows })(), { ...options, threads: 2 }), alone)
        },
      ),
      { numRuns: Number(process.env.AUDIT_PROPERTY_RUNS ?? 40) },
    )
  })

  it('checks tree heads that end inside a batch, and at its end', async () => {
    const honest = ROWS.slice(0, 2 * BATCH_ROWS)
    const rewritten = tamper(honest, 'rewrite', 99)
    for (const size of [500, BATCH_ROWS, BATCH_ROWS + 1]) {
      const report = await verifyChain(rewritten, { anchors: [parseCheckpoint(checkpointsAt(honest, [size])[0]!.note!)], threads: 2 })
      assert.deepEqual(report.problems.map((problem) => `${problem.seq} ${problem.kind}`), [`${size} rewritten`])
    }
  })

  it('notes a clock set back inside a batch a worker checked, and at a batch boundary, as one thread does', async () => {
    for (const at of [BATCH_ROWS + 10, 2 * BATCH_ROWS]) {
      const rows = tamper(ROWS, 'clock', at)
      const report = await verifyChain(rows, { threads: 2 })
      assert.deepEqual(report, await verifyChain(rows, { threads: 0 }))
      assert.deepEqual(report.problems, [])
      assert.deepEqual(report.warnings.map((warning) => `${warning.seq} ${warning.kind}`), [`${at + 1} time_backwards`])
    }
  })

  it('starts workers by itself on a long log, with the same report', async () => {
    const rows = sampleChain(40 * BATCH_ROWS)
    const checkpoints = checkpointsAt(rows.slice(0, 3 * BATCH_ROWS + 7), [3 * BATCH_ROWS + 7])
    const tampered = rows.with(35 * BATCH_ROWS, editText(rows[35 * BATCH_ROWS]!, (body) => (body.actor = 'human:mallory@example.com')))
    const options = { checkpoints, publicKeys: [KEY.publicKey] }
    const report = await verifyChain(tampered, options)
    assert.deepEqual(report, await verifyChain(tampered, { ...options, threads: 0 }))
    assert.deepEqual(report.problems.map((problem) => `${problem.seq} ${problem.kind}`), [`${35 * BATCH_ROWS + 1} modified`])
    assert.equal(report.checkpoints, 1)
  })

  it('copies rows as it reads them: a source that reuses one row object verifies as well', async () => {
    const rows = ROWS.slice(0, 2 * BATCH_ROWS + 5)
    async function* reused(): AsyncGenerator<StoredAuditEvent> {
      const row = { seq: 0, prev_hash: '', hash: '', event: '' }
      for (const stored of rows) yield Object.assign(row, stored)
    }
    for (const threads of [0, 2]) assert.deepEqual((await verifyChain(reused(), { threads })).problems, [])
  })

  it('sends a chained batch with its first prev_hash alone, and checks it as with every prev_hash', () => {
    const rows = ROWS.slice(5, 5 + BATCH_ROWS)
    const read = new ReadRows()
    for (const row of rows) read.add(row)
    const batch = read.batch()!
    assert.deepEqual(batch.prevHashes, [rows[0]!.prev_hash])
    const every = { ...batch, seqs: new Float64Array(batch.seqs), prevHashes: rows.map((row) => row.prev_hash) }
    assert.deepEqual(checkBatch(batch), checkBatch(every))
  })

  it('sends every prev_hash when one inside a batch breaks the link, with the same report as one thread', async () => {
    for (const index of [1, BATCH_ROWS + 7, 2 * BATCH_ROWS - 1]) {
      const relinked = ROWS.with(index, { ...ROWS[index]!, prev_hash: createHash('sha256').update('elsewhere').digest('hex') })
      const read = new ReadRows()
      for (const row of relinked.slice(index - (index % BATCH_ROWS), index - (index % BATCH_ROWS) + BATCH_ROWS)) read.add(row)
      assert.equal(read.batch()!.prevHashes.length, BATCH_ROWS)
      const report = await verifyChain(relinked, { threads: 2 })
      assert.deepEqual(report, await verifyChain(relinked, { threads: 0 }))
      assert.equal(report.ok, false)
    }
  })

  it('refuses a thread count that is not a whole number', async () => {
    await assert.rejects(verifyChain([], { threads: -1 }), { code: 'INVALID' })
    await assert.rejects(verifyChain([], { threads: 1.5 }), { code: 'INVALID' })
  })
})


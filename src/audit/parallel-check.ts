import { availableParallelism } from 'node:os'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { CountersignError } from '../errors/index.js'
import { isRecord } from './event.js'
import { MerkleAccumulator } from './merkle.js'
import { isSeq, RowChecker, type RowCheck } from './row-check.js'

/**
 * Checking stored rows in worker threads while the caller walks the chain. What a row says by
 * itself (its chain hash, canonical form, members and leaf hash: most of verification's work)
 * does not depend on the rows around it, so batches of rows are checked in parallel and handed
 * back in order; the walk over them stays in one thread, as before.
 */

/** Rows per batch: a power of two, so that a batch of the log is a perfect subtree of its Merkle tree. */
export const BATCH_ROWS = 1024
/** With no thread count given, rows are checked in the caller's thread up to here: a short log is done before workers would have started. */
const PARALLEL_AFTER = 32 * BATCH_ROWS
/** Batches handed to each worker ahead of the walk. */
const AHEAD_PER_WORKER = 2

/** Rows for a worker: each has a seq and string prev_hash, hash and event. */
export interface RowBatch {
  readonly seqs: readonly number[]
  readonly prevHashes: readonly string[]
  readonly hashes: readonly string[]
  readonly texts: readonly string[]
}

/** What a worker says of a batch, compactly: most rows are intact and sound, and say only their text's seq. */
export interface CheckedBatch {
  /** 1 for a row that is intact with no fault: its check is its text's seq alone. */
  readonly sound: Uint8Array
  readonly textSeqs: Float64Array
  /** The checks of the other rows, by index in the batch. */
  readonly others: readonly (readonly [number, RowCheck])[]
  /** The rows' leaf hashes, 32 bytes each. */
  readonly leaves: Uint8Array
  /** The Merkle root of the batch's leaves, when their count is a power of two. */
  readonly root: Uint8Array | undefined
}

/** Checks a batch of rows, as a worker does. */
export function checkBatch(batch: RowBatch): CheckedBatch {
  const checker = new RowChecker()
  const count = batch.texts.length
  const sound = new Uint8Array(count)
  const textSeqs = new Float64Array(count)
  const others: [number, RowCheck][] = []
  const leaves = new Uint8Array(32 * count)
  const tree = new MerkleAccumulator()
  for (let index = 0; index < count; index++) {
    const text = batch.texts[index] as string
    const check = checker.check(batch.seqs[index] as number, batch.prevHashes[index] as string, batch.hashes[index] as string, text, true)
    if (check.intact && check.fault === undefined && check.textSeq !== undefined) {
      sound[index] = 1
      textSeqs[index] = check.textSeq
    } else {
      others.push([index, check])
    }
    const leaf = checker.hasher.leaf(text)
    leaves.set(leaf, 32 * index)
    tree.push(leaf)
  }
  return { sound, textSeqs, others, leaves, root: (count & (count - 1)) === 0 ? tree.root() : undefined }
}

/** The buffers of a checked batch a worker hands over rather than copies. */
export function transferList(checked: CheckedBatch): ArrayBuffer[] {
  return [checked.sound.buffer as ArrayBuffer, checked.textSeqs.buffer as ArrayBuffer, checked.leaves.buffer as ArrayBuffer]
}

/** Stored rows in order, a batch at a time, each batch with what a worker said of it (`undefined`: check them here). */
export interface RowsBatch {
  readonly rows: readonly unknown[]
  readonly checked: CheckedBatch | undefined
}

/**
 * Reads `events` in batches of {@link BATCH_ROWS} and, once worth it, has workers check each
 * batch ahead of the caller, which gets the batches back in order. `threads`: how many workers
 * (0: none); when `undefined`, one per core once the log has passed {@link PARALLEL_AFTER} rows.
 * A batch with a row that is not a record with a seq and string members is left to the caller.
 *
 * @throws CountersignError INTERNAL when a worker fails: verification must not go on without it.
 */
export async function* inBatches(events: Iterable<unknown> | AsyncIterable<unknown>, threads: number | undefined): AsyncGenerator<RowsBatch> {
  const workers = threads ?? Math.min(8, availableParallelism())
  let pool: WorkerPool | undefined
  const ahead: { readonly rows: readonly unknown[]; readonly checked: Promise<CheckedBatch> | undefined }[] = []
  let read = 0
  const send = (rows: readonly unknown[]): void => {
    read += rows.length
    const batch = workers > 0 && (threads !== undefined || read > PARALLEL_AFTER) ? batchOf(rows) : undefined
    if (batch !== undefined) pool ??= WorkerPool.of(workers)
    ahead.push({ rows, checked: batch && pool?.check(batch) })
  }
  const next = async (): Promise<RowsBatch> => {
    const { rows, checked } = ahead.shift() as (typeof ahead)[number]
    return { rows, checked: await checked }
  }
  let rows: unknown[] = []
  for await (const row of events) {
    // Held until walked, so copied as read: what a worker checks is what the walk sees, even if
    // the source reuses or changes its row objects.
    rows.push(isRecord(row) ? { seq: row.seq, prev_hash: row.prev_hash, hash: row.hash, event: row.event } : row)
    if (rows.length < BATCH_ROWS) continue
    send(rows)
    rows = []
    while (ahead.length > (pool === undefined ? 0 : AHEAD_PER_WORKER * workers)) yield await next()
  }
  if (rows.length > 0) send(rows)
  while (ahead.length > 0) yield await next()
}

/** The rows as a batch for a worker, `undefined` when one is not a record with a seq and string members. */
function batchOf(rows: readonly unknown[]): RowBatch | undefined {
  const seqs: number[] = []
  const prevHashes: string[] = []
  const hashes: string[] = []
  const texts: string[] = []
  for (const row of rows) {
    if (!isRecord(row) || !isSeq(row.seq) || typeof row.prev_hash !== 'string' || typeof row.hash !== 'string' || typeof row.event !== 'string') return undefined
    seqs.push(row.seq)
    prevHashes.push(row.prev_hash)
    hashes.push(row.hash)
    texts.push(row.event)
  }
  return { seqs, prevHashes, hashes, texts }
}

/** Row `index` of a checked batch, whose stored hash is `storedHash`, as the chain walker takes it. */
export function checkOf(checked: CheckedBatch, others: ReadonlyMap<number, RowCheck>, index: number, storedHash: string): RowCheck {
  if (checked.sound[index] === 1) return { computedHash: storedHash, intact: true, textSeq: checked.textSeqs[index], fault: undefined }
  return others.get(index) as RowCheck
}

/**
 * Worker threads running `check-rows-worker`; each answers its batches in the order given. Kept
 * once started (starting one costs more than checking 100,000 rows), idle ones holding no
 * process open; one pool per size, and a new one after a failure.
 */
class WorkerPool {
  static readonly #pools = new Map<number, WorkerPool>()

  /** The pool of `size` workers, started if need be. */
  static of(size: number): WorkerPool {
    let pool = WorkerPool.#pools.get(size)
    if (pool === undefined || pool.#failure !== undefined) WorkerPool.#pools.set(size, (pool = new WorkerPool(size)))
    return pool
  }

  readonly #workers: Worker[] = []
  readonly #waiting = new Map<Worker, { resolve: (checked: CheckedBatch) => void; reject: (error: Error) => void }[]>()
  #next = 0
  #failure: Error | undefined

  private constructor(size: number) {
    const source = extname(fileURLToPath(import.meta.url))
    const entry = new URL(`./check-rows-worker${source}`, import.meta.url)
    // Run from TypeScript sources (through tsx, as a source checkout is), the worker registers
    // tsx's loader first: Node 20 does not apply the parent's (nor `--import tsx`) to a worker.
    const tsx = `import(${JSON.stringify(source === '.ts' ? import.meta.resolve('tsx/esm/api') : '')}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}) })`
    for (let index = 0; index < size; index++) {
      const worker = source === '.ts' ? new Worker(tsx, { eval: true }) : new Worker(entry)
      const waiting: { resolve: (checked: CheckedBatch) => void; reject: (error: Error) => void }[] = []
      this.#waiting.set(worker, waiting)
      worker.on('message', (checked: CheckedBatch) => {
        waiting.shift()?.resolve(checked)
        if (waiting.length === 0) worker.unref()
      })
      worker.on('error', (error) => this.#fail(error))
      worker.on('exit', (code) => this.#fail(new Error(`it stopped (exit code ${code})`)))
      worker.unref()
      this.#workers.push(worker)
    }
  }

  check(batch: RowBatch): Promise<CheckedBatch> {
    const worker = this.#workers[this.#next++ % this.#workers.length] as Worker
    const waiting = this.#waiting.get(worker) as { resolve: (checked: CheckedBatch) => void; reject: (error: Error) => void }[]
    const answer = new Promise<CheckedBatch>((resolve, reject) => {
      if (this.#failure !== undefined) return reject(this.#failure)
      // Waited for: the process stays up until the answer comes.
      if (waiting.length === 0) worker.ref()
      waiting.push({ resolve, reject })
      worker.postMessage(batch)
    })
    // Awaited in order later; a failure meanwhile must not count as unhandled.
    answer.catch(() => undefined)
    return answer
  }

  #fail(cause: Error): void {
    if (this.#failure !== undefined) return
    this.#failure = new CountersignError('INTERNAL', `audit verification stopped: a worker checking rows failed: ${cause.message}`)
    for (const [worker, waiting] of this.#waiting) {
      for (const { reject } of waiting.splice(0)) reject(this.#failure)
      void worker.terminate()
    }
  }
}

import { availableParallelism } from 'node:os'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { CountersignError } from '../errors/index.js'
import { isRecord } from './event.js'
import { eventTime } from './event-time.js'
import { perfectRoot } from './merkle.js'
import { isSeq, RowChecker, type RowCheck } from './row-check.js'

/**
 * Checking stored rows in worker threads while the caller walks the chain. What a row says by
 * itself (its chain hash, canonical form, members and leaf hash: most of verification's work)
 * does not depend on the rows around it, so batches of rows are checked in parallel and handed
 * back in order; the walk over them stays in one thread, as before.
 */

/** Rows per batch: a power of two, so that a batch of the log is a perfect subtree of its Merkle tree. */
export const BATCH_ROWS = 1024
/**
 * With no thread count given, rows are checked in the caller's thread up to here, unless the
 * workers are already running (from an earlier verification): a short log is done before
 * workers would have started.
 */
const PARALLEL_AFTER = 32 * BATCH_ROWS
/** Batches handed to each worker ahead of the walk. */
const AHEAD_PER_WORKER = 2

/** Rows for a worker: each has a seq and string prev_hash, hash and event. */
export interface RowBatch {
  readonly seqs: Float64Array
  /**
   * Each row's prev_hash; or, when every row after the first has for prev_hash the stored hash
   * of the row before it (as an intact log does), the first row's alone: half the strings to copy.
   */
  readonly prevHashes: readonly string[]
  readonly hashes: readonly string[]
  readonly texts: readonly string[]
}

/** What a worker says of a batch, compactly: most rows are intact and sound, and say only their text's seq. */
export interface CheckedBatch {
  /** The seq a row's text claims, for a row that is intact with no fault (its check is that alone). */
  readonly textSeqs: Float64Array
  /** The checks of the other rows, by index in the batch. */
  readonly others: readonly (readonly [number, RowCheck])[]
  /** True when every row is sound and chains to the row before it by its stored hash, numbered one after it (by seq and by its text's). */
  readonly linked: boolean
  /** Each row's {@link eventTime}. */
  readonly times: Float64Array
  /** The rows' leaf hashes, 32 bytes each. */
  readonly leaves: Uint8Array
  /** The Merkle root of the batch's leaves, when their count is a power of two. */
  readonly root: Uint8Array | undefined
}

/** Checks a batch of rows, as a worker does. */
export function checkBatch(batch: RowBatch): CheckedBatch {
  const checker = new RowChecker()
  const { seqs, prevHashes, hashes, texts } = batch
  const count = seqs.length
  // One buffer, handed over whole: the text seqs, times, leaves and root.
  const memory = new ArrayBuffer(48 * count + 32)
  const textSeqs = new Float64Array(memory, 0, count)
  const times = new Float64Array(memory, 8 * count, count)
  const leaves = Buffer.from(memory, 16 * count, 32 * count)
  const others: [number, RowCheck][] = []
  let linked = true
  let previousHash = ''
  const everyPrevHash = prevHashes.length === count
  for (let index = 0; index < count; index++) {
    const prevHash = (everyPrevHash || index === 0 ? prevHashes[index] : hashes[index - 1]) as string
    const storedHash = hashes[index] as string
    const text = texts[index] as string
    const seq = seqs[index] as number
    const check = checker.check(seq, prevHash, storedHash, text, true)
    if (check.intact && check.fault === undefined && check.textSeq !== undefined) {
      textSeqs[index] = check.textSeq
      if (index > 0 && (prevHash !== previousHash || seq !== (seqs[index - 1] as number) + 1 || check.textSeq !== (textSeqs[index - 1] as number) + 1)) linked = false
    } else {
      others.push([index, check])
      linked = false
    }
    previousHash = storedHash
    times[index] = eventTime(text)
    checker.hasher.leafInto(text, leaves, 32 * index)
  }
  let root: Uint8Array | undefined
  if (count > 0 && (count & (count - 1)) === 0) {
    root = new Uint8Array(memory, 48 * count, 32)
    root.set(perfectRoot(leaves, count))
  }
  return { textSeqs, others, linked, times, leaves, root }
}

/** The buffer of a checked batch a worker hands over rather than copies. */
export function transferList(checked: CheckedBatch): ArrayBuffer[] {
  return [checked.leaves.buffer as ArrayBuffer]
}

/**
 * Stored rows as read, by member: copied as read (a record's seq, prev_hash, hash and event; any
 * other row as it is), so what a worker checks is what the walk sees, even if the source reuses
 * or changes its row objects.
 */
export class ReadRows {
  readonly seqs: unknown[] = []
  readonly prevHashes: unknown[] = []
  readonly hashes: unknown[] = []
  readonly events: unknown[] = []
  /** The rows that are not records, by index. */
  readonly #others = new Map<number, unknown>()

  get length(): number {
    return this.seqs.length
  }

  add(row: unknown): void {
    if (!isRecord(row)) this.#others.set(this.seqs.length, row)
    const record = isRecord(row) ? row : {}
    this.seqs.push(record.seq)
    this.prevHashes.push(record.prev_hash)
    this.hashes.push(record.hash)
    this.events.push(record.event)
  }

  /** Row `index` as read. */
  row(index: number): unknown {
    if (this.#others.has(index)) return this.#others.get(index)
    return { seq: this.seqs[index], prev_hash: this.prevHashes[index], hash: this.hashes[index], event: this.events[index] }
  }

  /** The rows as a batch for a worker, `undefined` when one is not a record with a seq and string members. */
  batch(): RowBatch | undefined {
    if (this.#others.size > 0) return undefined
    const seqs = new Float64Array(this.length)
    let chained = true
    for (let index = 0; index < this.length; index++) {
      const seq = this.seqs[index]
      if (!isSeq(seq) || typeof this.prevHashes[index] !== 'string' || typeof this.hashes[index] !== 'string' || typeof this.events[index] !== 'string') return undefined
      seqs[index] = seq
      if (index > 0 && this.prevHashes[index] !== this.hashes[index - 1]) chained = false
    }
    const prevHashes = this.prevHashes as string[]
    return { seqs, prevHashes: chained ? prevHashes.slice(0, 1) : prevHashes, hashes: this.hashes as string[], texts: this.events as string[] }
  }
}

/** Stored rows in order, a batch at a time, each batch with what a worker said of it (`undefined`: check them here). */
export interface RowsBatch {
  readonly rows: ReadRows
  readonly checked: CheckedBatch | undefined
}

/**
 * Reads `events` in batches of {@link BATCH_ROWS} and, once worth it, has workers check each
 * batch ahead of the caller, which gets the batches back in order. `threads`: how many workers
 * (0: none); when `undefined`, one per core once the log has passed {@link PARALLEL_AFTER} rows
 * (from the first row when they are already running).
 * A batch with a row that is not a record with a seq and string members is left to the caller.
 *
 * @throws CountersignError INTERNAL when a worker fails: verification must not go on without it.
 */
export async function* inBatches(events: Iterable<unknown> | AsyncIterable<unknown>, threads: number | undefined): AsyncGenerator<RowsBatch> {
  const workers = threads ?? Math.min(8, availableParallelism())
  let pool: WorkerPool | undefined
  const ahead: { readonly rows: ReadRows; readonly checked: Promise<CheckedBatch> | undefined }[] = []
  let read = 0
  const send = (rows: ReadRows): void => {
    read += rows.length
    const batch = workers > 0 && (threads !== undefined || read > PARALLEL_AFTER || WorkerPool.running(workers)) ? rows.batch() : undefined
    if (batch !== undefined) pool ??= WorkerPool.of(workers)
    ahead.push({ rows, checked: batch && pool?.check(batch) })
  }
  const next = async (): Promise<RowsBatch> => {
    const { rows, checked } = ahead.shift() as (typeof ahead)[number]
    return { rows, checked: await checked }
  }
  let rows = new ReadRows()
  /** Takes a row; true when that filled a batch, which is sent. */
  const add = (row: unknown): boolean => {
    rows.add(row)
    if (rows.length < BATCH_ROWS) return false
    send(rows)
    rows = new ReadRows()
    return true
  }
  const due = (): boolean => ahead.length > (pool === undefined ? 0 : AHEAD_PER_WORKER * workers)
  // An array (or other iterable) is read without a promise per row.
  if (Symbol.asyncIterator in events) {
    for await (const row of events) if (add(row)) while (due()) yield await next()
  } else {
    for (const row of events) if (add(row)) while (due()) yield await next()
  }
  if (rows.length > 0) send(rows)
  while (ahead.length > 0) yield await next()
}

/** Row `index` of a checked batch, whose stored hash is `storedHash`, as the chain walker takes it. */
export function checkOf(checked: CheckedBatch, others: ReadonlyMap<number, RowCheck>, index: number, storedHash: string): RowCheck {
  return others.get(index) ?? { computedHash: storedHash, intact: true, textSeq: checked.textSeqs[index], fault: undefined }
}

/**
 * Worker threads running `check-rows-worker`; each answers its batches in the order given. Kept
 * once started (starting one costs more than checking 100,000 rows), idle ones holding no
 * process open; one pool per size, and a new one after a failure.
 */
class WorkerPool {
  static readonly #pools = new Map<number, WorkerPool>()

  /** True when a pool of `size` workers was started and has not failed. */
  static running(size: number): boolean {
    const pool = WorkerPool.#pools.get(size)
    return pool !== undefined && pool.#failure === undefined
  }

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
      worker.postMessage(batch, [batch.seqs.buffer as ArrayBuffer])
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

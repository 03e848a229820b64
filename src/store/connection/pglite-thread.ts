import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { PGliteClient, PGliteResults } from './pglite-dialect.js'
import type { PGliteReply, PGliteRequest, SerializedError } from './pglite-worker.js'

/** PGlite's LISTEN as the embedded connection uses it. */
export interface PGliteListening {
  listen(channel: string, callback: (payload: string) => void): Promise<unknown>
  unlisten(channel: string, callback: (payload: string) => void): Promise<void>
}

/** In a source checkout the worker is TypeScript, loaded through tsx (registered in the worker) as this module was. */
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './pglite-worker.ts' : './pglite-worker.js', import.meta.url)

/**
 * The embedded store's PGlite, run in a worker thread (`pglite-worker.ts`): PostgreSQL's work
 * (parsing, executing, writing the WAL and pages with synchronous writes) takes a core of its
 * own instead of the event loop that serves HTTP. Each call is a message; the worker answers in
 * order. Same contract as PGlite's: a query resolves once its statement is done (committed, for
 * one outside a transaction), with the values the store's parsers make.
 *
 * If the worker stops (a crash of PGlite), every call in flight and after fails: nothing is
 * reported written that the worker did not answer for.
 */
export class PGliteThread implements PGliteClient, PGliteListening {
  readonly #worker: Worker
  readonly #calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  readonly #listeners = new Map<string, Set<(payload: string) => void>>()
  #next = 0
  #closed = false
  #failure: Error | undefined

  private constructor(worker: Worker) {
    this.#worker = worker
    worker.on('message', (reply: PGliteReply) => this.#receive(reply))
    worker.on('error', (error) => this.#fail(error))
    worker.on('exit', (code) => this.#fail(new Error(`the embedded store's worker thread exited (${code})`)))
  }

  /**
   * Starts the worker and opens PGlite on `dataDir` in it. A first start creates the database
   * first in a worker of its own that then exits: PGlite's initdb runs a second PostgreSQL whose
   * WebAssembly memory (~500 MiB) would otherwise stay resident for as long as the worker runs.
   */
  static async open(dataDir: string): Promise<PGliteThread> {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await (await PGliteThread.#start(dataDir)).close()
    return PGliteThread.#start(dataDir)
  }

  static async #start(dataDir: string): Promise<PGliteThread> {
    const worker = WORKER_URL.pathname.endsWith('.ts')
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(WORKER_URL.href)}))`, { eval: true, workerData: { dataDir } })
      : new Worker(WORKER_URL, { workerData: { dataDir } })
    const opened = await new Promise<PGliteReply>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new Error(`the embedded store's worker thread exited (${code}) before opening`)))
    })
    if ('opened' in opened && !opened.opened) {
      await worker.terminate()
      throw deserialize(opened.error)
    }
    return new PGliteThread(worker)
  }

  get closed(): boolean {
    return this.#closed
  }

  query<R>(sql: string, params: unknown[] = []): Promise<PGliteResults<R>> {
    return this.#call({ op: 'query', sql, params }).then((value) => withBuffers(value as PGliteResults<R>))
  }

  exec(sql: string): Promise<PGliteResults<unknown>[]> {
    return this.#call({ op: 'exec', sql }).then((value) => (value as PGliteResults<unknown>[]).map(withBuffers))
  }

  async listen(channel: string, callback: (payload: string) => void): Promise<void> {
    const listeners = this.#listeners.get(channel)
    if (listeners) {
      listeners.add(callback)
      return
    }
    this.#listeners.set(channel, new Set([callback]))
    await this.#call({ op: 'listen', channel })
  }

  async unlisten(channel: string, callback: (payload: string) => void): Promise<void> {
    const listeners = this.#listeners.get(channel)
    if (!listeners?.delete(callback) || listeners.size > 0) return
    this.#listeners.delete(channel)
    await this.#call({ op: 'unlisten', channel })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    try {
      await this.#call({ op: 'close' })
    } finally {
      this.#closed = true
      await this.#worker.terminate()
    }
  }

  #call(request: { op: PGliteRequest['op'] } & Record<string, unknown>): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure)
    if (this.#closed) return Promise.reject(new Error('the embedded store is closed'))
    const id = this.#next++
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject })
      this.#worker.postMessage({ ...request, id })
    })
  }

  #receive(reply: PGliteReply): void {
    if ('channel' in reply) {
      for (const listener of this.#listeners.get(reply.channel) ?? []) listener(reply.payload)
      return
    }
    if (!('id' in reply)) return
    const call = this.#calls.get(reply.id)
    this.#calls.delete(reply.id)
    if ('error' in reply) call?.reject(deserialize(reply.error))
    else call?.resolve(reply.value)
  }

  #fail(error: Error): void {
    if (this.#closed && this.#calls.size === 0) return
    this.#failure ??= error
    this.#closed = true
    for (const call of this.#calls.values()) call.reject(this.#failure)
    this.#calls.clear()
  }
}

function deserialize(serialized: SerializedError): Error {
  const error = new Error(serialized.message)
  Object.assign(error, serialized)
  return error
}

/** PostgreSQL's type OID of `bytea`. */
const BYTEA = 17

/**
 * A bytea value crosses threads as a Uint8Array; the store hands out Buffers, as `pg` does. A
 * result whose columns PGlite describes and none of which is a bytea has nothing to convert (most
 * do: the audit log's pages, the actions), so its rows are not walked.
 */
function withBuffers<R>(result: PGliteResults<R>): PGliteResults<R> {
  const fields = (result as { fields?: readonly { dataTypeID?: unknown }[] }).fields
  if (Array.isArray(fields) && fields.every((field) => typeof field.dataTypeID === 'number' && field.dataTypeID !== BYTEA)) return result
  for (const row of result.rows) {
    if (row === null || typeof row !== 'object') continue
    for (const [key, value] of Object.entries(row)) {
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) (row as Record<string, unknown>)[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    }
  }
  return result
}

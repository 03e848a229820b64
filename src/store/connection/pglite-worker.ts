/**
 * The embedded store's PostgreSQL (PGlite) in a worker thread of its own; see `pglite-thread.ts`,
 * the other end. It opens PGlite on `workerData.dataDir`, then answers one message at a time, in
 * order: `query`, `exec`, `listen`, `unlisten` and `close`. Notifications on a listened channel
 * are posted back as they come.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'
import { PGLITE_PARSERS } from './value-types.js'

/** A request from the main thread. */
export type PGliteRequest =
  | { readonly id: number; readonly op: 'query'; readonly sql: string; readonly params: unknown[] }
  | { readonly id: number; readonly op: 'exec'; readonly sql: string }
  | { readonly id: number; readonly op: 'listen' | 'unlisten'; readonly channel: string }
  | { readonly id: number; readonly op: 'close' }

/** What the worker posts: an answer to request `id`, a notification, or whether PGlite opened. */
export type PGliteReply =
  | { readonly id: number; readonly value: unknown }
  | { readonly id: number; readonly error: SerializedError }
  | { readonly channel: string; readonly payload: string }
  | { readonly opened: true }
  | { readonly opened: false; readonly error: SerializedError }

/** An error as it crosses threads: its message and its fields (a PostgreSQL error's `code`, `detail`…). */
export type SerializedError = { readonly name: string; readonly message: string } & Record<string, unknown>

function serialize(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) }
  const fields = Object.fromEntries(Object.entries(error).filter(([, value]) => value === null || ['string', 'number', 'boolean'].includes(typeof value)))
  return { ...fields, name: error.name, message: error.message }
}

/**
 * PostgreSQL's memory, sized for a gateway's store rather than PGlite's defaults (shared_buffers
 * 128MB, maintenance_work_mem 64MB): shared_buffers is allocated and zeroed in the WebAssembly
 * memory at start, so all of it is resident from the first query, and that memory never shrinks.
 * 16MB holds the hot pages (the pending actions' index entries, the chain's head, the latest
 * events); the rest is read from the OS page cache. wal_buffers follows (1/32 of it); work_mem
 * stays 4MB. Durability settings are PGlite's own, unchanged (see `openEmbedded`).
 */
const START_PARAMS: readonly string[] = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', '-c', 'maintenance_work_mem=16MB']

const port = parentPort!
let pglite: PGlite
try {
  pglite = await PGlite.create({ dataDir: (workerData as { dataDir: string }).dataDir, parsers: { ...PGLITE_PARSERS }, startParams: [...START_PARAMS] })
  port.postMessage({ opened: true } satisfies PGliteReply)
} catch (error) {
  port.postMessage({ opened: false, error: serialize(error) } satisfies PGliteReply)
  process.exit(1)
}

const forward = new Map<string, (payload: string) => void>()

async function answer(request: PGliteRequest): Promise<unknown> {
  switch (request.op) {
    case 'query':
      return pglite.query(request.sql, request.params, { rowMode: 'object' })
    case 'exec':
      return pglite.exec(request.sql)
    case 'listen': {
      const subscriber = (payload: string) => port.postMessage({ channel: request.channel, payload } satisfies PGliteReply)
      forward.set(request.channel, subscriber)
      await pglite.listen(request.channel, subscriber)
      return undefined
    }
    case 'unlisten': {
      const subscriber = forward.get(request.channel)
      forward.delete(request.channel)
      if (subscriber) await pglite.unlisten(request.channel, subscriber)
      return undefined
    }
    case 'close':
      if (!pglite.closed) await pglite.close()
      return undefined
  }
}

// In order, one at a time: the main thread's mutex already serializes sessions' statements, and
// PGlite is one session.
let queue: Promise<void> = Promise.resolve()
port.on('message', (request: PGliteRequest) => {
  queue = queue.then(async () => {
    try {
      const value = await answer(request)
      port.postMessage({ id: request.id, value } satisfies PGliteReply)
    } catch (error) {
      port.postMessage({ id: request.id, error: serialize(error) } satisfies PGliteReply)
    }
    if (request.op === 'close') port.close()
  })
})

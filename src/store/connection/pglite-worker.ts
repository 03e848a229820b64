/**
 * The embedded store's PostgreSQL (PGlite) in a worker thread of its own; see `pglite-thread.ts`,
 * the other end. It opens PGlite on `workerData.dataDir`, then answers one message at a time, in
 * order: `query`, `exec`, `listen`, `unlisten` and `close`. Notifications on a listened channel
 * are posted back as they come.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { parse, PGlite, protocol } from '@electric-sql/pglite'
import { PREPARE_MARK } from './store-connection.js'
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

/** At most this many statements are kept prepared; any further marked ones run as the rest do. */
const MAX_PREPARED = 32
const prepared = new Map<string, { readonly name: string; readonly types: readonly number[] }>()
let preparedNames = 0

/**
 * `pglite.query` for a statement marked with PREPARE_MARK, over the extended protocol as PGlite's own query is
 * (the same serializers, parsers and sync), but with a named statement parsed and described once:
 * PostgreSQL then skips parsing and analysing it at each call (in WebAssembly, most of a small
 * batch's cost). A statement whose Parse or Describe fails is not kept (and its name not reused).
 */
function preparedQuery(sql: string, params: readonly unknown[]): Promise<unknown> {
  return pglite.runExclusive(async () => {
    const messages: Awaited<ReturnType<PGlite['execProtocol']>>['messages'] = []
    const send = async (message: Uint8Array) => messages.push(...(await pglite.execProtocol(message, { syncToFs: false })).messages)
    try {
      let statement = prepared.get(sql)
      if (statement === undefined) {
        const name = `countersign_${++preparedNames}`
        await pglite.execProtocol(protocol.serialize.parse({ name, text: sql }), { syncToFs: false })
        const described = await pglite.execProtocol(protocol.serialize.describe({ type: 'S', name }), { syncToFs: false })
        const description = described.messages.find((message) => message.name === 'parameterDescription')
        const types = description && 'dataTypeIDs' in description ? (description.dataTypeIDs as number[]) : []
        statement = { name, types }
        prepared.set(sql, statement)
      }
      const values = params.map((value, index) => {
        if (value === null || value === undefined) return null
        const serializer = pglite.serializers[statement!.types[index]!]
        return serializer ? serializer(value) : String(value)
      })
      await send(protocol.serialize.bind({ statement: statement.name, values }))
      await send(protocol.serialize.describe({ type: 'P' }))
      await send(protocol.serialize.execute({}))
    } finally {
      messages.push(...(await pglite.execProtocol(protocol.serialize.sync(), { syncToFs: false })).messages)
    }
    await pglite.syncToFs()
    return parse.parseResults(messages, pglite.parsers, { rowMode: 'object' })[0]
  })
}

async function answer(request: PGliteRequest): Promise<unknown> {
  switch (request.op) {
    case 'query':
      if (request.params.length > 0 && request.sql.startsWith(PREPARE_MARK) && (prepared.has(request.sql) || prepared.size < MAX_PREPARED)) return preparedQuery(request.sql, request.params)
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

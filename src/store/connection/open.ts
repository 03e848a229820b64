import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { CountersignError } from '../../errors/index.js'
import { redactConnectionString, redactPassword } from './connection-string.js'
import { acquireDataDirLock } from './data-dir-lock.js'
import { PGliteDialect, type PGliteClient } from './pglite-dialect.js'
import { PGliteThread, type PGliteListening } from './pglite-thread.js'
import { PostgresListener } from './postgres-listener.js'
import { quoteChannel, type StoreConnection } from './store-connection.js'
import { PGLITE_PARSERS, PG_TYPES } from './value-types.js'

/** Where the embedded store lives: a data directory, or memory (optionally loaded from a `dumpDataDir()` tarball). */
export type EmbeddedOptions = { readonly dataDir: string } | { readonly memory: true; readonly loadDataDir?: Blob | File }

/** A PostgreSQL server: its connection string and the query pool's size (default 10). */
export interface PostgresOptions {
  readonly url: string
  readonly poolSize?: number
}

/**
 * Opens the embedded store (PGlite). With `dataDir`, the directory is created (mode 0700),
 * locked against other processes (`CONFLICT` when one holds it, see `data-dir-lock.ts`), and the
 * database kept in `<dataDir>/pgdata`, run by PGlite in a worker thread (`pglite-thread.ts`) so
 * that PostgreSQL's work does not share the event loop with HTTP. In memory (tests, tools), PGlite
 * runs in this thread.
 *
 * Durability (PGlite 0.5, Node): PGlite mounts `pgdata` with Emscripten's NODEFS, whose writes
 * are synchronous `fs.writeSync` calls, and PostgreSQL (synchronous_commit=on) writes the
 * commit's WAL before COMMIT returns. So once a query's promise resolves, its commit is in the
 * OS page cache: it survives a crash or SIGKILL of the process (tested), not an OS crash or
 * power loss, because PGlite runs with fsync=off (`-F`) and NODEFS has no fsync anyway.
 * `relaxedDurability` only defers the filesystem's `syncToFs`, a no-op for NODEFS: it changes
 * nothing here, so it is left unset.
 *
 * @example
 * const store = await openEmbedded<Database>({ dataDir: '/var/lib/countersign' })
 */
export async function openEmbedded<DB>(options: EmbeddedOptions): Promise<StoreConnection<DB>> {
  if ('memory' in options) {
    const pglite = await PGlite.create({
      parsers: { ...PGLITE_PARSERS },
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    })
    return embeddedConnection(pglite, async () => {})
  }
  const dataDir = resolve(options.dataDir)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const lock = await acquireDataDirLock(dataDir)
  try {
    const pgdata = join(dataDir, 'pgdata')
    await mkdir(pgdata, { recursive: true, mode: 0o700 })
    return embeddedConnection(await PGliteThread.open(pgdata), () => lock.release())
  } catch (error) {
    await lock.release()
    if (error instanceof CountersignError) throw error
    throw new CountersignError('INTERNAL', `cannot open the embedded store in ${dataDir}: ${(error as Error).message}`, { cause: error })
  }
}

function embeddedConnection<DB>(pglite: PGliteClient & PGliteListening, release: () => Promise<void>): StoreConnection<DB> {
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) })
  let closing: Promise<void> | undefined
  return {
    dialect: 'pglite',
    db,
    async listen(channel, onNotify) {
      const quoted = quoteChannel(channel)
      const subscriber = (payload: string): void => onNotify(payload)
      // Under the dialect's mutex: PGlite would otherwise run LISTEN inside whatever transaction
      // a Kysely caller has open, and a rollback of that transaction would undo it.
      await db.connection().execute(() => pglite.listen(quoted, subscriber))
      let subscribed = true
      return async function unlisten() {
        if (!subscribed || closing) return
        subscribed = false
        // PGlite's own returned unsubscribe re-issues the name unquoted; this keeps the quotes.
        await db.connection().execute(() => pglite.unlisten(quoted, subscriber))
      }
    },
    close() {
      closing ??= (async () => {
        try {
          await db.destroy()
          // Kysely destroys a driver only if a query initialized it; PGlite must close regardless,
          // or its timers keep the process alive.
          if (!pglite.closed) await pglite.close()
        } finally {
          await release()
        }
      })()
      return closing
    },
  }
}

/**
 * Opens a PostgreSQL store: a `pg.Pool` for queries and one dedicated client for LISTEN (see
 * `postgres-listener.ts`). Checks the server answers before returning; connection errors name
 * the server with the password redacted (`postgres://user:***@host/db`).
 */
export async function openPostgres<DB>(options: PostgresOptions): Promise<StoreConnection<DB>> {
  const { url, poolSize = 10 } = options
  const config: pg.ClientConfig = { connectionString: url, types: PG_TYPES, application_name: 'countersign' }
  const pool = new pg.Pool({ ...config, max: poolSize })
  // An idle pooled connection that drops emits 'error' on the pool (fatal if unheard); the pool
  // discards that client and opens a new one on the next checkout, so there is nothing to do.
  pool.on('error', () => {})
  try {
    await pool.query('select 1')
  } catch (error) {
    await pool.end().catch(() => {})
    // No `cause`: a driver error can carry the connection string (e.g. an invalid URL's `input`).
    throw new CountersignError(
      'INTERNAL',
      `cannot connect to PostgreSQL at ${redactConnectionString(url)}: ${redactPassword(String((error as Error).message), url)}`,
    )
  }
  const listener = new PostgresListener(config)
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  let closing: Promise<void> | undefined
  return {
    dialect: 'postgres',
    db,
    listen: (channel, onNotify) => listener.listen(channel, onNotify),
    close() {
      closing ??= (async () => {
        await Promise.all([listener.close(), db.destroy()])
        // Kysely ends the pool only if a query initialized its driver.
        if (!pool.ended) await pool.end()
      })()
      return closing
    },
  }
}

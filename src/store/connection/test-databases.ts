import { randomBytes } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { withDatabase } from './connection-string.js'
import { openEmbedded, openPostgres } from './open.js'
import type { StoreConnection, StoreDialect } from './store-connection.js'

/** A store made for one test: `drop()` closes it and throws its data away; `url` is set for PostgreSQL, so a test can open a second connection (a second replica). */
export type TestStore = StoreConnection<any> & { drop(): Promise<void>; url?: string }

/** Opens fresh, empty test stores of one dialect. The caller runs migrations. */
export interface TestStoreFactory {
  readonly name: StoreDialect
  open(): Promise<TestStore>
}

/**
 * The server test databases are created on; `COUNTERSIGN_TEST_DATABASE_URL` overrides it. Any
 * superuser works (trust auth here: `postgres` and `root` both do).
 */
export const TEST_POSTGRES_URL = process.env['COUNTERSIGN_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'

let template: Promise<Blob | File> | undefined

/**
 * FOR TESTS ONLY. A factory per dialect, so a suite can loop over both stores:
 * - `pglite`: an in-memory PGlite cloned from a data directory dumped once per process (a fresh
 *   initdb costs 2.5–4 s here, a clone ~0.5 s);
 * - `postgres`: a new database `cs_test_<random>` on {@link TEST_POSTGRES_URL}, dropped by `drop()`.
 *
 * @example
 * for (const store of testStores()) {
 *   test(`commits a transaction (${store.name})`, async () => {
 *     const connection = await store.open()
 *     try { … } finally { await connection.drop() }
 *   })
 * }
 */
export function testStores(): readonly TestStoreFactory[] {
  return [
    { name: 'pglite', open: openTestPGlite },
    { name: 'postgres', open: openTestPostgres },
  ]
}

async function openTestPGlite(): Promise<TestStore> {
  template ??= dumpFreshDataDir()
  const connection = await openEmbedded({ memory: true, loadDataDir: await template })
  return { ...connection, drop: () => connection.close() }
}

async function dumpFreshDataDir(): Promise<Blob | File> {
  const pglite = await PGlite.create()
  try {
    // Uncompressed: ~40 MB in memory, but a clone loads in half the time of a gzipped one.
    return await pglite.dumpDataDir('none')
  } finally {
    await pglite.close()
  }
}

async function openTestPostgres(): Promise<TestStore> {
  const database = `cs_test_${randomBytes(8).toString('hex')}`
  await onServer(`CREATE DATABASE ${database}`)
  const url = withDatabase(TEST_POSTGRES_URL, database)
  const connection = await openPostgres({ url, poolSize: 4 })
  let dropping: Promise<void> | undefined
  return {
    ...connection,
    url,
    drop() {
      dropping ??= connection.close().then(() => onServer(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`))
      return dropping
    },
  }
}

async function onServer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

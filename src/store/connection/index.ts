/**
 * The store's connection layer: one PostgreSQL dialect on two engines, the embedded PGlite
 * (a locked data directory) and a PostgreSQL server, with LISTEN/NOTIFY on both and the same JS
 * values for the same column types.
 */
export { PREPARE_MARK, STORE_DIALECTS } from './store-connection.js'
export type { StoreConnection, StoreDialect } from './store-connection.js'
export { openEmbedded, openPostgres } from './open.js'
export type { EmbeddedOptions, PostgresOptions } from './open.js'
export { PGliteDialect } from './pglite-dialect.js'
export type { PGliteClient, PGliteDialectConfig, PGliteResults } from './pglite-dialect.js'
export { LOCK_FILE_NAME } from './data-dir-lock.js'
export { redactConnectionString } from './connection-string.js'

// For tests only: throwaway stores of both dialects.
export { testStores, TEST_POSTGRES_URL } from './test-databases.js'
export type { TestStore, TestStoreFactory } from './test-databases.js'

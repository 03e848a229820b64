import type { Kysely } from 'kysely'
import { CountersignError } from '../../errors/index.js'

/** The two stores Countersign runs on; one SQL dialect (PostgreSQL) for both. */
export const STORE_DIALECTS = ['pglite', 'postgres'] as const
/** Which store a connection talks to. */
export type StoreDialect = (typeof STORE_DIALECTS)[number]

/**
 * An open store: a Kysely instance plus PostgreSQL LISTEN, on the embedded PGlite store or on a
 * PostgreSQL server. Both return the same JS values for the same column types (see
 * `value-types.ts`): int8 → number, numeric → string, date → `'YYYY-MM-DD'`, timestamptz →
 * Date, json/jsonb → parsed value, bytea → Buffer, arrays → arrays of those.
 */
export interface StoreConnection<DB> {
  readonly dialect: StoreDialect
  readonly db: Kysely<DB>
  /**
   * Subscribes to NOTIFY on `channel` (`^[a-z_][a-z0-9_]{0,62}$`); resolves once listening;
   * returns an unsubscribe. A notification is delivered after its transaction commits, never
   * after a rollback. On PostgreSQL, notifications sent while the listening connection is
   * down (it reconnects by itself) are lost: use LISTEN to wake up early, not as the only trigger.
   * `onNotify` must not throw.
   *
   * @example
   * const stop = await connection.listen('countersign_actions', (id) => wake(id))
   * await sql`select pg_notify('countersign_actions', ${id})`.execute(trx) // delivered on commit
   * await stop()
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>
  /** Closes the store (and releases the data directory lock); safe to call twice. */
  close(): Promise<void>
}

/**
 * Starts a statement the store runs for every write (the audit append with its change): the
 * embedded store's worker prepares it by name once, so that PostgreSQL in WebAssembly does not
 * parse and analyse it again at each call (pglite-worker.ts). A comment: nothing to PostgreSQL.
 */
export const PREPARE_MARK = '/* countersign:prepare */'

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * The channel as a quoted SQL identifier, after checking it is a plain lower-case name (so
 * quoting changes nothing but lets reserved words through, and both stores name it alike).
 */
export function quoteChannel(channel: string): string {
  if (!CHANNEL_NAME.test(channel)) {
    throw new CountersignError('INVALID', `invalid NOTIFY channel name ${JSON.stringify(channel)}: expected ${CHANNEL_NAME.source}`)
  }
  return `"${channel}"`
}

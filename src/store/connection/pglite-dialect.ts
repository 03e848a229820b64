import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely'

/** One PGlite result set: the part of `Results` from `@electric-sql/pglite` this dialect reads. */
export interface PGliteResults<R> {
  readonly rows: R[]
  readonly affectedRows?: number
  /** The command tag's verb: `SELECT`, `INSERT`, `UPDATE`… */
  readonly command?: string
}

/**
 * The subset of a PGlite instance the dialect needs, so it depends on PGlite's behaviour, not
 * its class (the real `PGlite` satisfies it). https://pglite.dev/docs/api
 */
export interface PGliteClient {
  readonly closed: boolean
  /** One statement over the extended protocol, with `$n` parameters. */
  query<R>(sql: string, params?: unknown[], options?: { rowMode?: 'object' }): Promise<PGliteResults<R>>
  /** Any number of statements over the simple protocol, without parameters. */
  exec(sql: string): Promise<PGliteResults<unknown>[]>
  close(): Promise<void>
}

/** Configuration of {@link PGliteDialect}. */
export interface PGliteDialectConfig {
  /** An open PGlite instance; the dialect closes it when the Kysely instance is destroyed. */
  readonly pglite: PGliteClient
}

/**
 * A Kysely dialect for PGlite: PostgreSQL's compiler, adapter and introspector over one PGlite
 * instance, which is one PostgreSQL session. Kysely connections are therefore one connection
 * handed out under a FIFO mutex: a transaction (or `db.connection()`) holds PGlite from acquire
 * to release, and every other caller waits its turn, so statements of concurrent transactions
 * never interleave.
 *
 * Inside `db.transaction().execute(async (trx) => …)` use `trx` only: a query through the outer
 * `db` waits for the mutex the transaction holds, forever.
 *
 * @example
 * const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite: await PGlite.create() }) })
 */
export class PGliteDialect implements Dialect {
  readonly #config: PGliteDialectConfig

  constructor(config: PGliteDialectConfig) {
    this.#config = config
  }

  createDriver(): Driver {
    return new PGliteDriver(this.#config.pglite)
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler()
  }

  createAdapter(): DialectAdapter {
    // PostgreSQL's migration lock (a session advisory lock) works unchanged in PGlite.
    return new PostgresAdapter()
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db)
  }
}

/** A FIFO mutex: `unlock` hands the lock straight to the longest waiter. */
class Mutex {
  #locked = false
  readonly #waiters: Array<() => void> = []

  async lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true
      return
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  unlock(): void {
    const next = this.#waiters.shift()
    if (next) next()
    else this.#locked = false
  }
}

class PGliteDriver implements Driver {
  readonly #connection: DatabaseConnection
  readonly #pglite: PGliteClient
  readonly #mutex = new Mutex()

  constructor(pglite: PGliteClient) {
    this.#pglite = pglite
    this.#connection = new PGliteConnection(pglite)
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock()
    return this.#connection
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock()
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let statement = 'begin'
    if (settings.isolationLevel || settings.accessMode) {
      statement = 'start transaction'
      if (settings.isolationLevel) statement += ` isolation level ${settings.isolationLevel}`
      if (settings.accessMode) statement += ` ${settings.accessMode}`
    }
    await connection.executeQuery(CompiledQuery.raw(statement))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(savepointCommand('savepoint', name))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(savepointCommand('rollback to', name))
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(savepointCommand('release', name))
  }

  async destroy(): Promise<void> {
    if (!this.#pglite.closed) await this.#pglite.close()
  }
}

// Kysely's own savepoint parser is internal; this quotes the name as PostgreSQL's compiler
// quotes identifiers.
function savepointCommand(command: string, name: string): CompiledQuery {
  return CompiledQuery.raw(`${command} "${name.replaceAll('"', '""')}"`)
}

const AFFECTING_COMMANDS: ReadonlySet<string> = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE'])

function toQueryResult<R>(result: PGliteResults<R>): QueryResult<R> {
  const affected = result.command !== undefined && AFFECTING_COMMANDS.has(result.command)
  return affected ? { rows: result.rows, numAffectedRows: BigInt(result.affectedRows ?? 0) } : { rows: result.rows }
}

class PGliteConnection implements DatabaseConnection {
  readonly #pglite: PGliteClient

  constructor(pglite: PGliteClient) {
    this.#pglite = pglite
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery
    if (parameters.length > 0) {
      return toQueryResult(await this.#pglite.query<R>(sql, [...parameters], { rowMode: 'object' }))
    }
    // Like pg, which sends a query without parameters over the simple protocol: several
    // statements in one string (migrations) work in both stores, and yield no rows in both.
    const results = await this.#pglite.exec(sql)
    return results.length === 1 ? toQueryResult(results[0] as PGliteResults<R>) : { rows: [] }
  }

  // DECLARE … CURSOR / FETCH would stream here, but Kysely's PostgreSQL dialect streams only with
  // the `pg-cursor` package, which Countersign does not use: one store must not stream where
  // the other cannot, so both refuse alike.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries is not supported by the Countersign stores; page with a keyset (where id > last order by id limit n)')
  }
}

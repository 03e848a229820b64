import mysql2, { type Pool, type PoolConnection, type PoolOptions, type TypeCast } from 'mysql2'
import { z } from 'zod'
import { analyzeMysql, loadMysqlParser } from '../analyzers/sql/analyze-mysql.js'
import { MYSQL_SESSION_SQL_MODE, MysqlSyntaxError, splitMysql, type MysqlStatementText } from '../analyzers/sql/mysql-lexer.js'
import { resolveSecret, type TargetConfig } from '../config/index.js'
import type { Connector, ExecutionRequest, ExecutionResult } from './connector.js'
import { identityValues, type ExecutionContext } from './execution-context.js'
import { connectorType } from './connector-type.js'
import { sqlOptionsSchema } from './options.js'
import { Redactor } from './redact.js'
import { elapsed, failure, refusal } from './results.js'
import { SqlDeadline } from './sql-deadline.js'
import { ResultSets } from './sql-rows.js'

/** Options of the `mysql` connector (MySQL and MariaDB). */
const MysqlOptionsSchema = sqlOptionsSchema('mysql')
type MysqlOptions = z.output<typeof MysqlOptionsSchema>

/**
 * `mysql`: runs the approved SQL in one transaction on a MySQL or MariaDB server, statement by
 * statement as the analysis split it (never several statements in one request), in a session whose
 * `sql_mode` and character set are the ones the analysis assumed, and read-only in the database
 * when the action was judged read-only.
 */
export const mysql = connectorType({
  type: 'mysql',
  kind: 'sql',
  schema: MysqlOptionsSchema,
  create: (target, options) => new MysqlConnector(target, options),
})

/** The server's error for a write in a read-only transaction. */
const ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION = 1792

/** Errors of a statement stopped by a timeout or `KILL QUERY`. */
const TIMEOUT_ERRNOS = new Set([1969 /* MariaDB max_statement_time */, 3024 /* MySQL max_execution_time */])

// Date-times as ISO 8601 text exactly as the server wrote them (no time-zone guess).
const typeCast: TypeCast = (field, next) => {
  if (field.type !== 'DATETIME' && field.type !== 'TIMESTAMP') return next()
  const text = field.string()
  return text === null ? null : text.replace(' ', 'T')
}

class MysqlConnector implements Connector {
  readonly type = 'mysql'
  readonly #target: TargetConfig
  readonly #options: MysqlOptions
  #pool: { readonly url: string; readonly pool: Pool } | undefined
  #closed = false

  constructor(target: TargetConfig, options: MysqlOptions) {
    this.#target = target
    this.#options = options
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now()
    const refused = refusal(request, this.type, 'sql')
    if (refused) return failure(started, refused)
    // The statements exactly as the analysis read them; text the lexer cannot vouch for is not sent at all.
    let statements: MysqlStatementText[]
    try {
      statements = splitMysql(String(request.action.payload.sql))
    } catch (error) {
      const why = error instanceof MysqlSyntaxError ? error.message : String(error)
      return failure(started, `refused: the SQL cannot be split into statements as the server would read it (${why})`)
    }
    if (statements.length === 0) return failure(started, 'refused: the SQL holds no statement')
    const identity = this.#options.identity ? identityVariables(request.context) : undefined
    if (identity && statements.some((statement) => IDENTITY_VARIABLE.test(statement.text))) {
      return failure(started, 'refused: the SQL names a @countersign_… variable, which the connector sets (identity at execution); nothing was run')
    }
    // What the action was decided on: facts that say read-only are held to it by the database.
    const readOnly = request.facts?.['read_only'] === true
    const url = resolveSecret(this.#options.url)
    const redactor = new Redactor([url])
    const timeout = this.#options.statement_timeout
    let connection: PoolConnection
    try {
      connection = await this.#connect(url)
    } catch (error) {
      return failure(started, `could not connect to the database of target ${this.#target.name}: ${describe(error)}`, redactor)
    }
    const deadline = new SqlDeadline(timeout, request.signal, {
      cancel: () => killQuery(this.#settings(url), connection.threadId),
      drop: () => connection.destroy(),
    })
    const sets = new ResultSets({ maxRows: this.#options.max_rows, maxBytes: this.#options.max_bytes })
    // A connection that breaks between statements emits on the connection: without a listener, that would end the process.
    const onError = () => {}
    connection.on('error', onError)
    try {
      // MariaDB bounds each statement on the server too; MySQL has no such variable (the deadline still holds).
      await run(connection, `SET SESSION max_statement_time = ${timeout / 1000}`).catch(() => {})
      // The lexing the analysis assumed: backslash escapes, "…" strings, || as OR, utf8mb4 (no multi-byte charset whose bytes hide a backslash).
      await run(connection, `SET NAMES utf8mb4, SESSION sql_mode = '${MYSQL_SESSION_SQL_MODE}'`)
      // Session-wide, not only this transaction: DDL commits implicitly and would start a read-write one.
      if (readOnly) {
        // A view runs its body, stored functions included, and what those do beyond table writes (SET GLOBAL, GET_LOCK) a read-only transaction does not stop.
        const views = await viewsNamed(connection, await tablesOf(String(request.action.payload.sql)))
        if (views.length > 0) return failure(started, `refused: the action was judged read-only, but it reads the view(s) ${views.join(', ')}, whose body the analysis did not see (stored functions in a view may change server settings or take locks); read the tables, or have it reviewed as a write`, redactor)
        await run(connection, 'SET SESSION TRANSACTION READ ONLY')
      }
      await run(connection, readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION')
      let lastCount: number | undefined
      for (const statement of statements) {
        // Set again before each statement, so what a trigger reads is the connector's.
        if (identity) await execute(connection, identity.sql, identity.values)
        const count = await stream(connection, statement.text, sets)
        if (count !== undefined) lastCount = count
      }
      await run(connection, 'COMMIT')
      return redactor.result({ status: 'succeeded', duration_ms: elapsed(started), ...sets.outcome(lastCount), ...(readOnly ? { read_only_enforced: true } : {}) })
    } catch (error) {
      await run(connection, 'ROLLBACK').catch(() => undefined)
      const errno = (error as { errno?: number })?.errno ?? 0
      const timedOut = TIMEOUT_ERRNOS.has(errno)
      const why = deadline.reason ?? (timedOut ? `the SQL did not finish within ${timeout / 1000}s` : undefined)
      // MySQL commits before and after DDL whatever the transaction: said, so nobody trusts a rollback that was not.
      let message = why ? `${why}; it was cancelled and rolled back` : `${describe(error)}; the transaction was rolled back (statements that commit implicitly, such as DDL, stay done)`
      if (!why && readOnly && errno === ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION) {
        message = `refused by the database: the action was judged read-only and ran in a read-only transaction, but it tried to write (${describe(error)}); the transaction was rolled back`
      }
      return { ...failure(started, message, redactor), ...(readOnly ? { read_only_enforced: true } : {}) }
    } finally {
      deadline.clear()
      connection.off('error', onError)
      // Never reused: session variables, temporary tables and locks of one approved action must not reach the next.
      connection.destroy()
    }
  }

  #settings(url: string): PoolOptions {
    return {
      uri: url,
      // One statement per request: the server never splits text itself (the analysis did, see execute).
      multipleStatements: false,
      // The server must never read the gateway's files (LOAD DATA LOCAL INFILE).
      flags: ['-LOCAL_FILES'],
      rowsAsArray: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      typeCast,
      connectTimeout: this.#options.statement_timeout,
      connectionLimit: this.#options.pool_size,
      maxIdle: this.#options.pool_size,
      idleTimeout: 60_000,
    }
  }

  #connect(url: string): Promise<PoolConnection> {
    if (this.#closed) return Promise.reject(new Error('the connector is closed'))
    // A rotated secret gets a new pool; the old one drains.
    if (this.#pool?.url !== url) {
      this.#pool?.pool.end(() => {})
      this.#pool = { url, pool: mysql2.createPool(this.#settings(url)) }
    }
    const { pool } = this.#pool
    return new Promise((resolve, reject) => pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection))))
  }

  async close(): Promise<void> {
    this.#closed = true
    const pool = this.#pool?.pool
    this.#pool = undefined
    if (pool) await new Promise<void>((resolve) => pool.end(() => resolve()))
  }
}

/** The tables and views `sql` names (`db.name` or `name`), as the MySQL analysis reads them. */
async function tablesOf(sql: string): Promise<readonly string[]> {
  await loadMysqlParser()
  const { facts } = analyzeMysql(sql)
  if (facts.parse_error !== '') throw new Error(`the SQL could not be analyzed again before it ran: ${facts.parse_error}`)
  return facts.tables
}

/**
 * The names among `tables` that are views on the server, compared without case (a view `V` is
 * `v` to the analysis); unqualified names are looked up in the session's database.
 */
async function viewsNamed(connection: PoolConnection, tables: readonly string[]): Promise<string[]> {
  const views: string[] = []
  for (const table of tables) {
    const dot = table.lastIndexOf('.')
    const schema = dot < 0 ? null : table.slice(0, dot)
    const name = dot < 0 ? table : table.slice(dot + 1)
    const rows = await new Promise<unknown[]>((resolve, reject) =>
      connection.query(
        'SELECT 1 FROM information_schema.VIEWS WHERE LOWER(TABLE_SCHEMA) = LOWER(COALESCE(?, DATABASE())) AND LOWER(TABLE_NAME) = LOWER(?) LIMIT 1',
        [schema, name],
        (error, result) => (error ? reject(error) : resolve(result as unknown[])),
      ),
    )
    if (rows.length > 0) views.push(table)
  }
  return views
}

/** A user variable of identity at execution, as a statement may write it (`@countersign_x`, `` @`countersign_x` ``, any case). */
const IDENTITY_VARIABLE = /@\s*[`'"]?countersign_/i

/**
 * The identity session variables of an execution (MySQL's closest equivalent of PostgreSQL's
 * `countersign.*` settings): `@countersign_request_id`, `@countersign_agent`,
 * `@countersign_on_behalf_of`, `@countersign_approvers` (comma-separated emails),
 * `@countersign_digest`, `@countersign_policy_version`, `@countersign_trace_id`, set by a
 * server-side prepared `SET` with the values as parameters (never text built into SQL).
 */
function identityVariables(context: ExecutionContext): { sql: string; values: string[] } {
  const values = identityValues(context)
  const variables: Readonly<Record<string, string>> = {
    countersign_request_id: values.request_id,
    countersign_agent: values.agent,
    countersign_on_behalf_of: values.on_behalf_of,
    countersign_approvers: values.approvers,
    countersign_digest: context.digest,
    countersign_policy_version: values.policy_version,
    countersign_trace_id: context.trace_id,
  }
  return { sql: `SET ${Object.keys(variables).map((name) => `@${name} = ?`).join(', ')}`, values: Object.values(variables) }
}

function execute(connection: PoolConnection, sql: string, values: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => connection.execute(sql, [...values], (error) => (error ? reject(error) : resolve())))
}

function run(connection: PoolConnection, sql: string): Promise<void> {
  return new Promise((resolve, reject) => connection.query(sql, (error) => (error ? reject(error) : resolve())))
}

/** Runs one statement, streaming its rows into `sets`; resolves its count of affected rows (undefined when it returned rows). */
function stream(connection: PoolConnection, sql: string, sets: ResultSets): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    let lastCount: number | undefined
    // Without a callback, mysql2 emits rows as they come and keeps none.
    const query = connection.query(sql)
    query.on('fields', (fields: unknown) => {
      if (Array.isArray(fields)) sets.begin(fields.map((field: { name: string }) => field.name))
    })
    query.on('result', (row: unknown) => {
      if (Array.isArray(row)) sets.row(row)
      else lastCount = (row as { affectedRows?: number }).affectedRows
    })
    query.on('error', reject)
    query.on('end', () => resolve(lastCount))
  })
}

/** Stops the statement running on connection `threadId`, over a connection of its own. */
async function killQuery(settings: PoolOptions, threadId: number): Promise<void> {
  const killer = mysql2.createConnection({ ...settings, connectTimeout: 5000 })
  killer.on('error', () => {})
  await new Promise<void>((resolve) => killer.query(`KILL QUERY ${Number(threadId)}`, () => resolve()))
  killer.destroy()
}

/** A one-line description of a driver error: the server's message and its codes. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error'
  const { code, errno, sqlState } = error as Error & { code?: string; errno?: number; sqlState?: string }
  const text = error.message || code || error.name
  if (!sqlState) return code && !text.includes(code) ? `${text} (${code})` : text
  return `${text} (${code ?? 'error'} ${errno ?? ''}, SQLSTATE ${sqlState})`.replace(' , ', ', ')
}

import { createHash } from 'node:crypto'
import pg from 'pg'
import { z } from 'zod'
import { resolveSecret, type TargetConfig } from '../config/index.js'
import type { Connector, ExecutionRequest, ExecutionResult } from './connector.js'
import { connectorType } from './connector-type.js'
import { sqlOptionsSchema } from './options.js'
import { Redactor } from './redact.js'
import { identityValues, type ExecutionContext } from './execution-context.js'
import { runSteps, type Step } from './pg-pipeline.js'
import { PIN_QUERY, PIN_STATEMENTS, PINNED_SETTINGS, planPostgres, type PostgresStatement } from './postgres-statements.js'
import { elapsed, failure, refusal } from './results.js'
import { ResultSets } from './sql-rows.js'
import { SqlDeadline } from './sql-deadline.js'

/** Options of the `postgres` connector. */
const PostgresOptionsSchema = sqlOptionsSchema('postgres')
type PostgresOptions = z.output<typeof PostgresOptionsSchema>

/**
 * `postgres`: runs the approved SQL in one transaction on a PostgreSQL server, statement by
 * statement as the analysis parsed it, with the settings the analysis assumed pinned
 * (`postgres-statements.ts`); in a `READ ONLY` transaction when the facts say read-only. A
 * connection is reused only after an action that committed, and only once reset
 * ({@link resetForReuse}); any other is closed.
 */
export const postgres = connectorType({
  type: 'postgres',
  kind: 'sql',
  schema: PostgresOptionsSchema,
  create: (target, options) => new PostgresConnector(target, options),
})

// Dates and times as ISO 8601 text, exactly as the server sent them (no time-zone shift, no lost
// microseconds); intervals as the server writes them. Everything else as pg parses it.
const RAW_TYPES: Readonly<Record<number, (text: string) => unknown>> = {
  1082: (text) => text,
  1083: (text) => text,
  1114: (text) => text.replace(' ', 'T'),
  1184: (text) => text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'),
  1186: (text) => text,
  1266: (text) => text,
}
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => RAW_TYPES[oid] ?? pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
}

class PostgresConnector implements Connector {
  readonly type = 'postgres'
  readonly #target: TargetConfig
  readonly #options: PostgresOptions
  /** The pool of the connection string read last, known by its hash (the string itself is the secret). */
  #pool: { readonly key: string; readonly pool: pg.Pool; readonly redactor: Redactor } | undefined
  #closed = false

  constructor(target: TargetConfig, options: PostgresOptions) {
    this.#target = target
    this.#options = options
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now()
    const refused = refusal(request, this.type, 'sql')
    if (refused) return failure(started, refused)
    const sql = request.action.payload.sql
    const plan = await planPostgres(sql, request.facts)
    if ('refused' in plan) return failure(started, plan.refused)
    // Analysis decides, execution enforces: what the facts call read-only, the database must find read-only too.
    const readOnly = request.facts?.read_only === true
    const enforced = readOnly ? { read_only_enforced: true as const } : {}
    const url = resolveSecret(this.#options.url)
    const timeout = this.#options.statement_timeout
    let client: pg.PoolClient
    let redactor: Redactor
    try {
      const pooled = this.#poolFor(url)
      redactor = pooled.redactor
      client = await pooled.pool.connect()
    } catch (error) {
      return failure(started, `could not connect to the database of target ${this.#target.name}: ${describe(error)}`, new Redactor([url]))
    }
    const deadline = new SqlDeadline(timeout, request.signal, {
      cancel: () => cancel(url, client),
      // The cancel did not take (the server is unreachable, say): dropping the connection ends the wait.
      drop: () => void client.end().catch(() => {}),
    })
    const sets = new ResultSets({ maxRows: this.#options.max_rows, maxBytes: this.#options.max_bytes })
    // A connection that breaks between statements emits on the client: without a listener, that would end the process.
    const onError = () => {}
    client.on('error', onError)
    let current: PostgresStatement | undefined
    let committed = false
    try {
      let lastCount: number | null = null
      const identity = this.#options.identity ? identityStep(request.context) : undefined
      const pins = PIN_STATEMENTS.map((text): Step => ({ text }))
      for (const [index, statement] of plan.statements.entries()) {
        // The connector's own statements before each of the action's, in one round trip. First the
        // transaction, a statement timeout on the server too (should this process die while a
        // statement runs) and the pinned settings; a read-only transaction takes its snapshot
        // there, after which it can no longer be made read-write. Then the pins again before each
        // later statement, and the identity settings (so what a trigger reads is the connector's)
        // unless the statement sets the transaction's characteristics, which must come first.
        const steps = index === 0 ? [{ text: readOnly ? 'BEGIN READ ONLY' : 'BEGIN' }, { text: `SET LOCAL statement_timeout = ${timeout}` }, ...(readOnly ? [{ text: PIN_QUERY }] : pins)] : [...pins]
        if (identity && !statement.setsTransaction) steps.push(identity)
        const { error } = await runSteps(client, steps)
        if (error) throw error
        current = statement
        lastCount = await stream(client, statement.text, sets)
      }
      current = undefined
      await client.query('COMMIT')
      committed = true
      return redactor.result({ status: 'succeeded', duration_ms: elapsed(started), ...sets.outcome(lastCount), ...enforced })
    } catch (error) {
      await rollback(client)
      const why = deadline.reason ?? (isTimeout(error) ? `the SQL did not finish within ${timeout / 1000}s` : undefined)
      const described = describe(error, String(sql), current)
      const message = why
        ? `${why}; it was cancelled and rolled back`
        : readOnly && isReadOnlyViolation(error)
          ? `the database refused a write in the read-only transaction: ${described}; the transaction was rolled back`
          : `${described}; the transaction was rolled back`
      return { ...failure(started, message, redactor), ...enforced }
    } finally {
      deadline.clear()
      // A connection that committed goes back to the pool once reset, after the result is
      // returned; one that ended any other way (an error, a cancel, a dropped connection: its
      // transaction state unknown) is closed.
      const release = (destroy: boolean) => {
        client.off('error', onError)
        client.release(destroy)
      }
      if (committed && deadline.reason === undefined) void resetForReuse(client).then(() => release(false), () => release(true))
      else release(true)
    }
  }

  /** The pool for `url`, with the redactor that masks it in results. */
  #poolFor(url: string): { readonly pool: pg.Pool; readonly redactor: Redactor } {
    if (this.#closed) throw new Error('the connector is closed')
    // A rotated secret gets a new pool; the old one drains.
    const key = createHash('sha256').update(url, 'utf8').digest('hex')
    if (this.#pool?.key !== key) {
      this.#pool?.pool.end().catch(() => {})
      const pool = new pg.Pool({
        connectionString: url,
        max: this.#options.pool_size,
        connectionTimeoutMillis: this.#options.statement_timeout,
        idleTimeoutMillis: 60_000,
        application_name: 'countersign',
        types: TYPES,
      })
      // An idle connection that breaks is dropped by the pool; its error may quote the server, not worth a crash.
      pool.on('error', () => {})
      this.#pool = { key, pool, redactor: new Redactor([url]) }
    }
    return this.#pool
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.#pool?.pool.end().catch(() => {})
    this.#pool = undefined
  }
}

/**
 * The identity settings of an execution for the rest of the transaction, as
 * parameters of `set_config(name, value, true)` (never text built into SQL): `application_name`
 * `countersign/<agent>`, and `countersign.request_id`, `.agent`, `.on_behalf_of`, `.approvers`
 * (comma-separated emails), `.digest`, `.policy_version`, `.trace_id`, `.matched_rules`
 * (comma-separated). The values are {@link identityValues}: printable ASCII, anything else percent-encoded.
 */
function identityStep(context: ExecutionContext): Step {
  const values = identityValues(context)
  const settings: readonly (readonly [string, string])[] = [
    ['application_name', `countersign/${values.agent}`],
    ['countersign.request_id', values.request_id],
    ['countersign.agent', values.agent],
    ['countersign.on_behalf_of', values.on_behalf_of],
    ['countersign.approvers', values.approvers],
    ['countersign.digest', context.digest],
    ['countersign.policy_version', values.policy_version],
    ['countersign.trace_id', context.trace_id],
    ['countersign.matched_rules', values.matched_rules],
  ]
  const text = `SELECT ${settings.map((_, index) => `set_config($${2 * index + 1}, $${2 * index + 2}, true)`).join(', ')}`
  return { text, values: settings.flat() }
}

/**
 * What a session that ran an action keeps, gone: `DISCARD ALL` (its own query: it cannot run in a
 * transaction) closes cursors (`WITH HOLD` too), drops temporary tables and prepared statements,
 * resets every setting `SET` or `set_config(…, false)` changed (to the connection's defaults;
 * a custom setting keeps its name, empty), the session authorization and role, `LISTEN`s,
 * session advisory locks and sequences' `currval`. Then the pinned settings are set again for the
 * session, and the session is checked: its user is the one it logged in as, and the database has
 * no extension or procedural language whose session state `DISCARD ALL` does not reach (dblink's
 * named connections, postgres_fdw's, the globals of PL/Perl, PL/Python, PL/Tcl, PL/v8). Rejects
 * when any of that fails, and the connection is then closed, never reused.
 */
async function resetForReuse(client: pg.PoolClient): Promise<void> {
  await client.query('DISCARD ALL')
  const result = await client.query<{ clean: boolean }>(REPIN_AND_CHECK)
  if (result.rows[0]?.clean !== true) throw new Error('the session keeps state DISCARD ALL does not reset')
}

const REPIN_AND_CHECK = `SELECT ${Object.entries(PINNED_SETTINGS)
  .map(([name, value]) => `set_config('${name}', '${value}', false)`)
  .join(', ')}, current_user = session_user
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname IN ('dblink', 'postgres_fdw'))
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_language WHERE lanname NOT IN ('internal', 'c', 'sql', 'plpgsql')) AS clean`

/**
 * Runs one statement streaming its rows into `sets`; resolves its count. The extended protocol:
 * the server refuses text that it would read as more than one statement.
 */
function stream(client: pg.PoolClient, sql: string, sets: ResultSets): Promise<number | null> {
  return new Promise((resolve, reject) => {
    // rowMode 'array': columns of the same name stay apart. A `row` listener stops pg from keeping rows.
    const query = new pg.Query({ text: sql, rowMode: 'array', queryMode: 'extended' } as pg.QueryConfig)
    let current: unknown
    query.on('row', (row: unknown[], result?: pg.ResultBuilder) => {
      if (result && result !== current) {
        current = result
        sets.begin(result.fields.map((field) => field.name))
      }
      sets.row(row)
    })
    query.on('error', reject)
    query.on('end', (results: pg.ResultBuilder | pg.ResultBuilder[]) => {
      const all = Array.isArray(results) ? results : [results]
      // A result set with no rows had no row events: its columns still count.
      const lastSet = all.findLast((result) => result.fields.length > 0)
      if (lastSet && lastSet !== current) sets.begin(lastSet.fields.map((field) => field.name))
      resolve(all.at(-1)?.rowCount ?? null)
    })
    client.query(query)
  })
}

/** Asks the server to cancel the running statement, over a connection of its own. */
async function cancel(url: string, running: pg.PoolClient): Promise<void> {
  const pid = (running as unknown as { processID?: number }).processID
  if (pid === undefined) return
  const canceller = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  canceller.on('error', () => {})
  try {
    await canceller.connect()
    await canceller.query('SELECT pg_cancel_backend($1)', [pid])
  } catch {
    // The statement timeout on the server still applies; the connection is discarded after.
  } finally {
    await canceller.end().catch(() => {})
  }
}

async function rollback(client: pg.PoolClient): Promise<boolean> {
  try {
    await client.query('ROLLBACK')
    return true
  } catch {
    return false
  }
}

/** SQLSTATE 25006, read_only_sql_transaction: the server refused a write because the transaction is read-only. */
function isReadOnlyViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === '25006'
}

function isTimeout(error: unknown): boolean {
  return (error as { code?: string })?.code === '57014' && /statement timeout/.test((error as Error).message)
}

/**
 * A one-line description of a driver error: the server's message, its SQLSTATE and where in the
 * stored SQL (the server counts in characters from the start of `statement`).
 */
function describe(error: unknown, sql?: string, statement?: PostgresStatement): string {
  if (!(error instanceof Error)) return 'unknown error'
  const { code, position, detail } = error as Error & { code?: string; position?: string; detail?: string }
  const text = error.message || (code ? `error ${code}` : error.name)
  if (!code || !/^[0-9A-Z]{5}$/.test(code)) return text
  let where = ''
  if (sql !== undefined && statement !== undefined && position && /^\d+$/.test(position)) {
    const before = [...sql].slice(0, statement.offset + Number(position) - 1).join('').split('\n')
    where = ` at line ${before.length}, column ${[...before.at(-1)!].length + 1}`
  }
  return `${text} (SQLSTATE ${code}${where})${detail ? `: ${detail}` : ''}`
}

import pg from 'pg'
import { resolveSecret, type TargetConfig } from '../config/index.js'
import type { CatalogDependency, CatalogRelation, RawCatalog, Volatility } from '../analyzers/index.js'
import { parseOptions, sqlOptionsSchema } from './options.js'
import { runSteps } from './pg-pipeline.js'
import { Redactor } from './redact.js'

/** How long one `EXPLAIN` may take before it is given up: estimates must not hold a submission. */
export const EXPLAIN_TIMEOUT_MS = 2000
/** How long one catalog query may take: a database with very many objects needs longer than a plan. */
export const CATALOG_TIMEOUT_MS = 30_000

/** At most this many statements of one input are explained; the others get `-1`. */
export const MAX_EXPLAINED = 20

/** The transaction an estimate runs in: read-only, bounded, with the settings the analysis assumes. */
const SETUP = [
  'BEGIN READ ONLY',
  `SET LOCAL statement_timeout = ${EXPLAIN_TIMEOUT_MS}`,
  `SET LOCAL lock_timeout = ${EXPLAIN_TIMEOUT_MS}`,
  'SET LOCAL standard_conforming_strings = on',
  'SET LOCAL backslash_quote = off',
]

const BUILT_IN = `('pg_catalog', 'information_schema')`

const SEARCH_PATH = `SELECT s FROM unnest(current_schemas(true)) WITH ORDINALITY AS t(s, i) ORDER BY i`

const FUNCTIONS = `
SELECT p.proname AS name,
       quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS signature,
       p.provolatile AS volatility,
       (p.pronargs >= 1 AND p.pronargs - p.pronargdefaults <= 1 AND coalesce(t.typtype IN ('c', 'p', 'd'), false)) AS row_argument
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  LEFT JOIN pg_type t ON t.oid = p.proargtypes[0]
 WHERE n.nspname = ANY (current_schemas(true)) AND n.nspname NOT IN ${BUILT_IN}`

const OPERATORS = `
SELECT o.oprname AS name,
       quote_ident(n.nspname) || '.' || o.oprname || '(' || coalesce(format_type(nullif(o.oprleft, 0), NULL), 'NONE') || ', ' || coalesce(format_type(nullif(o.oprright, 0), NULL), 'NONE') || ')' AS signature
  FROM pg_operator o
  JOIN pg_namespace n ON n.oid = o.oprnamespace
 WHERE n.nspname = ANY (current_schemas(true)) AND n.nspname NOT IN ${BUILT_IN}`

/** Casts of the database's own that call a function (binary and I/O casts run no code of a user's). */
const CASTS = `
SELECT s.typname AS source, t.typname AS target, c.castcontext AS context, c.castsource AS source_oid,
       quote_ident(fn.nspname) || '.' || quote_ident(f.proname) || '(' || pg_get_function_identity_arguments(f.oid) || ')' AS function
  FROM pg_cast c
  JOIN pg_type s ON s.oid = c.castsource
  JOIN pg_type t ON t.oid = c.casttarget
  JOIN pg_proc f ON f.oid = c.castfunc
  JOIN pg_namespace fn ON fn.oid = f.pronamespace
 WHERE c.castmethod = 'f' AND fn.nspname NOT IN ${BUILT_IN}`

const DOMAINS = `
SELECT DISTINCT t.oid::int8::text AS oid, n.nspname AS schema, t.typname AS name
  FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace
  JOIN pg_constraint c ON c.contypid = t.oid AND c.contype = 'c'
 WHERE t.typtype = 'd'`

const RELATIONS = `
SELECT c.oid::int8::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.relrowsecurity AS rls
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p', 'S') AND n.nspname !~ '^pg_(toast|temp_)'`

/** Columns (and row types) of a type — or its array, or a domain over it — that an implicit cast of the database's own converts by a function. */
const CAST_COLUMNS = `
WITH implicit AS (
  SELECT c.castsource AS type, s.typname || ' → ' || t.typname || ' by ' || quote_ident(fn.nspname) || '.' || quote_ident(f.proname) AS conv
    FROM pg_cast c
    JOIN pg_type s ON s.oid = c.castsource
    JOIN pg_type t ON t.oid = c.casttarget
    JOIN pg_proc f ON f.oid = c.castfunc
    JOIN pg_namespace fn ON fn.oid = f.pronamespace
   WHERE c.castmethod = 'f' AND c.castcontext = 'i' AND fn.nspname NOT IN ${BUILT_IN}
), reached AS (
  SELECT type, conv FROM implicit
  UNION SELECT ty.typarray, i.conv FROM implicit i JOIN pg_type ty ON ty.oid = i.type WHERE ty.typarray <> 0
  UNION SELECT d.oid, i.conv FROM implicit i JOIN pg_type d ON d.typbasetype = i.type AND d.typtype = 'd'
)
SELECT a.attrelid::int8::text AS oid, 'column ' || quote_ident(a.attname) || ' with an implicit cast ' || r.conv AS what
  FROM pg_attribute a JOIN reached r ON r.type = a.atttypid
 WHERE a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT cl.oid::int8::text, 'a row type with an implicit cast ' || r.conv
  FROM pg_class cl JOIN reached r ON r.type = cl.reltype`

/** What views (their SELECT rule), other rules, policies, column defaults and domain CHECKs call or read. */
const DEPENDENCIES = `
SELECT CASE d.classid
         WHEN 'pg_rewrite'::regclass THEN CASE WHEN rw.ev_type = '1' THEN 'view' ELSE 'rule' END
         WHEN 'pg_policy'::regclass THEN 'policy'
         WHEN 'pg_attrdef'::regclass THEN 'default'
         ELSE 'domain' END AS via,
       coalesce(rw.ev_class, pol.polrelid, ad.adrelid, con.contypid)::int8::text AS owner,
       CASE d.refclassid
         WHEN 'pg_proc'::regclass THEN 'function'
         WHEN 'pg_operator'::regclass THEN 'operator'
         WHEN 'pg_class'::regclass THEN 'relation'
         ELSE 'type' END AS ref,
       d.refobjid::int8::text AS oid,
       coalesce(pn.nspname, opn.nspname, '') AS schema,
       coalesce(p.proname, op.proname, '') AS name,
       coalesce(p.provolatile, op.provolatile, 'v') AS volatility
  FROM pg_depend d
  LEFT JOIN pg_rewrite rw ON d.classid = 'pg_rewrite'::regclass AND rw.oid = d.objid
  LEFT JOIN pg_policy pol ON d.classid = 'pg_policy'::regclass AND pol.oid = d.objid
  LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
  LEFT JOIN pg_constraint con ON d.classid = 'pg_constraint'::regclass AND con.oid = d.objid
  LEFT JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
  LEFT JOIN pg_namespace pn ON pn.oid = p.pronamespace
  LEFT JOIN pg_operator o ON d.refclassid = 'pg_operator'::regclass AND o.oid = d.refobjid
  LEFT JOIN pg_proc op ON op.oid = o.oprcode
  LEFT JOIN pg_namespace opn ON opn.oid = op.pronamespace
 WHERE d.classid IN ('pg_rewrite'::regclass, 'pg_policy'::regclass, 'pg_attrdef'::regclass, 'pg_constraint'::regclass)
   AND d.refclassid IN ('pg_proc'::regclass, 'pg_operator'::regclass, 'pg_class'::regclass, 'pg_type'::regclass)
   AND d.deptype = 'n'
   AND (d.classid <> 'pg_constraint'::regclass OR con.contypid <> 0)`

type Row = Record<string, unknown>

/**
 * Reads a `postgres` target's catalog and plans statements on it, with the target's connector
 * credentials and as the role that executes its actions (so `search_path` is that role's). Every
 * session is `READ ONLY` with a short statement and lock timeout; errors never carry the
 * credentials (the connection URL and its password are masked).
 *
 * @example
 * const reader = new PostgresCatalogReader(directory.target('prod-db')!)
 * const raw = await reader.read()
 * const rows = await reader.estimate(['DELETE FROM users WHERE id > 10'])   // [12000]
 */
export class PostgresCatalogReader {
  readonly #target: TargetConfig
  readonly #url: SqlOptions['url']
  #pool: { readonly url: string; readonly pool: pg.Pool } | undefined
  #closed = false

  constructor(target: TargetConfig) {
    this.#target = target
    this.#url = parseOptions(target, sqlOptionsSchema('postgres')).url
  }

  /** The catalog rows the analysis needs (`buildSqlCatalog` turns them into a snapshot). */
  async read(): Promise<RawCatalog> {
    return this.#readOnly(CATALOG_TIMEOUT_MS, async (client) => {
      const q = async (text: string) => (await client.query<Row>(text)).rows
      const [path, functions, operators, casts, domains, relations, castColumns, dependencies] = [
        await q(SEARCH_PATH), await q(FUNCTIONS), await q(OPERATORS), await q(CASTS), await q(DOMAINS),
        await q(RELATIONS), await q(CAST_COLUMNS), await q(DEPENDENCIES),
      ]
      const columnsOf = new Map<number, string[]>()
      for (const row of castColumns) columnsOf.set(Number(row.oid), [...(columnsOf.get(Number(row.oid)) ?? []), String(row.what)])
      return {
        searchPath: path.map((row) => String(row.s)),
        functions: functions.map((row) => ({ name: String(row.name), signature: String(row.signature), volatility: volatility(row.volatility), rowArgument: row.row_argument === true })),
        operators: operators.map((row) => ({ name: String(row.name), signature: String(row.signature) })),
        casts: casts.map((row) => ({ source: String(row.source), target: String(row.target), function: String(row.function) })),
        domains: domains.map((row) => ({ oid: Number(row.oid), schema: String(row.schema), name: String(row.name) })),
        relations: relations.map((row): CatalogRelation => ({
          oid: Number(row.oid), schema: String(row.schema), name: String(row.name), kind: String(row.kind), rls: row.rls === true,
          castColumns: columnsOf.get(Number(row.oid)) ?? [],
        })),
        dependencies: dependencies.map((row): CatalogDependency => ({
          via: String(row.via) as CatalogDependency['via'], owner: Number(row.owner), ref: String(row.ref) as CatalogDependency['ref'],
          oid: Number(row.oid), schema: String(row.schema), name: String(row.name), volatility: volatility(row.volatility),
        })),
      }
    })
  }

  /**
   * The planner's row estimate of each statement (`EXPLAIN (FORMAT JSON)`, never `ANALYZE`), `-1`
   * where it cannot be had. For a write, the rows the ModifyTable nodes are fed (summed over the
   * writes of CTEs); otherwise the rows of the top node. `undefined` entries are skipped (-1), and
   * so is everything after {@link MAX_EXPLAINED} statements or {@link EXPLAIN_TIMEOUT_MS} in all.
   * Each statement goes alone through the extended protocol, which refuses a second statement.
   */
  async estimate(statements: readonly (string | undefined)[]): Promise<number[]> {
    if (statements.every((text) => text === undefined)) return statements.map(() => -1)
    const one = statements.filter((text) => text !== undefined).length === 1 ? statements.findIndex((text) => text !== undefined) : -1
    if (one >= 0) {
      const rows = await this.#explainOne(statements[one]!)
      return statements.map((_, index) => (index === one ? rows : -1))
    }
    return this.#readOnly(EXPLAIN_TIMEOUT_MS, async (client) => {
      const out: number[] = []
      // A failed EXPLAIN aborts the transaction: with more than one to run, each gets a savepoint.
      const savepoints = statements.filter((text) => text !== undefined).length > 1
      // A long script must not hold its submission: past the budget, the rest stay unknown.
      const started = performance.now()
      let explained = 0
      for (const text of statements) {
        if (text === undefined || explained >= MAX_EXPLAINED || performance.now() - started > EXPLAIN_TIMEOUT_MS) {
          out.push(-1)
          continue
        }
        explained++
        if (savepoints) await client.query('SAVEPOINT countersign_explain')
        try {
          const result = await client.query<Row>({ text: `EXPLAIN (FORMAT JSON) ${text}`, queryMode: 'extended' } as pg.QueryConfig)
          out.push(rowsOf(result.rows[0]?.['QUERY PLAN']))
          if (savepoints) await client.query('RELEASE SAVEPOINT countersign_explain')
        } catch {
          out.push(-1)
          if (savepoints) await client.query('ROLLBACK TO SAVEPOINT countersign_explain')
        }
      }
      return out
    })
  }

  /**
   * One statement's estimate in ONE round trip (the common case: a submission is one statement):
   * the READ ONLY transaction with its settings, the EXPLAIN and the ROLLBACK go as one pipeline
   * (each step alone in the extended protocol, so the statement cannot smuggle a second one).
   */
  async #explainOne(text: string): Promise<number> {
    const url = resolveSecret(this.#url)
    let client: pg.PoolClient | undefined
    let clean = false
    try {
      client = await this.#poolFor(url).connect()
      const steps = [
        ...SETUP.map((setup) => ({ text: setup })),
        { text: `EXPLAIN (FORMAT JSON) ${text}` },
        { text: 'ROLLBACK' },
      ]
      const { results, error } = await runSteps(client, steps)
      if (error) {
        // The EXPLAIN failed (say, unbound parameters): the transaction is aborted, end it.
        await client.query('ROLLBACK')
        clean = true
        return -1
      }
      clean = true
      const plan = results[SETUP.length]?.rows[0]?.[0]
      return plan == null ? -1 : rowsOf(JSON.parse(plan))
    } catch (error) {
      throw new Error(`catalog of target ${this.#target.name}: ${new Redactor([url]).text(error instanceof Error ? error.message : String(error))}`)
    } finally {
      client?.release(!clean)
    }
  }

  /** Runs `work` in a READ ONLY transaction that is always rolled back; errors come out with credentials masked. */
  async #readOnly<T>(timeoutMs: number, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const url = resolveSecret(this.#url)
    let client: pg.PoolClient | undefined
    let clean = false
    try {
      client = await this.#poolFor(url).connect()
      // The settings the analysis assumes, and bounds so that a lock or a slow plan cannot hold a
      // submission: one round trip (fixed text, so several statements are fine here).
      await client.query(
        `BEGIN READ ONLY; SET LOCAL statement_timeout = ${timeoutMs}; SET LOCAL lock_timeout = ${EXPLAIN_TIMEOUT_MS}; ` +
          'SET LOCAL standard_conforming_strings = on; SET LOCAL backslash_quote = off',
      )
      const value = await work(client)
      await client.query('ROLLBACK')
      clean = true
      return value
    } catch (error) {
      throw new Error(`catalog of target ${this.#target.name}: ${new Redactor([url]).text(error instanceof Error ? error.message : String(error))}`)
    } finally {
      // A session whose transaction did not end cleanly is not handed to the next reader.
      client?.release(!clean)
    }
  }

  #poolFor(url: string): pg.Pool {
    if (this.#closed) throw new Error('the catalog reader is closed')
    if (this.#pool?.url !== url) {
      this.#pool?.pool.end().catch(() => {})
      const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: EXPLAIN_TIMEOUT_MS, idleTimeoutMillis: 30_000, application_name: 'countersign/catalog' })
      pool.on('error', () => {})
      this.#pool = { url, pool }
    }
    return this.#pool.pool
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#pool?.pool.end().catch(() => {})
    this.#pool = undefined
  }
}

type SqlOptions = ReturnType<ReturnType<typeof sqlOptionsSchema<'postgres'>>['parse']>

function volatility(value: unknown): Volatility {
  return value === 'i' || value === 's' ? value : 'v'
}

/** Rows from an `EXPLAIN (FORMAT JSON)` result: what ModifyTable nodes are fed, else the top node's. */
function rowsOf(plan: unknown): number {
  const plans = Array.isArray(plan) ? plan : []
  let written = 0
  let writes = 0
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return
    const n = node as Record<string, unknown>
    if (n['Node Type'] === 'ModifyTable') {
      writes++
      const child = Array.isArray(n['Plans']) ? (n['Plans'][0] as Record<string, unknown> | undefined) : undefined
      written += typeof child?.['Plan Rows'] === 'number' ? child['Plan Rows'] : 0
    }
    if (Array.isArray(n['Plans'])) for (const inner of n['Plans']) visit(inner)
  }
  for (const entry of plans) visit((entry as { Plan?: unknown })?.Plan)
  if (writes > 0) return Math.round(written)
  const top = (plans[0] as { Plan?: Record<string, unknown> } | undefined)?.Plan?.['Plan Rows']
  return typeof top === 'number' && Number.isFinite(top) ? Math.round(top) : -1
}

/**
 * Generates src/analyzers/sql/read-only-functions.generated.ts: the built-in PostgreSQL functions
 * the catalog itself calls immutable or stable, read from `pg_proc` of the PGlite we ship, minus
 * those with an effect or a reach outside the query (the deny-list below).
 *
 *   node --import tsx scripts/generate-read-only-functions.ts
 *
 * src/analyzers/sql/read-only-functions.test.ts regenerates the list and fails when the committed
 * file differs (after a PGlite upgrade, or an edit of the deny-list): run this script and review the diff.
 *
 * Names are matched without argument types, so a name is listed only when every function of that
 * name in `pg_catalog` qualifies: `ts_rewrite(tsquery, tsquery, tsquery)` is immutable, but
 * `ts_rewrite(tsquery, text)` runs a query, and both are called `ts_rewrite`.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'

/** Where the generated list lives, relative to the repository. */
export const GENERATED_PATH = 'src/analyzers/sql/read-only-functions.generated.ts'

/**
 * Built-ins that are immutable or stable in the catalog yet must not be auto-approved, and
 * families that must stay out whatever volatility a later PostgreSQL gives them. Each entry is
 * matched against the whole name.
 */
export const DENIED_FUNCTIONS: readonly { readonly pattern: RegExp; readonly why: string }[] = [
  { pattern: /^(txid_current|pg_current_xact_id)$/, why: 'assigns a transaction id (a write to the xid counter)' },
  { pattern: /^(query|cursor|table|schema|database)_to_xml.*$/, why: 'runs SQL given as text, or reads whole tables through their views' },
  { pattern: /^ts_(stat|rewrite)$/, why: 'ts_stat(text) and ts_rewrite(tsquery, text) run a query given as text' },
  { pattern: /^jsonb?_populate_record(set|_valid)?$/, why: 'fills the row type of its argument: a domain field runs its CHECK, which may call anything' },
  { pattern: /^pg_input_(is_valid|error_info)$/, why: 'runs the input function of a type named in text: a domain runs its CHECK' },
  { pattern: /^pg_event_trigger_.*$/, why: 'only meaningful inside an event trigger' },
  { pattern: /^.*_validator$/, why: 'language and wrapper validators compile bodies or load libraries (fmgr_c_validator)' },
  { pattern: /^pg_advisory.*|^pg_try_advisory.*$/, why: 'takes locks' },
  { pattern: /^pg_notify$/, why: 'other sessions act on notifications' },
  { pattern: /^(lo_.*|loread|lowrite)$/, why: 'reads or writes large objects or server files' },
  { pattern: /^pg_(read_file|read_binary_file|ls_.*|stat_file)$/, why: "reads the server's disk" },
  { pattern: /^pg_stat_(reset.*|clear_snapshot|force_next_flush)$/, why: 'changes statistics' },
  { pattern: /^set_config$/, why: 'changes session settings' },
  { pattern: /^pg_sleep.*$/, why: 'holds the connection and its locks as long as asked' },
  { pattern: /^dblink.*$/, why: 'reaches another server' },
  { pattern: /^(nextval|setval|setseed)$/, why: 'advances a sequence or changes session state' },
  { pattern: /^pg_(logical|replication)_.*$/, why: 'drives replication slots and origins' },
  { pattern: /^pg_(terminate|cancel)_backend$|^pg_(reload_conf|rotate_logfile.*|promote|switch_wal|create_.*|drop_.*|import_system_collations|backup_.*|log_.*|wal_replay_.*|copy_.*_replication_slot|nextoid|stop_making_pinned_objects|truncate_visibility_map|sync_replication_slots|clear_.*|restore_.*)$/, why: 'acts on the server, its backends, WAL or catalog' },
  { pattern: /^binary_upgrade_.*$/, why: 'catalog surgery for pg_upgrade' },
  { pattern: /^(brin_summarize.*|brin_desummarize_range|gin_clean_pending_list)$/, why: 'writes index pages' },
]

/** Types that mark a function as an I/O, support or handler routine rather than something a query should call. */
const SPECIAL_TYPES = ['cstring', 'internal', 'trigger', 'event_trigger', 'fdw_handler', 'index_am_handler', 'table_am_handler', 'tsm_handler', 'language_handler']

/**
 * One row per function name in `pg_catalog`, with whether every overload of it is a plain
 * immutable or stable function: not a procedure, no `cstring`/`internal` argument (type input
 * functions such as `record_in`, `array_in`, `domain_in` take one and would run a domain's CHECK),
 * no handler or trigger result.
 */
const CATALOG_QUERY = `
SELECT p.proname AS name,
       bool_and(p.prokind <> 'p'
                AND p.provolatile IN ('i', 's')
                AND NOT (p.proargtypes::oid[] && $1::regtype[]::oid[])
                AND NOT (coalesce(p.proallargtypes, '{}') && $1::regtype[]::oid[])
                AND p.prorettype <> ALL ($1::regtype[]::oid[])) AS eligible
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'pg_catalog'
 GROUP BY p.proname`

/** Whether a function name is on the deny-list. */
export function isDeniedFunction(name: string): boolean {
  return DENIED_FUNCTIONS.some(({ pattern }) => pattern.test(name))
}

/** Reads the catalog of a fresh in-memory PGlite and returns the names of the eligible, not denied functions, sorted. */
export async function readOnlyFunctionsFromCatalog(): Promise<{ names: string[]; version: string }> {
  const db = await PGlite.create()
  try {
    const version = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? 'unknown'
    const rows = (await db.query<{ name: string; eligible: boolean }>(CATALOG_QUERY, [`{${SPECIAL_TYPES.join(',')}}`])).rows
    const names = rows.filter((row) => row.eligible && !isDeniedFunction(row.name)).map((row) => row.name)
    return { names: names.sort(), version }
  } finally {
    await db.close()
  }
}

/** The generated module's text, packed into lines of at most 100 characters. */
export async function generateReadOnlyFunctionsSource(): Promise<string> {
  const { names, version } = await readOnlyFunctionsFromCatalog()
  const lines: string[] = []
  let line = ' '
  for (const name of names) {
    const item = ` '${name}',`
    if (line.length + item.length > 100) {
      lines.push(line)
      line = ' '
    }
    line += item
  }
  if (line.trim() !== '') lines.push(line)
  return [
    '// Generated by scripts/generate-read-only-functions.ts from pg_proc of PGlite (PostgreSQL ' + version + '). Do not edit:',
    '// change the deny-list in the script and run `node --import tsx scripts/generate-read-only-functions.ts`.',
    '',
    '/** Built-in functions whose every overload is immutable or stable, minus the deny-list of the generator. */',
    'export const CATALOG_READ_ONLY_FUNCTIONS: readonly string[] = [',
    ...lines,
    ']',
    '',
  ].join('\n')
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = fileURLToPath(new URL(`../${GENERATED_PATH}`, import.meta.url))
  writeFileSync(target, await generateReadOnlyFunctionsSource())
  console.log(`wrote ${GENERATED_PATH}`)
}

/**
 * The PostgreSQL analyzer over PostgreSQL's own regression suite, as carried by
 * pganalyze/libpg_query (test/sql/postgres_regress/*.sql), with an independent oracle (issue 16):
 * items, parse errors, read-only count, false harmless, false risky, items per second.
 *
 * The corpus is a bare git mirror (the layout of the `fetch` tool), found under
 * `COUNTERSIGN_CORPUS_MIRRORS` as `pganalyze+libpg_query/repo`; nothing of it is committed. The
 * oracle needs the PostgreSQL at `COUNTERSIGN_TEST_DATABASE_URL` (default
 * postgres://postgres@127.0.0.1:5432/postgres), where it creates a scratch database and a role
 * without superuser rights that owns it, and drops both.
 *
 *   COUNTERSIGN_CORPUS_MIRRORS=/work/.mirror npm run bench -- corpus-sql
 *
 * Items are the files' statements (psql meta-commands and COPY data removed; a file the parser
 * rejects as a whole is split at `;` tokens). The oracle, per file in order:
 * - a statement the analysis calls read-only runs in a transaction that is rolled back; it changed
 *   something when it got a transaction id (`pg_current_xact_id_if_assigned()`), inserted,
 *   updated or deleted a row (`pg_stat_xact_user_tables`), or holds an advisory lock. That is a
 *   false harmless and must never happen. A statement that fails (most need the suite's tables
 *   and functions) could not be checked;
 * - other statements that only build objects in the scratch database (CREATE TABLE, INSERT,
 *   CREATE FUNCTION in SQL or PL/pgSQL…) run for real, so that later statements find them;
 *   anything reaching beyond the database (roles, tablespaces, subscriptions, C functions, DO) does not run.
 * False risky: plain SELECTs that are not read-only while every function they call off the
 * allow-list is a non-volatile built-in of the server that the generator does not deny (an upper
 * bound: a cast or operator may be the reason too).
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseSync, scanSync } from 'libpg-query'
import pg from 'pg'
import { isDeniedFunction } from '../scripts/generate-read-only-functions.js'
import type { Analysis } from '../src/analyzers/analyzer.js'
import { loadSqlAnalyzer, type SqlFacts } from '../src/analyzers/sql/index.js'
import { isReadOnlyFunction } from '../src/analyzers/sql/read-only-functions.js'

export const name = 'corpus-sql: the PostgreSQL analyzer over the regression suite, checked on a real PostgreSQL'

const REPO = 'pganalyze/libpg_query'
const PREFIX = 'test/sql/postgres_regress/'
const SERVER = process.env['COUNTERSIGN_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const MAX_LISTED = 8

/** Statements replayed to build the scratch database: they act only inside it. */
const REPLAYED = /^(CREATE (TABLE|TABLE AS|VIEW|MATERIALIZED VIEW|INDEX|SEQUENCE|TYPE|DOMAIN|FUNCTION|SCHEMA|OPERATOR|AGGREGATE|RULE|TRIGGER|POLICY|CAST|COLLATION|STATISTICS)|INSERT|UPDATE|DELETE|MERGE|TRUNCATE|ALTER (TABLE|SEQUENCE|TYPE|DOMAIN|INDEX|VIEW|FUNCTION)|DROP (TABLE|VIEW|MATERIALIZED VIEW|INDEX|SEQUENCE|TYPE|DOMAIN|FUNCTION|SCHEMA|OPERATOR|AGGREGATE|RULE|TRIGGER|POLICY|CAST|COLLATION|STATISTICS)|SELECT INTO|REFRESH MATERIALIZED VIEW)$/
/** Text that must never be replayed, whatever the command: code from files, other servers, cluster-wide objects. */
const NEVER_REPLAYED = /\bpg_(catalog|toast)\b|\blanguage\s+['"]?(c|internal)\b|\b(role|user|tablespace|database|subscription|server|extension|system)\b|\bpg_(read|ls|stat_file|terminate|cancel|reload|rotate|promote)|\blo_|\bcopy\b|\bdblink|\bset_config\b/i

/** The regression files, read from the mirror with one `git cat-file --batch`. */
function readFiles(gitDir: string): { files: { path: string; text: string }[]; commit: string } {
  const commit = execFileSync('git', ['--git-dir', gitDir, 'rev-parse', 'HEAD^{commit}'], { encoding: 'utf8' }).trim()
  const paths = execFileSync('git', ['--git-dir', gitDir, 'ls-tree', '-r', '--name-only', commit, PREFIX], { encoding: 'utf8' })
    .split('\n')
    .filter((path) => path.endsWith('.sql'))
  const out = execFileSync('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { input: paths.map((path) => `${commit}:${path}\n`).join(''), maxBuffer: 1 << 30 })
  const files: { path: string; text: string }[] = []
  let offset = 0
  for (const path of paths) {
    const newline = out.indexOf(10, offset)
    const size = Number(out.subarray(offset, newline).toString('utf8').split(' ')[2])
    files.push({ path: path.slice(PREFIX.length), text: out.subarray(newline + 1, newline + 1 + size).toString('utf8') })
    offset = newline + 1 + size + 1
  }
  return { files, commit }
}

/** Removes psql meta-commands (`\set`, `\d`, a trailing `\gset`) and the data of `COPY … FROM stdin`. */
function withoutPsql(text: string): string {
  const lines = text.split('\n')
  const kept: string[] = []
  let copyData = false
  for (const line of lines) {
    if (copyData) {
      if (line.startsWith('\\.')) copyData = false
      continue
    }
    if (/^\s*\\/.test(line)) continue
    kept.push(line.replace(/\\g\w*.*$/, ';'))
    if (/\bfrom\s+stdin\b/i.test(line) && /;\s*$/.test(line)) copyData = true
  }
  return kept.join('\n')
}

/** Splits a file into statements: by the parser when it reads the whole file, else at `;` tokens of the scanner. */
function statements(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8')
  const slice = (start: number, end: number) => bytes.subarray(start, end).toString('utf8').trim()
  try {
    const stmts = (parseSync(text).stmts ?? []) as { stmt_location?: number; stmt_len?: number }[]
    return stmts.map((s) => slice(s.stmt_location ?? 0, s.stmt_len === undefined || s.stmt_len === 0 ? bytes.length : (s.stmt_location ?? 0) + s.stmt_len)).filter((s) => s !== '')
  } catch {
    // fall through to the scanner
  }
  try {
    const pieces: string[] = []
    let start = 0
    for (const token of scanSync(text).tokens) {
      if (token.text === ';') {
        pieces.push(slice(start, token.end))
        start = token.end
      }
    }
    pieces.push(slice(start, bytes.length))
    return pieces.filter((piece) => piece !== '' && piece !== ';')
  } catch {
    return [text]
  }
}

function listed(items: readonly string[]): string {
  const more = items.length > MAX_LISTED ? ` (+${items.length - MAX_LISTED} more)` : ''
  return items.slice(0, MAX_LISTED).join(' | ') + more
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').slice(0, 140)

/** What running one read-only statement in a rolled-back transaction showed. */
type Outcome = 'unchanged' | 'changed' | 'failed'

// The xact counters of PostgreSQL 15 also hold what earlier transactions of the session have not
// flushed to the shared statistics yet, so the row count is compared with its value at BEGIN.
const PROBE = `SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS xid,
  coalesce((SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_xact_user_tables), 0)::text AS rows,
  EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory') AS locks`

interface Probe {
  readonly xid: boolean
  readonly rows: string
  readonly locks: boolean
}

async function runRolledBack(client: pg.Client, statement: string): Promise<Outcome> {
  await client.query('BEGIN')
  try {
    const before = (await client.query<Probe>(PROBE)).rows[0]
    await client.query(statement)
    const after = (await client.query<Probe>(PROBE)).rows[0]
    if (before === undefined || after === undefined) return 'failed'
    return after.xid || after.locks || after.rows !== before.rows ? 'changed' : 'unchanged'
  } catch {
    return 'failed'
  } finally {
    await client.query('ROLLBACK').catch(() => undefined)
    // An advisory lock taken at session level outlives the rollback.
    await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined)
  }
}

/** Runs the corpus when its mirror and the server are there. */
export async function run(): Promise<void> {
  const root = process.env.COUNTERSIGN_CORPUS_MIRRORS
  if (root === undefined || root === '' || !existsSync(root)) {
    console.log('skipped: set COUNTERSIGN_CORPUS_MIRRORS to the directory of fetched mirrors (OWNER+NAME/repo), e.g. /work/.mirror')
    return
  }
  const gitDir = join(root, REPO.replace('/', '+'), 'repo')
  if (!existsSync(gitDir)) {
    console.log(`skipped: no mirror of ${REPO} under ${root}`)
    return
  }
  const { files, commit } = readFiles(gitDir)
  const sql = await loadSqlAnalyzer()
  const admin = new pg.Client({ connectionString: SERVER })
  await admin.connect()
  admin.on('error', () => undefined)
  // Everything runs as a role of its own without superuser rights: the suite's statements that
  // must fail (`DELETE FROM pg_catalog.pg_class`) do fail, and nothing reaches other databases.
  const database = `cs_corpus_${randomBytes(6).toString('hex')}`
  await admin.query(`CREATE ROLE ${database} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`)
  await admin.query(`CREATE DATABASE ${database} OWNER ${database}`)
  const url = new URL(SERVER)
  url.pathname = `/${database}`
  url.username = database
  url.password = ''
  let client = new pg.Client({ connectionString: url.toString() })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.query("SET statement_timeout = '3s'; SET lock_timeout = '1s'; SET client_min_messages = error")
    // `io`: some function of the name takes a cstring or internal, as type input functions do: the
    // generator leaves them out on purpose (array_in with a domain element type runs its CHECK).
    const builtIns = new Map((await client.query<{ proname: string; v: string; io: boolean }>(
      `SELECT proname, max(provolatile) AS v, bool_or(proargtypes::oid[] && '{cstring,internal}'::regtype[]::oid[]) AS io
         FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace GROUP BY proname`,
    )).rows.map((row) => [row.proname, row]))
    let items = 0
    let readOnly = 0
    let checked = 0
    let couldNotCheck = 0
    let transactionControl = 0
    let plainSelects = 0
    let ms = 0
    const parseErrors: string[] = []
    const falseHarmless: string[] = []
    const falseRisky: string[] = []
    const ioOnly: string[] = []
    const missing = new Map<string, number>()
    for (const file of files) {
      for (const statement of statements(withoutPsql(file.text))) {
        items++
        const start = performance.now()
        const { facts } = sql.analyze({ sql: statement }) as Analysis<SqlFacts>
        ms += performance.now() - start
        if (facts.parse_error !== '') {
          parseErrors.push(`${file.path}: ${oneLine(statement)}`)
          continue
        }
        const command = facts.statements[0]?.command ?? ''
        if (command === 'SELECT' && facts.count === 1) {
          plainSelects++
          const offList = facts.functions.filter((f) => !isReadOnlyFunction(f))
          const builtIn = (f: string) => (f.includes('.') ? undefined : builtIns.get(f))
          const fixable = offList.filter((f) => builtIn(f) !== undefined && builtIn(f)?.v !== 'v' && !isDeniedFunction(f))
          if (!facts.read_only && offList.length > 0 && fixable.length === offList.length && fixable.some((f) => builtIn(f)?.io === true)) {
            ioOnly.push(`${file.path}: ${oneLine(statement)}`)
          } else if (!facts.read_only && offList.length > 0 && fixable.length === offList.length) {
            falseRisky.push(`${file.path}: ${oneLine(statement)}`)
            for (const f of fixable) missing.set(f, (missing.get(f) ?? 0) + 1)
          }
        }
        if (facts.read_only) {
          readOnly++
          if (/^(BEGIN|START|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE TRANSACTION|COPY)/.test(command)) {
            transactionControl++
            continue
          }
          const outcome = await runRolledBack(client, statement)
          if (outcome === 'failed') couldNotCheck++
          else checked++
          if (outcome === 'changed') falseHarmless.push(`${file.path}: ${oneLine(statement)}`)
        } else if (REPLAYED.test(command) && !facts.dcl && !NEVER_REPLAYED.test(statement)) {
          await client.query(statement).catch(() => undefined)
        }
      }
      // A fresh session per file: no setting, cursor or prepared statement leaks into the next one.
      await client.end().catch(() => undefined)
      client = new pg.Client({ connectionString: url.toString() })
      client.on('error', () => undefined)
      await client.connect()
      await client.query("SET statement_timeout = '3s'; SET lock_timeout = '1s'; SET client_min_messages = error")
    }
    console.log(`sql / ${REPO} ${PREFIX}*.sql @ ${commit.slice(0, 12)} (${files.length} files), oracle on ${(await client.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v.split(' on ')[0]}`)
    console.log(`  items ${items}, parse errors ${parseErrors.length} (psql variables, statements cut by the splitter)${parseErrors.length > 0 ? `: ${listed(parseErrors)}` : ''}`)
    console.log(`  read-only ${readOnly}: checked in a rolled-back transaction ${checked}, could not check (the statement failed) ${couldNotCheck}, transaction control and COPY not run ${transactionControl}`)
    console.log(`  false harmless (read-only, yet a transaction id, a row change or an advisory lock): ${falseHarmless.length}${falseHarmless.length > 0 ? `: ${listed(falseHarmless)}` : ''}`)
    if (process.env.COUNTERSIGN_CORPUS_VERBOSE === '1') for (const item of falseHarmless) console.log(`    ${item}`)
    console.log(`  false risky (plain SELECTs not read-only for want of a non-volatile built-in): ${falseRisky.length}/${plainSelects}${falseRisky.length > 0 ? `: ${listed(falseRisky)}` : ''}`)
    console.log(`  not read-only on purpose (they call type input functions, array_in, tsvectorin…): ${ioOnly.length}${ioOnly.length > 0 ? `: ${listed(ioOnly)}` : ''}`)
    if (missing.size > 0) console.log(`  built-ins behind them: ${[...missing].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([f, n]) => `${f}×${n}`).join(' ')}`)
    console.log(`  analysis ${ms > 0 ? Math.round((items * 1000) / ms) : 0} items/s`)
  } finally {
    await client.end().catch(() => undefined)
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.query(`DROP ROLE IF EXISTS ${database}`)
    await admin.end()
  }
}

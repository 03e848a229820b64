import { parseSync } from 'libpg-query'
import type { Analysis } from '../analyzer.js'
import type { SqlCatalog } from './catalog.js'
import { classifyStatement, unwrapStatement, type ClassifiedStatement, type Session } from './classify-statement.js'
import type { SqlFacts, SqlStatementFacts } from './facts.js'
import { checkWithCatalog } from './read-only-catalog.js'
import type { Risk } from './statement-risks.js'
import { highlightsOf, summarize } from './summary.js'

/** What the analysis may know of the target besides the text (see `AnalysisContext`). */
export interface SqlTargetKnowledge {
  /** The target's catalog: calls, operators, casts and relations are resolved in it (`catalog_checked`). */
  readonly catalog?: SqlCatalog | undefined
  /** The planner's row estimate per statement, by position; `-1` or missing when unknown. */
  readonly estimatedRows?: readonly number[] | undefined
}

/**
 * Analyzes SQL text with the PostgreSQL parser. Never throws: input that does not parse — or
 * that this module fails on, which must not make anything look read-only — gets `parse_error`.
 * `libpg-query`'s `loadModule()` must have resolved first (see `loadSqlAnalyzer`).
 *
 * @example
 * analyzeSql('DELETE FROM public.users').summary // 'DELETE on public.users without WHERE'
 */
export function analyzeSql(sql: unknown, known: SqlTargetKnowledge = {}): Analysis<SqlFacts> {
  if (typeof sql !== 'string') return failed('sql is not a string')
  // The parser reads a C string: text after a NUL would go unseen here but not necessarily by the server.
  if (sql.includes('\0')) return failed('SQL contains a NUL character')
  let statements: readonly unknown[]
  try {
    statements = sql.trim() === '' ? [] : (parseSync(sql).stmts ?? [])
  } catch (error) {
    return failed(error instanceof Error ? error.message : String(error))
  }
  if (statements.length === 0) return failed('no statement')
  try {
    return analyzeStatements(statements, known)
  } catch (error) {
    return failed(`analysis failed: ${error instanceof Error ? error.message : String(error)}`)
  }
}

function analyzeStatements(statements: readonly unknown[], known: SqlTargetKnowledge): Analysis<SqlFacts> {
  const session: Session = { prepared: new Map(), cursors: new Map() }
  const facts: SqlStatementFacts[] = []
  const risks: Risk[] = []
  const tables: string[] = []
  const functions: string[] = []
  let readOnly = true
  let ddl = false
  let dcl = false
  for (const raw of statements) {
    const stmt = typeof raw === 'object' && raw !== null ? (raw as { stmt?: unknown }).stmt : undefined
    const classified = withTargetKnowledge(stmt, classifyStatement(stmt, session), facts.length, known)
    remember(stmt, classified, session)
    facts.push(classified.facts)
    risks.push(...classified.risks)
    for (const t of classified.facts.tables) if (!tables.includes(t)) tables.push(t)
    for (const f of classified.facts.functions) if (!functions.includes(f)) functions.push(f)
    readOnly &&= classified.facts.read_only
    ddl ||= classified.ddl
    dcl ||= classified.dcl
  }
  return {
    facts: { statements: facts, read_only: readOnly, ddl, dcl, tables, functions, count: facts.length, parse_error: '', catalog_checked: known.catalog !== undefined },
    summary: summarize(facts),
    highlights: highlightsOf(risks),
  }
}

/**
 * Applies what the target's catalog says (a call, operator, cast or relation that may run
 * something of the database's own makes the statement not read-only) and the row estimate.
 * Runs before the statement is remembered, so an EXECUTE of it later inherits the verdict.
 */
function withTargetKnowledge(stmt: unknown, classified: ClassifiedStatement, index: number, known: SqlTargetKnowledge): ClassifiedStatement {
  const estimate = known.estimatedRows?.[index]
  const estimated_rows = typeof estimate === 'number' && Number.isSafeInteger(estimate) && estimate >= 0 ? estimate : -1
  if (known.catalog === undefined) return estimated_rows === -1 ? classified : { ...classified, facts: { ...classified.facts, estimated_rows } }
  const check = checkWithCatalog(stmt, classified.facts, known.catalog)
  const risks: Risk[] = check.reasons.map((text) => ({ rank: 1, text, call: true }))
  return {
    ...classified,
    facts: { ...classified.facts, estimated_rows, read_only: classified.facts.read_only && check.reasons.length === 0 },
    risks: [...classified.risks, ...risks],
    unsafeCalls: classified.unsafeCalls || check.reasons.length > 0,
  }
}

/**
 * The text of each statement that may be planned with `EXPLAIN` to estimate its rows (see
 * `checkWithCatalog`), by position; `undefined` for the others and for input that does not parse.
 * Without a catalog nothing is: planning folds calls, and only the catalog says what they are.
 */
export function plannableStatements(sql: string, catalog: SqlCatalog): (string | undefined)[] {
  if (sql.includes('\0') || sql.trim() === '') return []
  let statements: readonly unknown[]
  try {
    statements = parseSync(sql).stmts ?? []
  } catch {
    return []
  }
  try {
    return plannable(statements, Buffer.from(sql, 'utf8'), catalog)
  } catch {
    return [] // as in analyzeSql: what this module fails on is not planned
  }
}

function plannable(statements: readonly unknown[], bytes: Buffer, catalog: SqlCatalog): (string | undefined)[] {
  const session: Session = { prepared: new Map(), cursors: new Map() }
  return statements.map((raw) => {
    const rawStmt = typeof raw === 'object' && raw !== null ? (raw as { stmt?: unknown; stmt_location?: number; stmt_len?: number }) : {}
    const classified = classifyStatement(rawStmt.stmt, session)
    remember(rawStmt.stmt, classified, session)
    if (!checkWithCatalog(rawStmt.stmt, classified.facts, catalog).plannable) return undefined
    // Locations are byte offsets into the UTF-8 text; a length of 0 means "to the end".
    const start = rawStmt.stmt_location ?? 0
    const end = rawStmt.stmt_len ? start + rawStmt.stmt_len : bytes.length
    return bytes.subarray(start, end).toString('utf8').trim()
  })
}

/** Keeps track of prepared statements and cursors, so a later EXECUTE or FETCH in the same input can be judged. */
function remember(stmt: unknown, classified: ClassifiedStatement, session: Session): void {
  const [name, node] = unwrapStatement(stmt) ?? ['', {}]
  if (name === 'PrepareStmt') session.prepared.set(String(node.name), classified)
  else if (name === 'DeclareCursorStmt') session.cursors.set(String(node.portalname), classified.facts.read_only)
  else if (name === 'DeallocateStmt') {
    if (typeof node.name === 'string') session.prepared.delete(node.name)
    else session.prepared.clear()
  } else if (name === 'ClosePortalStmt') {
    if (typeof node.portalname === 'string') session.cursors.delete(node.portalname)
    else session.cursors.clear()
  }
}

function failed(reason: string): Analysis<SqlFacts> {
  return {
    facts: { statements: [], read_only: false, ddl: false, dcl: false, tables: [], functions: [], count: 0, parse_error: reason, catalog_checked: false },
    summary: `unparseable SQL: ${reason}`,
    highlights: ['SQL could not be analyzed, so nothing about it is known'],
  }
}

import { parseSync } from 'libpg-query'
import type { Analysis } from '../analyzer.js'
import { classifyStatement, unwrapStatement, type ClassifiedStatement, type Session } from './classify-statement.js'
import type { SqlFacts, SqlStatementFacts } from './facts.js'
import type { Risk } from './statement-risks.js'
import { highlightsOf, summarize } from './summary.js'

/**
 * Analyzes SQL text with the PostgreSQL parser. Never throws: input that does not parse — or
 * that this module fails on, which must not make anything look read-only — gets `parse_error`.
 * `libpg-query`'s `loadModule()` must have resolved first (see `loadSqlAnalyzer`).
 *
 * @example
 * analyzeSql('DELETE FROM public.users').summary // 'DELETE on public.users without WHERE'
 */
export function analyzeSql(sql: unknown): Analysis<SqlFacts> {
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
    return analyzeStatements(statements)
  } catch (error) {
    return failed(`analysis failed: ${error instanceof Error ? error.message : String(error)}`)
  }
}

function analyzeStatements(statements: readonly unknown[]): Analysis<SqlFacts> {
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
    const classified = classifyStatement(stmt, session)
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
    facts: { statements: facts, read_only: readOnly, ddl, dcl, tables, functions, count: facts.length, parse_error: '', catalog_checked: false },
    summary: summarize(facts),
    highlights: highlightsOf(risks),
  }
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

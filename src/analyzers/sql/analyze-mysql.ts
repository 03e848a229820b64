import { init, parse, type Statement } from '@guanmingchiu/sqlparser-ts'
import type { Analysis } from '../analyzer.js'
import type { SqlFacts, SqlStatementFacts } from './facts.js'
import { assertModeIndependent, MysqlSyntaxError, splitMysql, type MysqlStatementText } from './mysql-lexer.js'
import { isReadOnlyMysqlFunction } from './mysql-read-only-functions.js'
import { classifyMysqlStatement } from './mysql-statement.js'
import { summarize } from './summary.js'

/** Loads the MySQL parser (sqlparser-rs compiled to WebAssembly), once per process. */
export async function loadMysqlParser(): Promise<void> {
  await init()
}

/** Most statements one action may hold to be analyzed. */
const MAX_STATEMENTS = 1000

/** Words that start a client command or a compound block, which the server never reads as one statement here. */
const CLIENT_OR_COMPOUND = /^(delimiter|source|begin\s+not\s+atomic)\b/i

/**
 * Analyzes SQL bound for a MySQL or MariaDB target. Never throws. The text is cut into statements
 * by a lexer that reads it as the server does (`mysql-lexer.ts`), every statement is parsed
 * alone with sqlparser-rs's MySQL dialect, and the whole text is parsed once more: the input is
 * a `parse_error` (never read-only) unless both agree on the statements, the text reads the same
 * whether or not backslashes escape, and each piece is exactly one statement.
 * `loadMysqlParser()` must have resolved first.
 *
 * @example
 * analyzeMysql('SELECT 1 --1; DROP DATABASE x').facts.count // 2
 */
export function analyzeMysql(sql: unknown): Analysis<SqlFacts> {
  if (typeof sql !== 'string') return failed('sql is not a string')
  let pieces: MysqlStatementText[]
  try {
    assertModeIndependent(sql)
    pieces = splitMysql(sql)
  } catch (error) {
    return failed(error instanceof MysqlSyntaxError ? error.message : `could not read the SQL: ${String(error)}`)
  }
  if (pieces.length === 0) return failed('no statement')
  // Each statement is parsed alone: bound the work one submission can ask of the (synchronous) analysis.
  if (pieces.length > MAX_STATEMENTS) return failed(`${pieces.length} statements; at most ${MAX_STATEMENTS} are analyzed in one action`)
  try {
    // A final newline ends a trailing `--` comment for the parser as the end of the text does for the server.
    const whole = parse(`${sql}\n`, 'mysql')
    if (whole.length !== pieces.length) return failed(`the MySQL parser reads ${whole.length} statement(s) where the server reads ${pieces.length}`)
    const parsed: { statement: Statement; piece: MysqlStatementText }[] = []
    for (const piece of pieces) {
      if (CLIENT_OR_COMPOUND.test(piece.text)) return failed(`a client command or compound block is not one SQL statement: ${piece.text.slice(0, 40)}`)
      const one = parse(piece.text, 'mysql')
      if (one.length !== 1) return failed(`the MySQL parser reads ${one.length} statements in one the server reads as one`)
      parsed.push({ statement: one[0]!, piece })
    }
    return analyzeStatements(parsed)
  } catch (error) {
    return failed(error instanceof Error ? error.message : String(error))
  }
}

function analyzeStatements(statements: readonly { statement: Statement; piece: MysqlStatementText }[]): Analysis<SqlFacts> {
  const facts: SqlStatementFacts[] = []
  const highlights: string[] = []
  const tables: string[] = []
  const functions: string[] = []
  let readOnly = true
  let ddl = false
  let dcl = false
  for (const { statement, piece } of statements) {
    let classified = classifyMysqlStatement(statement)
    const spaced = spacedCalls(piece)
    if (spaced.length > 0 && classified.facts.read_only) {
      const risks = spaced.map((name) => `calls ${name} with a space before "(", which MySQL may resolve to a stored function of that name`)
      classified = { ...classified, facts: { ...classified.facts, read_only: false }, risks }
    }
    if (classified.facts.has_where && precedenceDiffers(piece)) {
      // sqlparser-rs binds `||` (as concatenation), `&&` and XOR tighter than `=`; MySQL binds them looser (`id = 1 || 1` is `(id = 1) OR 1`).
      classified = { ...classified, facts: { ...classified.facts, has_where: false } }
    }
    facts.push(classified.facts)
    for (const t of classified.facts.tables) if (!tables.includes(t)) tables.push(t)
    for (const f of classified.facts.functions) if (!functions.includes(f)) functions.push(f)
    for (const risk of riskLines(classified.facts, classified.risks)) if (!highlights.includes(risk)) highlights.push(risk)
    readOnly &&= classified.facts.read_only
    ddl ||= classified.ddl
    dcl ||= classified.dcl
  }
  return {
    facts: { statements: facts, read_only: readOnly, ddl, dcl, tables, functions, count: facts.length, parse_error: '', catalog_checked: false },
    summary: summarize(facts),
    highlights: highlights.slice(0, 10),
  }
}

/**
 * Allow-listed function names followed by "(" after a space or comment. With IGNORE_SPACE off
 * (the pinned sql_mode), MySQL parses `count (x)` as a call of a function named count that is not
 * the built-in one, and resolves it to a stored function of the current database if there is one.
 */
function spacedCalls(piece: MysqlStatementText): string[] {
  const names: string[] = []
  piece.tokens.forEach((token, index) => {
    const next = piece.tokens[index + 1]
    if (token.kind !== 'word' || next === undefined || next.start === token.end || piece.text.slice(next.start, next.end) !== '(') return
    const name = piece.text.slice(token.start, token.end).toLowerCase()
    if (isReadOnlyMysqlFunction(name) && !names.includes(name)) names.push(name)
  })
  return names
}

/**
 * Whether a statement uses an operator whose precedence the parser reads differently from MySQL:
 * `||`, `&&` (two adjacent punctuation tokens) or `XOR`. Its WHERE is then not trusted to limit rows.
 */
function precedenceDiffers(piece: MysqlStatementText): boolean {
  return piece.tokens.some((token, index) => {
    const text = piece.text.slice(token.start, token.end)
    if (token.kind === 'word') return text.toLowerCase() === 'xor'
    const next = piece.tokens[index + 1]
    return token.kind === 'punctuation' && (text === '|' || text === '&') && next !== undefined && next.start === token.end && piece.text.slice(next.start, next.end) === text
  })
}

/** The risky points of one statement, most serious first. */
function riskLines(f: SqlStatementFacts, hazards: readonly string[]): string[] {
  const lines: string[] = []
  const target = f.targets.join(', ')
  if ((f.type === 'update' || f.type === 'delete') && !f.has_where) lines.push(`${f.command} without WHERE on ${target}`)
  if (f.type === 'drop' || f.type === 'truncate') lines.push(`${f.command} ${target}`.trim())
  if (f.type === 'grant' || f.type === 'revoke' || f.object === 'user' || f.object === 'role') lines.push(`${f.command}: privileges change`)
  for (const hazard of hazards) if (hazard.startsWith('calls ') || hazard.startsWith('data change') || f.type === 'select') lines.push(hazard)
  return lines
}

function failed(reason: string): Analysis<SqlFacts> {
  return {
    facts: { statements: [], read_only: false, ddl: false, dcl: false, tables: [], functions: [], count: 0, parse_error: reason, catalog_checked: false },
    summary: `unparseable SQL: ${reason}`,
    highlights: ['SQL could not be analyzed, so nothing about it is known'],
  }
}

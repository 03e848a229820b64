import type { SqlStatementFacts } from './facts.js'
import { list, type Risk } from './statement-risks.js'

/** At most this many statements are named in a summary line, and this many highlights kept. */
const MAX_LABELS = 4
const MAX_HIGHLIGHTS = 10

/**
 * What one statement does, in a few words: `DELETE on public.users without WHERE`,
 * `UPDATE on orders (WHERE)`, `SELECT on users`, `DROP TABLE audit`, `GRANT on table t`; with
 * the planner's estimate when there is one: `DELETE on public.users without WHERE (~12,000 rows)`.
 */
export function statementLabel(f: SqlStatementFacts): string {
  const label = plainLabel(f)
  if (f.estimated_rows < 0) return label
  return `${label} (~${f.estimated_rows.toLocaleString('en-US')} row${f.estimated_rows === 1 ? '' : 's'})`
}

function plainLabel(f: SqlStatementFacts): string {
  const type = f.type.toUpperCase()
  // The verb is the type, prefixed by whatever wraps it (`EXPLAIN ANALYZE DELETE`, `PREPARE DELETE`).
  const hiddenInCte = f.command === 'SELECT' && f.type !== 'select'
  let verb = f.command
  if (hiddenInCte) verb = type
  else if (f.command !== type && !f.command.endsWith(` ${type}`)) verb = `${f.command} ${type}`
  const target = f.targets[0] ?? ''
  const cte = hiddenInCte ? ' (in a CTE)' : ''
  switch (f.type) {
    case 'select':
      return f.tables.length > 0 ? `${verb} on ${list(f.tables)}` : verb
    case 'insert':
    case 'merge':
      return `${verb} into ${target}${cte}`
    case 'update':
    case 'delete':
      return `${verb} on ${target} ${f.has_where ? '(WHERE)' : 'without WHERE'}${cte}`
    case 'grant':
    case 'revoke':
      return f.object === 'role' ? `${f.command} role ${list(f.targets)}` : `${f.command} on ${f.object} ${list(f.targets)}`.trim()
    case 'copy':
      return f.command === 'COPY FROM' ? `COPY into ${list(f.tables)}` : `COPY from ${list(f.tables)}`
    case 'do':
      return 'DO block'
    case 'call':
      return `CALL ${f.functions[0] ?? ''}`.trim()
    default:
      if (f.targets.length > 0) return `${f.command} ${list(f.targets)}`
      return f.tables.length > 0 ? `${f.command} on ${list(f.tables)}` : f.command
  }
}

/** One line for approvers: the statement's label, or `3 statements: …` with the first few labels. */
export function summarize(statements: readonly SqlStatementFacts[]): string {
  if (statements.length === 1 && statements[0] !== undefined) return statementLabel(statements[0])
  const labels = statements.slice(0, MAX_LABELS).map(statementLabel)
  const more = statements.length > MAX_LABELS ? `, +${statements.length - MAX_LABELS} more` : ''
  return `${statements.length} statements: ${labels.join(', ')}${more}`
}

/** The risks as highlight sentences: most serious first, then in statement order, without repeats. */
export function highlightsOf(risks: readonly Risk[]): string[] {
  const sorted = [...risks].sort((a, b) => a.rank - b.rank) // stable: keeps statement order within a rank
  const out: string[] = []
  for (const risk of sorted) if (!out.includes(risk.text)) out.push(risk.text)
  if (out.length <= MAX_HIGHLIGHTS) return out
  const kept = out.slice(0, MAX_HIGHLIGHTS - 1)
  kept.push(`+${out.length - kept.length} more risky points`)
  return kept
}

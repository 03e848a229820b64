import { parseSync } from 'libpg-query'

/**
 * The statements of one simple-query message, each as its own text, cut where the PostgreSQL
 * parser (the analyzer's) says they start and end. Text that does not parse is one statement:
 * it is submitted whole, its analysis says `parse_error`, and the policy decides on that.
 * `libpg-query`'s module must be loaded (the SQL analyzer loads it before the gateway starts).
 *
 * @example
 * splitStatements('SELECT 1; SELECT 2') // ['SELECT 1', 'SELECT 2']
 */
export function splitStatements(sql: string): string[] {
  if (sql.trim() === '') return []
  let stmts: readonly { stmt_location?: number; stmt_len?: number }[]
  try {
    stmts = (parseSync(sql) as { stmts?: { stmt_location?: number; stmt_len?: number }[] }).stmts ?? []
  } catch {
    return [sql]
  }
  // Locations are byte offsets into the UTF-8 text.
  const bytes = Buffer.from(sql, 'utf8')
  return stmts
    .map((stmt) => {
      const start = stmt.stmt_location ?? 0
      const end = stmt.stmt_len ? start + stmt.stmt_len : bytes.length
      return bytes.toString('utf8', start, end).trim()
    })
    .filter((text) => text !== '')
}

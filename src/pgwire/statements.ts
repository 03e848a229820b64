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
  return remembered(splits, sql, cutStatements)
}

function cutStatements(sql: string): string[] {
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

/** Settings that change how the server reads SQL text: the analysis read it with them pinned. */
const LEXING_SETTINGS = new Set(['standard_conforming_strings', 'backslash_quote', 'client_encoding', 'escape_string_warning'])

/**
 * Why a statement may not run through the wire gateway, or `undefined`: it sets a setting the
 * analysis depends on (`SET`, `SET LOCAL`, `set_config(…)` with that name, or with a name that is
 * not a literal), so that later statements would be read by the server otherwise than they were
 * analyzed. `RESET` is fine: it returns to the pinned values the session started with.
 *
 * @example
 * lexingSettingChange('SET standard_conforming_strings = off') // 'standard_conforming_strings …'
 */
export function lexingSettingChange(sql: string): string | undefined {
  return remembered(changes, sql, findSettingChange)
}

function findSettingChange(sql: string): string | undefined {
  let tree: unknown
  try {
    tree = parseSync(sql)
  } catch {
    return undefined
  }
  let found: string | undefined
  const visit = (node: unknown): void => {
    if (found || node === null || typeof node !== 'object') return
    if (Array.isArray(node)) return node.forEach(visit)
    const record = node as Record<string, unknown>
    const set = record['VariableSetStmt'] as { kind?: string; name?: string } | undefined
    if (set && set.kind !== 'VAR_RESET' && set.kind !== 'VAR_RESET_ALL' && LEXING_SETTINGS.has((set.name ?? '').toLowerCase())) found = `SET ${set.name}`
    const call = record['FuncCall'] as { funcname?: { String?: { sval?: string } }[]; args?: unknown[] } | undefined
    if (call && call.funcname?.at(-1)?.String?.sval?.toLowerCase() === 'set_config') {
      const name = (call.args?.[0] as { A_Const?: { sval?: { sval?: string } } } | undefined)?.A_Const?.sval?.sval
      if (name === undefined || LEXING_SETTINGS.has(name.toLowerCase())) found = `set_config(${name ?? 'a computed name'}, …)`
    }
    for (const value of Object.values(record)) visit(value)
  }
  visit(tree)
  return found
}

/**
 * Drivers send the same few statement texts again and again (parameters apart): both functions
 * above are pure, so their answers for recent texts are kept (short texts only, bounded).
 */
const REMEMBERED = 512
const REMEMBERED_CHARS = 4096
const splits = new Map<string, string[]>()
const changes = new Map<string, string | undefined>()

function remembered<T>(cache: Map<string, T>, sql: string, compute: (sql: string) => T): T {
  if (sql.length > REMEMBERED_CHARS) return compute(sql)
  if (cache.has(sql)) return cache.get(sql) as T
  const value = compute(sql)
  if (cache.size >= REMEMBERED) cache.delete(cache.keys().next().value!)
  cache.set(sql, value)
  return value
}

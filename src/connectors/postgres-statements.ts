import { loadModule, parseSync } from 'libpg-query'

/**
 * The session settings the SQL analysis assumes, pinned in every transaction the `postgres`
 * connector runs. The first three decide how the server lexes text (PostgreSQL manual, "Lexical
 * Structure"): with `standard_conforming_strings = off`, `'a\''` ends after the second quote and
 * what the analysis read as the rest of a string literal runs as statements; `backslash_quote`
 * decides whether `\'` may close a quote; the client encoding decides which bytes are quotes. The
 * last changes what a parsed statement means (`x = NULL` read as `x IS NULL`). Values a role,
 * database or connection URL (`options=-c …`) set are overridden for the transaction.
 */
export const PINNED_SETTINGS: Readonly<Record<string, string>> = {
  standard_conforming_strings: 'on',
  backslash_quote: 'off',
  client_encoding: 'UTF8',
  transform_null_equals: 'off',
}

/**
 * Settings an action may not change: the pinned ones, and the transaction's access mode, which
 * the connector chooses from the facts (read-only facts, read-only transaction).
 */
const GUARDED_SETTINGS: ReadonlySet<string> = new Set([...Object.keys(PINNED_SETTINGS), 'transaction_read_only', 'default_transaction_read_only'])

/**
 * The statements that set the pinned settings for the rest of the transaction. Sent before the
 * first statement and again before each later one, so a function an earlier statement called that
 * changed one (`set_config(…, true)`, an `UPDATE pg_settings`) cannot change how the next is read.
 * Plain SET LOCAL: it takes no snapshot, so `SET TRANSACTION ISOLATION LEVEL` still works after it.
 */
export const PIN_STATEMENTS: readonly string[] = Object.entries(PINNED_SETTINGS).map(([name, value]) => `SET LOCAL ${name} = '${value}'`)

/** {@link PIN_STATEMENTS} as one text, for the simple query protocol. */
export const PIN_SQL = PIN_STATEMENTS.join('; ')

/**
 * The same, as one query: it takes the transaction's snapshot, after which PostgreSQL refuses to
 * make a read-only transaction read-write (`SET TRANSACTION READ WRITE`, `transaction_read_only`).
 */
export const PIN_QUERY = `SELECT ${Object.entries(PINNED_SETTINGS).map(([name, value]) => `set_config('${name}', '${value}', true)`).join(', ')}`

/** One statement of the stored SQL, as the analysis saw it. */
export interface PostgresStatement {
  /** Its text, from just after the previous statement's `;` (leading comments included). */
  readonly text: string
  /** Where that text starts in the stored SQL, in characters (code points, as the server counts error positions). */
  readonly offset: number
  /**
   * It sets the transaction's characteristics (`SET TRANSACTION …`, `SET transaction_isolation`),
   * which PostgreSQL accepts only before the transaction's first query: nothing that takes a
   * snapshot (such as the identity settings' `SELECT set_config(…)`) may run before it.
   */
  readonly setsTransaction: boolean
}

/** The prefix of the identity settings: only the connector sets them, an action may not. */
export const IDENTITY_SETTING_PREFIX = 'countersign.'

/** The statements to run, or why the SQL is refused before anything runs. */
export type PostgresPlan = { readonly statements: readonly PostgresStatement[] } | { readonly refused: string }

/**
 * Splits stored SQL into its statements with the parser the analysis uses (libpg-query, its
 * statement locations), so the connector can send them one by one and the server never gets to
 * split the text its own way. Refuses, with the reason, SQL that does not parse, that splits into
 * another number of statements than `facts.count` says the analysis saw, that copies from the
 * client (`COPY … FROM STDIN`: an action has no data stream), that changes a pinned
 * setting, an identity setting (`countersign.*`, which the connector sets) or the transaction's access mode, or that controls the transaction itself: the
 * connector runs each action in one transaction of its own, which the action may not end. A
 * plain `BEGIN`/`START TRANSACTION` first and `COMMIT`/`END` last are accepted and left out,
 * since they only say what the connector does anyway; savepoints are allowed.
 *
 * @example
 * await planPostgres("SELECT 'a\\''; UPDATE t SET x = 1; --'", null) // one statement: a SELECT of a string
 */
export async function planPostgres(sql: unknown, facts: Readonly<Record<string, unknown>> | null): Promise<PostgresPlan> {
  if (typeof sql !== 'string') return { refused: 'the sql payload is not text; nothing was run' }
  // The parser reads a C string: text after a NUL would reach the server unseen.
  if (sql.includes('\0')) return { refused: 'the SQL contains a NUL character; nothing was run' }
  await loadModule()
  let parsed: readonly unknown[]
  try {
    parsed = sql.trim() === '' ? [] : (parseSync(sql).stmts ?? [])
  } catch (error) {
    return { refused: `the SQL does not parse, so its statements cannot be run as analysed (${error instanceof Error ? error.message : String(error)}); nothing was run` }
  }
  if (parsed.length === 0) return { refused: 'the SQL holds no statement; nothing was run' }
  if (facts !== null && typeof facts.count === 'number' && facts.count !== parsed.length) {
    return { refused: `the SQL splits into ${parsed.length} statements but the analysis saw ${facts.count}; nothing was run` }
  }
  const bytes = Buffer.from(sql, 'utf8')
  const statements: PostgresStatement[] = []
  for (const [index, raw] of parsed.entries()) {
    const { stmt, stmt_location: location = 0, stmt_len: length = 0 } = raw as { stmt?: unknown; stmt_location?: number; stmt_len?: number }
    const text = bytes.subarray(location, length === 0 ? bytes.length : location + length).toString('utf8')
    const offset = [...bytes.subarray(0, location).toString('utf8')].length
    const transaction = transactionKind(stmt)
    if (transaction !== undefined) {
      if (index === 0 && PLAIN_BEGIN.has(transaction.kind) && !transaction.options) continue
      if (index === parsed.length - 1 && transaction.kind === 'TRANS_STMT_COMMIT' && !transaction.chain) continue
      if (!SUBTRANSACTION_KINDS.has(transaction.kind)) {
        return { refused: `statement ${index + 1} controls the transaction (${commandOf(transaction.kind)}), but the connector runs the action in one transaction of its own that the action may not end or restart; nothing was run` }
      }
    }
    if (copiesFromClient(stmt)) {
      // The action carries no data to send; over the extended protocol the driver could not even end the COPY.
      return { refused: `statement ${index + 1} is COPY … FROM STDIN, but an action has no data stream to send; nothing was run` }
    }
    const changed = guardedChange(stmt)
    if (changed !== undefined) {
      return { refused: `statement ${index + 1} changes ${changed}, which the connector pins for the whole action; nothing was run` }
    }
    statements.push({ text, offset, setsTransaction: setsTransaction(stmt) })
  }
  if (statements.length === 0) return { refused: 'the SQL holds only transaction control; nothing was run' }
  return { statements }
}

const PLAIN_BEGIN: ReadonlySet<string> = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START'])
const SUBTRANSACTION_KINDS: ReadonlySet<string> = new Set(['TRANS_STMT_SAVEPOINT', 'TRANS_STMT_RELEASE', 'TRANS_STMT_ROLLBACK_TO'])

function transactionKind(stmt: unknown): { kind: string; options: boolean; chain: boolean } | undefined {
  const node = isObject(stmt) && isObject(stmt.TransactionStmt) ? stmt.TransactionStmt : undefined
  if (node === undefined) return undefined
  return { kind: String(node.kind), options: Array.isArray(node.options) && node.options.length > 0, chain: node.chain === true }
}

function setsTransaction(stmt: unknown): boolean {
  const set = isObject(stmt) && isObject(stmt.VariableSetStmt) ? stmt.VariableSetStmt : undefined
  return set !== undefined && String(set.name ?? '').toLowerCase().startsWith('transaction')
}

function copiesFromClient(stmt: unknown): boolean {
  const copy = isObject(stmt) && isObject(stmt.CopyStmt) ? stmt.CopyStmt : undefined
  return copy !== undefined && copy.is_from === true && copy.is_program !== true && copy.filename === undefined
}

function commandOf(kind: string): string {
  return kind.replace(/^TRANS_STMT_/, '').replaceAll('_', ' ')
}

/**
 * The guarded setting a statement changes, described, or undefined. Looks at SET/RESET, `SET
 * TRANSACTION`/`SET SESSION CHARACTERISTICS` with an access mode, and every `set_config` call in
 * the tree whose setting name is not a plain literal naming an unguarded setting.
 */
function guardedChange(stmt: unknown): string | undefined {
  const set = isObject(stmt) && isObject(stmt.VariableSetStmt) ? stmt.VariableSetStmt : undefined
  if (set !== undefined) {
    if (set.kind === 'VAR_RESET_ALL') return 'every setting (RESET ALL)'
    const name = String(set.name ?? '').toLowerCase()
    if (GUARDED_SETTINGS.has(name) || name.startsWith(IDENTITY_SETTING_PREFIX)) return name
    if ((name === 'transaction' || name === 'session characteristics') && Array.isArray(set.args)) {
      const modes = set.args.some((arg) => isObject(arg) && isObject(arg.DefElem) && arg.DefElem.defname === 'transaction_read_only')
      if (modes) return "the transaction's access mode (READ ONLY/READ WRITE)"
    }
  }
  return setConfigChange(stmt)
}

function setConfigChange(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = setConfigChange(item)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (!isObject(node)) return undefined
  const call = isObject(node.FuncCall) ? node.FuncCall : undefined
  if (call !== undefined && isSetConfig(call.funcname)) {
    const name = Array.isArray(call.args) ? literalText(call.args[0]) : undefined
    if (name === undefined) return 'a setting named by an expression (set_config)'
    const setting = name.trim().toLowerCase()
    if (GUARDED_SETTINGS.has(setting) || setting.startsWith(IDENTITY_SETTING_PREFIX)) return `${setting} (set_config)`
  }
  for (const key in node) {
    const found = setConfigChange(node[key])
    if (found !== undefined) return found
  }
  return undefined
}

function isSetConfig(funcname: unknown): boolean {
  if (!Array.isArray(funcname)) return false
  const parts = funcname.map((part) => (isObject(part) && isObject(part.String) ? String(part.String.sval).toLowerCase() : ''))
  return parts.at(-1) === 'set_config' && (parts.length === 1 || (parts.length === 2 && parts[0] === 'pg_catalog'))
}

/** The text of a string constant, also when cast (`'x'::text`); undefined for anything else. */
function literalText(node: unknown): string | undefined {
  if (!isObject(node)) return undefined
  if (isObject(node.TypeCast)) return literalText(node.TypeCast.arg)
  const constant = isObject(node.A_Const) ? node.A_Const : undefined
  return constant !== undefined && isObject(constant.sval) && typeof constant.sval.sval === 'string' ? constant.sval.sval : undefined
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

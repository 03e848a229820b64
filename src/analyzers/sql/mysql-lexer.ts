/**
 * How MySQL and MariaDB cut SQL text into tokens and statements, read the way their server lexer
 * reads it (sql_lex.cc), for the one `sql_mode` the mysql connector pins (see
 * {@link MYSQL_SESSION_SQL_MODE}): backslashes escape in '…' and "…", `"` quotes a string
 * (no ANSI_QUOTES), `||` is OR (no PIPES_AS_CONCAT). Comments: `#` to the end of the line,
 * `-- ` only when `--` is followed by a space, a control character or the end of the text (so
 * `1 --1` is `1 - -1`), and `/* … *\/`, which does not nest. There is no dollar quoting: `$` is an
 * identifier character, so `@$q$` is a user variable.
 *
 * Whatever could make the server read the text differently from this lexer is refused with a
 * {@link MysqlSyntaxError} rather than guessed at: executable comments (`/*! … *\/`, `/*M! … *\/`),
 * optimizer hints (`/*+ … *\/`), a `/*` inside a comment, unterminated quotes or comments,
 * a backslash outside quotes (the client's `\G`, `\g`, `\c`…), control characters other than
 * tab, line feed and carriage return, and NUL.
 */

/** The `sql_mode` the mysql connector sets for every session, which this lexer assumes. */
export const MYSQL_SESSION_SQL_MODE = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'

/** Text that MySQL may read in a way this lexer cannot vouch for. */
export class MysqlSyntaxError extends Error {
  override readonly name = 'MysqlSyntaxError'
}

/** Kinds of tokens; comments and whitespace are kept out of the token list. */
export type MysqlTokenKind = 'word' | 'quoted-identifier' | 'string' | 'number' | 'variable' | 'punctuation' | 'semicolon'

/** One token: its kind and its place in the text (`end` exclusive). */
export interface MysqlToken {
  readonly kind: MysqlTokenKind
  readonly start: number
  readonly end: number
}

/** How backslashes act inside quotes: the server default, or under NO_BACKSLASH_ESCAPES / ANSI_QUOTES. */
export interface MysqlLexMode {
  /** Backslash escapes the next character inside '…'. False under NO_BACKSLASH_ESCAPES. */
  readonly escapesInSingle: boolean
  /** Backslash escapes inside "…". False under NO_BACKSLASH_ESCAPES and under ANSI_QUOTES (then "…" is an identifier). */
  readonly escapesInDouble: boolean
}

/** The pinned mode ({@link MYSQL_SESSION_SQL_MODE}). */
export const PINNED_MODE: MysqlLexMode = { escapesInSingle: true, escapesInDouble: true }
/** Other modes a server that Countersign does not connect to may run in. */
export const OTHER_MODES: readonly MysqlLexMode[] = [
  { escapesInSingle: false, escapesInDouble: false }, // NO_BACKSLASH_ESCAPES
  { escapesInSingle: true, escapesInDouble: false }, // ANSI_QUOTES
]

/** MySQL's identifier characters: ASCII letters, digits, `_`, `$`, and everything from U+0080. */
function isWordChar(c: string): boolean {
  const code = c.charCodeAt(0)
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36 || code >= 0x80
}
const isDigit = (c: string) => c >= '0' && c <= '9'
/** MySQL's my_isspace/my_iscntrl for the ASCII range: what may follow `--` for it to start a comment. */
const endsDashDash = (c: string | undefined) => c === undefined || c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f

/**
 * The tokens of `text` as MySQL's lexer reads them in `mode`; throws {@link MysqlSyntaxError} on
 * anything it cannot vouch for.
 *
 * @example
 * lexMysql('SELECT 1 --1').map((t) => t.kind) // ['word', 'number', 'punctuation', 'punctuation', 'number']
 */
export function lexMysql(text: string, mode: MysqlLexMode = PINNED_MODE): MysqlToken[] {
  const tokens: MysqlToken[] = []
  const bad = text.match(/[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/)
  if (bad) throw new MysqlSyntaxError(`control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} at offset ${bad.index}`)
  let i = 0
  const push = (kind: MysqlTokenKind, start: number) => tokens.push({ kind, start, end: i })
  while (i < text.length) {
    const c = text[i]!
    const next = text[i + 1]
    const start = i
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
    } else if (c === '#' || (c === '-' && next === '-' && endsDashDash(text[i + 2]))) {
      const newline = text.indexOf('\n', i)
      i = newline < 0 ? text.length : newline + 1
    } else if (c === '/' && next === '*') {
      const body = text[i + 2]
      if (body === '!' || (body === 'M' && text[i + 3] === '!')) throw new MysqlSyntaxError(`executable comment at offset ${i}: the server runs what it holds`)
      if (body === '+') throw new MysqlSyntaxError(`optimizer hint comment at offset ${i}`)
      const close = text.indexOf('*/', i + 2)
      if (close < 0) throw new MysqlSyntaxError(`unterminated comment at offset ${i}`)
      if (text.slice(i + 2, close).includes('/*')) throw new MysqlSyntaxError(`"/*" inside a comment at offset ${i}: comments do not nest in MySQL, but may in some versions`)
      i = close + 2
    } else if (c === "'" || c === '"') {
      i = quoted(text, i, c, c === "'" ? mode.escapesInSingle : mode.escapesInDouble)
      push('string', start)
    } else if (c === '`') {
      i = quoted(text, i, '`', false)
      push('quoted-identifier', start)
    } else if ((c === 'x' || c === 'X' || c === 'b' || c === 'B') && next === "'") {
      // Hex and bit literals take no escapes: digits, then the closing quote, or the server fails.
      const close = text.indexOf("'", i + 2)
      const digits = close < 0 ? undefined : text.slice(i + 2, close)
      if (digits === undefined || !(c === 'x' || c === 'X' ? /^[0-9A-Fa-f]*$/ : /^[01]*$/).test(digits)) throw new MysqlSyntaxError(`malformed ${c}'…' literal at offset ${i}`)
      i = close + 1
      push('string', start)
    } else if (c === '@') {
      i++
      if (text[i] === '@') i++
      const q = text[i]
      if (q === "'" || q === '"' || q === '`') i = quoted(text, i, q, q === '`' ? false : q === "'" ? mode.escapesInSingle : mode.escapesInDouble)
      else while (i < text.length && (isWordChar(text[i]!) || text[i] === '.')) i++
      push('variable', start)
    } else if (isDigit(c) || (c === '.' && next !== undefined && isDigit(next))) {
      // Digits followed by letters make an identifier (`1abc`); either way no special character is swallowed.
      while (i < text.length && (isWordChar(text[i]!) || text[i] === '.')) i++
      push('number', start)
    } else if (isWordChar(c)) {
      while (i < text.length && isWordChar(text[i]!)) i++
      push('word', start)
    } else if (c === ';') {
      i++
      push('semicolon', start)
    } else if (c === '\\') {
      throw new MysqlSyntaxError(`backslash outside quotes at offset ${i} (a client command such as \\G is not SQL)`)
    } else {
      i++
      push('punctuation', start)
    }
  }
  return tokens
}

/** The offset just past the quote that closes the one at `open`; doubled quotes and (when `escapes`) backslashes escape. */
function quoted(text: string, open: number, quote: string, escapes: boolean): number {
  let i = open + 1
  while (i < text.length) {
    const c = text[i]!
    if (escapes && c === '\\') i += 2
    else if (c === quote && text[i + 1] === quote) i += 2
    else if (c === quote) return i + 1
    else i++
  }
  throw new MysqlSyntaxError(`unterminated ${quote} quote at offset ${open}`)
}

/** One statement of a text: its own text (comments inside kept) and its tokens. */
export interface MysqlStatementText {
  readonly text: string
  readonly tokens: readonly MysqlToken[]
}

/**
 * The statements of `text` as the server splits it at top-level `;`, in the pinned mode:
 * each one's text, to be sent to the server alone. Empty statements (only comments) are left out.
 * Throws {@link MysqlSyntaxError} as {@link lexMysql} does.
 *
 * @example
 * splitMysql('SELECT 1 --1; DROP DATABASE x').map((s) => s.text) // ['SELECT 1 --1', 'DROP DATABASE x']
 */
export function splitMysql(text: string, mode: MysqlLexMode = PINNED_MODE): MysqlStatementText[] {
  const statements: MysqlStatementText[] = []
  let current: MysqlToken[] = []
  const flush = () => {
    if (current.length === 0) return
    const from = current[0]!.start
    const to = current[current.length - 1]!.end
    statements.push({ text: text.slice(from, to), tokens: current.map((t) => ({ ...t, start: t.start - from, end: t.end - from })) })
    current = []
  }
  for (const token of lexMysql(text, mode)) {
    if (token.kind === 'semicolon') flush()
    else current.push(token)
  }
  flush()
  return statements
}

/**
 * Throws unless `text` has the same tokens in every `sql_mode` a server may run in: a string whose
 * end depends on whether backslashes escape (`'a\'; DELETE …'`) reads as different statements on
 * a server with NO_BACKSLASH_ESCAPES or ANSI_QUOTES, so it is refused rather than read one way.
 */
export function assertModeIndependent(text: string): void {
  const pinned = lexMysql(text, PINNED_MODE)
  for (const mode of OTHER_MODES) {
    let other: MysqlToken[]
    try {
      other = lexMysql(text, mode)
    } catch (error) {
      throw new MysqlSyntaxError(`the text reads differently when backslashes do not escape (NO_BACKSLASH_ESCAPES or ANSI_QUOTES): ${error instanceof Error ? error.message : String(error)}`)
    }
    const same = other.length === pinned.length && other.every((t, k) => t.start === pinned[k]!.start && t.end === pinned[k]!.end && t.kind === pinned[k]!.kind)
    if (!same) throw new MysqlSyntaxError('a quoted string ends elsewhere when backslashes do not escape (NO_BACKSLASH_ESCAPES or ANSI_QUOTES), so the server may read other statements')
  }
}

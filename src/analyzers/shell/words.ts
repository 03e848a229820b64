import type { Node } from 'web-tree-sitter'

/** One shell word after quote removal, as a program would receive it where that is knowable. */
export interface Word {
  /** Quotes and escapes removed; expansions and substitutions kept as written (`"$HOME/x"` → `$HOME/x`). */
  readonly text: string
  /** Part of it is only known at run time: a variable, a substitution, a glob or a brace expansion. */
  readonly dynamic: boolean
  /** It starts with an unquoted `~`, which bash replaces with a home directory. */
  readonly tilde?: boolean
}

/** Node types whose value the shell computes at run time. */
const EXPANSIONS: ReadonlySet<string> = new Set([
  'simple_expansion',
  'expansion',
  'command_substitution',
  'process_substitution',
  'arithmetic_expansion',
])

/** `/bin/rm` → `rm`; a path ending in `/` keeps its last name. */
export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '')
  const slash = trimmed.lastIndexOf('/')
  return trimmed === '' ? path : trimmed.slice(slash + 1)
}

/** A word that is exactly what it says, e.g. an element of an `argv` payload. */
export function literal(text: string): Word {
  return { text, dynamic: false }
}

/**
 * Evaluates a word node (`word`, `string`, `raw_string`, `concatenation`…) the way the shell
 * would before running a command, except that expansions stay as written.
 *
 * @example evaluateWord(nodeOf(`'a b'`)) // { text: 'a b', dynamic: false }
 */
export function evaluateWord(node: Node): Word {
  const state = { dynamic: false }
  const text = evaluate(node, state)
  return node.text.startsWith('~') ? { text, dynamic: state.dynamic, tilde: true } : { text, dynamic: state.dynamic }
}

interface State {
  dynamic: boolean
}

function evaluate(node: Node, state: State): string {
  switch (node.type) {
    case 'word':
      return unquotedWord(node.text, state)
    case 'raw_string':
      return stripQuotes(node.text, "'", 1)
    case 'string':
      markExpansions(node, state)
      return unescapeDoubleQuoted(stripQuotes(node.text, '"', 1))
    case 'translated_string':
      markExpansions(node, state)
      return unescapeDoubleQuoted(stripQuotes(node.text, '"', 2))
    case 'ansi_c_string':
      return decodeAnsiC(stripQuotes(node.text, "'", 2))
    case 'concatenation':
    case 'command_name': {
      let out = ''
      // The unquoted text, quoted parts blanked: globs and braces span children (`/bin/[r]m`
      // arrives as the words `/bin/`, `[`, `r`, `]`, `m`).
      let plain = ''
      for (const child of node.children) {
        if (!child) continue
        out += evaluate(child, state)
        plain += child.type === 'word' ? child.text.replace(/\\./gs, '_') : '_'
      }
      if (isGlob(plain) || isBraceExpansion(plain)) state.dynamic = true
      return out
    }
    case 'number':
      return node.text
    default:
      // Expansions, and any node type this code does not know: keep the text, and since its
      // value is not known, treat it as computed at run time.
      if (EXPANSIONS.has(node.type) || node.namedChildCount > 0 || node.isNamed) state.dynamic = true
      return node.text
  }
}

function markExpansions(node: Node, state: State): void {
  for (const child of node.namedChildren) {
    if (child && EXPANSIONS.has(child.type)) state.dynamic = true
  }
}

/** Removes the quotes of a quoted word; an unterminated one (only in invalid input) keeps its tail. */
function stripQuotes(text: string, quote: string, open: number): string {
  const closed = text.length > open && text.endsWith(quote)
  return text.slice(open, closed ? -1 : undefined)
}

/** Unquoted text: a backslash quotes the next character; unescaped `*`, `?` or `[…]` make a glob. */
function unquotedWord(raw: string, state: State): string {
  if (!raw.includes('\\')) {
    if (isGlob(raw)) state.dynamic = true
    return raw
  }
  let out = ''
  let plain = ''
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string
    if (ch === '\\' && i + 1 < raw.length) {
      const next = raw[++i] as string
      if (next !== '\n') out += next
      plain += '_'
    } else {
      out += ch
      plain += ch
    }
  }
  if (isGlob(plain)) state.dynamic = true
  return out
}

/** `{a,b}` or `{1..3}`, which bash expands into several words. */
function isBraceExpansion(text: string): boolean {
  return /\{[^}]*(,|\.\.)[^}]*\}/.test(text)
}

function isGlob(text: string): boolean {
  if (text.includes('*') || text.includes('?')) return true
  // A lone `[` is the test command; only `[…]` is a bracket pattern.
  const open = text.indexOf('[')
  return open !== -1 && text.indexOf(']', open + 1) !== -1
}

/** Inside double quotes a backslash only escapes `$`, `` ` ``, `"`, `\` and a newline. */
function unescapeDoubleQuoted(inner: string): string {
  if (!inner.includes('\\')) return inner
  return inner.replace(/\\([$`"\\\n])/g, (_, ch: string) => (ch === '\n' ? '' : ch))
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
}

/**
 * Decodes `$'…'` escapes (`\n`, `\x72`, `\0155`…), decoded because `$'\x72m'` is a way to spell
 * `rm` past a naive filter. `printf` and `echo -e` understand nearly the same escapes.
 */
export function decodeAnsiC(inner: string): string {
  return inner.replace(
    /\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)/gs,
    (whole, esc: string) => {
      const kind = esc[0] as string
      if (kind === 'x' || kind === 'u' || kind === 'U') return fromCodePoint(parseInt(esc.slice(1), 16), whole)
      if (kind >= '0' && kind <= '7') return fromCodePoint(parseInt(esc, 8), whole)
      if (kind === 'c' && esc.length === 2) return String.fromCharCode(esc.charCodeAt(1) & 0x1f)
      return SIMPLE_ESCAPES[esc] ?? whole
    },
  )
}

function fromCodePoint(code: number, fallback: string): string {
  return code <= 0x10ffff ? String.fromCodePoint(code) : fallback
}

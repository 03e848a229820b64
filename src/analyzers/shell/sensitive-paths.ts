/*
 * Files that hold secrets, matched against a word the way the shell may expand it: a glob
 * (`/etc/shado[w]`, `~/.aws/credential?`), a brace expansion or a variable (`/proc/$PPID/environ`)
 * may name them without spelling them, so such parts count as "anything" and a word is
 * sensitive when some expansion of it could be a sensitive path.
 */

/**
 * One position of a pattern: `any` is a string of any characters (a variable may hold `/`),
 * `segment` one of characters other than `/` (a glob `*`: bash never matches `/` with it), `one`
 * a single character that `accepts` allows.
 */
interface Token {
  readonly kind: 'any' | 'segment' | 'one'
  readonly accepts: (ch: string) => boolean
  /** A character it accepts, tried first when looking for one two tokens share. */
  readonly sample: string
  /** The one character it accepts, when it is a literal character; null otherwise. */
  readonly exact: string | null
}

const STAR: Token = { kind: 'any', accepts: () => true, sample: 'x', exact: null }
const SEGMENT: Token = { kind: 'segment', accepts: (ch) => ch !== '/', sample: 'x', exact: null }
/** `?`: one character, never `/`. */
const ANY_CHAR: Token = { kind: 'one', accepts: (ch) => ch !== '/', sample: 'x', exact: null }

/** Literal characters are shared: words repeat the same few. */
const CHARS = new Map<string, Token>()

function char(ch: string): Token {
  let token = CHARS.get(ch)
  if (token === undefined) {
    token = { kind: 'one', accepts: (other) => other === ch, sample: ch, exact: ch }
    if (CHARS.size < 4096) CHARS.set(ch, token)
  }
  return token
}

/**
 * Sensitive locations as patterns in which `*` stands for any string. Each starts with `*` so that
 * it matches inside an option (`--file=/etc/shadow`, `if=/proc/1/mem`) and under any prefix.
 */
const SENSITIVE_PATTERNS: readonly string[] = [
  // Another process's memory, environment, command line and open files: the gateway's own when
  // the command runs as its user (`/proc/$PPID/environ`, `/proc/self/environ`).
  '*/proc/*/environ*', '*/proc/*/cmdline*', '*/proc/*/mem*', '*/proc/*maps*', '*/proc/*/fd/*', '*/proc/*/fdinfo/*',
  '*/proc/*/root/*', '*/proc/*/cwd/*', '*/proc/*/auxv*', '*/proc/*/pagemap*', '*/proc/*/stack*', '*/proc/*/syscall*',
  '*/proc/*/io*', '*/proc/*/personality*', '*/proc/kcore*', '*/dev/mem*', '*/dev/kmem*', '*/dev/port*',
  // Password and key files of the system and of users.
  '*etc/shadow*', '*etc/gshadow*', '*etc/sudoers*', '*etc/ssh/*key*', '*etc/ssl/private*', '*etc/krb5.keytab*',
  '*.ssh/*', '*id_rsa*', '*id_dsa*', '*id_ecdsa*', '*id_ed25519*', '*.pem', '*.key', '*.p12', '*.pfx', '*.keytab',
  '*.aws/*', '*.kube/config*', '*.pgpass*', '*.netrc*', '*.docker/config.json*', '*.git-credentials*', '*.npmrc*',
  '*.pypirc*', '*.config/gcloud*', '*.azure/*', '*.gnupg/*', '*.vault-token*', '*.my.cnf*', '*.env', '*.env.*', '*.envrc*',
  '*.bash_history*', '*.psql_history*', '*.mysql_history*', '*secrets*', '*credentials*',
  // The gateway's own data directory (default `.countersign`), signing key, demo tokens and config.
  '*.countersign*', '*audit-ed25519*', '*quickstart-tokens*', '*countersign.y*ml*',
]

function compile(pattern: string): Token[] {
  return [...pattern].map((ch) => (ch === '*' ? STAR : char(ch)))
}

/** Patterns with a directory in them (`/proc/PID/environ`, `.aws/credentials`): a glob or variable may reach them. */
const PATH_PATTERNS: readonly (readonly Token[])[] = SENSITIVE_PATTERNS.filter((pattern) => pattern.slice(1).includes('/')).map(compile)
/**
 * Patterns on a file name alone (`*.env`, `*.pem`, `*secrets*`): there a `*` or a variable in the
 * word would match almost anything (`ls *` might list `prod.env`), so only its literal characters
 * and `?`/`[…]` positions are compared, and such a word is left to `globs`.
 */
const NAME_PATTERNS: readonly (readonly Token[])[] = SENSITIVE_PATTERNS.filter((pattern) => !pattern.slice(1).includes('/')).map(compile)

/**
 * The same patterns for words without expansions, as their literal parts between the `*`s: a
 * word matches when the parts occur in order, the last at its end unless the pattern ends with `*`.
 */
const LITERAL_PATTERNS: readonly (readonly string[])[] = SENSITIVE_PATTERNS.map((pattern) => pattern.split('*'))

/** Whether `text` matches a pattern of `*`s and literal `parts` (`*a*b` → `['', 'a', 'b']`). */
function matchesParts(text: string, parts: readonly string[]): boolean {
  const last = parts.length - 1
  const first = parts[0] as string
  if (!text.startsWith(first)) return false
  if (last === 0) return text.length === first.length
  let at = first.length
  for (let i = 1; i < last; i++) {
    const part = parts[i] as string
    const found = text.indexOf(part, at)
    if (found === -1) return false
    at = found + part.length
  }
  // The leftmost placement of the middle parts leaves the most room for the last one.
  const tail = parts[last] as string
  return text.length - tail.length >= at && text.endsWith(tail)
}

function literalMatch(word: string): boolean {
  for (const parts of LITERAL_PATTERNS) if (matchesParts(word, parts)) return true
  return false
}

/** Words already judged, per kind of question: analyses see the same words again and again. */
const JUDGED = new Map<string, boolean>()
const JUDGED_MAX = 20_000

function remembered(key: string, judge: () => boolean): boolean {
  if (key.length > MAX_PATTERN_WORD) return judge()
  const known = JUDGED.get(key)
  if (known !== undefined) return known
  const value = judge()
  // A full table starts again: cheap, and bounded whatever the input.
  if (JUDGED.size >= JUDGED_MAX) JUDGED.clear()
  JUDGED.set(key, value)
  return value
}
/** Longer words with expansions are not searched (the search grows with length × pattern): they count as sensitive. */
const MAX_PATTERN_WORD = 512

function matches(tokens: readonly Token[]): boolean {
  if (PATH_PATTERNS.some((pattern) => intersects(tokens, pattern))) return true
  const fixed = tokens.filter((token) => token.kind === 'one')
  return NAME_PATTERNS.some((pattern) => intersects(fixed, pattern))
}

/**
 * Whether `word` may name a file holding secrets. `expands` says whether the shell expands it
 * (it has a glob, brace, tilde or expansion); then those parts may stand for anything.
 *
 * @example isSensitivePath('/proc/$PPID/environ', true) // true
 * @example isSensitivePath('/etc/shado[w]', true) // true
 * @example isSensitivePath('/etc/hosts', false) // false
 */
export function isSensitivePath(word: string, expands: boolean): boolean {
  return remembered((expands ? 'e' : 'l') + word, () => judgeSensitive(word, expands))
}

function judgeSensitive(word: string, expands: boolean): boolean {
  if (!expands) {
    if (literalMatch(word)) return true
    const normal = normalize(word)
    return normal !== word && literalMatch(normal)
  }
  if (word.length > MAX_PATTERN_WORD) return true
  const normal = normalize(word)
  const forms = normal === word ? [patternOf(word)] : [patternOf(word), patternOf(normal)]
  // A word that is nothing but an expansion (`$F`, `$((n))`) says nothing about where it points:
  // it is in `globs`, which is where a policy refuses it.
  if (forms.every((tokens) => tokens.every((token) => token.kind !== 'one'))) return false
  return forms.some(matches)
}

/** Where secrets live on a system, as absolute patterns: a directory above one of them holds one. */
const SECRET_LOCATIONS: readonly (readonly Token[])[] = [
  '/proc/*/environ', '/proc/*/cmdline', '/proc/*/mem', '/proc/*/maps', '/proc/*/fd/*', '/proc/*/root/*', '/proc/kcore',
  '/etc/shadow', '/etc/gshadow', '/etc/sudoers', '/etc/ssh/*key*', '/etc/ssl/private/*', '/root/*', '/home/*/.*', '/var/lib/*countersign*',
  '/dev/mem',
].map((pattern) => [...pattern].map((ch) => (ch === '*' ? STAR : char(ch))))

/**
 * Whether a directory given to a recursive reader (`grep -r x /proc`, `rg token ~`) may hold a
 * secret file: it is one of the sensitive paths, or an absolute (or home) directory above where
 * secrets live (`/`, `/proc/1`, `/etc`, `~`).
 */
export function containsSensitivePath(word: string, expands: boolean): boolean {
  if (isSensitivePath(word, expands)) return true
  return remembered((expands ? 'E' : 'L') + word, () => holdsSecretLocation(word, expands))
}

function holdsSecretLocation(word: string, expands: boolean): boolean {
  if (!word.startsWith('/') && !word.startsWith('~') && !/^\$\{?HOME\b/.test(word)) return false
  const base = expands ? patternOf(word) : literalTokens(normalize(word))
  const tail = base.at(-1)
  const tokens = tail !== undefined && tail.kind === 'one' && tail.sample === '/' ? [...base, STAR] : [...base, char('/'), STAR]
  return SECRET_LOCATIONS.some((pattern) => intersects(tokens, pattern))
}

/** `/etc//./shadow` → `/etc/shadow`; `a/b/../c` → `a/c`. */
function normalize(path: string): string {
  if (!path.includes('//') && !path.includes('/.') && !path.startsWith('.')) return path
  let out = path.replace(/\/{2,}/g, '/').replace(/(^|\/)\.(\/|$)/g, '$1')
  for (;;) {
    const next = out.replace(/(^|\/)(?!\.\.\/)[^/]+\/\.\.(\/|$)/, '$1')
    if (next === out) return out
    out = next
  }
}

function literalTokens(text: string): Token[] {
  return [...text].map(char)
}

/**
 * The word as a pattern: `*`, `$NAME`, `${…}`, `$(…)`, backticks, `{a,b}`, `~user` and extglob
 * groups become `*`; `?` any one character; `[…]` a bracket set. Quoted glob characters are
 * taken as globs too, which can only make more words sensitive.
 */
function patternOf(word: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  // A home directory (`~`, `~user`, `$HOME`) is somewhere like /home/user, not any path at all.
  const home = /^(~[A-Za-z0-9._-]*|\$HOME\b|\$\{HOME\})/.exec(word)
  if (home !== null) {
    tokens.push(...literalTokens('/home/user'))
    i = home[0].length
  }
  while (i < word.length) {
    const ch = word[i] as string
    if (ch === '$' || ch === '`') {
      tokens.push(STAR)
      i = skipExpansion(word, i)
      continue
    }
    if ((ch === '@' || ch === '!' || ch === '+' || ch === '*' || ch === '?') && word[i + 1] === '(') {
      tokens.push(STAR)
      i = skipBalanced(word, i + 1, '(', ')')
      continue
    }
    if (ch === '*') tokens.push(SEGMENT)
    else if (ch === '?') tokens.push(ANY_CHAR)
    else if (ch === '{' && word.indexOf('}', i) !== -1) {
      tokens.push(STAR)
      i = skipBalanced(word, i, '{', '}')
      continue
    } else if (ch === '[' && word.indexOf(']', i + 2) !== -1) {
      const end = word.indexOf(']', i + 2)
      tokens.push(bracket(word.slice(i + 1, end)))
      i = end + 1
      continue
    } else if (ch === '\\' && i + 1 < word.length) {
      tokens.push(char(word[i + 1] as string))
      i += 2
      continue
    } else tokens.push(char(ch))
    i++
  }
  return tokens
}

/** `[abc]`, `[a-z]`, `[!x]`, `[^x]`; character classes such as `[[:alpha:]]` accept anything but `/`. */
function bracket(body: string): Token {
  const negated = body.startsWith('!') || body.startsWith('^')
  const set = negated ? body.slice(1) : body
  if (set.includes('[:')) return ANY_CHAR
  const accepts = (ch: string): boolean => {
    for (let k = 0; k < set.length; k++) {
      const low = set[k] as string
      if (set[k + 1] === '-' && k + 2 < set.length) {
        if (ch >= low && ch <= (set[k + 2] as string)) return true
        k += 2
      } else if (ch === low) return true
    }
    return false
  }
  if (negated) return { kind: 'one', accepts: (ch) => ch !== '/' && !accepts(ch), sample: 'x', exact: null }
  return { kind: 'one', accepts: (ch) => ch !== '/' && accepts(ch), sample: set[0] ?? 'x', exact: null }
}

function skipExpansion(word: string, at: number): number {
  if (word[at] === '`') {
    const end = word.indexOf('`', at + 1)
    return end === -1 ? word.length : end + 1
  }
  const next = word[at + 1]
  if (next === '{') return skipBalanced(word, at + 1, '{', '}')
  if (next === '(') return skipBalanced(word, at + 1, '(', ')')
  if (next === '[') return skipBalanced(word, at + 1, '[', ']')
  let i = at + 1
  if (i < word.length && /[0-9$#?!*@-]/.test(word[i] as string)) return i + 1
  while (i < word.length && /[A-Za-z0-9_]/.test(word[i] as string)) i++
  return i
}

/** Index just past the bracket matching the one at `at`; the end of the word when unbalanced. */
function skipBalanced(word: string, at: number, open: string, close: string): number {
  let depth = 0
  for (let i = at; i < word.length; i++) {
    if (word[i] === open) depth++
    else if (word[i] === close && --depth === 0) return i + 1
  }
  return word.length
}

/**
 * Whether some string matches both patterns: a search over pairs of positions. A `any` or
 * `segment` token may end (move past it) or take one more character; a `one` token takes one.
 * A step takes a character both current tokens accept.
 */
function intersects(a: readonly Token[], b: readonly Token[]): boolean {
  const width = b.length + 1
  const seen = new Uint8Array((a.length + 1) * width)
  const stack: number[] = [0]
  while (stack.length > 0) {
    const key = stack.pop() as number
    if (seen[key] === 1) continue
    seen[key] = 1
    const i = Math.floor(key / width)
    const j = key - i * width
    if (i === a.length && j === b.length) return true
    const x = a[i]
    const y = b[j]
    if (x !== undefined && x.kind !== 'one') stack.push(key + width)
    if (y !== undefined && y.kind !== 'one') stack.push(key + 1)
    if (x === undefined || y === undefined || (x.kind !== 'one' && y.kind !== 'one')) continue
    if (shareCharacter(x, y)) stack.push(key + (x.kind === 'one' ? width : 0) + (y.kind === 'one' ? 1 : 0))
  }
  return false
}

function shareCharacter(x: Token, y: Token): boolean {
  if (x.exact !== null) return y.accepts(x.exact)
  if (y.exact !== null) return x.accepts(y.exact)
  if (x.accepts(y.sample) && y.accepts(y.sample)) return true
  if (y.accepts(x.sample) && x.accepts(x.sample)) return true
  for (let code = 32; code < 127; code++) {
    const ch = String.fromCharCode(code)
    if (x.accepts(ch) && y.accepts(ch)) return true
  }
  return false
}

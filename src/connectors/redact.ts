import type { ExecutionResult } from './connector.js'

const MASK = '***'
/**
 * Any piece of a secret worth 6 characters of it is masked wherever it appears, so that a secret
 * printed in parts (`${S:0:6} ${S:6}`) or cut by line breaks shows `***` for each part: 6
 * characters as written (or URL-/JSON-escaped), 8 of its base64, 12 of its hex. Shorter pieces are
 * not: at this length an ordinary word or checksum of the output seldom matches a piece of a
 * real credential by chance, while a secret printed in pieces of 5 characters or less is still
 * seen (see the limits on {@link Redactor}).
 */
const PIECE = { plain: 6, base64: 8, hex: 12 } as const
/** Bits of the hash that filters where a piece may start (a 2^20-bit table, 128KiB). */
const START_BITS = 20
/** Shorter tails of a secret left at the end of a cut text are not worth hiding (and would mask ordinary text). */
const MIN_TAIL = 4

/** A form of a secret and the length of the pieces of it that are masked (0: only whole). */
interface Form {
  readonly text: string
  readonly piece: number
}

/**
 * Hides credential values in everything a connector returns, in the forms a command or a server
 * turns them into: as written, in any letter case, URL-encoded (`%40` or every byte `%xx`),
 * JSON-escaped (`\"`, `\n`, `\u00e9`), hex (`73656372…`, `\x73\x65…`), base64 and base64url
 * (whatever its alignment inside a longer base64 stream), and for a connection URL the password
 * inside it. Each becomes `***` — anywhere in a message, a row, command output or a response
 * body — and so does every piece of a secret worth 6 of its characters (a secret printed in parts).
 *
 * Limits: masking is the last line, not the defence (that is not handing a command the secret,
 * and the sandbox). A secret printed in pieces of 5 characters or less, one character per line,
 * reversed, rot13'd, compressed or encrypted is not recognised, nor a part of the `%xx`, `\x`
 * and `\u` forms (those are masked whole). An ordinary word that is a 6-character piece of a
 * secret (`passwo` of `password123`) is masked too.
 */
export class Redactor {
  /** Per piece length, every piece of that length of every form, folded to lower case. */
  readonly #pieces = new Map<number, Set<string>>()
  /** The hashes of the first three characters of every piece: most places of a text are passed over on this alone. */
  readonly #starts = new Uint8Array(1 << (START_BITS - 3))
  /** Forms masked only whole: those shorter than their piece, and the frame of a secret. Folded. */
  readonly #whole: string[] = []
  /** Every form, folded: their beginnings are masked at the end of a cut text. */
  readonly #forms: string[] = []

  constructor(secrets: readonly (string | undefined)[]) {
    const whole = new Set<string>()
    const all = new Set<string>()
    for (const secret of secrets) {
      if (!secret) continue
      const { hidden, frame } = secretParts(secret)
      const forms = [...frame.flatMap(formsOf).map((form) => ({ text: form.text, piece: 0 })), ...hidden.flatMap(formsOf)]
      for (const { text, piece } of forms) {
        const folded = fold(text)
        if (folded === '') continue
        all.add(folded)
        if (piece === 0 || folded.length < piece) {
          whole.add(folded)
          continue
        }
        let pieces = this.#pieces.get(piece)
        if (!pieces) this.#pieces.set(piece, (pieces = new Set()))
        for (let at = 0; at + piece <= folded.length; at++) {
          pieces.add(folded.slice(at, at + piece))
          const hash = startHash(folded, at)
          this.#starts[hash >> 3]! |= 1 << (hash & 7)
        }
      }
    }
    this.#whole.push(...whole)
    this.#forms.push(...all)
  }

  /**
   * The text with every secret masked. `cut`: the text was truncated at its end, so a secret's
   * beginning left there is masked too.
   */
  text(text: string, cut = false): string {
    if (this.#forms.length === 0 || text === '') return text
    const folded = fold(text)
    const hidden = new Uint8Array(text.length)
    for (const [length, pieces] of this.#pieces) {
      for (let at = 0; at + length <= folded.length; at++) {
        const hash = startHash(folded, at)
        if ((this.#starts[hash >> 3]! & (1 << (hash & 7))) === 0) continue
        if (pieces.has(folded.slice(at, at + length))) hidden.fill(1, at, at + length)
      }
    }
    for (const form of this.#whole) {
      for (let at = folded.indexOf(form); at !== -1; at = folded.indexOf(form, at + 1)) hidden.fill(1, at, at + form.length)
    }
    if (cut) {
      // The longest end of the text that begins a form: found where the form's first characters are.
      for (const form of this.#forms) {
        if (form.length <= MIN_TAIL) continue
        const head = form.slice(0, MIN_TAIL)
        for (let at = folded.indexOf(head, Math.max(0, folded.length - form.length + 1)); at !== -1; at = folded.indexOf(head, at + 1)) {
          if (form.startsWith(folded.slice(at))) {
            hidden.fill(1, at)
            break
          }
        }
      }
    }
    let out = ''
    for (let at = 0; at < text.length; ) {
      const next = hidden.indexOf(hidden[at] ? 0 : 1, at)
      const end = next === -1 ? text.length : next
      out += hidden[at] ? MASK : text.slice(at, end)
      at = end
    }
    return out
  }

  /** Any JSON-like value with every string in it masked. */
  value<T>(value: T): T {
    if (typeof value === 'string') return this.text(value) as T
    if (Array.isArray(value)) return value.map((item: unknown) => this.value(item)) as T
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [this.text(key), this.value(item)])) as T
    }
    return value
  }

  /** A result with every text field masked (errors, rows, columns, output, headers, body). */
  result(result: ExecutionResult): ExecutionResult {
    return this.#forms.length === 0 ? result : this.value(result)
  }
}

/**
 * A secret split into what is secret (its pieces are masked) and its frame, masked only whole
 * since its pieces are ordinary words: a connection URL's scheme, user and host around its
 * password (`postgres`), a PEM key's `-----BEGIN … KEY-----` lines.
 */
function secretParts(secret: string): { hidden: string[]; frame: string[] } {
  const passwords = urlPasswords(secret)
  if (passwords.length > 0) return { hidden: passwords, frame: [secret] }
  if (/^-----BEGIN [A-Z0-9 ]+-----/m.test(secret)) {
    return { hidden: secret.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.startsWith('-----')), frame: [secret] }
  }
  return { hidden: [secret], frame: [] }
}

/** The forms a secret takes when a program prints it encoded, each with the length of its masked pieces. */
function formsOf(secret: string): Form[] {
  const bytes = Buffer.from(secret, 'utf8')
  const hex = bytes.toString('hex')
  const forms: Form[] = [
    { text: secret, piece: PIECE.plain },
    { text: encodeURIComponent(secret), piece: PIECE.plain },
    { text: JSON.stringify(secret).slice(1, -1), piece: PIECE.plain },
    { text: hex, piece: PIECE.hex },
    { text: hex.replace(/../g, '%$&'), piece: 0 },
    { text: hex.replace(/../g, '\\x$&'), piece: 0 },
    // split(''): UTF-16 units, as JSON writes a character outside the BMP (two \u escapes).
    { text: secret.split('').map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''), piece: 0 },
  ]
  for (const base64 of base64Forms(bytes)) forms.push({ text: base64, piece: PIECE.base64 }, { text: base64.replace(/\+/g, '-').replace(/\//g, '_'), piece: PIECE.base64 })
  return forms
}

/** A hash of the three characters at `at` (every piece is longer), in {@link START_BITS} bits. */
function startHash(text: string, at: number): number {
  return (Math.imul(text.charCodeAt(at), 0x9e3779b1) ^ Math.imul(text.charCodeAt(at + 1), 0x85ebca6b) ^ Math.imul(text.charCodeAt(at + 2), 0xc2b2ae35)) >>> (32 - START_BITS)
}

/** Lower case, one UTF-16 unit for one (so that positions in the folded text are those of the text). */
function fold(text: string): string {
  const lower = text.toLowerCase()
  if (lower.length === text.length) return lower
  let out = ''
  for (const unit of text) {
    const folded = unit.toLowerCase()
    out += folded.length === unit.length ? folded : unit
  }
  return out
}

/**
 * The base64 characters that depend on the secret's bytes alone, for each of its three possible
 * offsets in a longer stream (the characters shared with what comes before or after are left out).
 */
function base64Forms(bytes: Buffer): string[] {
  const forms: string[] = []
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64')
    const first = Math.ceil((offset * 8) / 6)
    const end = Math.floor(((offset + bytes.length) * 8) / 6)
    if (end > first) forms.push(encoded.slice(first, end))
  }
  return forms
}

/** The password of a connection URL, raw and decoded (a URL written with `%40` hides `@`). */
function urlPasswords(text: string): string[] {
  const found: string[] = []
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*?:([^/?#]*)@/i.exec(text)
  // Up to the last `@` too: an unencoded `@` in the password.
  const greedy = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#]*:(.*)@/is.exec(text)
  for (const match of [userinfo?.[1], greedy?.[1]]) {
    if (!match) continue
    found.push(match)
    try {
      found.push(decodeURIComponent(match))
    } catch {
      // Not valid percent-encoding: the raw form is hidden already.
    }
  }
  for (const [, value] of text.matchAll(/[?&]password=([^&#]*)/gi)) {
    if (!value) continue
    found.push(value)
    try {
      found.push(decodeURIComponent(value))
    } catch {
      // As above.
    }
  }
  return found
}

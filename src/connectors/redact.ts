import type { ExecutionResult } from './connector.js'

const MASK = '***'
/** Shorter tails of a secret left at the end of a cut text are not worth hiding (and would mask ordinary text). */
const MIN_TAIL = 4

/**
 * Hides credential values in everything a connector returns: each secret, its URL-encoded form
 * and, for a connection URL, the password inside it, become `***` — anywhere in a message, a row,
 * command output or a response body.
 */
export class Redactor {
  readonly #secrets: readonly string[]

  constructor(secrets: readonly (string | undefined)[]) {
    const all = new Set<string>()
    for (const secret of secrets) {
      if (!secret) continue
      all.add(secret)
      all.add(encodeURIComponent(secret))
      for (const password of urlPasswords(secret)) all.add(password)
    }
    all.delete('')
    // Longest first: a password inside a URL is replaced after the URL itself.
    this.#secrets = [...all].sort((a, b) => b.length - a.length)
  }

  /**
   * The text with every secret masked. `cut`: the text was truncated at its end, so a secret's
   * beginning left there is masked too.
   */
  text(text: string, cut = false): string {
    let redacted = text
    for (const secret of this.#secrets) redacted = redacted.replaceAll(secret, MASK)
    if (!cut) return redacted
    for (const secret of this.#secrets) {
      for (let length = secret.length - 1; length >= MIN_TAIL; length--) {
        if (redacted.endsWith(secret.slice(0, length))) {
          redacted = redacted.slice(0, redacted.length - length) + MASK
          break
        }
      }
    }
    return redacted
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
    return this.#secrets.length === 0 ? result : this.value(result)
  }
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

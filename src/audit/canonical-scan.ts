/**
 * A one-pass reader of audit event texts for verification: says whether a text is RFC 8785
 * canonical JSON and reads the top-level members `describeEventFault` checks, without building
 * the whole value and printing it again. It answers only when sure: for anything unusual (an
 * escape in a top-level string or in a key, a top-level member of a type the event does not
 * have, deep nesting) it returns `undefined` and the caller parses and re-canonicalizes the text
 * as before. So it can only be fast, never more lenient.
 *
 * What it accepts is canonical by construction: no white space; object keys in strictly
 * increasing UTF-16 order (so no duplicates); strings with no raw control character, no lone
 * surrogate, and only the escapes RFC 8785 (ECMAScript `JSON.stringify`) writes: `\"`, `\\`,
 * `\b`, `\f`, `\n`, `\r`, `\t` and `\u00xx` (lower-case) for the other control characters;
 * numbers spelled exactly as ECMAScript prints them; `true`, `false`, `null`.
 */

/** The top-level members of an event as verification reads them; `data` is `{}` (only its kind matters). */
export type ScannedEvent = Record<string, unknown>

const MAX_DEPTH = 64
const NOT_FOUND = Symbol('not canonical or not sure')

/** The event's top-level members when `text` is canonical JSON of an object; `undefined` when not sure. */
export function scanCanonicalEvent(text: string): ScannedEvent | undefined {
  const scanner = new Scanner(text)
  const body = scanner.topLevel()
  return body !== undefined && scanner.at === text.length ? body : undefined
}

class Scanner {
  at = 0
  readonly #text: string

  constructor(text: string) {
    this.#text = text
  }

  topLevel(): ScannedEvent | undefined {
    const text = this.#text
    if (text.charCodeAt(0) !== 0x7b) return undefined
    this.at = 1
    const body: ScannedEvent = {}
    if (text.charCodeAt(1) === 0x7d) {
      this.at = 2
      return body
    }
    // Keys are compared and named in place: slicing each one out cost more than the rest of the scan.
    let previousStart = -1
    let previousEnd = -1
    for (;;) {
      const start = this.at + 1
      if (!this.#skipPlainString()) return undefined
      const end = this.at - 1
      if ((previousStart >= 0 && !before(text, previousStart, previousEnd, start, end)) || text.charCodeAt(this.at) !== 0x3a) return undefined
      previousStart = start
      previousEnd = end
      this.at += 1
      const scalar = topScalar(text, start, end)
      if (scalar !== undefined) {
        const value = this.#scalar()
        if (value === NOT_FOUND) return undefined
        // A named store for each member (one keyed store site would see all eight names).
        switch (scalar) {
          case 'action_id':
            body.action_id = value
            break
          case 'actor':
            body.actor = value
            break
          case 'at':
            body.at = value
            break
          case 'channel':
            body.channel = value
            break
          case 'digest':
            body.digest = value
            break
          case 'policy_version':
            body.policy_version = value
            break
          case 'seq':
            body.seq = value
            break
          case 'type':
            body.type = value
        }
      } else if (end - start === 4 && text.startsWith('data', start)) {
        if (text.charCodeAt(this.at) !== 0x7b || !this.#value(1)) return undefined
        body['data'] = {}
      } else if (!this.#value(1)) {
        return undefined
      }
      const next = text.charCodeAt(this.at)
      this.at += 1
      if (next === 0x7d) return body
      if (next !== 0x2c) return undefined
    }
  }

  /** A top-level string without escapes, a number, or null. */
  #scalar(): unknown {
    const code = this.#text.charCodeAt(this.at)
    if (code === 0x22) return this.#plainString() ?? NOT_FOUND
    if (code === 0x6e) return this.#literal('null') ? null : NOT_FOUND
    if (code === 0x2d || (code >= 0x30 && code <= 0x39)) return this.#number() ?? NOT_FOUND
    return NOT_FOUND
  }

  /** A string with no escape and no raw control character or lone surrogate: its text. */
  #plainString(): string | undefined {
    const start = this.at + 1
    return this.#skipPlainString() ? this.#text.slice(start, this.at - 1) : undefined
  }

  /** Skips a string with no escape and no raw control character or lone surrogate; false when it is not one. */
  #skipPlainString(): boolean {
    const text = this.#text
    if (text.charCodeAt(this.at) !== 0x22) return false
    const length = text.length
    for (let index = this.at + 1; index < length; index++) {
      const code = text.charCodeAt(index)
      // Most characters are none of the few that matter: one test for them.
      if (code > 0x22 && code < 0xd800 && code !== 0x5c) continue
      if (code === 0x22) {
        this.at = index + 1
        return true
      }
      if (code < 0x20 || code === 0x5c) return false
      if (code >= 0xd800 && code <= 0xdfff) {
        if (code >= 0xdc00) return false
        const low = text.charCodeAt(index + 1)
        if (!(low >= 0xdc00 && low <= 0xdfff)) return false
        index += 1
      }
    }
    return false
  }

  /** Skips one canonical value; false when it is not one (or too deep to be sure). */
  #value(depth: number): boolean {
    if (depth > MAX_DEPTH) return false
    const text = this.#text
    const code = text.charCodeAt(this.at)
    switch (code) {
      case 0x7b: {
        this.at += 1
        if (text.charCodeAt(this.at) === 0x7d) {
          this.at += 1
          return true
        }
        // The previous key as a range of the text: keys are compared in place, not sliced.
        let previousStart = -1
        let previousEnd = -1
        for (;;) {
          const start = this.at + 1
          if (!this.#skipPlainString()) return false
          const end = this.at - 1
          if ((previousStart >= 0 && !before(text, previousStart, previousEnd, start, end)) || text.charCodeAt(this.at) !== 0x3a) return false
          previousStart = start
          previousEnd = end
          this.at += 1
          if (!this.#value(depth + 1)) return false
          const next = text.charCodeAt(this.at)
          this.at += 1
          if (next === 0x7d) return true
          if (next !== 0x2c) return false
        }
      }
      case 0x5b: {
        this.at += 1
        if (text.charCodeAt(this.at) === 0x5d) {
          this.at += 1
          return true
        }
        for (;;) {
          if (!this.#value(depth + 1)) return false
          const next = text.charCodeAt(this.at)
          this.at += 1
          if (next === 0x5d) return true
          if (next !== 0x2c) return false
        }
      }
      case 0x22:
        return this.#string()
      case 0x74:
        return this.#literal('true')
      case 0x66:
        return this.#literal('false')
      case 0x6e:
        return this.#literal('null')
      default:
        return (code === 0x2d || (code >= 0x30 && code <= 0x39)) && this.#number() !== undefined
    }
  }

  /** Skips a string whose escapes are the ones RFC 8785 writes. */
  #string(): boolean {
    const text = this.#text
    const length = text.length
    for (let index = this.at + 1; index < length; index++) {
      const code = text.charCodeAt(index)
      if (code > 0x22 && code < 0xd800 && code !== 0x5c) continue
      if (code === 0x22) {
        this.at = index + 1
        return true
      }
      if (code < 0x20) return false
      if (code === 0x5c) {
        const escape = text.charCodeAt(index + 1)
        if (escape === 0x75) {
          // \u00xx, lower-case, only for a control character without a short escape.
          if (text.charCodeAt(index + 2) !== 0x30 || text.charCodeAt(index + 3) !== 0x30) return false
          const high = text.charCodeAt(index + 4)
          const low = text.charCodeAt(index + 5)
          if (high !== 0x30 && high !== 0x31) return false
          const lowValue = low >= 0x30 && low <= 0x39 ? low - 0x30 : low >= 0x61 && low <= 0x66 ? low - 0x61 + 10 : -1
          if (lowValue < 0) return false
          const value = (high - 0x30) * 16 + lowValue
          if (value === 0x08 || value === 0x09 || value === 0x0a || value === 0x0c || value === 0x0d) return false
          index += 5
        } else if (escape === 0x22 || escape === 0x5c || escape === 0x62 || escape === 0x66 || escape === 0x6e || escape === 0x72 || escape === 0x74) {
          index += 1
        } else {
          return false
        }
      } else if (code >= 0xd800 && code <= 0xdfff) {
        if (code >= 0xdc00) return false
        const low = text.charCodeAt(index + 1)
        if (!(low >= 0xdc00 && low <= 0xdfff)) return false
        index += 1
      }
    }
    return false
  }

  /** A number spelled as ECMAScript prints it (so also valid JSON): its value. */
  #number(): number | undefined {
    const text = this.#text
    const start = this.at
    let end = start
    // A safe integer without leading zero (most numbers in events) prints as its own digits.
    let integer = true
    for (; end < text.length; end++) {
      const code = text.charCodeAt(end)
      if (code >= 0x30 && code <= 0x39) continue
      if (code === 0x2d || code === 0x2b || code === 0x2e || code === 0x65) integer = false
      else break
    }
    const first = text.charCodeAt(start)
    if (integer && end - start <= 15 && (first !== 0x30 || end - start === 1)) {
      let value = 0
      for (let index = start; index < end; index++) value = value * 10 + text.charCodeAt(index) - 0x30
      this.at = end
      return value
    }
    const token = text.slice(start, end)
    const value = Number(token)
    if (!Number.isFinite(value) || String(value) !== token) return undefined
    this.at = end
    return value
  }

  #literal(word: string): boolean {
    if (!this.#text.startsWith(word, this.at)) return false
    this.at += word.length
    return true
  }
}

/** The top-level scalar member named by the key in `[start, end)`, if it is one: found by its length first (the scan's most frequent question). */
function topScalar(text: string, start: number, end: number): string | undefined {
  let name: string
  switch (end - start) {
    case 2:
      name = 'at'
      break
    case 3:
      name = 'seq'
      break
    case 4:
      name = 'type'
      break
    case 5:
      name = 'actor'
      break
    case 6:
      name = 'digest'
      break
    case 7:
      name = 'channel'
      break
    case 9:
      name = 'action_id'
      break
    case 14:
      name = 'policy_version'
      break
    default:
      return undefined
  }
  return text.startsWith(name, start) ? name : undefined
}

/** True when the text in `[aStart, aEnd)` comes strictly before the text in `[bStart, bEnd)` in UTF-16 order (as `<` on strings). */
function before(text: string, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  const aLength = aEnd - aStart
  const bLength = bEnd - bStart
  const length = Math.min(aLength, bLength)
  for (let index = 0; index < length; index++) {
    const a = text.charCodeAt(aStart + index)
    const b = text.charCodeAt(bStart + index)
    if (a !== b) return a < b
  }
  return aLength < bLength
}

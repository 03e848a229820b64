import type { ActionInput } from './types.js'

// With the `u` flag, paired surrogates are one code point, so this matches lone surrogates only.
const LONE_SURROGATE = /\p{Cs}/u

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: object keys sorted by UTF-16
 * code units, no white space, strings and numbers as ECMAScript's JSON.stringify writes them.
 * Refuses what JSON cannot carry exactly (lone surrogates, NaN, infinities, functions…) instead
 * of guessing, as the gateway does.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, '')
}

function write(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new TypeError(`${path || 'value'} contains a lone surrogate, which JSON cannot carry`)
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path || 'value'} is not a finite number`)
      // ECMAScript's shortest round-trip form, -0 as 0: exactly RFC 8785's number serialization.
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object': {
      if (value === null) return 'null'
      if (Array.isArray(value)) return `[${value.map((item, index) => write(item, `${path}[${index}]`)).join(',')}]`
      // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
      const keys = Object.keys(value).sort()
      const members: string[] = []
      for (const key of keys) {
        const item = (value as Record<string, unknown>)[key]
        if (item === undefined) continue
        if (LONE_SURROGATE.test(key)) throw new TypeError(`a key in ${path || 'value'} contains a lone surrogate`)
        members.push(`${JSON.stringify(key)}:${write(item, path ? `${path}.${key}` : key)}`)
      }
      return `{${members.join(',')}}`
    }
    default:
      throw new TypeError(`${path || 'value'} is a ${typeof value}, which JSON cannot carry`)
  }
}

/** SHA-256 of `text` (UTF-8), lower-case hex, with WebCrypto. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/**
 * The digest of an action, as the gateway computes it: SHA-256 of the canonical JSON of
 * `{kind, target, payload}` (the context is not part of it). An approval is for one digest.
 * The payload must be the one the gateway stores (defaults filled in, e.g. an `mcp` action's
 * `arguments: {}`): use the `payload` of the action the gateway returned when in doubt.
 */
export function actionDigest(action: Pick<ActionInput, 'kind' | 'target' | 'payload'>): Promise<string> {
  return sha256Hex(canonicalJson({ kind: action.kind, target: action.target, payload: action.payload }))
}

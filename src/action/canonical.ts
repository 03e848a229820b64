import { createHash } from 'node:crypto'
import { CountersignError } from '../errors/index.js'

// With the `u` flag, paired surrogates are one code point, so this matches lone surrogates only.
const LONE_SURROGATE = /\p{Cs}/u

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: keys sorted by UTF-16 code
 * units, no insignificant white space, numbers as ECMAScript prints them.
 * Refuses what I-JSON forbids (lone surrogates, non-finite numbers) instead of guessing.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  // The check that allocates nothing first; the one that names where the fault is only for a fault.
  if (!isIJson(value)) assertIJson(value, '')
  const text = canonicalText(value)
  if (text === undefined) throw new CountersignError('INVALID', 'value has no JSON form')
  return text
}

/**
 * The RFC 8785 text of an I-JSON value, as the `canonicalize` package writes it (a property test
 * holds them equal), built by appending to one string instead of a string per member: primitives
 * as `JSON.stringify` writes them (ECMAScript number form), `toJSON` honoured, object keys sorted
 * by UTF-16 code units, undefined members left out and undefined items written `null`.
 */
function canonicalText(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON === 'function') return canonicalText(toJSON.call(value))
  if (Array.isArray(value)) {
    let text = '['
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index]
      if (index > 0) text += ','
      text += item === undefined || typeof item === 'symbol' ? 'null' : canonicalText(item)
    }
    return `${text}]`
  }
  let text = '{'
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key]
    if (item === undefined || typeof item === 'symbol') continue
    if (text.length > 1) text += ','
    text += `${JSON.stringify(key)}:${canonicalText(item)}`
  }
  return `${text}}`
}

/** SHA-256 of the canonical JSON of `value`, lower-case hex. */
export function canonicalSha256(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex')
}

/** Whether `value` is I-JSON: what `assertIJson` accepts, without building paths. */
function isIJson(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return !LONE_SURROGATE.test(value)
    case 'number':
      return Number.isFinite(value)
    case 'boolean':
      return true
    case 'object':
      if (value === null) return true
      if (Array.isArray(value)) return value.every(isIJson)
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue
        const item = (value as Record<string, unknown>)[key]
        if (LONE_SURROGATE.test(key) || (item !== undefined && !isIJson(item))) return false
      }
      return true
    default:
      return false
  }
}

function assertIJson(value: unknown, path: string): void {
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new CountersignError('INVALID', `${path || 'value'} contains a lone surrogate, which JSON cannot carry`)
      return
    case 'number':
      if (!Number.isFinite(value)) throw new CountersignError('INVALID', `${path || 'value'} is not a finite number`)
      return
    case 'boolean':
      return
    case 'object':
      if (value === null) return
      if (Array.isArray(value)) {
        value.forEach((item, index) => assertIJson(item, `${path}[${index}]`))
        return
      }
      for (const [key, item] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) throw new CountersignError('INVALID', `a key in ${path || 'value'} contains a lone surrogate`)
        if (item !== undefined) assertIJson(item, path ? `${path}.${key}` : key)
      }
      return
    default:
      throw new CountersignError('INVALID', `${path || 'value'} is a ${typeof value}, which JSON cannot carry`)
  }
}

/** Keys JavaScript gives a meaning beyond data: a schema or an object spread may drop or reinterpret them. */
const PROTO_KEY = '__proto__'

/** Deepest nesting inspected; anything deeper is refused as if it held such a key. */
export const MAX_JSON_DEPTH = 100

/**
 * The path (`payload.a.__proto__`) of the first `__proto__` key held anywhere in `value`, or
 * `undefined` when there is none. `JSON.parse` keeps `"__proto__"` as an own property, but
 * copying the object (zod's records and objects, a spread) turns it into the prototype, so the
 * key silently vanishes from what is decided and digested while the agent meant it: refuse it
 * instead. A value nested deeper than {@link MAX_JSON_DEPTH} returns its path with `…`, failing
 * closed. `constructor` and `prototype` are plain own properties after parsing, kept and digested.
 *
 * @example
 * protoKeyPath(JSON.parse('{"payload":{"__proto__":{"sql":"x"}}}')) // 'payload.__proto__'
 */
export function protoKeyPath(value: unknown, path = '', depth = 0): string | undefined {
  if (value === null || typeof value !== 'object') return undefined
  if (depth > MAX_JSON_DEPTH) return `${path}…`
  if (Object.hasOwn(value, PROTO_KEY)) return path === '' ? PROTO_KEY : `${path}.${PROTO_KEY}`
  for (const [key, item] of Object.entries(value)) {
    const found = protoKeyPath(item, path === '' ? key : `${path}.${key}`, depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}

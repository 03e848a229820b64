// Helpers for the untyped JSON of a plan. Attribute names come from the plan itself, so every
// lookup goes through `own`: a resource attribute named `constructor` or `__proto__` must read as
// that attribute, not as something inherited from Object.prototype.

/** A JSON object as parsed: string keys, unknown values. */
export type JsonObject = Readonly<Record<string, unknown>>

/** A plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The object's own property `key`, or `undefined`; `undefined` as well when `value` is not an object. */
export function own(value: unknown, key: string): unknown {
  return isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined
}

/** The elements of a JSON array; `[]` for anything else. */
export function elements(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : []
}

/** The strings of a JSON array, or a single string as a list of one. */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  return elements(value).filter((item): item is string => typeof item === 'string')
}

/** Structural equality of two JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((item, index) => jsonEqual(item, b[index]))
  }
  if (!isObject(a) || !isObject(b)) return false
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]))
}

/**
 * Whether a marker tree (`after_unknown`, `before_sensitive`, `after_sensitive`) marks anything
 * at or below this point: Terraform writes `true` at each marked leaf, or at a whole value.
 */
export function marksAny(tree: unknown): boolean {
  if (tree === true) return true
  if (Array.isArray(tree)) return tree.some(marksAny)
  if (isObject(tree)) return Object.values(tree).some(marksAny)
  return false
}

/**
 * Whether a marker tree marks the value at `path` (attribute names and list indexes), or a value
 * containing it: `true` anywhere on the way down covers everything below.
 */
export function markedAt(tree: unknown, path: readonly (string | number)[]): boolean {
  let node = tree
  for (const step of path) {
    if (node === true) return true
    node = typeof step === 'number' ? (Array.isArray(node) ? node[step] : undefined) : own(node, step)
  }
  return marksAny(node)
}

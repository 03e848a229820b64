/** Helpers for reading parsed YAML/JSON whose shape is not trusted. */

/** A plain object (not an array, not a Buffer from `!!binary`). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** The member of an object, `undefined` for anything else. */
export function member(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined
}

/** A string member, `""` when missing or not a string. */
export function text(value: unknown, key: string): string {
  const found = member(value, key)
  return typeof found === 'string' ? found : ''
}

/**
 * The elements of a list, or the values of an object used as one (a JSON patch turned into an
 * object has `{"0": …}` where the server will have a list).
 */
export function elements(value: unknown): unknown[] {
  if (Array.isArray(value)) return value
  if (isRecord(value)) return Object.values(value)
  return []
}

/** The strings of a list, lower-cased. */
export function lowerStrings(value: unknown): string[] {
  return elements(value).filter((item): item is string => typeof item === 'string').map((item) => item.toLowerCase())
}

/**
 * Whether a value turns something on. Besides `true`, YAML 1.1 spellings (`yes`, `on`, `y`)
 * count, because kubectl's YAML reader resolves them to true while a YAML 1.2 reader keeps them
 * as strings; a quoted `"true"` counts too.
 */
export function isOn(value: unknown): boolean {
  if (value === true || value === 1) return true
  return typeof value === 'string' && /^(y|yes|on|true|1)$/i.test(value.trim())
}

/** Whether a value explicitly turns something off (`false`, and the YAML 1.1 spellings). */
export function isOff(value: unknown): boolean {
  if (value === false || value === 0) return true
  return typeof value === 'string' && /^(n|no|off|false|0)$/i.test(value.trim())
}

/** Whether a value is the number zero, also written as a string. */
export function isZero(value: unknown): boolean {
  if (typeof value === 'number') return value === 0
  return typeof value === 'string' && /^\s*[-+]?0+\s*$/.test(value)
}

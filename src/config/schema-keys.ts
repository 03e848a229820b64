import type { z } from 'zod'

/** The parts of a zod schema's definition this walk reads. */
interface SchemaNode {
  readonly _zod: {
    readonly def: {
      readonly type: string
      readonly innerType?: SchemaNode
      readonly in?: SchemaNode
      readonly shape?: Readonly<Record<string, SchemaNode>>
      readonly element?: SchemaNode
      readonly valueType?: SchemaNode
    }
  }
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional'])

function unwrap(node: SchemaNode | undefined): SchemaNode | undefined {
  let current = node
  for (let depth = 0; current && depth < 20; depth++) {
    const def = current._zod.def
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType
    else if (def.type === 'pipe' && def.in) current = def.in
    else break
  }
  return current
}

/**
 * The keys the schema accepts for the mapping at `path` (found by walking the schema itself,
 * so messages never drift from it); `undefined` where the path leads to no object schema.
 */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): readonly string[] | undefined {
  let node = unwrap(schema as unknown as SchemaNode)
  for (const part of path) {
    const def = node?._zod.def
    if (def?.type === 'object' && typeof part === 'string') node = unwrap(def.shape?.[part])
    else if (def?.type === 'array' && typeof part === 'number') node = unwrap(def.element)
    else if (def?.type === 'record') node = unwrap(def.valueType)
    else return undefined
  }
  const def = node?._zod.def
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined
}

/** The candidate closest to `word` by edit distance, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(1, Math.min(3, Math.floor(word.length / 3)))
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate)
    if (distance <= bestDistance) {
      best = candidate
      bestDistance = distance - 1
    }
  }
  return best
}

/** Levenshtein distance, with a transposition counted as one edit (`lisetn` → `listen`). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = value
    }
  }
  return rows[a.length]![b.length]!
}

import type { Analysis } from '../analyzers/index.js'

/** How many analyses are kept. */
const ENTRIES = 1000
/** Longer action texts are analyzed every time: a few large plans must not fill the memory. */
const MAX_TEXT = 16 * 1024

/** What an analysis read besides the action's text: the target's SQL dialect, catalog snapshot and row estimates. */
export interface AnalysisInputs {
  readonly dialect: string
  /** A catalog snapshot: never changed once read (a refresh makes a new one), so it is known by identity. */
  readonly catalog?: object | undefined
  readonly estimatedRows?: readonly number[] | undefined
}

/**
 * What an action's analysis is known by: its digest (kind, target and payload), but for a SQL
 * statement with parameters, its kind, target and text alone. The SQL analyzers read
 * `payload.sql` only: parameters are values bound to a statement already parsed, so they cannot
 * change what it does, and drivers send the same statement with new values again and again.
 *
 * @example
 * analysisKey({ kind: 'sql', target: 'db', payload: { sql: 'SELECT $1', params: ['1'] } }, d1) ===
 *   analysisKey({ kind: 'sql', target: 'db', payload: { sql: 'SELECT $1', params: ['2'] } }, d2) // true
 */
export function analysisKey(action: { readonly kind: string; readonly target: string; readonly payload: Readonly<Record<string, unknown>> }, digest: string): string {
  const { sql, params } = action.payload
  return action.kind === 'sql' && params !== undefined && typeof sql === 'string' ? `sql\0${action.target}\0${sql}` : digest
}

/**
 * The analyses of recent actions, by {@link analysisKey} (kind, target and payload) and everything else the
 * analysis read: agents repeat the same statements and commands, and parsing them is the largest
 * cost of a submission after the store. A bounded LRU of at most {@link ENTRIES} analyses of
 * texts up to {@link MAX_TEXT} characters. A catalog snapshot is part of the key by identity, so a
 * refreshed catalog is analyzed afresh; the caller must not cache what reads anything that changes
 * in place (MCP tools' annotations). Cached analyses are frozen, deeply: every request shares them.
 */
export class AnalysisCache {
  readonly #entries = new Map<string, Analysis | undefined>()
  readonly #catalogs = new WeakMap<object, number>()
  #nextCatalog = 0

  /** The analysis of the action whose canonical text is `actionJson` (known by `analysisKey`) with `inputs`, made by `analyze` on a miss. */
  get(analysisKey: string, actionJson: string, inputs: AnalysisInputs, analyze: () => Analysis | undefined): Analysis | undefined {
    if (actionJson.length > MAX_TEXT) return analyze()
    const key = `${analysisKey}:${inputs.dialect}:${this.#catalogId(inputs.catalog)}:${inputs.estimatedRows?.join(',') ?? ''}`
    if (this.#entries.has(key)) {
      const hit = this.#entries.get(key)
      // Most recently used last.
      this.#entries.delete(key)
      this.#entries.set(key, hit)
      return hit
    }
    const analysis = analyze()
    if (analysis !== undefined) deepFreeze(analysis)
    this.#entries.set(key, analysis)
    if (this.#entries.size > ENTRIES) this.#entries.delete(this.#entries.keys().next().value!)
    return analysis
  }

  #catalogId(catalog: object | undefined): string {
    if (catalog === undefined) return ''
    let id = this.#catalogs.get(catalog)
    if (id === undefined) this.#catalogs.set(catalog, (id = ++this.#nextCatalog))
    return String(id)
  }
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return
  Object.freeze(value)
  for (const item of Object.values(value)) deepFreeze(item)
}

import type { Analysis } from '../analyzers/index.js'

/** How many analyses are kept. */
const ENTRIES = 1000
/** Longer action texts are analyzed every time: a few large plans must not fill the memory. */
const MAX_TEXT = 16 * 1024

/**
 * The analyses of recent actions, by digest (kind, target and payload) and SQL dialect: agents
 * repeat the same statements and commands, and parsing them is the largest cost of a submission
 * after the store. A bounded LRU of at most {@link ENTRIES} analyses of texts up to
 * {@link MAX_TEXT} characters. Only what the text alone decides goes here: the caller must not
 * cache an analysis that read anything else (a catalog, row estimates, MCP tool annotations).
 * Cached analyses are frozen, deeply: every request shares them.
 */
export class AnalysisCache {
  readonly #entries = new Map<string, Analysis | undefined>()

  /** The analysis of the action whose canonical text is `actionJson` (digest `digest`), computed by `analyze` on a miss. */
  get(digest: string, dialect: string, actionJson: string, analyze: () => Analysis | undefined): Analysis | undefined {
    if (actionJson.length > MAX_TEXT) return analyze()
    const key = `${digest}:${dialect}`
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
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return
  Object.freeze(value)
  for (const item of Object.values(value)) deepFreeze(item)
}

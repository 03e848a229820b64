import type { Logger } from 'pino'
import type { ToolAnnotationSource, ToolHints } from '../analyzers/index.js'
import type { TargetConfig } from '../config/index.js'
import type { McpToolSource, UpstreamTool } from '../connectors/index.js'

/** How long an upstream that could not be listed is left alone. */
const RETRY_MS = 10_000

/** What the catalog has seen of one upstream. */
interface Listing {
  readonly tools: readonly UpstreamTool[]
  readonly byName: ReadonlyMap<string, UpstreamTool>
  /** `performance.now()` when it was listed. */
  readonly at: number
}

/**
 * The tools of the MCP upstreams, as Countersign lists them from the upstreams themselves (never
 * as an agent describes them): what the gateway serves to agents, and where the `mcp` analyzer
 * finds a tool's annotations. A listing is kept for `maxAgeMs`, dropped at once when the upstream
 * says its tools changed, and served stale while the upstream cannot be reached.
 *
 * Each replica lists for itself: a replica that has not listed an upstream yet decides its tools'
 * calls with unknown annotations, which count as destructive (the gateway lists before it submits).
 */
export class ToolCatalog implements ToolAnnotationSource {
  readonly #maxAgeMs: number
  readonly #logger: Logger | undefined
  readonly #listings = new Map<string, Listing>()
  readonly #loading = new Map<string, Promise<Listing>>()
  /** Upstreams that could not be listed, until when they are not tried again: a dead server is not respawned on every call. */
  readonly #failed = new Map<string, { readonly error: unknown; readonly until: number }>()
  readonly #watched = new Set<string>()

  constructor(options: { readonly maxAgeMs?: number; readonly logger?: Logger | undefined } = {}) {
    this.#maxAgeMs = options.maxAgeMs ?? 60_000
    this.#logger = options.logger
  }

  annotations(target: string, tool: string): ToolHints | undefined {
    const found = this.#listings.get(target)?.byName.get(tool)
    // A listed tool without annotations has the spec's defaults: an empty set of hints, not unknown.
    return found ? (found.annotations ?? {}) : undefined
  }

  /**
   * The tools of `target`'s upstream (reached through `source`, its connector): listed now when
   * the last listing is too old. Throws when the upstream cannot be listed and never was; serves
   * the last listing when it was.
   */
  async tools(target: TargetConfig, source: McpToolSource): Promise<readonly UpstreamTool[]> {
    const listing = this.#listings.get(target.name)
    if (listing && performance.now() - listing.at < this.#maxAgeMs) return listing.tools
    const failed = this.#failed.get(target.name)
    if (failed && performance.now() < failed.until) {
      if (!listing) throw failed.error
      return listing.tools
    }
    try {
      return (await this.#list(target, source)).tools
    } catch (error) {
      this.#failed.set(target.name, { error, until: performance.now() + RETRY_MS })
      if (!listing) throw error
      this.#logger?.warn({ target: target.name, err: error }, 'listing an MCP upstream failed; serving its last known tools')
      return listing.tools
    }
  }

  #list(target: TargetConfig, source: McpToolSource): Promise<Listing> {
    let loading = this.#loading.get(target.name)
    if (!loading) {
      loading = this.#fetch(target, source).finally(() => this.#loading.delete(target.name))
      this.#loading.set(target.name, loading)
    }
    return loading
  }

  async #fetch(target: TargetConfig, source: McpToolSource): Promise<Listing> {
    if (!this.#watched.has(target.name)) {
      this.#watched.add(target.name)
      source.onToolsChanged(() => this.#listings.delete(target.name))
    }
    const tools = await source.listTools(AbortSignal.timeout(60_000))
    const listing: Listing = { tools, byName: new Map(tools.map((tool) => [tool.name, tool])), at: performance.now() }
    this.#listings.set(target.name, listing)
    this.#failed.delete(target.name)
    return listing
  }
}

import type { Analysis, AnalysisContext, Analyzer, FactTypes } from '../analyzer.js'

/**
 * A tool's behaviour hints as its MCP server declares them (`ToolAnnotations` in the MCP spec:
 * `readOnlyHint`, `destructiveHint`, `idempotentHint`, `openWorldHint`). Any may be absent.
 */
export interface ToolHints {
  readonly readOnlyHint?: boolean | undefined
  readonly destructiveHint?: boolean | undefined
  readonly idempotentHint?: boolean | undefined
  readonly openWorldHint?: boolean | undefined
}

/**
 * Where the `mcp` analyzer finds the annotations of a target's tools: what Countersign itself
 * listed from the upstream, never what the agent says. Synchronous: the analyzer does no I/O.
 */
export interface ToolAnnotationSource {
  /** The tool's hints, or `undefined` when the target's tool list has not been seen (or lacks the tool). */
  annotations(target: string, tool: string): ToolHints | undefined
}

/** The `mcp` facts (docs/facts.md). */
export interface McpFacts {
  readonly server: string
  readonly tool: string
  readonly arguments: Readonly<Record<string, unknown>>
  readonly read_only: boolean
  readonly destructive: boolean
  readonly idempotent: boolean
  readonly open_world: boolean
}

/** CEL declarations of the `mcp` facts. */
export const MCP_FACT_TYPES: FactTypes = {
  McpFacts: {
    server: 'string',
    tool: 'string',
    arguments: 'map<string, dyn>',
    read_only: 'bool',
    destructive: 'bool',
    idempotent: 'bool',
    open_world: 'bool',
  },
}

/**
 * The `mcp` analyzer: the call's server, tool and arguments, and the tool's annotations as the
 * upstream declared them to Countersign (looked up by the action's target, which is where it
 * runs). Hints the upstream left out, or a tool Countersign has not listed, take the MCP spec's
 * defaults, which are the cautious ones: not read-only, destructive, not idempotent, open world.
 * A read-only tool is neither destructive nor non-idempotent (the spec gives those hints meaning
 * only for tools that are not read-only).
 *
 * @example
 * const mcp = mcpAnalyzer(catalog)
 * mcp.analyze({ server: 'github', tool: 'delete_repo', arguments: {} }, { target: 'github' }).facts.destructive // true
 */
export function mcpAnalyzer(source?: ToolAnnotationSource): Analyzer<McpFacts> {
  return {
    kind: 'mcp',
    rootType: 'McpFacts',
    types: MCP_FACT_TYPES,
    analyze: function analyzeMcpPayload(payload, context?: AnalysisContext) {
      return analyzeMcp(payload, context?.target === undefined ? undefined : source?.annotations(context.target, String(payload['tool'] ?? '')))
    },
  }
}

function analyzeMcp(payload: Readonly<Record<string, unknown>>, hints: ToolHints | undefined): Analysis<McpFacts> {
  const server = String(payload['server'] ?? '')
  const tool = String(payload['tool'] ?? '')
  const args = (payload['arguments'] ?? {}) as Readonly<Record<string, unknown>>
  const readOnly = hints?.readOnlyHint === true
  const facts: McpFacts = {
    server,
    tool,
    arguments: args,
    read_only: readOnly,
    destructive: !readOnly && hints?.destructiveHint !== false,
    idempotent: readOnly || hints?.idempotentHint === true,
    open_world: hints?.openWorldHint !== false,
  }
  const traits = [facts.read_only ? 'read-only' : facts.destructive ? 'destructive' : 'not read-only', ...(facts.open_world ? ['open world'] : [])]
  const highlights: string[] = []
  if (!hints) highlights.push(`the annotations of ${tool} are unknown (Countersign has not listed this upstream's tools), so it counts as destructive`)
  else if (hints.destructiveHint === true && facts.destructive) highlights.push(`${server} declares ${tool} destructive`)
  else if (facts.destructive) highlights.push(`${server} does not declare ${tool} read-only or non-destructive, so it counts as destructive`)
  return { facts, summary: `MCP tool ${tool} on ${server} (${traits.join(', ')})`, highlights }
}

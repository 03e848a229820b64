/**
 * The MCP gateway (docs/concepts.md, ARCHITECTURE.md transports): upstream MCP servers declared as
 * targets, served to agents with their tools namespaced per upstream, at `/mcp` (Streamable HTTP)
 * and through `countersign mcp` (stdio, relayed to `/mcp`). Every tool call is an `mcp` action.
 */
import type { Env, Hono } from 'hono'
import type { Authenticator } from '../service/index.js'
import { mountMcpEndpoint } from './http-endpoint.js'
import { McpGateway, type McpGatewayOptions } from './mcp-gateway.js'

export { MCP_PATH } from './relay/index.js'
export { McpGateway } from './mcp-gateway.js'
export type { McpGatewayOptions, ProgressReporter } from './mcp-gateway.js'
export { relayStdio } from './relay/index.js'
export type { RelayOptions } from './relay/index.js'
export { ToolCatalog } from './tool-catalog.js'
export { namespacedNames, TOOL_NAME } from './tool-names.js'

/**
 * Serves the MCP gateway at `/mcp` on `app`.
 *
 * @example
 * const tools = new ToolCatalog({ logger })
 * const analyzers = await loadAnalyzers({ tools })
 * // … the gateway, its connectors …
 * mountMcp(app, { gateway, connectors, catalog: tools, authenticator, targets: config.targets, publicUrl, holdMs: config.mcp.hold_ms, reissueWindowMs: config.mcp.reissue_window_ms, bodyLimit })
 */
export function mountMcp<E extends Env>(app: Hono<E>, options: McpGatewayOptions & { readonly authenticator: Authenticator; readonly bodyLimit: number }): McpGateway {
  const mcp = new McpGateway(options)
  mountMcpEndpoint(app, { mcp, authenticator: options.authenticator, targets: options.targets, bodyLimit: options.bodyLimit })
  return mcp
}

/**
 * The agent side of the MCP gateway: `countersign mcp` relays stdio to the gateway's `/mcp`.
 * Kept apart from the gateway so that the agent-side CLI loads the MCP client alone, not the server.
 */
export { MCP_PATH } from './mcp-path.js'
export { relayStdio } from './stdio-relay.js'
export type { RelayOptions } from './stdio-relay.js'

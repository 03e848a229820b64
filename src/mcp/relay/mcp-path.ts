/** Where the gateway serves MCP (Streamable HTTP), relative to its base URL. */
export const MCP_PATH = '/mcp'

// The `mcp` analyzer (PRODUCT.md §4): a tool call and the tool's annotations, as its upstream declared them.
export { MCP_FACT_TYPES, mcpAnalyzer } from './mcp-analyzer.js'
export type { McpFacts, ToolAnnotationSource, ToolHints } from './mcp-analyzer.js'

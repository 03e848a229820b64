// The `mcp` analyzer (docs/facts.md): a tool call and the tool's annotations, as its upstream declared them.
export { MCP_FACT_TYPES, mcpAnalyzer } from './mcp-analyzer.js'
export type { McpFacts, ToolAnnotationSource, ToolHints } from './mcp-analyzer.js'

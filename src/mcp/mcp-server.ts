import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import type { Agent } from '../lifecycle/index.js'
import type { McpGateway } from './mcp-gateway.js'

const INSTRUCTIONS =
  'Tools here run through Countersign, an approval gateway: each call is checked by policy and may be held until humans approve it. ' +
  'A denied call returns an error with the reason: do not retry it unchanged. ' +
  'A call still waiting when the hold ends returns a pending notice with an action id: call countersign_wait with it, or repeat the identical call, to get the outcome.'

/**
 * An MCP server speaking for one authenticated agent: `tools/list` and `tools/call` answered by
 * the MCP gateway, offering only the targets in `only` when given. The low-level `Server`, not `McpServer`: the upstreams' tools come with JSON
 * Schemas, which are passed on as they are rather than rebuilt as zod schemas.
 */
export function createMcpServer(mcp: McpGateway, agent: Agent, options: { readonly only?: readonly string[] | undefined; readonly signal?: AbortSignal | undefined } = {}): Server {
  const { only } = options
  const server = new Server({ name: 'countersign', title: 'Countersign', version: '0.1.0' }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS })
  server.setRequestHandler(ListToolsRequestSchema, async function listTools() {
    return { tools: await mcp.listTools(agent, only) }
  })
  server.setRequestHandler(CallToolRequestSchema, async function callTool(request, extra) {
    const token = request.params._meta?.progressToken
    const progress =
      token === undefined
        ? undefined
        : (value: number, message: string) => extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: value, message } })
    // Cancelled by the client, or its connection gone (the request's signal): a held call stops waiting.
    const signal = options.signal ? AbortSignal.any([extra.signal, options.signal]) : extra.signal
    return mcp.callTool(agent, request.params.name, request.params.arguments, { signal, progress, only })
  })
  return server
}

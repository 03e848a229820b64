import { appendFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { Hono } from 'hono'
import { z } from 'zod'

/** A tool name too long to be namespaced as it is. */
export const LONG_TOOL = 'summarize_every_open_issue_and_pull_request_of_the_repository_by_label'

/** One call the upstream received, with exactly the arguments it got. */
export interface ReceivedCall {
  readonly tool: string
  readonly arguments: Record<string, unknown>
}

/**
 * A small MCP server for tests, built with the official SDK: tools with each kind of annotation,
 * one that reveals the credential it was given (Countersign must mask it), and one that fails.
 * Every call is reported to `record`, so tests see exactly what reached the upstream.
 */
export function testUpstream(options: { readonly credential: () => string; readonly record: (call: ReceivedCall) => void; readonly crash?: () => void }): McpServer {
  const server = new McpServer({ name: 'test-upstream', version: '1.0.0' })
  const received = (tool: string, args: Record<string, unknown>) => options.record({ tool, arguments: args })
  server.registerTool('echo', { description: 'Echoes the text back', inputSchema: { text: z.string() }, annotations: { readOnlyHint: true, openWorldHint: false } }, async (args) => {
    received('echo', args)
    return { content: [{ type: 'text', text: args.text }] }
  })
  server.registerTool(
    'delete_item',
    { description: 'Deletes an item for good', inputSchema: { id: z.string(), cascade: z.boolean().optional() }, annotations: { destructiveHint: true, idempotentHint: true } },
    async (args) => {
      received('delete_item', args)
      return { content: [{ type: 'text', text: `deleted ${args.id}` }], structuredContent: { deleted: args.id } }
    },
  )
  server.registerTool('show_credential', { description: 'Returns the credential this server was given', annotations: { readOnlyHint: true } }, async () => {
    received('show_credential', {})
    return { content: [{ type: 'text', text: `my credential is ${options.credential()}` }] }
  })
  server.registerTool('fail', { description: 'Always reports an error', inputSchema: { why: z.string() } }, async (args) => {
    received('fail', args)
    return { content: [{ type: 'text', text: `failed because ${args.why}` }], isError: true }
  })
  server.registerTool(LONG_TOOL, { description: 'A tool with a long name', annotations: { readOnlyHint: true } }, async () => {
    received(LONG_TOOL, {})
    return { content: [{ type: 'text', text: 'summary' }] }
  })
  const crash = options.crash
  if (crash) {
    server.registerTool('crash', { description: 'Ends the server process in the middle of the call' }, async () => {
      received('crash', {})
      crash()
      return { content: [] }
    })
  }
  return server
}

/** The upstream over Streamable HTTP, requiring `Authorization: Bearer <token>`; records calls in `calls`. */
export async function serveHttpUpstream(token: string): Promise<{ url: string; calls: ReceivedCall[]; close(): Promise<void> }> {
  const calls: ReceivedCall[] = []
  const app = new Hono()
  // Stateless, as the gateway's own endpoint: no stream for server-initiated messages.
  app.get('/mcp', (c) => c.body(null, 405))
  app.post('/mcp', async (c) => {
    if (c.req.header('authorization') !== `Bearer ${token}`) return c.json({ error: 'unauthorized' }, 401)
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
    await testUpstream({ credential: () => token, record: (call) => calls.push(call) }).connect(transport)
    return transport.handleRequest(c.req.raw)
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started))
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/mcp`, calls, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

// Run as a script (`node --import tsx src/mcp/test-upstream.ts`): the upstream over stdio, its
// credential from UPSTREAM_TOKEN, each call appended as a JSON line to the file UPSTREAM_LOG names.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const log = process.env['UPSTREAM_LOG']
  const server = testUpstream({
    credential: () => process.env['UPSTREAM_TOKEN'] ?? '(none)',
    record: (call) => log && appendFileSync(log, `${JSON.stringify(call)}\n`),
    crash: () => process.exit(3),
  })
  await server.connect(new StdioServerTransport())
}

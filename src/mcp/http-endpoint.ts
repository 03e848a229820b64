import { readRequestBody, requestBodyTooLargeMessage } from '@modelcontextprotocol/sdk/server/requestBody.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import type { Env, Hono } from 'hono'
import { protoKeyPath } from '../action/index.js'
import type { TargetConfig } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import type { Agent } from '../lifecycle/index.js'
import type { Authenticator } from '../service/index.js'
import type { McpGateway } from './mcp-gateway.js'
import { MCP_PATH } from './relay/index.js'
import { createMcpServer } from './mcp-server.js'

/** What the endpoint needs besides the MCP gateway. */
export interface McpEndpointOptions {
  readonly mcp: McpGateway
  readonly authenticator: Authenticator
  readonly targets: readonly TargetConfig[]
  /** Largest request body accepted, in bytes. */
  readonly bodyLimit: number
}

/**
 * Serves the MCP gateway at `/mcp` over Streamable HTTP, stateless: every request is
 * authenticated by its bearer token (agents only) and answered by a server made for that agent,
 * so any replica can answer any request and no session lives in memory. A tool call's response
 * is an event stream carrying its progress notifications, then its result.
 * `?upstream=NAME` (repeated, or comma-separated) offers only those targets' tools.
 */
export function mountMcpEndpoint<E extends Env>(app: Hono<E>, options: McpEndpointOptions): void {
  const { mcp, authenticator, targets, bodyLimit } = options
  app.on(['GET', 'DELETE'], MCP_PATH, function mcpWithoutSessions(c) {
    // Stateless: no stream for server-initiated messages (GET) and no session to end (DELETE).
    return c.body(null, 405, { allow: 'POST' })
  })
  app.post(MCP_PATH, async function mcpEndpoint(c) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')
    const principal = await authenticator.authenticate(match?.[1])
    if (principal.type !== 'agent') {
      throw new CountersignError('FORBIDDEN', 'the MCP gateway serves agents: connect with an agent token (cs_agent_…); humans review in the console, chat or the CLI')
    }
    const only = upstreamsOf(c.req.queries('upstream'), targets)
    const read = await readRequestBody(c.req.raw, bodyLimit)
    if (read.tooLarge) return c.json({ jsonrpc: '2.0', error: { code: -32000, message: requestBodyTooLargeMessage(bodyLimit) }, id: null }, 413)
    const refused = protoKeyRefusal(read.text)
    if (refused !== undefined) return c.json(refused, 400)
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, maxRequestBodySize: bodyLimit })
    const server = createMcpServer(mcp, principal satisfies Agent, { only, signal: c.req.raw.signal })
    await server.connect(transport)
    // The body was read above: the transport gets the same text again, and parses it itself.
    const headers = new Headers(c.req.raw.headers)
    headers.delete('content-length')
    const request = new Request(c.req.raw.url, { method: 'POST', headers, body: read.text, signal: c.req.raw.signal })
    // The server and transport live as long as this request: the stream's end releases them.
    return transport.handleRequest(request)
  })
}

/**
 * A JSON-RPC error for a body that holds a `__proto__` key anywhere, or `undefined`. The SDK's
 * schemas copy `params.arguments`, and the key would vanish from the action that is decided:
 * refused instead, like the HTTP API does. Text that is not JSON is left to the transport.
 */
function protoKeyRefusal(text: string): Record<string, unknown> | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  const path = protoKeyPath(parsed)
  if (path === undefined) return undefined
  const id = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? ((parsed as { id?: unknown }).id ?? null) : null
  const message = `invalid request: ${path}: a "__proto__" key is not accepted anywhere in a request (it would be dropped from what is decided); rename or remove it`
  return { jsonrpc: '2.0', error: { code: -32602, message }, id: typeof id === 'string' || typeof id === 'number' ? id : null }
}

/** The targets `?upstream=` names, or `undefined` for all; an unknown name is refused. */
function upstreamsOf(values: readonly string[] | undefined, targets: readonly TargetConfig[]): readonly string[] | undefined {
  if (values === undefined) return undefined
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim()).filter((name) => name !== '')
  const unknown = names.filter((name) => !targets.some((target) => target.name === name))
  if (unknown.length > 0) throw new CountersignError('NOT_FOUND', `no target named ${unknown.join(', ')} (upstream=)`)
  return names
}

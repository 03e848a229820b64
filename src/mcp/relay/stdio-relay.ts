import type { Readable, Writable } from 'node:stream'
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { ErrorCode, InitializeResultSchema, isJSONRPCRequest, isJSONRPCResultResponse, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js'
import { MCP_PATH } from './mcp-path.js'

/** Where the relay finds the gateway, as whom, and which streams it speaks MCP on. */
export interface RelayOptions {
  /** The gateway's base URL (COUNTERSIGN_URL). */
  readonly url: string
  /** The agent's token (COUNTERSIGN_TOKEN): the only credential the local process holds. */
  readonly token: string
  /** Offer only these targets' tools (`--upstream`); all the agent may use when absent. */
  readonly upstreams?: readonly string[] | undefined
  readonly input?: Readable
  readonly output?: Writable
  /** Reports a problem the MCP client cannot be told (a lost connection). */
  readonly warn?: (message: string) => void
}

/**
 * `countersign mcp`: speaks MCP over stdio to a local agent and relays every message to the
 * gateway's `/mcp` endpoint, so that stdio and HTTP agents get exactly the same gateway (the
 * same tools, policy, holds and progress) and the local process holds no upstream credential,
 * only the agent's token. Resolves when the agent closes stdin.
 */
export async function relayStdio(options: RelayOptions): Promise<void> {
  const endpoint = new URL(MCP_PATH.slice(1), options.url.endsWith('/') ? options.url : `${options.url}/`)
  if (options.upstreams && options.upstreams.length > 0) endpoint.searchParams.set('upstream', options.upstreams.join(','))
  const local = new StdioServerTransport(options.input, options.output)
  const remote = new StreamableHTTPClientTransport(endpoint, { requestInit: { headers: { authorization: `Bearer ${options.token}` } } })
  // Initialize requests in flight: their result tells the HTTP side which protocol version to announce.
  const initializing = new Set<RequestId>()
  const closed = new Promise<void>((resolve) => {
    local.onclose = () => resolve()
  })

  remote.onmessage = (message) => {
    if (isJSONRPCResultResponse(message) && initializing.delete(message.id)) {
      const result = InitializeResultSchema.safeParse(message.result)
      if (result.success) remote.setProtocolVersion(result.data.protocolVersion)
    }
    void local.send(message).catch((error: unknown) => options.warn?.(`writing to the MCP client failed: ${(error as Error).message}`))
  }
  remote.onerror = (error) => options.warn?.(`the connection to Countersign at ${endpoint.origin} failed: ${error.message}`)
  local.onmessage = (message: JSONRPCMessage) => {
    if (isJSONRPCRequest(message) && message.method === 'initialize') initializing.add(message.id)
    remote.send(message).catch((error: unknown) => {
      // A request nobody answers would hang the agent until its own timeout: answer it with the reason.
      if (!isJSONRPCRequest(message)) return
      initializing.delete(message.id)
      void local.send({ jsonrpc: '2.0', id: message.id, error: { code: ErrorCode.InternalError, message: relayProblem(error, endpoint) } }).catch(() => {})
    })
  }

  await remote.start()
  await local.start()
  await closed
  await remote.close()
}

function relayProblem(error: unknown, endpoint: URL): string {
  if (error instanceof StreamableHTTPError && error.code === 401) return `Countersign at ${endpoint.origin} refused the token: set COUNTERSIGN_TOKEN to an agent token`
  if (error instanceof StreamableHTTPError && error.code === 403) return `Countersign at ${endpoint.origin} refused: only agent tokens can use the MCP gateway`
  // A problem document's detail says what was wrong (e.g. an --upstream that names no target).
  const detail = /"detail":"((?:[^"\\]|\\.)*)"/.exec((error as Error).message)?.[1]
  if (error instanceof StreamableHTTPError && detail) return `Countersign at ${endpoint.origin} refused (HTTP ${error.code}): ${JSON.parse(`"${detail}"`) as string}`
  return `cannot reach Countersign at ${endpoint.origin}: ${(error as Error).message}`
}

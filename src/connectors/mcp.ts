import { isAbsolute } from 'node:path'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ErrorCode, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { resolveSecret, type SecretRef } from '../config/index.js'
import { BoundedOutput } from './bounded-output.js'
import type { Connector, ExecutionRequest, ExecutionResult } from './connector.js'
import { connectorType } from './connector-type.js'
import { isHeaderName } from './http-request.js'
import { UpstreamSession, type UpstreamTransport } from './mcp-session.js'
import { newSpanId, type ExecutionContext } from './execution-context.js'
import { durationOption, IdentityOption, SecretOption, sizeOption, ValueOrSecret } from './options.js'
import { Redactor } from './redact.js'
import { elapsed, failure, reasonOf, refusal } from './results.js'

/** Most pages of `tools/list` read from one upstream: a server that pages forever is cut off. */
const MAX_TOOL_PAGES = 50

const EnvName = z.string('expected an environment variable name').regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name (letters, digits, _)')

const Endpoint = z.string('expected an http:// or https:// URL').transform((text, ctx) => {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    // Reported below.
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' })
  else if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'the endpoint must not carry credentials: use auth, or write the whole URL as a secret under url (url: env:NAME)' })
  else return url.href
  return z.NEVER
})

const Auth = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('bearer'), token: SecretOption }),
    z.strictObject({
      type: z.literal('header'),
      name: z
        .string('expected a header name, e.g. X-Api-Key')
        .refine(isHeaderName, 'expected a header name, e.g. X-Api-Key')
        .refine((name) => !['host', 'content-length', 'content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version'].includes(name.toLowerCase()), 'this header cannot carry a credential'),
      secret: SecretOption,
    }),
  ],
  'expected auth with type bearer (token) or header (name, secret)',
)

/**
 * Options of the `mcp` connector: an upstream MCP server Countersign runs (`command`, stdio) or
 * reaches (`endpoint`, or `url` when the URL itself is a secret; Streamable HTTP), with the
 * credentials only Countersign holds (`env` for a process, `auth` for HTTP).
 */
const McpOptionsSchema = z
  .strictObject({
    type: z.literal('mcp'),
    command: z.array(z.string().min(1, 'must not be empty'), 'expected the command as a list: [program, argument…]').min(1, 'expected the command as a list: [program, argument…]').optional(),
    env: z.record(EnvName, ValueOrSecret).default({}),
    cwd: z.string('expected an absolute path').refine(isAbsolute, 'expected an absolute path').optional(),
    endpoint: Endpoint.optional(),
    url: SecretOption.optional(),
    auth: Auth.optional(),
    timeout: durationOption('60s', { min: 100, max: 3_600_000 }),
    max_result: sizeOption('1MiB', { min: 1024, max: 64 * 1_048_576 }),
    identity: IdentityOption,
  })
  .superRefine((options, ctx) => {
    const ways = [options.command && 'command', options.endpoint && 'endpoint', options.url && 'url'].filter(Boolean)
    if (ways.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `expected exactly one of command (a stdio server), endpoint or url (a Streamable HTTP server)${ways.length > 1 ? `, not ${ways.join(' and ')}` : ''}` })
    }
    if (!options.command && (options.cwd !== undefined || Object.keys(options.env).length > 0)) {
      ctx.addIssue({ code: 'custom', path: [options.cwd !== undefined ? 'cwd' : 'env'], message: 'applies to a server Countersign runs (command) only' })
    }
    if (options.command && options.auth) ctx.addIssue({ code: 'custom', path: ['auth'], message: 'applies to an HTTP server (endpoint or url) only; a stdio server gets its credentials through env' })
  })
type McpOptions = z.output<typeof McpOptionsSchema>

/** A tool as its upstream lists it (`tools/list`). */
export type UpstreamTool = Tool

/** What an MCP gateway asks of an upstream besides running calls: its tools. */
export interface McpToolSource {
  /** Every tool the upstream offers now (all pages); throws when it cannot be reached. */
  listTools(signal?: AbortSignal): Promise<readonly UpstreamTool[]>
  /** Called when the upstream says its tools changed (`notifications/tools/list_changed`). */
  onToolsChanged(listener: () => void): void
}

/** The tool source of a connector, if it is an MCP upstream's. */
export function toolSourceOf(connector: Connector): McpToolSource | undefined {
  return connector instanceof McpConnector ? connector : undefined
}

/**
 * The identity of an execution in the `_meta` of its `tools/call` (MCP allows
 * `_meta` on every request, its keys under a prefix of one's own): `countersign/request_id`,
 * `digest`, `agent`, `agent_owner`, `on_behalf_of`, `submitter`, `approvers` (`[{email, channel,
 * at}]`), `matched_rules`, `policy_version`, `trace_id`, and a W3C `traceparent` in the
 * execution's trace. JSON carries the values as they are; nothing needs encoding.
 */
export function identityMeta(context: ExecutionContext): Record<string, unknown> {
  return {
    'countersign/request_id': context.request_id,
    'countersign/digest': context.digest,
    'countersign/agent': context.agent,
    'countersign/agent_owner': context.agent_owner,
    'countersign/on_behalf_of': context.on_behalf_of,
    'countersign/submitter': context.submitter,
    'countersign/approvers': context.approvers.map((approver) => ({ ...approver })),
    'countersign/matched_rules': [...context.matched_rules],
    'countersign/policy_version': context.policy_version,
    'countersign/trace_id': context.trace_id,
    traceparent: `00-${context.trace_id}-${context.span_id ?? newSpanId()}-01`,
  }
}

/** `mcp`: runs `tools/call` on the target's upstream MCP server with exactly the approved tool and arguments. */
export const mcp = connectorType({
  type: 'mcp',
  kind: 'mcp',
  schema: McpOptionsSchema,
  create: (_target, options) => new McpConnector(options),
})

interface McpPayload {
  readonly server: string
  readonly tool: string
  readonly arguments: Readonly<Record<string, unknown>>
}

class McpConnector implements Connector, McpToolSource {
  readonly type = 'mcp'
  readonly #options: McpOptions
  readonly #session: UpstreamSession
  readonly #listeners: (() => void)[] = []

  constructor(options: McpOptions) {
    this.#options = options
    this.#session = new UpstreamSession(() => this.#transport(), { timeoutMs: options.timeout, onToolsChanged: () => this.#listeners.forEach((listener) => listener()) })
  }

  onToolsChanged(listener: () => void): void {
    this.#listeners.push(listener)
  }

  async listTools(signal?: AbortSignal): Promise<readonly UpstreamTool[]> {
    // Listing changes nothing upstream: one retry on a fresh connection is safe.
    for (let attempt = 1; ; attempt++) {
      try {
        const client = await this.#session.client()
        const tools: UpstreamTool[] = []
        let cursor: string | undefined
        for (let page = 0; page < MAX_TOOL_PAGES; page++) {
          const result = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: this.#options.timeout, ...(signal && { signal }) })
          tools.push(...result.tools)
          cursor = result.nextCursor
          if (cursor === undefined) break
        }
        return tools
      } catch (error) {
        if (!(error instanceof McpError) || error.code === ErrorCode.ConnectionClosed) await this.#session.reset()
        if (attempt >= 2 || signal?.aborted || error instanceof McpError) throw new Error(new Redactor(this.#secrets()).text(this.#explain(error, 'listing its tools')), { cause: error })
      }
    }
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now()
    const refused = refusal(request, this.type, 'mcp')
    if (refused) return failure(started, refused)
    // `server` is the name the agent knows the server by (a Claude Code hook's `mcp__github__…`
    // says github); the call runs on this target's upstream, whose annotations the policy read.
    const payload = request.action.payload as unknown as McpPayload
    const redactor = new Redactor(this.#secrets())
    for (let attempt = 1; ; attempt++) {
      let result: CallToolResult
      try {
        const client = await this.#session.client().catch((error: unknown) => {
          throw new NotSent(error)
        })
        const meta = this.#options.identity ? { _meta: identityMeta(request.context) } : {}
        result = (await client.callTool({ name: payload.tool, arguments: { ...payload.arguments }, ...meta }, undefined, { signal: request.signal, timeout: this.#options.timeout })) as CallToolResult
      } catch (error) {
        const cause = error instanceof NotSent ? error.cause : error
        // A server's JSON-RPC error leaves the connection usable; anything else may have broken it.
        if (!(cause instanceof McpError) || cause.code === ErrorCode.ConnectionClosed) await this.#session.reset()
        // An HTTP session the upstream forgot (404) never saw the call: send it once more on a new one.
        if (attempt < 2 && cause instanceof StreamableHTTPError && cause.code === 404 && !request.signal.aborted) continue
        return failure(started, this.#callProblem(cause, error instanceof NotSent, request.signal), redactor)
      }
      return this.#result(result, started, redactor)
    }
  }

  #result(result: CallToolResult, started: number, redactor: Redactor): ExecutionResult {
    const shown = redactor.value({ content: result.content ?? [], ...(result.structuredContent !== undefined && { structuredContent: result.structuredContent }) })
    const output = new BoundedOutput(this.#options.max_result)
    output.push(JSON.stringify(shown))
    const error = result.isError === true ? `the tool reported an error${firstText(shown.content) ? `: ${firstText(shown.content)}` : ''}` : undefined
    return {
      status: error === undefined ? 'succeeded' : 'failed',
      duration_ms: elapsed(started),
      ...(error !== undefined && { error }),
      truncated: output.truncated,
      body: output.text(),
      ...(output.truncated && { output_bytes_total: output.total }),
    }
  }

  #callProblem(error: unknown, notSent: boolean, signal: AbortSignal): string {
    if (signal.aborted) return `stopped: ${reasonOf(signal)}; the upstream was asked to cancel the call, which may have partly run`
    if (notSent) return `${this.#explain(error, 'connecting')}; nothing was run`
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return `the upstream did not answer within ${this.#options.timeout / 1000}s; it was asked to cancel the call, which may have partly run`
    if (error instanceof McpError && error.code !== ErrorCode.ConnectionClosed) return `the upstream refused the call: ${error.message}`
    return `${this.#explain(error, 'the call')}; the call may have partly run`
  }

  /** One line saying what went wrong with the upstream, with the end of its stderr for a process. */
  #explain(error: unknown, during: string): string {
    const message = error instanceof Error ? error.message : String(error)
    const code = error instanceof StreamableHTTPError ? `HTTP ${error.code}` : (error as { code?: unknown }).code
    const stderr = this.#session.stderr.split('\n').slice(-3).join(' | ')
    const where = this.#options.command ? `the upstream process (${this.#options.command[0]})` : 'the upstream'
    return `${where} failed while ${during}: ${typeof code === 'string' ? `${code} ` : ''}${message}${stderr ? ` (stderr: ${stderr.slice(0, 500)})` : ''}`
  }

  /** A new transport to the upstream, with its credentials read from their secrets now. */
  #transport(): UpstreamTransport {
    const options = this.#options
    if (options.command) {
      const env: Record<string, string> = {}
      for (const [name, value] of Object.entries(options.env)) env[name] = typeof value === 'string' ? value : resolveSecret(value)
      const [command, ...args] = options.command
      const transport = new StdioClientTransport({ command: command!, args, env, ...(options.cwd && { cwd: options.cwd }), stderr: 'pipe' })
      return { transport, stderr: transport.stderr as NodeJS.ReadableStream | null }
    }
    const url = new URL(options.endpoint ?? resolveSecret(options.url!))
    const headers: Record<string, string> = {}
    if (options.auth?.type === 'bearer') headers['authorization'] = `Bearer ${resolveSecret(options.auth.token)}`
    else if (options.auth?.type === 'header') headers[options.auth.name.toLowerCase()] = resolveSecret(options.auth.secret)
    return { transport: new StreamableHTTPClientTransport(url, { requestInit: { headers } }) }
  }

  /** Every credential this upstream is given, to mask wherever it shows up in a result or an error. */
  #secrets(): string[] {
    const refs: SecretRef[] = []
    for (const value of Object.values(this.#options.env)) if (typeof value !== 'string') refs.push(value)
    if (this.#options.url) refs.push(this.#options.url)
    if (this.#options.auth?.type === 'bearer') refs.push(this.#options.auth.token)
    if (this.#options.auth?.type === 'header') refs.push(this.#options.auth.secret)
    return refs.map((ref) => resolveSecret(ref))
  }

  async close(): Promise<void> {
    await this.#session.close()
  }
}

/** The connection could not be opened: the call was never sent. */
class NotSent extends Error {
  constructor(cause: unknown) {
    super('not sent', { cause })
  }
}

/** The first text item of a tool result, on one line and short (for the error of a failed call). */
function firstText(content: readonly unknown[]): string {
  const item = content.find((part): part is { type: 'text'; text: string } => (part as { type?: unknown }).type === 'text' && typeof (part as { text?: unknown }).text === 'string')
  return item ? item.text.replace(/\s+/g, ' ').trim().slice(0, 300) : ''
}

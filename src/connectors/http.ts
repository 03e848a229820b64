import { z } from 'zod'
import { resolveSecret } from '../config/index.js'
import { BoundedOutput } from './bounded-output.js'
import type { Connector, ExecutionRequest, ExecutionResult } from './connector.js'
import { identityValues, newSpanId, type ExecutionContext } from './execution-context.js'
import { connectorType } from './connector-type.js'
import { HTTP_METHODS, isHeaderName, isTextType, pathProblem, requestBody, requestHeaders, resolveRequestUrl, safeHeaders } from './http-request.js'
import { durationOption, IdentityOption, SecretOption, sizeOption } from './options.js'
import { Redactor } from './redact.js'
import { elapsed, failure, reasonOf, refusal } from './results.js'

const BaseUrl = z.string('expected an http:// or https:// URL').transform((text, ctx) => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' })
    return z.NEVER
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' })
  else if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'the base URL must not carry credentials (use auth)' })
  else if (url.search || url.hash) ctx.addIssue({ code: 'custom', message: 'the base URL cannot have a query (?…) or a fragment (#…)' })
  else if (url.hostname.endsWith('.')) ctx.addIssue({ code: 'custom', message: 'the base URL\'s host must not end with "." (servers and certificates read it as another name)' })
  else {
    const ambiguous = pathProblem(text.replace(/^[a-z]+:\/\/[^/\\]*/i, '').split(/[?#]/)[0]!) ?? pathProblem(url.pathname)
    if (ambiguous !== undefined) ctx.addIssue({ code: 'custom', message: `the base URL's path is ambiguous: ${ambiguous}` })
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/'
  return url.href
})

const Auth = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('bearer'), token: SecretOption }),
    z.strictObject({ type: z.literal('basic'), username: z.string('expected the user name').min(1), password: SecretOption }),
    z.strictObject({
      type: z.literal('header'),
      name: z
        .string('expected a header name, e.g. X-Api-Key')
        .refine(isHeaderName, 'expected a header name, e.g. X-Api-Key')
        .refine((name) => !['host', 'content-length', 'transfer-encoding', 'connection'].includes(name.toLowerCase()), 'this header cannot carry a credential'),
      secret: SecretOption,
    }),
  ],
  'expected auth with type bearer (token), basic (username, password) or header (name, secret)',
)

/** Options of the `http` connector. */
const HttpOptionsSchema = z.strictObject({
  type: z.literal('http'),
  base_url: BaseUrl,
  auth: Auth.optional(),
  timeout: durationOption('30s', { min: 100, max: 3_600_000 }),
  max_response: sizeOption('1MiB', { min: 1024, max: 64 * 1_048_576 }),
  allowed_methods: z
    .array(z.string().transform((method) => method.toUpperCase()).pipe(z.enum(HTTP_METHODS, `expected methods among ${HTTP_METHODS.join(', ')}`)))
    .min(1)
    .optional(),
  identity: IdentityOption,
})
type HttpOptions = z.output<typeof HttpOptionsSchema>

/** `http`: sends the approved request to the target's base URL with the target's credential. */
export const http = connectorType({
  type: 'http',
  kind: 'http',
  schema: HttpOptionsSchema,
  create: (_target, options) => new HttpConnector(options),
})

interface HttpPayload {
  readonly method: string
  readonly url: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: unknown
}

class HttpConnector implements Connector {
  readonly type = 'http'
  readonly #options: HttpOptions
  readonly #base: URL
  readonly #closing = new AbortController()

  constructor(options: HttpOptions) {
    this.#options = options
    this.#base = new URL(options.base_url)
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now()
    const refused = refusal(request, this.type, 'http')
    if (refused) return failure(started, refused)
    const payload = request.action.payload as unknown as HttpPayload
    const method = payload.method.toUpperCase()
    const allowed: readonly string[] = this.#options.allowed_methods ?? HTTP_METHODS
    if (!allowed.includes(method)) return failure(started, `the method ${method} is not allowed on this target (allowed: ${allowed.join(', ')}); nothing was sent`)
    const url = resolveRequestUrl(this.#base, payload.url)
    if ('problem' in url) return failure(started, `${url.problem}; nothing was sent`)
    const auth = this.#credential()
    const headers = requestHeaders(payload.headers, auth?.name)
    if ('problem' in headers) return failure(started, `${headers.problem}; nothing was sent`)
    if (this.#options.identity) {
      const posing = Object.keys(headers).find(isIdentityHeader)
      if (posing !== undefined) return failure(started, `the payload may not set the ${posing} header: the connector sets it (identity at execution); nothing was sent`)
      Object.assign(headers, identityHeaders(request.context))
    }
    const redactor = new Redactor(auth?.secrets ?? [])
    const body = requestBody(payload.body, headers)
    // Injected last: nothing in the payload can replace or read it.
    if (auth) headers[auth.name] = auth.value

    const timeout = AbortSignal.timeout(this.#options.timeout)
    const signal = AbortSignal.any([request.signal, timeout, this.#closing.signal])
    const stopped = () =>
      timeout.aborted ? `the request did not finish within ${this.#options.timeout / 1000}s` : `stopped: ${reasonOf(request.signal.aborted ? request.signal : this.#closing.signal)}`
    let response: Response
    try {
      response = await fetch(url, { method, headers, ...(body !== undefined && { body }), redirect: 'manual', signal })
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause
      const why = signal.aborted ? stopped() : `could not send the request to ${url.origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`
      return failure(started, why, redactor)
    }
    const output = new BoundedOutput(this.#options.max_response)
    let problem: string | undefined
    try {
      for await (const chunk of response.body ?? []) {
        if (!output.push(chunk as Uint8Array)) break
      }
    } catch (error) {
      problem = signal.aborted ? `${stopped()} (while reading the response)` : `reading the response failed: ${(error as Error).message}`
    } finally {
      await response.body?.cancel().catch(() => {})
    }
    return redactor.result(this.#result(response, output, started, problem, redactor))
  }

  #result(response: Response, output: BoundedOutput, started: number, problem: string | undefined, redactor: Redactor): ExecutionResult {
    const bytes = output.bytes()
    const contentType = response.headers.get('content-type')
    const text = isTextType(contentType) || (!contentType && isUtf8(bytes))
    const declared = Number(response.headers.get('content-length'))
    const total = response.headers.get('content-encoding') === null && Number.isSafeInteger(declared) && declared > 0 ? declared : undefined
    const error = problem ?? (response.status >= 400 ? `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}` : undefined)
    return {
      status: error === undefined ? 'succeeded' : 'failed',
      duration_ms: elapsed(started),
      ...(error !== undefined && { error }),
      truncated: output.truncated,
      http_status: response.status,
      headers: safeHeaders(response.headers),
      body: text ? redactor.text(output.text(), output.truncated) : bytes.toString('base64'),
      ...(!text && { body_encoding: 'base64' as const }),
      ...(output.truncated && total !== undefined && { output_bytes_total: total }),
    }
  }

  /** The header carrying the credential, read from its secret now; and the forms of it to mask. */
  #credential(): { name: string; value: string; secrets: string[] } | undefined {
    const auth = this.#options.auth
    if (!auth) return undefined
    if (auth.type === 'bearer') {
      const token = resolveSecret(auth.token)
      return { name: 'authorization', value: `Bearer ${token}`, secrets: [token] }
    }
    if (auth.type === 'basic') {
      const password = resolveSecret(auth.password)
      const encoded = Buffer.from(`${auth.username}:${password}`, 'utf8').toString('base64')
      return { name: 'authorization', value: `Basic ${encoded}`, secrets: [password, encoded] }
    }
    const secret = resolveSecret(auth.secret)
    return { name: auth.name.toLowerCase(), value: secret, secrets: [secret] }
  }

  async close(): Promise<void> {
    this.#closing.abort(new Error('the connector was closed'))
  }
}

/** A header the connector sets from the execution's context: `Countersign-*` and `traceparent`. */
function isIdentityHeader(lowerName: string): boolean {
  return lowerName.startsWith('countersign-') || lowerName === 'traceparent'
}

/**
 * The identity headers of an execution: `Countersign-Request-Id`,
 * `Countersign-Agent`, `Countersign-On-Behalf-Of` and `Countersign-Approvers` (comma-separated
 * emails; each absent when empty), values printable ASCII with anything else percent-encoded (no
 * CR, LF or NUL can end a header); `Countersign-Digest`, `Countersign-Policy-Version`; and a W3C
 * `traceparent` in the execution's trace with a new span id.
 */
function identityHeaders(context: ExecutionContext): Record<string, string> {
  const values = identityValues(context)
  const headers: Record<string, string> = {
    'countersign-request-id': values.request_id,
    'countersign-agent': values.agent,
    'countersign-on-behalf-of': values.on_behalf_of,
    'countersign-approvers': values.approvers,
    'countersign-digest': context.digest,
    'countersign-policy-version': values.policy_version,
    traceparent: `00-${context.trace_id}-${context.span_id ?? newSpanId()}-01`,
  }
  return Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== ''))
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    return true
  } catch {
    return false
  }
}

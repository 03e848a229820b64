import { CountersignError, ERROR_CODES, type ErrorCode, type ErrorDetail } from '../errors/index.js'
import { escapeInline } from '../action/index.js'
import type { TokenSource } from '../sdk/token-source.js'

/** Where the client verbs find the gateway when neither `--url` nor COUNTERSIGN_URL says. */
export const DEFAULT_URL = 'http://127.0.0.1:8470'

/** One request: query parameters (undefined ones left out), a JSON body, a signal to abort it. */
export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | undefined>>
  readonly body?: unknown
  readonly signal?: AbortSignal | undefined
}

/**
 * A small client of the Countersign HTTP API over the global fetch. Problem documents become
 * {@link CountersignError}s with the problem's code and detail, so the CLI reports them in one
 * line with the matching exit code; the token goes into the Authorization header and nowhere else.
 *
 * @example
 * const client = new ApiClient('http://127.0.0.1:8470', process.env.COUNTERSIGN_TOKEN)
 * const action = await client.request<ActionView>('GET', `/v1/actions/${id}`)
 */
export class ApiClient {
  /** The base URL, as shown in messages. */
  readonly url: string
  readonly #base: URL
  readonly #token: string | TokenSource | undefined

  /** `token`: a bearer token, or a source of fresh ones (asked before each request, and again after a 401). */
  constructor(url: string, token: string | TokenSource | undefined) {
    this.#base = parseBaseUrl(url)
    this.#token = token || undefined
    this.url = this.#base.href.replace(/\/$/, '')
  }

  /** Sends one request and returns its JSON body; throws CountersignError for refusals and network failures. */
  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(path.replace(/^\//, ''), this.#base)
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined && value !== '') url.searchParams.set(key, String(value))
    const response = await this.#send(method, url, options, false)
    const text = await response.text()
    if (!response.ok) throw this.#refusal(response, text)
    if (response.status === 204 || text === '') return undefined as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new CountersignError('INTERNAL', `${this.url} answered ${method} ${url.pathname} with something other than JSON: is it a Countersign gateway?`)
    }
  }

  async #send(method: string, url: URL, options: RequestOptions, fresh: boolean): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', 'x-countersign-client': 'cli' }
    const token = typeof this.#token === 'object' ? await this.#bearer(fresh) : this.#token
    if (token) headers['authorization'] = `Bearer ${token}`
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
        ...(options.signal && { signal: options.signal }),
      })
    } catch (error) {
      if (options.signal?.aborted) throw error
      throw new CountersignError('INTERNAL', `cannot reach Countersign at ${this.url}: ${networkReason(error)}`, { cause: error })
    }
    // A refused token was not acted upon: with a token source, once more with a fresh token.
    if (response.status === 401 && typeof this.#token === 'object' && !fresh) {
      await response.body?.cancel().catch(() => undefined)
      return this.#send(method, url, options, true)
    }
    return response
  }

  async #bearer(fresh: boolean): Promise<string> {
    try {
      return await (this.#token as TokenSource).token({ fresh })
    } catch (error) {
      throw new CountersignError('UNAUTHENTICATED', `no token: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  #refusal(response: Response, text: string): CountersignError {
    const problem = parseProblem(text)
    const code = codeOf(response.status, problem?.code)
    // Details may quote what an agent sent: shown escaped, like everything the CLI prints from the gateway.
    let message = escapeInline(problem?.detail || `${this.url} answered HTTP ${response.status}${text ? `: ${firstLine(text)}` : ''}`)
    if (code === 'UNAUTHENTICATED' && !this.#token) message += ' (no token given: set COUNTERSIGN_TOKEN or --token)'
    const details: ErrorDetail[] = (problem?.errors ?? []).filter((detail) => typeof detail?.message === 'string').map((detail) => ({ message: escapeInline(detail.message), ...(detail.path && { path: escapeInline(detail.path) }) }))
    return new CountersignError(code, message, { details })
  }
}

function parseBaseUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new CountersignError('INVALID', `the gateway URL (--url or COUNTERSIGN_URL) is not a URL: ${url}`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CountersignError('INVALID', `the gateway URL (--url or COUNTERSIGN_URL) must be http(s), not ${parsed.protocol}`)
  // fetch refuses them anyway, quoting the whole URL; a token belongs in COUNTERSIGN_TOKEN.
  if (parsed.username || parsed.password) throw new CountersignError('INVALID', 'the gateway URL (--url or COUNTERSIGN_URL) must not contain a user name or password (give the token with COUNTERSIGN_TOKEN or --token)')
  // A base URL of https://host/prefix must keep its prefix when paths are resolved against it.
  if (!parsed.pathname.endsWith('/')) parsed.pathname += '/'
  // The API's own prefix, as in the quickstart's "API http://…/v1": every path below already has it.
  parsed.pathname = parsed.pathname.replace(/\/v1\/$/, '/')
  parsed.search = ''
  parsed.hash = ''
  return parsed
}

interface ProblemBody {
  readonly detail?: string
  readonly code?: string
  readonly errors?: readonly { readonly message: string; readonly path?: string }[]
}

function parseProblem(text: string): ProblemBody | undefined {
  try {
    const body = JSON.parse(text) as unknown
    return body && typeof body === 'object' ? (body as ProblemBody) : undefined
  } catch {
    return undefined
  }
}

/** The status decides the code (and so the exit code); a 409's code field tells a conflict from a decided action. */
function codeOf(status: number, code: string | undefined): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED'
  if (status === 403) return 'FORBIDDEN'
  if (status === 404) return 'NOT_FOUND'
  if (status === 409) return code === 'ALREADY_DECIDED' ? 'ALREADY_DECIDED' : 'CONFLICT'
  if (status >= 500) return 'INTERNAL'
  if (status >= 400) return 'INVALID'
  return (ERROR_CODES as readonly string[]).includes(code ?? '') ? (code as ErrorCode) : 'INTERNAL'
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is the gateway running? set COUNTERSIGN_URL or --url)',
    ENOTFOUND: 'no such host',
    ECONNRESET: 'the connection was reset',
    ETIMEDOUT: 'the connection timed out',
    EHOSTUNREACH: 'host unreachable',
  }
  return (cause?.code && reasons[cause.code]) || cause?.message || (error instanceof Error ? error.message : String(error))
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? ''
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}

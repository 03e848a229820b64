import { ApiError, type ProblemDetail } from './errors.js'
import type { TokenSource } from './token-source.js'

/**
 * When a failed request may be sent again:
 * - `idempotent`: reads and dry runs; again on network errors, 502, 503, 504 and 429.
 * - `unsent`: requests that change something (submit, review, cancel, redeem, outcome); again
 *   only when the gateway provably did not act on them: the connection was never made, or it
 *   answered 429. A 503 or a reset connection may come after the gateway acted: sending a submit
 *   twice would make two requests, a review twice a spurious "already reviewed".
 */
export type RetryMode = 'idempotent' | 'unsent'

/** One request. */
export interface HttpRequest {
  readonly query?: Readonly<Record<string, string | number | undefined>>
  readonly body?: unknown
  readonly signal?: AbortSignal | undefined
  readonly retry: RetryMode
  readonly accept?: string
}

/** How the client reaches the gateway. */
export interface HttpOptions {
  readonly url: string
  /** A bearer token, or where to get a fresh one (short-lived workload tokens: see {@link TokenSource}). */
  readonly token?: string | TokenSource | undefined
  readonly fetch?: typeof fetch | undefined
  /** How many times a request may be sent again (default 3). */
  readonly retries?: number | undefined
  /** Extra headers on every request (a proxy's, or a client label). */
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** Connection errors raised before any byte of the request left: sending again cannot repeat it. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])
const TRANSIENT_STATUS = new Set([502, 503, 504])
const BASE_DELAY_MS = 250
const MAX_DELAY_MS = 8_000
/** A Retry-After longer than this is not waited for: the error is returned instead. */
const MAX_RETRY_AFTER_MS = 60_000

/** The HTTP layer of the SDK: base URL, bearer token, problem documents as {@link ApiError}s, retries. */
export class Http {
  readonly url: string
  /** How many times a request may be sent again. */
  readonly retries: number
  readonly #base: URL
  readonly #token: string | TokenSource | undefined
  readonly #fetch: typeof fetch
  readonly #headers: Readonly<Record<string, string>>

  constructor(options: HttpOptions) {
    let base: URL
    try {
      base = new URL(options.url)
    } catch {
      throw new TypeError(`not a URL: ${options.url}`)
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`the gateway URL must be http(s), not ${base.protocol}`)
    // A base of https://host/prefix keeps its prefix when paths are resolved against it.
    if (!base.pathname.endsWith('/')) base.pathname += '/'
    // The API's own prefix (https://host/v1): every path the client sends already has it.
    base.pathname = base.pathname.replace(/\/v1\/$/, '/')
    base.search = ''
    base.hash = ''
    this.#base = base
    this.url = base.href.replace(/\/$/, '')
    this.#token = options.token || undefined
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis)
    this.retries = Math.max(0, options.retries ?? 3)
    this.#headers = options.headers ?? {}
  }

  /** Sends a request and returns its JSON body (undefined for 204). */
  async json<T>(method: string, path: string, request: HttpRequest): Promise<T> {
    const response = await this.send(method, path, request)
    const text = await response.text()
    if (response.status === 204 || text === '') return undefined as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new ApiError('INTERNAL', response.status, `${this.url} answered ${method} /${path.replace(/^\//, '')} with something other than JSON: is it a Countersign gateway?`)
    }
  }

  /** Sends a request, retrying as `request.retry` allows; returns a 2xx response or throws {@link ApiError}. */
  async send(method: string, path: string, request: HttpRequest): Promise<Response> {
    const url = new URL(path.replace(/^\//, ''), this.#base)
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined && value !== '') url.searchParams.set(key, String(value))
    const headers: Record<string, string> = { accept: request.accept ?? 'application/json, application/problem+json', ...this.#headers }
    if (request.body !== undefined) headers['content-type'] = 'application/json'
    const body = request.body === undefined ? undefined : JSON.stringify(request.body)
    let refreshed = false
    for (let attempt = 0; ; attempt++) {
      const token = typeof this.#token === 'string' ? this.#token : await this.#token?.token({ fresh: refreshed })
      if (token) headers['authorization'] = `Bearer ${token}`
      let response: Response
      try {
        response = await this.#fetch(url, { method, headers, ...(body !== undefined && { body }), ...(request.signal && { signal: request.signal }) })
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason ?? error
        const code = errorCode(error)
        const again = request.retry === 'idempotent' || NOT_SENT.has(code ?? '')
        if (!again || attempt >= this.retries) throw new ApiError('NETWORK', 0, `cannot reach Countersign at ${this.url}: ${code ?? networkReason(error)}`, { cause: error })
        await sleep(backoff(attempt), request.signal)
        continue
      }
      if (response.ok) return response
      // A refused token was not acted upon: with a token source, once more with a fresh token.
      if (response.status === 401 && typeof this.#token === 'object' && !refreshed) {
        refreshed = true
        attempt--
        await response.body?.cancel().catch(() => undefined)
        continue
      }
      const again = response.status === 429 || (request.retry === 'idempotent' && TRANSIENT_STATUS.has(response.status))
      const wait = again && attempt < this.retries ? retryAfter(response) ?? backoff(attempt) : undefined
      if (wait === undefined || wait > MAX_RETRY_AFTER_MS) throw await this.#refusal(response)
      // The body of a response that is not used must still be consumed, or its connection is not reused.
      await response.body?.cancel().catch(() => undefined)
      await sleep(wait, request.signal)
    }
  }

  async #refusal(response: Response): Promise<ApiError> {
    const text = await response.text().catch(() => '')
    let problem: { code?: unknown; detail?: unknown; errors?: unknown } | undefined
    try {
      const parsed = JSON.parse(text) as unknown
      if (parsed && typeof parsed === 'object') problem = parsed as typeof problem
    } catch {
      // Not a problem document (a proxy's page): the status speaks.
    }
    const code = typeof problem?.code === 'string' ? problem.code : codeOfStatus(response.status)
    const detail = typeof problem?.detail === 'string' && problem.detail ? problem.detail : `${this.url} answered HTTP ${response.status}`
    const details = Array.isArray(problem?.errors) ? (problem.errors as ProblemDetail[]).filter((item) => typeof item?.message === 'string') : []
    return new ApiError(code, response.status, detail, { details })
  }
}

function codeOfStatus(status: number): string {
  if (status === 401) return 'UNAUTHENTICATED'
  if (status === 403) return 'FORBIDDEN'
  if (status === 404) return 'NOT_FOUND'
  if (status === 409) return 'CONFLICT'
  if (status >= 500) return 'INTERNAL'
  return 'INVALID'
}

function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause
  return typeof cause?.code === 'string' ? cause.code : undefined
}

/** What went wrong below fetch's "fetch failed": the cause's message when it has one. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause
  if (cause instanceof Error && cause.message) return cause.message
  return error instanceof Error ? error.message : String(error)
}

/** Exponential backoff with jitter: several clients refused together do not come back together. */
export function backoff(attempt: number): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt)
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

/** Retry-After in ms (delta-seconds or an HTTP date), if the response has one. */
function retryAfter(response: Response): number | undefined {
  const value = response.headers.get('retry-after')?.trim()
  if (!value) return undefined
  if (/^\d+$/.test(value)) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

/** Waits `ms`, or less when `signal` aborts (then rejects with its reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    // Clamped to what setTimeout takes: a delay computed from a clock that was set can be anything.
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, Number.isNaN(ms) ? 0 : Math.min(2 ** 31 - 1, Math.max(0, ms)))
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

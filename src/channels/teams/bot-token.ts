import { ConnectorError } from './connector-error.js'

/** The scope of the bot's tokens for the Bot Connector. */
export const BOT_FRAMEWORK_SCOPE = 'https://api.botframework.com/.default'
/** A token is replaced this long before it expires, so none expires on the way. */
const RENEW_BEFORE_MS = 5 * 60_000
const FETCH_TIMEOUT_MS = 10_000

/** What the bot's credentials are. */
export interface BotTokenOptions {
  readonly appId: string
  readonly appPassword: string
  readonly tenantId: string
  /** The Microsoft identity platform's base URL, with a trailing slash (`https://login.microsoftonline.com/`). */
  readonly loginUrl: string
}

/**
 * The bot's own access token for the Bot Connector: OAuth 2.0 client credentials (the app id and
 * password) at the tenant's token endpoint, a single-tenant bot's authority. Cached until five
 * minutes before it expires; callers at once share one request; dropped when the connector
 * refuses it, so the next call fetches a new one.
 */
export class BotTokenSource {
  readonly #options: BotTokenOptions
  #token: { value: string; expiresAt: number } | undefined
  #fetching: Promise<string> | undefined

  constructor(options: BotTokenOptions) {
    this.#options = options
  }

  /** The token endpoint (`…/{tenant}/oauth2/v2.0/token`). */
  get tokenUrl(): string {
    return `${this.#options.loginUrl}${encodeURIComponent(this.#options.tenantId)}/oauth2/v2.0/token`
  }

  /** A valid token; throws a {@link ConnectorError} when the identity platform refuses or cannot be reached. */
  async token(): Promise<string> {
    if (this.#token && this.#token.expiresAt - RENEW_BEFORE_MS > Date.now()) return this.#token.value
    this.#fetching ??= this.#fetch().finally(() => (this.#fetching = undefined))
    return this.#fetching
  }

  /** Forgets the cached token (the connector answered 401 with it). */
  invalidate(): void {
    this.#token = undefined
  }

  async #fetch(): Promise<string> {
    const { appId, appPassword } = this.#options
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: appPassword, scope: BOT_FRAMEWORK_SCOPE })
    let response: Response
    try {
      response = await fetch(this.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
    } catch (error) {
      throw new ConnectorError('token', `the Microsoft identity platform could not be reached: ${(error as Error).message}`, { cause: error })
    }
    const answer = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown }
    if (!response.ok || typeof answer.access_token !== 'string') {
      // The error code only: descriptions can echo request details, and the log must never hold the password.
      const code = typeof answer.error === 'string' ? answer.error.slice(0, 80) : `HTTP ${response.status}`
      throw new ConnectorError('token', `the Microsoft identity platform refused the bot's credentials (${code})`, { status: response.status, code, retryAfterMs: retryAfterMs(response.headers) })
    }
    const lifetimeS = typeof answer.expires_in === 'number' ? answer.expires_in : Number(answer.expires_in ?? 3600)
    this.#token = { value: answer.access_token, expiresAt: Date.now() + (Number.isFinite(lifetimeS) ? lifetimeS : 3600) * 1000 }
    return answer.access_token
  }
}

/** A `Retry-After` header in milliseconds (seconds or an HTTP date), when there is one. */
export function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after')
  if (value === null) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

import { decodeProtectedHeader, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose'

/** Clock skew tolerated for `exp` and `nbf`: the Bot Framework's own validators allow 5 minutes. */
export const BOT_FRAMEWORK_CLOCK_TOLERANCE_S = 300
/** Longest bearer taken (the connector's tokens are ~1.5 KB). */
const MAX_TOKEN_LENGTH = 16_384
/** Keys are fetched again after this long, so a rotated key is picked up without a restart. */
const KEYS_MAX_AGE_MS = 24 * 3_600_000
/** An unknown key id fetches the keys again, at most this often: a stream of forged ids cannot make us hammer the issuer. */
const REFRESH_COOLDOWN_MS = 60_000
/** After a failed fetch with no keys at all, requests fail at once for this long instead of each fetching again. */
const RETRY_AFTER_FAILURE_MS = 5_000
const FETCH_TIMEOUT_MS = 5_000

/** What a verified token says. */
export interface VerifiedToken {
  readonly claims: JWTPayload
}

/** The outcome of verifying one request: the claims, or why it is refused (for the log; the caller answers 401 alike). */
export type TokenVerdict = ({ readonly ok: true } & VerifiedToken) | { readonly ok: false; readonly reason: string }

/** What the verifier needs. */
export interface BotFrameworkVerifierOptions {
  /** The bot's Microsoft app id: the audience every token must have. */
  readonly appId: string
  /** The Bot Framework's OpenID metadata (`https://login.botframework.com/v1/.well-known/openidconfiguration`). */
  readonly openIdMetadataUrl: string
  readonly clock: () => Date
}

interface SigningKey {
  readonly jwk: JWK
  /** The channels the key may sign for (`msteams`, …). */
  readonly endorsements: readonly string[]
}

interface KeySet {
  readonly issuer: string
  readonly keys: ReadonlyMap<string, SigningKey>
  readonly fetchedAt: number
}

/**
 * Verifies the bearer token the Bot Connector sends with every activity (Bot Framework
 * authentication, "connector to bot"): an RS256 JWT signed by a key from the OpenID metadata's
 * JWKS, whose endorsements include the activity's channel (`msteams`); `iss` is the metadata's
 * issuer, `aud` the bot's app id, `exp` (required) and `nbf` within
 * {@link BOT_FRAMEWORK_CLOCK_TOLERANCE_S}; and its `serviceurl` claim is the activity's
 * `serviceUrl`, so a token cannot send the bot's replies (and its own token) somewhere else.
 * Anything else is refused. The keys are cached and fetched again daily or on an unknown key id.
 */
export class BotFrameworkVerifier {
  readonly #options: BotFrameworkVerifierOptions
  #good: KeySet | undefined
  #fetching: Promise<KeySet> | undefined
  #lastFetch = 0

  constructor(options: BotFrameworkVerifierOptions) {
    this.#options = options
  }

  /**
   * Verifies the `Authorization` header of a request carrying an activity from `serviceUrl` on
   * channel `channelId` (both as the activity states them; `undefined` when it does not).
   */
  async verify(authorization: string | null | undefined, activity: { readonly serviceUrl?: unknown; readonly channelId?: unknown }): Promise<TokenVerdict> {
    const token = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization ?? '')?.[1]
    if (!token) return refuse(authorization ? 'the Authorization header is not a bearer JWT' : 'no Authorization header')
    if (token.length > MAX_TOKEN_LENGTH) return refuse('the token is too long')
    if (typeof activity.serviceUrl !== 'string' || typeof activity.channelId !== 'string') return refuse('the activity has no serviceUrl or channelId')
    try {
      const header = decodeProtectedHeader(token)
      if (header.alg !== 'RS256') return refuse(`the token is signed with ${String(header.alg)}, not RS256`)
      if (typeof header.kid !== 'string') return refuse('the token names no signing key')
      const set = await this.#keySet(header.kid)
      const key = set.keys.get(header.kid)
      if (!key) return refuse('the token is signed by a key the Bot Framework does not publish')
      if (!key.endorsements.includes(activity.channelId)) return refuse(`the signing key is not endorsed for channel ${activity.channelId.slice(0, 40)}`)
      const { payload } = await jwtVerify(token, await importJWK({ ...key.jwk, alg: 'RS256' }, 'RS256'), {
        issuer: set.issuer,
        audience: this.#options.appId,
        algorithms: ['RS256'],
        clockTolerance: BOT_FRAMEWORK_CLOCK_TOLERANCE_S,
        currentDate: this.#options.clock(),
        requiredClaims: ['exp'],
      })
      if (typeof payload['serviceurl'] !== 'string') return refuse('the token has no serviceurl claim')
      if (normalUrl(payload['serviceurl']) !== normalUrl(activity.serviceUrl)) return refuse("the token's serviceurl is not the activity's serviceUrl")
      return { ok: true, claims: payload }
    } catch (error) {
      return refuse(error instanceof Error ? `${error.name}: ${error.message}` : String(error))
    }
  }

  /** The keys: fetched when missing, older than a day, or lacking `kid` (then at most once a minute); the last good set while a refresh fails. */
  async #keySet(kid: string): Promise<KeySet> {
    const now = Date.now()
    const good = this.#good
    const wanted = !good || now - good.fetchedAt > KEYS_MAX_AGE_MS || !good.keys.has(kid)
    if (wanted && !this.#fetching && now - this.#lastFetch > (good ? REFRESH_COOLDOWN_MS : RETRY_AFTER_FAILURE_MS)) {
      this.#lastFetch = now
      this.#fetching = fetchKeySet(this.#options.openIdMetadataUrl)
        .then((set) => (this.#good = set))
        .finally(() => (this.#fetching = undefined))
    }
    if (this.#fetching) {
      try {
        return await this.#fetching
      } catch (error) {
        if (!good) throw error
      }
    }
    if (!good) throw new Error('fetching the Bot Framework keys failed moments ago')
    return good
  }
}

function refuse(reason: string): TokenVerdict {
  return { ok: false, reason }
}

/** URLs compared as Bot Framework does: case-insensitive, a trailing slash or not. */
function normalUrl(url: string): string {
  return url.replace(/\/+$/, '').toLowerCase()
}

async function fetchJson(url: string): Promise<Record<string, unknown>> {
  const parsed = new URL(url)
  if (parsed.protocol !== 'https:' && !['127.0.0.1', '[::1]', 'localhost'].includes(parsed.hostname)) throw new Error(`${url} is not https`)
  const response = await fetch(parsed, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`)
  const body = (await response.json()) as unknown
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error(`${url} did not answer a JSON object`)
  return body as Record<string, unknown>
}

async function fetchKeySet(metadataUrl: string): Promise<KeySet> {
  const metadata = await fetchJson(metadataUrl)
  if (typeof metadata['issuer'] !== 'string' || typeof metadata['jwks_uri'] !== 'string') throw new Error('the OpenID metadata has no issuer or jwks_uri')
  const jwks = await fetchJson(metadata['jwks_uri'])
  const keys = new Map<string, SigningKey>()
  for (const jwk of Array.isArray(jwks['keys']) ? (jwks['keys'] as (JWK & { endorsements?: unknown })[]) : []) {
    if (jwk.kty !== 'RSA' || typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) continue
    const endorsements = Array.isArray(jwk.endorsements) ? jwk.endorsements.filter((item): item is string => typeof item === 'string') : []
    const { endorsements: _, ...key } = jwk
    keys.set(jwk.kid, { jwk: key, endorsements })
  }
  return { issuer: metadata['issuer'], keys, fetchedAt: Date.now() }
}

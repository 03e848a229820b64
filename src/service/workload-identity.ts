import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose'
import type { Logger } from 'pino'
import type { WorkloadAgentRule, WorkloadIssuerConfig } from '../config/index.js'

/** Clock skew tolerated between the issuer and the gateway for `exp`, `nbf` and `iat`. */
export const WORKLOAD_CLOCK_TOLERANCE_S = 30
/** Longest bearer taken for a JWT (GitHub's are ~1–2 KB). */
export const MAX_JWT_LENGTH = 16_384
/** After a failed discovery, tokens of that issuer fail at once for this long instead of each fetching again. */
const DISCOVERY_RETRY_MS = 10_000
const FETCH_TIMEOUT_MS = 5_000

/** Whether a bearer token has the shape of a compact JWS (three base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return token.length <= MAX_JWT_LENGTH && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)
}

type KeySet = ReturnType<typeof createRemoteJWKSet>

/**
 * Workload identity: agents and CI jobs authenticate with an OIDC JWT from a configured issuer
 * instead of a stored Countersign token. A token is accepted when its signature verifies against
 * the issuer's published keys (discovered from `/.well-known/openid-configuration`, cached by
 * jose with a cooldown), `iss` is the configured issuer exactly, `aud` includes the configured
 * audience, `exp` (required) and `nbf` hold within {@link WORKLOAD_CLOCK_TOLERANCE_S}, and its
 * algorithm is on the entry's asymmetric allow-list. It then maps to the configured agent whose
 * rule's claims it matches exactly; a token matching no rule, or rules of different agents, is
 * refused. A token can never name an agent (or a human) by itself.
 */
export class WorkloadIdentity {
  readonly #issuers: ReadonlyMap<string, WorkloadIssuerConfig>
  readonly #keys = new Map<string, { keys?: Promise<KeySet>; failedAt?: number }>()
  readonly #logger: Logger | undefined

  constructor(entries: readonly WorkloadIssuerConfig[], options: { logger?: Logger | undefined } = {}) {
    this.#issuers = new Map(entries.map((entry) => [entry.issuer, entry]))
    this.#logger = options.logger
  }

  /**
   * The id of the configured agent `token` authenticates as at `now`, or `undefined` (the reason
   * is logged, never returned: callers answer every failure alike).
   */
  async authenticate(token: string, now: Date): Promise<string | undefined> {
    let issuer: string | undefined
    try {
      // Unverified: only to pick the issuer whose keys and rules apply. Everything is checked below.
      const claimed = decodeJwt(token).iss
      const entry = typeof claimed === 'string' ? this.#issuers.get(claimed) : undefined
      if (!entry) return this.#refuse('the token is not from a configured issuer', { claimed_issuer: typeof claimed === 'string' ? claimed.slice(0, 200) : null })
      issuer = entry.issuer
      const { payload } = await jwtVerify(token, await this.#keySet(entry), {
        issuer: entry.issuer,
        audience: entry.audience,
        algorithms: [...entry.algorithms],
        clockTolerance: WORKLOAD_CLOCK_TOLERANCE_S,
        currentDate: now,
        requiredClaims: ['exp'],
      })
      const agents = new Set(entry.agents.filter((rule) => matches(payload, rule)).map((rule) => rule.id))
      if (agents.size !== 1) {
        const reason = agents.size === 0 ? 'no agent rule matches the token\'s claims' : `the token's claims match rules of several agents (${[...agents].join(', ')})`
        return this.#refuse(reason, { issuer, sub: typeof payload.sub === 'string' ? payload.sub : null })
      }
      const [agent] = agents
      this.#logger?.debug({ issuer, sub: payload.sub ?? null, agent }, 'workload identity accepted')
      return agent
    } catch (error) {
      return this.#refuse(error instanceof Error ? `${error.name}: ${error.message}` : String(error), { issuer: issuer ?? null })
    }
  }

  #refuse(reason: string, details: Record<string, unknown>): undefined {
    this.#logger?.warn({ ...details, reason }, 'workload identity token refused')
    return undefined
  }

  /** The issuer's key set: from `jwks_url`, or discovered once (a failed discovery is tried again after a pause). */
  async #keySet(entry: WorkloadIssuerConfig): Promise<KeySet> {
    let state = this.#keys.get(entry.issuer)
    if (!state) this.#keys.set(entry.issuer, (state = {}))
    if (state.keys) return state.keys
    if (state.failedAt !== undefined && Date.now() - state.failedAt < DISCOVERY_RETRY_MS) throw new Error(`discovery of ${entry.issuer} failed moments ago`)
    const current = state
    current.keys = jwksUrl(entry).then(
      (url) => createRemoteJWKSet(new URL(url), { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: 30_000, cacheMaxAge: 600_000 }),
      (error: unknown) => {
        current.keys = undefined
        current.failedAt = Date.now()
        throw error
      },
    )
    return current.keys
  }
}

/** Where the issuer publishes its keys: configured, or its discovery document's `jwks_uri`. */
async function jwksUrl(entry: WorkloadIssuerConfig): Promise<string> {
  if (entry.jwks_url) return entry.jwks_url
  const response = await fetch(`${entry.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
  if (!response.ok) throw new Error(`discovery of ${entry.issuer} answered HTTP ${response.status}`)
  const metadata = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown }
  // OpenID Connect Discovery §4.3: the document must name exactly the issuer it was fetched for.
  if (metadata.issuer !== entry.issuer) throw new Error(`the discovery document of ${entry.issuer} names another issuer`)
  if (typeof metadata.jwks_uri !== 'string') throw new Error(`the discovery document of ${entry.issuer} has no jwks_uri`)
  const url = new URL(metadata.jwks_uri)
  if (url.protocol !== 'https:' && !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) throw new Error(`the jwks_uri of ${entry.issuer} is not https`)
  return url.href
}

/**
 * Whether every claim of the rule equals the token's (a listed value: one of them). Exact string
 * comparison only: no globs or templates, so that no claim value an issuer lets its users choose
 * (a branch name, a repository name) can widen a rule.
 */
function matches(payload: JWTPayload, rule: WorkloadAgentRule): boolean {
  return Object.entries(rule.match).every(([claim, expected]) => {
    const actual = Object.hasOwn(payload, claim) ? payload[claim] : undefined
    if (typeof actual !== 'string') return false
    return typeof expected === 'string' ? actual === expected : expected.includes(actual)
  })
}

import * as client from 'openid-client'
import { resolveSecret, type OidcConfig } from '../config/index.js'
import { CountersignError } from '../errors/index.js'

/** What a sign-in started in the browser must carry back to its callback (in a short-lived cookie). */
export interface PendingSignIn {
  readonly state: string
  readonly nonce: string
  readonly verifier: string
  /** A path of this console to return to. */
  readonly returnTo: string
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost'])

/**
 * Sign-in with an OpenID Connect provider: authorization code with PKCE (S256), state and nonce,
 * through openid-client. The provider's metadata is discovered at the first sign-in (and again
 * after a failed discovery), so a gateway starts even while its provider is unreachable.
 */
export class OidcSignIn {
  readonly #config: OidcConfig
  readonly #redirectUri: string
  #discovered: Promise<client.Configuration> | undefined

  constructor(config: OidcConfig, redirectUri: string) {
    this.#config = config
    this.#redirectUri = redirectUri
  }

  /** The issuer's host, to name it on the sign-in page. */
  get issuerHost(): string {
    return new URL(this.#config.issuer).host
  }

  /** The provider's authorization URL for a new sign-in, and what its callback will need. */
  async begin(returnTo: string): Promise<{ url: URL; pending: PendingSignIn }> {
    const configuration = await this.#configuration()
    const pending: PendingSignIn = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier(), returnTo }
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.#redirectUri,
      scope: this.#config.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    })
    return { url, pending }
  }

  /**
   * Completes a sign-in at the callback: checks state, exchanges the code with the PKCE verifier,
   * validates the ID token (signature, issuer, audience, expiry, nonce) and returns its claims,
   * completed from the userinfo endpoint when the ID token lacks the email or the groups claim.
   */
  async finish(query: URLSearchParams, pending: PendingSignIn): Promise<Record<string, unknown>> {
    const configuration = await this.#configuration()
    // The registered redirect URI with the response's parameters: behind a proxy, the request's own URL differs.
    const callbackUrl = new URL(this.#redirectUri)
    callbackUrl.search = query.toString()
    const checks = { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true }
    const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, checks)
    const claims = tokens.claims()
    if (!claims) throw new CountersignError('UNAUTHENTICATED', 'the identity provider returned no ID token')
    const groupsClaim = this.#config.groups_claim
    const complete = typeof claims['email'] === 'string' && (groupsClaim === undefined || claims[groupsClaim] !== undefined)
    if (complete || !configuration.serverMetadata().userinfo_endpoint) return { ...claims }
    // Many providers put only `sub` in the ID token and the rest behind userinfo; its `sub` must match.
    const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub)
    return { ...userinfo, ...claims, email: claims['email'] ?? userinfo.email, email_verified: claims['email_verified'] ?? userinfo.email_verified, ...(groupsClaim !== undefined && { [groupsClaim]: claims[groupsClaim] ?? userinfo[groupsClaim] }) }
  }

  #configuration(): Promise<client.Configuration> {
    this.#discovered ??= this.#discover().catch((error: unknown) => {
      // Not kept: the next sign-in tries again (the provider may be back).
      this.#discovered = undefined
      throw error
    })
    return this.#discovered
  }

  async #discover(): Promise<client.Configuration> {
    const issuer = new URL(this.#config.issuer)
    const secret = this.#config.client_secret ? resolveSecret(this.#config.client_secret) : undefined
    // Plain HTTP only to a provider on this machine (development, tests): anywhere else it would expose codes and tokens.
    const insecure = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname)
    return client.discovery(issuer, this.#config.client_id, secret, secret === undefined ? client.None() : undefined, insecure ? { execute: [client.allowInsecureRequests] } : undefined)
  }
}

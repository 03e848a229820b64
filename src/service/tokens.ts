import { hash, randomBytes } from 'node:crypto'
import { CountersignError } from '../errors/index.js'
import { canonicalEmail, type Human, type Principal } from '../lifecycle/index.js'
import type { Store, TokenRecord } from '../store/index.js'
import type { Directory } from '../config/index.js'
import { looksLikeJwt, type WorkloadIdentity } from './workload-identity.js'

/** Prefixes of the tokens Countersign issues. */
export const TOKEN_PREFIXES = { agent: 'cs_agent_', human: 'cs_user_' } as const

/** Shortest token accepted (docs/configuration.md: opaque strings of at least 32 characters). */
export const MIN_TOKEN_LENGTH = 32

/** SHA-256 of a token, lower-case hex: the only form in which tokens are stored. */
export function tokenSha256(token: string): string {
  return hash('sha256', token, 'hex')
}

/**
 * A new random token for an agent or a human (256 bits, base64url) and its hash.
 *
 * @example
 * const { token, sha256 } = generateToken('agent') // token: cs_agent_…, sha256: hex for config
 */
export function generateToken(type: 'agent' | 'human'): { token: string; sha256: string } {
  const token = TOKEN_PREFIXES[type] + randomBytes(32).toString('base64url')
  return { token, sha256: tokenSha256(token) }
}

/** How long a run-time token's lookup is trusted before the store is asked again (revocation delay). */
const CACHE_MS = 5_000
const CACHE_MAX = 10_000

/**
 * Turns a bearer token into a principal: config tokens first (in memory), then tokens issued at
 * run time (stored hashed; revoked or expired ones refused). Unknown, malformed, revoked and
 * expired tokens all fail the same way, without saying which. With workload identity configured,
 * a bearer shaped like a JWT is first tried as one (see {@link WorkloadIdentity}); when it is not
 * a valid one it is treated as an opaque token, exactly as without workload identity.
 */
export class Authenticator {
  readonly #directory: Directory
  readonly #store: Store
  readonly #clock: () => Date
  readonly #cache = new Map<string, { record: TokenRecord | undefined; until: number }>()
  readonly #workload: WorkloadIdentity | undefined

  constructor(directory: Directory, store: Store, clock: () => Date = () => new Date(), workload?: WorkloadIdentity) {
    this.#directory = directory
    this.#store = store
    this.#clock = clock
    this.#workload = workload
  }

  /** The principal for `Authorization: Bearer …`'s token; throws UNAUTHENTICATED otherwise. */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (token && this.#workload && looksLikeJwt(token)) {
      const agent = await this.#workload.authenticate(token, this.#clock())
      if (agent !== undefined) return this.#principal({ type: 'agent', subject: agent })
    }
    if (!token || token.length < MIN_TOKEN_LENGTH || token.length > 512) throw unauthenticated()
    const sha256 = tokenSha256(token)
    const known = this.#directory.tokenSubject(sha256)
    if (known) return this.#principal(known.type === 'agent' ? { type: 'agent', subject: known.id } : { type: 'human', subject: known.email })
    const record = await this.#lookup(sha256)
    const now = this.#clock()
    if (!record || record.revokedAt || (record.expiresAt && record.expiresAt <= now)) throw unauthenticated()
    const issuer = issuerOf(record)
    // A personal token is only ever issued by its holder (issueToken). One issued by anybody else
    // (an older version, a hand-edited store) would let its issuer review as another person: dead.
    if (record.principalType === 'human' && issuer !== canonicalEmail(record.subject)) throw unauthenticated()
    return this.#principal({ type: record.principalType, subject: record.subject }, issuer)
  }

  async #lookup(sha256: string): Promise<TokenRecord | undefined> {
    const cached = this.#cache.get(sha256)
    if (cached && cached.until > Date.now()) return cached.record
    const record = await this.#store.findToken(sha256)
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear()
    // Only found tokens are cached: a flood of unknown tokens must not evict the good ones.
    if (record) this.#cache.set(sha256, { record, until: Date.now() + CACHE_MS })
    return record
  }

  /** Forgets a cached token at once (after this replica revoked it). */
  forget(sha256: string): void {
    this.#cache.delete(sha256)
  }

  #principal(subject: { type: 'agent' | 'human'; subject: string }, issuedBy?: string): Principal {
    if (subject.type === 'agent') {
      const agent = this.#directory.agent(subject.subject)
      // A token of an agent that config no longer lists is dead.
      if (!agent) throw unauthenticated()
      // The human who issued a run-time token is a requester of what is submitted with it.
      return { type: 'agent', id: agent.id, owner: agent.owner, labels: agent.labels, ...(issuedBy !== undefined && { issuedBy }) }
    }
    const human = this.#directory.human(subject.subject)
    // A token of a human that config no longer lists is dead too (offboarding removes them there).
    if (!human) throw unauthenticated()
    return human
  }
}

/**
 * The canonical email of the human who issued a run-time token (`created_by` is `human:EMAIL`),
 * or `undefined` when it names no human.
 */
function issuerOf(record: TokenRecord): string | undefined {
  const createdBy = typeof record.createdBy === 'string' ? record.createdBy : ''
  if (!createdBy.startsWith('human:')) return undefined
  const email = canonicalEmail(createdBy.slice('human:'.length))
  return email === '' ? undefined : email
}

function unauthenticated(): CountersignError {
  return new CountersignError('UNAUTHENTICATED', 'a valid bearer token is required (Authorization: Bearer cs_…)')
}

/** What an admin asks for when issuing a token at run time. */
export interface TokenRequest {
  readonly agent?: string | undefined
  readonly user?: string | undefined
  readonly name: string
  readonly expiresInSeconds?: number | undefined
}

/**
 * Issues a token at run time, stored hashed with an audit event; the token itself is returned once
 * and never again. Admins issue agent tokens; a human issues personal tokens for themselves only,
 * so that nobody, admins included, can hold another person's identity and countersign as them.
 */
export async function issueToken(store: Store, directory: Directory, principal: Principal, request: TokenRequest, now: Date): Promise<{ token: string; record: TokenRecord }> {
  if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'agents cannot issue tokens')
  const type = request.agent !== undefined ? 'agent' : 'human'
  const subject = request.agent ?? canonicalEmail(request.user ?? '')
  if (type === 'agent') {
    requireAdmin(principal, 'issue agent tokens')
    if (!directory.agent(subject)) throw new CountersignError('INVALID', `unknown agent "${subject}"`)
  } else if (subject !== principal.email) {
    throw new CountersignError('FORBIDDEN', 'a personal token can only be issued by its own holder (admins included): it would let one person review as another')
  }
  const { token, sha256 } = generateToken(type)
  const record: TokenRecord = {
    sha256,
    principalType: type,
    subject,
    name: request.name,
    createdAt: now,
    createdBy: `human:${(principal as Human).email}`,
    expiresAt: request.expiresInSeconds ? new Date(now.getTime() + request.expiresInSeconds * 1000) : null,
    revokedAt: null,
  }
  await store.createToken(record, {
    type: 'token.created',
    action_id: null,
    actor: record.createdBy,
    channel: 'api',
    digest: null,
    policy_version: null,
    data: { token_sha256: sha256, type, subject, name: request.name, expires_at: record.expiresAt?.toISOString() ?? null },
  })
  return { token, record }
}

/** Revokes a run-time token (admins: any; a human: their own); NOT_FOUND when there is no live token with that hash. */
export async function revokeToken(store: Store, principal: Principal, sha256: string, now: Date): Promise<void> {
  if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'agents cannot revoke tokens')
  if (!principal.admin) {
    const token = await store.findToken(sha256)
    if (!token || token.principalType !== 'human' || token.subject !== principal.email) throw new CountersignError('FORBIDDEN', 'only admins revoke tokens other than their own')
  }
  const revoked = await store.revokeToken(sha256, now, {
    type: 'token.revoked',
    action_id: null,
    actor: `human:${(principal as Human).email}`,
    channel: 'api',
    digest: null,
    policy_version: null,
    data: { token_sha256: sha256 },
  })
  if (!revoked) throw new CountersignError('NOT_FOUND', 'no live run-time token with this hash (tokens listed in the config file are revoked by removing them there)')
}

function requireAdmin(principal: Principal, what: string): void {
  if (principal.type !== 'human' || !principal.admin) throw new CountersignError('FORBIDDEN', `only admins ${what}`)
}

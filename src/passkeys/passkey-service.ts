import { randomBytes } from 'node:crypto'
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server'
import { CountersignError } from '../errors/index.js'
import type { Human } from '../lifecycle/index.js'
import type { Store } from '../store/index.js'
import { challengeOf, type ApprovalBinding } from './approval-binding.js'
import type { PasskeyEvidence } from './check-assertion.js'

/** How long a registration or approval challenge is good for. */
export const CHALLENGE_MS = 5 * 60_000

/** A registered passkey as its owner sees it (never the key material's secrets: there are none here). */
export interface PasskeyView {
  readonly credential_id: string
  readonly name: string
  readonly created_at: string
  readonly last_used_at: string | null
  readonly revoked_at: string | null
}

/**
 * Passkeys for approvals (`review.assurance: passkey`): registration, listing and revocation of
 * each person's credentials, and the approval ceremony whose challenge binds the action digest,
 * the requirements, the policy version and an expiry. Every challenge is good once; every
 * registration and revocation is an audit event carrying the public key, so `audit verify` can
 * check each approval against the key as registered, whatever the store says later.
 */
export class PasskeyService {
  readonly #store: Store
  readonly #origin: string
  readonly #rpId: string
  readonly #clock: () => Date

  constructor(store: Store, publicUrl: string, clock: () => Date = () => new Date()) {
    const url = new URL(publicUrl)
    this.#store = store
    this.#origin = url.origin
    this.#rpId = url.hostname
    this.#clock = clock
  }

  /** The origin approvals must be made on (the console's). */
  get origin(): string {
    return this.#origin
  }

  /** Options for registering a new passkey (`navigator.credentials.create`). */
  async registrationOptions(human: Human): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.#store.db.selectFrom('passkeys').select(['credential_id', 'transports']).where('email', '=', human.email).where('revoked_at', 'is', null).execute()
    const options = await generateRegistrationOptions({
      rpName: 'Countersign',
      rpID: this.#rpId,
      userName: human.email,
      attestationType: 'none',
      excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: JSON.parse(row.transports) as AuthenticatorTransport[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    })
    await this.#saveChallenge(options.challenge, human.email, 'register', null)
    return options
  }

  /** Verifies a registration and stores the credential with its `passkey.registered` audit event. */
  async register(human: Human, response: RegistrationResponseJSON, name: string): Promise<PasskeyView> {
    const challenge = challengeOfResponse(response.response.clientDataJSON)
    await this.#takeChallenge(challenge, human.email, 'register', null)
    let verified
    try {
      verified = await verifyRegistrationResponse({ response, expectedChallenge: challenge, expectedOrigin: this.#origin, expectedRPID: this.#rpId, requireUserVerification: true })
    } catch (error) {
      throw new CountersignError('INVALID', `the passkey registration does not verify: ${(error as Error).message}`)
    }
    if (!verified.verified || !verified.registrationInfo) throw new CountersignError('INVALID', 'the passkey registration does not verify')
    const { credential } = verified.registrationInfo
    const publicKey = Buffer.from(credential.publicKey).toString('base64url')
    const now = this.#clock()
    const label = name.trim().slice(0, 100) || 'passkey'
    await this.#store.transact(async (tx, append) => {
      await tx.insertInto('passkeys').values({ credential_id: credential.id, email: human.email, name: label, public_key: publicKey, counter: credential.counter, transports: JSON.stringify(credential.transports ?? []), created_at: now, last_used_at: null, revoked_at: null }).execute()
      await append([{ type: 'passkey.registered', action_id: null, actor: `human:${human.email}`, channel: 'console', digest: null, policy_version: null, data: { credential_id: credential.id, public_key: publicKey, origin: this.#origin, rp_id: this.#rpId, name: label } }])
    })
    return { credential_id: credential.id, name: label, created_at: now.toISOString(), last_used_at: null, revoked_at: null }
  }

  /** A person's passkeys, newest first. */
  async list(human: Human): Promise<readonly PasskeyView[]> {
    const rows = await this.#store.db.selectFrom('passkeys').selectAll().where('email', '=', human.email).orderBy('created_at', 'desc').execute()
    return rows.map((row) => ({ credential_id: row.credential_id, name: row.name, created_at: row.created_at.toISOString(), last_used_at: row.last_used_at?.toISOString() ?? null, revoked_at: row.revoked_at?.toISOString() ?? null }))
  }

  /** Revokes one of a person's passkeys (an admin may revoke anyone's), with its audit event. */
  async revoke(human: Human, credentialId: string): Promise<void> {
    const done = await this.#store.transact(async (tx, append) => {
      let query = tx.updateTable('passkeys').set({ revoked_at: this.#clock() }).where('credential_id', '=', credentialId).where('revoked_at', 'is', null)
      if (!human.admin) query = query.where('email', '=', human.email)
      const row = await query.returning(['email']).executeTakeFirst()
      if (!row) return false
      await append([{ type: 'passkey.revoked', action_id: null, actor: `human:${human.email}`, channel: 'console', digest: null, policy_version: null, data: { credential_id: credentialId, owner: row.email } }])
      return true
    })
    if (!done) throw new CountersignError('NOT_FOUND', 'no such live passkey of yours')
  }

  /**
   * Options for approving one action with a passkey: the challenge is the binding of its digest,
   * the requirements the approval counts for, the policy version and an expiry. Refused when the
   * person has no live passkey (register one first).
   */
  async approvalOptions(human: Human, action: { id: string; digest: string; policyVersion: string }, requirements: readonly string[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const credentials = await this.#store.db.selectFrom('passkeys').select(['credential_id', 'transports']).where('email', '=', human.email).where('revoked_at', 'is', null).execute()
    if (credentials.length === 0) throw new CountersignError('FORBIDDEN', 'this approval needs a passkey, and you have none: register one on the console\'s Passkeys page')
    const binding: ApprovalBinding = {
      purpose: 'countersign-approval',
      action_id: action.id,
      digest: action.digest,
      requirements: [...requirements],
      policy_version: action.policyVersion,
      expires_at: new Date(this.#clock().getTime() + CHALLENGE_MS).toISOString(),
      nonce: randomBytes(16).toString('base64url'),
    }
    const options = await generateAuthenticationOptions({
      rpID: this.#rpId,
      challenge: new Uint8Array(challengeOf(binding)) as Uint8Array<ArrayBuffer>,
      allowCredentials: credentials.map((row) => ({ id: row.credential_id, transports: JSON.parse(row.transports) as AuthenticatorTransport[] })),
      userVerification: 'required',
    })
    await this.#saveChallenge(options.challenge, human.email, 'approve', action.id)
    return options
  }

  /**
   * Verifies a passkey approval of `action` by `human` and takes its challenge (good once): the
   * credential is theirs and live, the challenge was handed to them for this action and has not
   * expired or been used, and the assertion verifies. Returns the evidence to store.
   */
  async verifyApproval(human: Human, action: { id: string; digest: string; policyVersion: string }, response: AuthenticationResponseJSON): Promise<PasskeyEvidence> {
    const challenge = challengeOfResponse(response.response.clientDataJSON)
    const credential = await this.#store.db.selectFrom('passkeys').selectAll().where('credential_id', '=', response.id).executeTakeFirst()
    if (!credential || credential.email !== human.email || credential.revoked_at !== null) throw new CountersignError('FORBIDDEN', 'that passkey is not a live passkey of yours')
    await this.#takeChallenge(challenge, human.email, 'approve', action.id)
    let verified
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.#origin,
        expectedRPID: this.#rpId,
        credential: { id: credential.credential_id, publicKey: new Uint8Array(Buffer.from(credential.public_key, 'base64url')), counter: Number(credential.counter), transports: JSON.parse(credential.transports) as AuthenticatorTransport[] },
        requireUserVerification: true,
      })
    } catch (error) {
      throw new CountersignError('FORBIDDEN', `the passkey approval does not verify: ${(error as Error).message}`)
    }
    if (!verified.verified) throw new CountersignError('FORBIDDEN', 'the passkey approval does not verify')
    await this.#store.db.updateTable('passkeys').set({ counter: verified.authenticationInfo.newCounter, last_used_at: this.#clock() }).where('credential_id', '=', credential.credential_id).execute()
    return { credential_id: credential.credential_id, authenticator_data: response.response.authenticatorData, client_data_json: response.response.clientDataJSON, signature: response.response.signature }
  }

  async #saveChallenge(challenge: string, email: string, purpose: 'register' | 'approve', actionId: string | null): Promise<void> {
    const now = this.#clock()
    await this.#store.db.deleteFrom('passkey_challenges').where('expires_at', '<', now).execute()
    await this.#store.db.insertInto('passkey_challenges').values({ challenge, email, purpose, action_id: actionId, expires_at: new Date(now.getTime() + CHALLENGE_MS), used_at: null }).execute()
  }

  /** Marks a challenge used, once: a replayed assertion finds it used and is refused. */
  async #takeChallenge(challenge: string, email: string, purpose: 'register' | 'approve', actionId: string | null): Promise<void> {
    let query = this.#store.db
      .updateTable('passkey_challenges')
      .set({ used_at: this.#clock() })
      .where('challenge', '=', challenge)
      .where('email', '=', email)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .where('expires_at', '>', this.#clock())
    query = actionId === null ? query.where('action_id', 'is', null) : query.where('action_id', '=', actionId)
    const result = await query.executeTakeFirst()
    if (Number(result.numUpdatedRows) !== 1) throw new CountersignError('FORBIDDEN', 'that passkey challenge is unknown, expired, for another action, or already used: start again')
  }
}

function challengeOfResponse(clientDataJSON: string): string {
  try {
    const challenge = (JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown }).challenge
    if (typeof challenge === 'string' && challenge !== '') return challenge
  } catch {
    // Refused below.
  }
  throw new CountersignError('INVALID', 'the passkey response carries no challenge')
}

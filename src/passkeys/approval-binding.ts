import { canonicalJson } from '../action/index.js'

/**
 * What a passkey approval signs: the WebAuthn challenge is the UTF-8 of this object's canonical
 * JSON, so the authenticator's signature (over `clientDataJSON`, which carries the challenge)
 * binds the action digest, the requirements, the policy version and an expiry. Anyone holding
 * the public key can check an approval offline, with no server secret.
 */
export interface ApprovalBinding {
  readonly purpose: 'countersign-approval'
  readonly action_id: string
  /** The action digest (64 hex): the approval is for exactly this text. */
  readonly digest: string
  /** Rule ids of the requirements the approval counts for. */
  readonly requirements: readonly string[]
  readonly policy_version: string
  /** The assertion is refused after this time (ISO 8601). */
  readonly expires_at: string
  /** Random: two challenges for the same action differ, so a signed one cannot be replayed as another. */
  readonly nonce: string
}

/** The challenge bytes for a binding. */
export function challengeOf(binding: ApprovalBinding): Uint8Array {
  return new TextEncoder().encode(canonicalJson(binding))
}

/** The binding a challenge (as `clientDataJSON` carries it, base64url) stands for, or `undefined` when it is none. */
export function bindingOfChallenge(challenge: string): ApprovalBinding | undefined {
  try {
    const value = JSON.parse(Buffer.from(challenge, 'base64url').toString('utf8')) as Partial<ApprovalBinding>
    if (value.purpose !== 'countersign-approval') return undefined
    if (typeof value.action_id !== 'string' || typeof value.digest !== 'string' || typeof value.policy_version !== 'string' || typeof value.expires_at !== 'string' || typeof value.nonce !== 'string') return undefined
    if (!Array.isArray(value.requirements) || !value.requirements.every((rule) => typeof rule === 'string')) return undefined
    return value as ApprovalBinding
  } catch {
    return undefined
  }
}

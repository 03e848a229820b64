import { createHash } from 'node:crypto'
import { decodeClientDataJSON, parseAuthenticatorData, verifySignature } from '@simplewebauthn/server/helpers'
import { bindingOfChallenge, type ApprovalBinding } from './approval-binding.js'

/**
 * A passkey approval as stored with the review and in its audit event: the assertion exactly as
 * the authenticator made it (base64url), enough to check it again offline.
 */
export interface PasskeyEvidence {
  readonly credential_id: string
  readonly authenticator_data: string
  readonly client_data_json: string
  readonly signature: string
}

/** What an approval must be for. */
export interface ExpectedApproval {
  readonly digest: string
  readonly policyVersion: string
  readonly origin: string
  /** When given, the binding must not have expired at this time. */
  readonly at?: Date | undefined
}

/**
 * Why `evidence` is not a valid passkey approval of `expected` by the key `publicKey` (a COSE key,
 * base64url), or `undefined` when it is: a `webauthn.get` from the gateway's origin whose
 * challenge is an approval binding of this digest and policy version, user present and verified,
 * signed by the key. No I/O, no server secret: `audit verify` runs it offline.
 */
export async function assertionProblem(evidence: PasskeyEvidence, publicKey: string, expected: ExpectedApproval): Promise<string | undefined> {
  try {
    const clientData = decodeClientDataJSON(evidence.client_data_json)
    if (clientData.type !== 'webauthn.get') return `its client data is a ${clientData.type}, not an assertion`
    if (clientData.origin !== expected.origin) return `it was made on ${clientData.origin}, not ${expected.origin}`
    const binding: ApprovalBinding | undefined = bindingOfChallenge(clientData.challenge)
    if (!binding) return 'its challenge is not an approval binding'
    if (binding.digest !== expected.digest) return 'it approves another action (its digest differs)'
    if (binding.policy_version !== expected.policyVersion) return 'it approves under another policy version'
    if (expected.at && !(expected.at.getTime() < Date.parse(binding.expires_at))) return `it expired at ${binding.expires_at}`
    const authenticatorData = Buffer.from(evidence.authenticator_data, 'base64url')
    const { flags } = parseAuthenticatorData(new Uint8Array(authenticatorData))
    if (!flags.up || !flags.uv) return 'the authenticator did not verify the user'
    const data = Buffer.concat([authenticatorData, createHash('sha256').update(Buffer.from(evidence.client_data_json, 'base64url')).digest()])
    const valid = await verifySignature({ signature: new Uint8Array(Buffer.from(evidence.signature, 'base64url')), data: new Uint8Array(data), credentialPublicKey: new Uint8Array(Buffer.from(publicKey, 'base64url')) })
    return valid ? undefined : 'its signature does not verify with the registered public key'
  } catch (error) {
    return `it cannot be read: ${(error as Error).message}`
  }
}

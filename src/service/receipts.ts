import { randomBytes, type KeyObject } from 'node:crypto'
import { errors as joseErrors, jwtVerify, type JWK } from 'jose'
import { z } from 'zod'
import { signingKeyId, type AuditSigner } from '../audit/index.js'
import { CountersignError } from '../errors/index.js'
import type { ActionRecord, ReviewRecord } from '../store/index.js'
import { grantCitationOf } from './grant-use.js'

/** The JOSE `typ` of a receipt: a receipt is never mistaken for another kind of token, nor the reverse. */
export const RECEIPT_TYPE = 'countersign-receipt+jwt'
/** How long a receipt for an allowed action is good for (approved ones end with their approval). */
export const ALLOWED_RECEIPT_MS = 15 * 60_000

/** What a receipt binds, besides the JWT's `iss`, `sub` (the action id), `jti`, `iat` and `exp`. */
export const ReceiptClaimsSchema = z.object({
  iss: z.string(),
  sub: z.string(),
  jti: z.string().min(16),
  iat: z.number(),
  exp: z.number(),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  target: z.string(),
  kind: z.string(),
  agent: z.string().nullable(),
  status: z.enum(['allowed', 'approved']),
  approvers: z.array(z.string()),
  /** The deciding audit events with their inclusion proofs and the signed tree head they are in (see `AuditLog.receiptProof`). */
  audit: z
    .object({
      checkpoint: z.string(),
      events: z.array(z.object({ seq: z.number().int(), event: z.string(), proof: z.array(z.string()) })),
    })
    .optional(),
  /** Set when a narrowing grant allowed the action: the grant's id (its reviewers are `approvers`). */
  grant: z.string().optional(),
})
export type ReceiptClaims = z.infer<typeof ReceiptClaimsSchema>

/**
 * Signed single-use approval receipts for targets without a connector: a compact JWS (EdDSA,
 * Ed25519, with `kid`) binding the digest, target, agent, approvers and expiry of an allowed or
 * approved action. Anyone can check one offline against `/.well-known/jwks.json`; redeeming it
 * (once) is the gateway's job.
 */
export class Receipts {
  readonly #key: AuditSigner
  readonly #issuer: string
  readonly #previousKeys: readonly KeyObject[]

  /** `previousKeys`: keys `key` replaced, published so that old receipts still check offline; never accepted for redemption. */
  constructor(key: AuditSigner, issuer: string, previousKeys: readonly KeyObject[] = []) {
    this.#key = key
    this.#issuer = issuer
    this.#previousKeys = previousKeys
  }

  /** The public keys receipts are signed with, as a JWK Set: the current key first, then the ones it replaced. */
  jwks(): { keys: JWK[] } {
    const jwk = (key: KeyObject): JWK => ({ ...(key.export({ format: 'jwk' }) as JWK), kid: signingKeyId(key), alg: 'EdDSA', use: 'sig' })
    return { keys: [this.#key.publicKey, ...this.#previousKeys].map(jwk) }
  }

  /** A receipt for an action that may run now (allowed, or approved and within its execute window). */
  async issue(record: ActionRecord, reviews: readonly ReviewRecord[], now: Date, audit?: ReceiptClaims['audit']): Promise<{ receipt: string; claims: ReceiptClaims }> {
    if (record.status !== 'allowed' && record.status !== 'approved') {
      throw new CountersignError('CONFLICT', `action ${record.id} is ${record.status}: only an allowed or approved action has a receipt`)
    }
    if (record.brokered) throw new CountersignError('CONFLICT', `target ${record.target} has a connector: Countersign executes action ${record.id} itself, so it has no receipt`)
    // Never past the action's own execute_by (approved, and allowed ones its agent runs).
    const expires = record.status === 'approved' && record.executeBy ? record.executeBy : new Date(Math.min(now.getTime() + ALLOWED_RECEIPT_MS, record.executeBy?.getTime() ?? Number.POSITIVE_INFINITY))
    const grant = grantCitationOf(record)
    const claims: ReceiptClaims = {
      iss: this.#issuer,
      sub: record.id,
      jti: randomBytes(18).toString('base64url'),
      iat: Math.floor(now.getTime() / 1000),
      exp: Math.floor(expires.getTime() / 1000),
      digest: record.digest,
      target: record.target,
      kind: record.kind,
      agent: record.agentId,
      status: record.status,
      approvers: grant ? grant.reviewers.map((reviewer) => reviewer.email) : reviews.filter((review) => review.decision === 'approve').map((review) => review.reviewer),
      ...(grant && { grant: grant.id }),
      ...(audit && { audit }),
    }
    // A compact JWS (RFC 7515) built here, so that the signer may be outside the process.
    const signingInput = `${base64url({ alg: 'EdDSA', kid: this.#key.keyId, typ: RECEIPT_TYPE })}.${base64url(claims)}`
    const receipt = `${signingInput}.${(await this.#key.sign(Buffer.from(signingInput, 'ascii'))).toString('base64url')}`
    return { receipt, claims }
  }

  /**
   * The claims of a receipt whose signature, type, issuer and expiry hold at `now`.
   *
   * @throws CountersignError INVALID naming what is wrong (never whether a signature "almost" matched)
   */
  async verify(receipt: string, now: Date): Promise<ReceiptClaims> {
    let payload: unknown
    try {
      ;({ payload } = await jwtVerify(receipt, this.#key.publicKey, { algorithms: ['EdDSA'], typ: RECEIPT_TYPE, issuer: this.#issuer, currentDate: now, clockTolerance: 0 }))
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new CountersignError('INVALID', 'the receipt has expired')
      throw new CountersignError('INVALID', 'the receipt is not a valid Countersign receipt (bad signature, type, issuer or format)')
    }
    const parsed = ReceiptClaimsSchema.safeParse(payload)
    if (!parsed.success) throw new CountersignError('INVALID', 'the receipt does not carry the claims of a Countersign receipt')
    return parsed.data
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')
}

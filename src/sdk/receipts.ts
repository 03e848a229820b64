import { actionDigest } from './canonical.js'
import { verifyReceiptAudit } from './receipt-audit.js'
import type { ActionInput, Jwks, ReceiptClaims } from './types.js'

/** The JOSE `typ` of a Countersign receipt. */
export const RECEIPT_TYPE = 'countersign-receipt+jwt'

/** Why a receipt was refused. */
export const RECEIPT_PROBLEMS = ['MALFORMED', 'WRONG_TYPE', 'UNKNOWN_KEY', 'BAD_SIGNATURE', 'EXPIRED', 'WRONG_ISSUER', 'WRONG_TARGET', 'WRONG_DIGEST', 'BAD_AUDIT_PROOF'] as const
export type ReceiptProblem = (typeof RECEIPT_PROBLEMS)[number]

/** A receipt that does not prove what it was asked to prove; `code` says which check failed. */
export class ReceiptError extends Error {
  readonly code: ReceiptProblem

  constructor(code: ReceiptProblem, message: string) {
    super(message)
    this.name = 'ReceiptError'
    this.code = code
  }
}

/** What {@link verifyReceipt} checks a receipt against. Give `jwks` or `jwksUrl`, and `action` or `digest`. */
export interface VerifyReceiptOptions {
  /** The gateway's public keys (`GET /.well-known/jwks.json`), fetched once and kept. */
  readonly jwks?: Jwks
  /** Where to fetch them, when `jwks` is not given (fetched on every call). */
  readonly jwksUrl?: string | URL
  /** The target about to be acted on: the receipt must be for it. */
  readonly target: string
  /** The action about to run: its digest must be the approved one. */
  readonly action?: Pick<ActionInput, 'kind' | 'target' | 'payload'>
  /** Or the digest of the action about to run. */
  readonly digest?: string
  /** The gateway's `server.public_url`, when the issuer should be checked too. */
  readonly issuer?: string
  /**
   * Refuse a receipt without an audit proof (`BAD_AUDIT_PROOF`). A proof the receipt carries is
   * always checked: its signed tree head, and each deciding event's inclusion in it.
   */
  readonly requireAuditProof?: boolean
  /** Checks expiry as of this time (default: now). */
  readonly now?: Date
  readonly fetch?: typeof fetch
}

/**
 * Checks a receipt offline: its Ed25519 signature (WebCrypto) against the gateway's published
 * keys, its type, expiry, target and digest (and issuer, if given). It says the action was
 * allowed or approved; it cannot say the receipt was not used already: redeem it
 * (`Countersign.redeem`) to make it single-use. When the receipt carries the deciding audit
 * events with their inclusion proofs (`audit`), those are checked too: the approval is in the log
 * under a tree head the gateway signed, which witnesses can be asked about.
 *
 * @example
 * const claims = await verifyReceipt(receipt, { jwks, target: 'build-host', action: { kind: 'shell', target: 'build-host', payload: { argv } } })
 * @throws ReceiptError naming the check that failed
 */
export async function verifyReceipt(receipt: string, options: VerifyReceiptOptions): Promise<ReceiptClaims> {
  if ((options.action === undefined) === (options.digest === undefined)) throw new TypeError('give exactly one of action or digest')
  const parts = receipt.split('.')
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part))) throw new ReceiptError('MALFORMED', 'not a compact JWS')
  const [encodedHeader, encodedClaims, encodedSignature] = parts as [string, string, string]
  const header = decodeJson(encodedHeader)
  const claims = decodeJson(encodedClaims)
  if (header['typ'] !== RECEIPT_TYPE) throw new ReceiptError('WRONG_TYPE', `not a Countersign receipt (typ ${JSON.stringify(header['typ'])})`)
  // The algorithm is fixed, never taken from the token: no "none", no HMAC with a public key.
  if (header['alg'] !== 'EdDSA' || header['crit'] !== undefined) throw new ReceiptError('MALFORMED', `unexpected JOSE header (alg ${JSON.stringify(header['alg'])})`)
  const jwks = options.jwks ?? (await fetchJwks(options))
  const jwk = jwks.keys.find((key) => key['kid'] === header['kid'] && key['kty'] === 'OKP' && key['crv'] === 'Ed25519' && typeof key['x'] === 'string' && key['use'] !== 'enc')
  if (!jwk) throw new ReceiptError('UNKNOWN_KEY', `no Ed25519 key ${JSON.stringify(header['kid'])} in the key set`)
  const key = await globalThis.crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk['x'] as string }, { name: 'Ed25519' }, false, ['verify'])
  const signed = new TextEncoder().encode(`${encodedHeader}.${encodedClaims}`)
  if (!(await globalThis.crypto.subtle.verify({ name: 'Ed25519' }, key, base64url(encodedSignature), signed))) throw new ReceiptError('BAD_SIGNATURE', 'the signature does not verify')
  const verified = receiptClaims(claims)
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000)
  if (now >= verified.exp) throw new ReceiptError('EXPIRED', `the receipt expired at ${new Date(verified.exp * 1000).toISOString()}`)
  if (options.issuer !== undefined && verified.iss !== options.issuer.replace(/\/$/, '')) throw new ReceiptError('WRONG_ISSUER', `the receipt was issued by ${verified.iss}`)
  if (verified.target !== options.target) throw new ReceiptError('WRONG_TARGET', `the receipt is for target ${verified.target}, not ${options.target}`)
  const digest = options.digest ?? (await actionDigest(options.action!))
  if (digest !== verified.digest) throw new ReceiptError('WRONG_DIGEST', 'the action is not the one approved (its digest differs): a changed action is a new request')
  if (verified.audit !== undefined || options.requireAuditProof) await verifyReceiptAudit(verified, jwks)
  return verified
}

async function fetchJwks(options: VerifyReceiptOptions): Promise<Jwks> {
  if (options.jwksUrl === undefined) throw new TypeError('give jwks or jwksUrl')
  const response = await (options.fetch ?? globalThis.fetch)(options.jwksUrl, { headers: { accept: 'application/json' } })
  if (!response.ok) throw new ReceiptError('UNKNOWN_KEY', `cannot fetch the key set: HTTP ${response.status}`)
  const body = (await response.json()) as { keys?: unknown }
  if (!Array.isArray(body?.keys)) throw new ReceiptError('UNKNOWN_KEY', 'the key set has no keys')
  return body as Jwks
}

function receiptClaims(claims: Record<string, unknown>): ReceiptClaims {
  const strings = ['iss', 'sub', 'jti', 'digest', 'target', 'kind'] as const
  const ok =
    strings.every((name) => typeof claims[name] === 'string') &&
    typeof claims['exp'] === 'number' &&
    typeof claims['iat'] === 'number' &&
    /^[0-9a-f]{64}$/.test(claims['digest'] as string) &&
    (claims['status'] === 'allowed' || claims['status'] === 'approved') &&
    (claims['agent'] === null || typeof claims['agent'] === 'string') &&
    Array.isArray(claims['approvers'])
  if (!ok) throw new ReceiptError('MALFORMED', 'the receipt does not carry the claims of a Countersign receipt')
  return claims as unknown as ReceiptClaims
}

function decodeJson(part: string): Record<string, unknown> {
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64url(part))) as unknown
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {
    // Reported below.
  }
  throw new ReceiptError('MALFORMED', 'not a compact JWS')
}

function base64url(text: string): Uint8Array {
  let binary: string
  try {
    binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4))
  } catch {
    throw new ReceiptError('MALFORMED', 'not a compact JWS')
  }
  return Uint8Array.from(binary, (char) => char.charCodeAt(0))
}

import { createHmac, timingSafeEqual } from 'node:crypto'

/** How far a request's timestamp may be from the gateway's clock, either way (Slack's rule: 5 minutes). */
export const SLACK_TIMESTAMP_TOLERANCE_S = 300

/** What a signed request carries. */
export interface SignedRequest {
  /** `X-Slack-Request-Timestamp`: Unix seconds. */
  readonly timestamp: string | undefined
  /** `X-Slack-Signature`: `v0=` and the hex HMAC. */
  readonly signature: string | undefined
  /** The raw body, exactly as received. */
  readonly body: Uint8Array
}

/** The verdict on a request: the timestamp it was signed at, or why it is refused. */
export type SignatureVerdict = { readonly ok: true; readonly timestamp: number } | { readonly ok: false; readonly reason: string }

/**
 * Verifies Slack's v0 request signature: `v0=HMAC-SHA256(signing secret, "v0:" + timestamp + ":"
 * + raw body)` in hex, compared in constant time; a timestamp more than five minutes off the
 * clock in either direction is refused (a stale one could be a replay, a future one a forgery
 * made to outlive the replay window).
 *
 * @example
 * const verdict = verifySlackSignature({ timestamp, signature, body }, secret, Date.now())
 * if (!verdict.ok) return new Response(verdict.reason, { status: 401 })
 */
export function verifySlackSignature(request: SignedRequest, signingSecret: string, nowMs: number): SignatureVerdict {
  if (!request.timestamp || !/^\d{1,12}$/.test(request.timestamp)) return { ok: false, reason: 'missing or malformed X-Slack-Request-Timestamp' }
  const timestamp = Number(request.timestamp)
  if (Math.abs(nowMs / 1000 - timestamp) > SLACK_TIMESTAMP_TOLERANCE_S) return { ok: false, reason: 'the request timestamp is more than 5 minutes from the current time' }
  const match = /^v0=([0-9a-f]{64})$/.exec(request.signature ?? '')
  if (!match) return { ok: false, reason: 'missing or malformed X-Slack-Signature (expected v0=<hex>)' }
  const expected = slackSignature(signingSecret, request.timestamp, request.body)
  if (!timingSafeEqual(Buffer.from(match[1]!, 'hex'), Buffer.from(expected.slice(3), 'hex'))) return { ok: false, reason: 'the request signature does not match' }
  return { ok: true, timestamp }
}

/** The `X-Slack-Signature` value for a body signed at `timestamp` (Unix seconds, as sent). */
export function slackSignature(signingSecret: string, timestamp: string, body: Uint8Array | string): string {
  const hmac = createHmac('sha256', signingSecret)
  hmac.update(`v0:${timestamp}:`)
  hmac.update(body)
  return `v0=${hmac.digest('hex')}`
}

/**
 * Every type of audit event Countersign writes. Verification does not depend on this list
 * (a log written by a newer Countersign with new types still verifies); sealing does.
 */
export const AUDIT_EVENT_TYPES = [
  'action.submitted',
  'action.allowed',
  'action.denied',
  'action.pending',
  'review.approve',
  'review.deny',
  'action.approved',
  'action.expired',
  'action.cancelled',
  'action.executing',
  'action.succeeded',
  'action.failed',
  'request.reminded',
  'request.escalated',
  'break_glass.used',
  'break_glass.reviewed',
  'break_glass.overdue',
  'delegation.created',
  'delegation.revoked',
  'token.created',
  'token.revoked',
  'policy.loaded',
  'grant.created',
  'grant.revoked',
  'passkey.registered',
  'passkey.revoked',
  'audit.pruned',
] as const
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number]

/**
 * One audit event: the body that is hashed. Its text in the log is its RFC 8785 canonical JSON,
 * with exactly these nine members:
 *
 * - `seq`: position in the log, 1 for the first event, then +1 each (a safe integer).
 * - `at`: server time, ISO 8601 UTC with milliseconds (`2025-01-31T12:00:00.000Z`).
 * - `type`: what happened (one of {@link AUDIT_EVENT_TYPES}).
 * - `action_id`: the action concerned, or `null` (tokens, policy).
 * - `actor`: who did it: `agent:ID`, `human:EMAIL` or `system`.
 * - `channel`: through what: `api`, `cli`, `console`, `slack`, `teams`, `mcp`, `system`…
 *   (a lower-case word).
 * - `digest`: the action digest (64 lower-case hex digits), or `null`.
 * - `policy_version`: the policy version that decided, or `null`.
 * - `data`: a JSON object with the type's details.
 */
export interface AuditEventBody {
  readonly seq: number
  readonly at: string
  readonly type: AuditEventType
  readonly action_id: string | null
  readonly actor: string
  readonly channel: string
  readonly digest: string | null
  readonly policy_version: string | null
  readonly data: Readonly<Record<string, unknown>>
}

/**
 * An audit event as stored: the canonical text exactly as hashed, not a re-serialized value,
 * so verification never depends on a database's JSON normalization.
 *
 * - `seq`: the event's `seq`, as the store's key.
 * - `prev_hash`: the `hash` of event `seq - 1`; {@link GENESIS_HASH} for event 1.
 * - `hash`: `SHA-256(prev_hash as 32 raw bytes ‖ UTF-8 of event)`, 64 lower-case hex digits.
 * - `event`: the RFC 8785 canonical JSON text of the {@link AuditEventBody}.
 */
export interface StoredAuditEvent {
  readonly seq: number
  readonly prev_hash: string
  readonly hash: string
  readonly event: string
}

/** The `prev_hash` of the first event: 64 zeros (32 zero bytes). */
export const GENESIS_HASH = '0'.repeat(64)

const FIELDS: readonly string[] = ['seq', 'at', 'type', 'action_id', 'actor', 'channel', 'digest', 'policy_version', 'data']
const KNOWN_TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES)
const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const ACTOR = /^(?:(?:agent|human):\S+|system)$/
const CHANNEL = /^[a-z][a-z0-9_-]*$/

/** 64 lower-case hex digits: a SHA-256 as written everywhere in the audit chain. */
export const HEX64 = /^[0-9a-f]{64}$/

/** `HEX64.test(value)` for a string, read digit by digit: verification checks two per event, and this is several times faster than the regular expression. */
export function isHex64(value: string): boolean {
  if (value.length !== 64) return false
  for (let index = 0; index < 64; index++) {
    const code = value.charCodeAt(index)
    if (!((code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66))) return false
  }
  return true
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** True for an ISO 8601 UTC time with milliseconds that names a real instant. */
export function isIsoUtcMs(value: unknown): value is string {
  return typeof value === 'string' && ISO_UTC_MS.test(value) && namesRealInstant(value)
}

/**
 * For text of the form `YYYY-MM-DDTHH:MM:SS.mmmZ`: true when it is what `toISOString` prints for
 * the time it names (a real day of the proleptic Gregorian calendar, hour below 24, minute and
 * second below 60). Read digit by digit: verification checks this for every event.
 */
function namesRealInstant(text: string): boolean {
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2)
  const month = twoDigits(text, 5)
  const day = twoDigits(text, 8)
  if (month < 1 || month > 12 || day < 1) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
  return day <= days && twoDigits(text, 11) < 24 && twoDigits(text, 14) < 60 && twoDigits(text, 17) < 60
}

function twoDigits(text: string, index: number): number {
  return (text.charCodeAt(index) - 48) * 10 + text.charCodeAt(index + 1) - 48
}

/**
 * What is wrong with an audit event body, or `undefined` when it is well-formed.
 * `seal` also refuses unknown types and extra members; `verify` checks structure only,
 * because integrity comes from the hashes and a newer writer may add types or members.
 */
export function describeEventFault(value: unknown, mode: 'seal' | 'verify'): string | undefined {
  if (!isRecord(value)) return 'is not a JSON object'
  for (const field of FIELDS) {
    if (!Object.hasOwn(value, field)) return `has no ${field}`
  }
  if (mode === 'seal') {
    const extra = Object.keys(value).find((key) => !FIELDS.includes(key))
    if (extra !== undefined) return `has an unknown member ${JSON.stringify(extra)}`
  }
  const { seq, at, type, action_id, actor, channel, digest, policy_version, data } = value
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return 'has a seq that is not a positive integer'
  if (!isIsoUtcMs(at)) return 'has an at that is not an ISO 8601 UTC time with milliseconds'
  if (typeof type !== 'string' || type === '') return 'has no type'
  if (mode === 'seal' && !KNOWN_TYPES.has(type)) return `has an unknown type ${JSON.stringify(type)}`
  if (action_id !== null && (typeof action_id !== 'string' || action_id === '')) return 'has an action_id that is neither a string nor null'
  if (typeof actor !== 'string' || !ACTOR.test(actor)) return 'has an actor that is not agent:ID, human:EMAIL or system'
  if (typeof channel !== 'string' || !CHANNEL.test(channel)) return 'has a channel that is not a lower-case word'
  if (digest !== null && (typeof digest !== 'string' || !isHex64(digest))) return 'has a digest that is neither 64 lower-case hex digits nor null'
  if (policy_version !== null && (typeof policy_version !== 'string' || policy_version === '')) return 'has a policy_version that is neither a string nor null'
  if (!isRecord(data)) return 'has data that is not a JSON object'
  return undefined
}

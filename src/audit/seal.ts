import { hash } from 'node:crypto'
import { canonicalJson } from '../action/index.js'
import { CountersignError } from '../errors/index.js'
import { describeEventFault, isHex64, type AuditEventBody, type StoredAuditEvent } from './event.js'

/** The buffer chain hashes are computed in (`hash` reads it synchronously, so one serves every call). */
let scratch = Buffer.allocUnsafe(16 * 1024)
/** Larger inputs get a buffer of their own, so one large event does not keep megabytes alive. */
const SCRATCH_MAX = 256 * 1024

/**
 * The chain hash of one event: `SHA-256(prev_hash hex-decoded to 32 bytes ‖ UTF-8 of text)`,
 * lower-case hex. `prevHash` must already be 64 lower-case hex digits.
 */
export function chainHash(prevHash: string, text: string): string {
  // One-shot hashing of one buffer: about twice as fast as a Hash object on texts this short.
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const most = 32 + text.length * 3
  const input = most <= scratch.length ? scratch : most <= SCRATCH_MAX ? (scratch = Buffer.allocUnsafe(most)) : Buffer.allocUnsafe(most)
  input.write(prevHash, 0, 32, 'hex')
  const length = input.write(text, 32, 'utf8')
  return hash('sha256', input.subarray(0, 32 + length), 'hex')
}

// With the `u` flag, paired surrogates are one code point, so this matches lone surrogates only.
const LONE_SURROGATE = /\p{Cs}/u

/**
 * `canonicalJson(body)` for a body `describeEventFault` accepted for sealing: exactly the nine
 * members, of the types it checks. Their keys are known, so they are written in their sorted
 * order (RFC 8785: by UTF-16 code units) without sorting; only `data` is canonicalized as any
 * value is. A member canonical JSON cannot carry (a lone surrogate, in `data` too) is left to
 * `canonicalJson(body)`, which refuses it with the error it always gave.
 */
function canonicalEventText(body: AuditEventBody): string {
  const { action_id, actor, at, channel, digest, policy_version, type } = body
  let data: string
  try {
    if ((action_id !== null && LONE_SURROGATE.test(action_id)) || LONE_SURROGATE.test(actor) || (policy_version !== null && LONE_SURROGATE.test(policy_version))) return canonicalJson(body)
    data = canonicalJson(body.data)
  } catch {
    return canonicalJson(body)
  }
  // `at`, `channel`, `digest` and `type` match patterns of ASCII characters (describeEventFault).
  return (
    `{"action_id":${action_id === null ? 'null' : JSON.stringify(action_id)},"actor":${JSON.stringify(actor)},"at":${JSON.stringify(at)}` +
    `,"channel":${JSON.stringify(channel)},"data":${data},"digest":${digest === null ? 'null' : JSON.stringify(digest)}` +
    `,"policy_version":${policy_version === null ? 'null' : JSON.stringify(policy_version)},"seq":${JSON.stringify(body.seq)},"type":${JSON.stringify(type)}}`
  )
}

/**
 * Seals one event after the event whose hash is `prevHash` ({@link GENESIS_HASH} for the first):
 * its canonical JSON text (RFC 8785) and
 * `hash = SHA-256(prevHash as 32 raw bytes ‖ UTF-8 of that text)`, lower-case hex.
 * The caller keeps `seq` consecutive (`sealEvents` does for a batch; the verifier reports gaps).
 *
 * @throws CountersignError INVALID when `prevHash` is not 64 lower-case hex digits or the event
 *   is not well-formed (unknown type or member, bad time, non-JSON data…).
 *
 * @example
 * const first = sealEvent(GENESIS_HASH, { seq: 1, at: now.toISOString(), type: 'policy.loaded', action_id: null,
 *   actor: 'system', channel: 'system', digest: null, policy_version: 'p-3f2a', data: {} })
 * // first.event === '{"action_id":null,"actor":"system",…}', first.hash === '…64 hex…'
 */
export function sealEvent(prevHash: string, body: AuditEventBody): StoredAuditEvent {
  if (typeof prevHash !== 'string' || !isHex64(prevHash)) {
    throw new CountersignError('INVALID', 'the previous hash of an audit event must be 64 lower-case hex digits')
  }
  const fault = describeEventFault(body, 'seal')
  if (fault !== undefined) {
    const seq = (body as { seq?: unknown } | null)?.seq
    throw new CountersignError('INVALID', `audit event${typeof seq === 'number' ? ` ${seq}` : ''} ${fault}`)
  }
  const event = canonicalEventText(body)
  return { seq: body.seq, prev_hash: prevHash, hash: chainHash(prevHash, event), event }
}

/**
 * Seals a batch of consecutive events (one group commit) after the event whose hash is
 * `prevHash`: each is chained to the one before it.
 *
 * @throws CountersignError INVALID as {@link sealEvent}, or when the seqs are not consecutive.
 */
export function sealEvents(prevHash: string, bodies: readonly AuditEventBody[]): StoredAuditEvent[] {
  const sealed: StoredAuditEvent[] = []
  let previous = prevHash
  for (const [index, body] of bodies.entries()) {
    const first = bodies[0]
    if (index > 0 && first !== undefined && body.seq !== first.seq + index) {
      throw new CountersignError('INVALID', `audit events in a batch must have consecutive seqs: ${first.seq + index} expected, ${body.seq} given`)
    }
    const stored = sealEvent(previous, body)
    sealed.push(stored)
    previous = stored.hash
  }
  return sealed
}

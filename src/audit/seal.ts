import { hash } from 'node:crypto'
import { canonicalJson } from '../action/index.js'
import { CountersignError } from '../errors/index.js'
import { describeEventFault, HEX64, type AuditEventBody, type StoredAuditEvent } from './event.js'

/**
 * The chain hash of one event: `SHA-256(prev_hash hex-decoded to 32 bytes ‖ UTF-8 of text)`,
 * lower-case hex. `prevHash` must already be 64 lower-case hex digits.
 */
export function chainHash(prevHash: string, text: string): string {
  // One-shot hashing of one buffer: about twice as fast as a Hash object on texts this short.
  const textBytes = Buffer.from(text, 'utf8')
  const input = Buffer.allocUnsafe(32 + textBytes.length)
  input.write(prevHash, 0, 32, 'hex')
  textBytes.copy(input, 32)
  return hash('sha256', input, 'hex')
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
  if (typeof prevHash !== 'string' || !HEX64.test(prevHash)) {
    throw new CountersignError('INVALID', 'the previous hash of an audit event must be 64 lower-case hex digits')
  }
  const fault = describeEventFault(body, 'seal')
  if (fault !== undefined) {
    const seq = (body as { seq?: unknown } | null)?.seq
    throw new CountersignError('INVALID', `audit event${typeof seq === 'number' ? ` ${seq}` : ''} ${fault}`)
  }
  const event = canonicalJson(body)
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

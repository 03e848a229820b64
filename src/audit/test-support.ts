import { canonicalJson } from '../action/index.js'
import { signCheckpoint, type Checkpoint } from './checkpoint.js'
import { AUDIT_EVENT_TYPES, GENESIS_HASH, type AuditEventBody, type StoredAuditEvent } from './event.js'
import type { AuditProblem } from './problems.js'
import { sealEvent, sealEvents } from './seal.js'
import { generateSigningKey, loadSigningKey, type SigningKey } from './signing-key.js'

const START = Date.parse('2026-01-05T12:00:00.000Z')

/** A plausible event body for position `seq`: varied types, actors and nested data. */
export function sampleBody(seq: number, data: Record<string, unknown> = {}): AuditEventBody {
  const type = AUDIT_EVENT_TYPES[seq % AUDIT_EVENT_TYPES.length]!
  return {
    seq,
    at: new Date(START + seq * 1000).toISOString(),
    type,
    action_id: type.startsWith('action.') || type.startsWith('review.') ? `act_${Math.ceil(seq / 3)}` : null,
    actor: seq % 2 === 0 ? 'human:alice@example.com' : 'agent:deploy-bot',
    channel: seq % 2 === 0 ? 'slack' : 'api',
    digest: seq % 3 === 0 ? 'ab'.repeat(32) : null,
    policy_version: seq % 4 === 0 ? 'p-3f2a' : null,
    data: { note: `event ${seq}`, result: { rows: [{ id: seq, ok: true }], affected: seq * 2 }, ...data },
  }
}

/** A valid chain of `n` events, seq 1 to n. */
export function sampleChain(n: number): StoredAuditEvent[] {
  return sealEvents(GENESIS_HASH, Array.from({ length: n }, (_, index) => sampleBody(index + 1)))
}

/** `row` with its text changed by `edit` and re-serialized canonically; the stored hash is kept. */
export function editText(row: StoredAuditEvent, edit: (body: Record<string, unknown>) => void): StoredAuditEvent {
  const body = JSON.parse(row.event) as Record<string, unknown>
  edit(body)
  return { ...row, event: canonicalJson(body) }
}

/** An event sealed as a forger with write access to the table would: chained to `prevHash`. */
export function forge(prevHash: string, seq: number): StoredAuditEvent {
  return sealEvent(prevHash, sampleBody(seq, { forged: true }))
}

/** A fresh test key, loaded as the gateway loads its key file. */
export function testKey(): SigningKey {
  return loadSigningKey(generateSigningKey().privateKeyPem)
}

/** Signs a checkpoint for each given event, chained, the way the gateway does periodically. */
export function checkpointsFor(events: readonly StoredAuditEvent[], key: SigningKey, previous?: Checkpoint): Checkpoint[] {
  const checkpoints: Checkpoint[] = []
  let last = previous
  for (const event of events) {
    last = signCheckpoint({ seq: event.seq, hash: event.hash, at: new Date(START + event.seq * 1000 + 500).toISOString(), prev_signature: last?.signature ?? null, key_id: key.keyId }, key.privateKey)
    checkpoints.push(last)
  }
  return checkpoints
}

/** A report's problems as `seq kind` strings, easy to compare in tables. */
export function problemKeys(problems: readonly AuditProblem[]): string[] {
  return problems.map((problem) => `${problem.seq} ${problem.kind}`)
}


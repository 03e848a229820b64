import type { AuditProblem, StoredAuditEvent } from '../audit/index.js'
import { assertionProblem, type PasskeyEvidence } from '../passkeys/index.js'
import type { Store } from '../store/index.js'

/** A registration an `audit.pruned` event carries: the passkeys whose `passkey.registered` event was archived. */
export interface ArchivedPasskey {
  readonly credential_id: string
  readonly email: string
  readonly public_key: string
  readonly origin: string
}

interface Registered {
  readonly email: string
  readonly publicKey: string
  readonly origin: string
}

/**
 * Checks every passkey-signed approval in the log offline: its assertion must verify against the
 * public key that the credential's `passkey.registered` event recorded (earlier in the chain, by
 * the same person), from the registered origin, over a challenge that binds the event's digest
 * and policy version. Then the store must agree with the log: each review's stored assertion is
 * the one its event carries, and each stored passkey's public key the one registered. Editing an
 * approval or a key in the database therefore fails verification.
 */
export async function passkeyProblems(store: Store): Promise<AuditProblem[]> {
  const problems: AuditProblem[] = []
  const registered = new Map<string, Registered>()
  const signed = new Map<string, { seq: number; evidence: PasskeyEvidence }>()
  // Registrations archived with the log's oldest events: each prune carries them in its event.
  const pruned = await store.db.selectFrom('audit_events').select(['seq', 'prev_hash', 'hash', 'event']).where('type', '=', 'audit.pruned').orderBy('seq').execute()
  for (const row of pruned) {
    const passkeys = (parse({ ...row, seq: Number(row.seq) })?.data['passkeys'] ?? []) as readonly ArchivedPasskey[]
    for (const { credential_id, email, public_key, origin } of passkeys) registered.set(credential_id, { email, publicKey: public_key, origin })
  }
  for await (const row of store.allAuditEvents()) {
    const event = parse(row)
    if (!event) continue
    if (event.type === 'passkey.registered') {
      const data = event.data as { credential_id?: string; public_key?: string; origin?: string }
      if (data.credential_id && data.public_key && data.origin) registered.set(data.credential_id, { email: event.actor.replace(/^human:/, ''), publicKey: data.public_key, origin: data.origin })
      continue
    }
    if (event.type !== 'review.approve' || !event.data['passkey']) continue
    const evidence = event.data['passkey'] as PasskeyEvidence
    signed.set(`${event.action_id}|${event.actor}`, { seq: row.seq, evidence })
    const key = registered.get(evidence.credential_id)
    if (!key) {
      problems.push({ seq: row.seq, kind: 'bad_passkey', message: `the approval by ${event.actor} is signed with passkey ${evidence.credential_id}, which no earlier passkey.registered event names` })
      continue
    }
    if (`human:${key.email}` !== event.actor) {
      problems.push({ seq: row.seq, kind: 'bad_passkey', message: `the approval by ${event.actor} is signed with a passkey registered by ${key.email}` })
      continue
    }
    const why = await assertionProblem(evidence, key.publicKey, { digest: event.digest ?? '', policyVersion: event.policy_version ?? '', origin: key.origin })
    if (why) problems.push({ seq: row.seq, kind: 'bad_passkey', message: `the passkey approval by ${event.actor}: ${why}` })
  }
  const reviews = await store.db.selectFrom('reviews').select(['action_id', 'reviewer', 'passkey']).where('passkey', 'is not', null).execute()
  for (const review of reviews) {
    const logged = signed.get(`${review.action_id}|human:${review.reviewer}`)
    if (!logged || JSON.stringify(sorted(JSON.parse(review.passkey!))) !== JSON.stringify(sorted({ ...logged.evidence }))) {
      problems.push({ seq: logged?.seq ?? 0, kind: 'state_mismatch', message: `action ${review.action_id}: the passkey assertion stored with ${review.reviewer}'s approval is not the one its audit event carries` })
    }
  }
  const keys = await store.db.selectFrom('passkeys').select(['credential_id', 'public_key', 'email']).execute()
  for (const key of keys) {
    const logged = registered.get(key.credential_id)
    if (!logged || logged.publicKey !== key.public_key || logged.email !== key.email) problems.push({ seq: 0, kind: 'state_mismatch', message: `passkey ${key.credential_id} of ${key.email} is not the one its passkey.registered event recorded` })
  }
  return problems
}

function parse(row: StoredAuditEvent): { type: string; actor: string; action_id: string | null; digest: string | null; policy_version: string | null; data: Record<string, unknown> } | undefined {
  try {
    return JSON.parse(row.event) as never
  } catch {
    return undefined
  }
}

function sorted(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
}

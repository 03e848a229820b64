import type { KeyObject } from 'node:crypto'
import { signCheckpoint, verifyChain, type Checkpoint, type SigningKey, type VerifyReport } from '../audit/index.js'
import { CountersignError } from '../errors/index.js'
import type { Principal } from '../lifecycle/index.js'
import type { Store } from '../store/index.js'
import { passkeyProblems } from './passkey-audit.js'

/**
 * The audit log as its readers see it: pages of events, verification of the whole chain with its
 * signed checkpoints, and the periodic checkpoint that pins the chain's head with the gateway's
 * Ed25519 key (so a truncated tail is detected too).
 */
export class AuditLog {
  readonly #store: Store
  readonly #key: SigningKey
  readonly #clock: () => Date
  readonly #previousKeys: readonly KeyObject[]

  /** `previousKeys`: keys `key` replaced, with which old checkpoints still verify. */
  constructor(store: Store, key: SigningKey, clock: () => Date = () => new Date(), previousKeys: readonly KeyObject[] = []) {
    this.#store = store
    this.#key = key
    this.#clock = clock
    this.#previousKeys = previousKeys
  }

  /** Events after `since`, for auditors and admins. */
  async page(principal: Principal, since: number, limit: number) {
    requireAuditor(principal)
    const [events, head] = await Promise.all([this.#store.auditEvents(since, limit), this.#store.auditHead()])
    return { events, head }
  }

  /**
   * Verifies every event and checkpoint, then that the stored actions and reviews are the ones
   * the events describe; says which event or action is wrong and how.
   */
  async verify(principal?: Principal): Promise<VerifyReport> {
    if (principal) requireAuditor(principal)
    return verifyStore(this.#store, [this.#key.publicKey, ...this.#previousKeys])
  }

  /** Signs a checkpoint of the current head when it moved since the last one; returns it, or `undefined`. */
  checkpoint(): Promise<Checkpoint | undefined> {
    return this.#store.addCheckpoint((head, last) => {
      if (head.seq === 0 || (last && last.seq >= head.seq)) return undefined
      return signCheckpoint({ seq: head.seq, hash: head.hash, at: this.#clock().toISOString(), prev_signature: last?.signature ?? null, key_id: this.#key.keyId }, this.#key.privateKey)
    })
  }
}

/** The chain, its checkpoints and the state tables against the events (also used offline). */
export async function verifyStore(store: Store, publicKeys: readonly KeyObject[]): Promise<VerifyReport> {
  const report = await verifyChain(store.allAuditEvents(), { checkpoints: await store.checkpoints(), publicKeys: [...publicKeys] })
  const mismatches = await store.stateMismatches()
  const passkeys = await passkeyProblems(store)
  if (mismatches.length === 0 && passkeys.length === 0) return report
  const problems = mismatches.map((mismatch) => ({ seq: 0, kind: 'state_mismatch' as const, message: `action ${mismatch.action_id}: ${mismatch.message}` }))
  return { ...report, ok: false, problems: [...report.problems, ...problems, ...passkeys] }
}

function requireAuditor(principal: Principal): void {
  if (principal.type !== 'human' || !(principal.auditor || principal.admin)) throw new CountersignError('FORBIDDEN', 'only auditors and admins read the audit log')
}

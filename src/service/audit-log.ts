import type { KeyObject } from 'node:crypto'
import { signCheckpoint, verifyChain, type Checkpoint, type SigningKey, type VerifyReport } from '../audit/index.js'
import { CountersignError } from '../errors/index.js'
import type { Principal } from '../lifecycle/index.js'
import type { Store } from '../store/index.js'

/**
 * The audit log as its readers see it: pages of events, verification of the whole chain with its
 * signed checkpoints, and the periodic checkpoint that pins the chain's head with the gateway's
 * Ed25519 key (so a truncated tail is detected too).
 */
export class AuditLog {
  readonly #store: Store
  readonly #key: SigningKey
  readonly #clock: () => Date

  constructor(store: Store, key: SigningKey, clock: () => Date = () => new Date()) {
    this.#store = store
    this.#key = key
    this.#clock = clock
  }

  /** Events after `since`, for auditors and admins. */
  async page(principal: Principal, since: number, limit: number) {
    requireAuditor(principal)
    const [events, head] = await Promise.all([this.#store.auditEvents(since, limit), this.#store.auditHead()])
    return { events, head }
  }

  /** Verifies every event and checkpoint; says which event is wrong and how. */
  async verify(principal?: Principal): Promise<VerifyReport> {
    if (principal) requireAuditor(principal)
    const checkpoints = await this.#store.checkpoints()
    return verifyChain(this.#store.allAuditEvents(), { checkpoints, publicKeys: [this.#key.publicKey] as KeyObject[] })
  }

  /** Signs a checkpoint of the current head when it moved since the last one; returns it, or `undefined`. */
  async checkpoint(): Promise<Checkpoint | undefined> {
    const [head, checkpoints] = await Promise.all([this.#store.auditHead(), this.#store.checkpoints()])
    const last = checkpoints[checkpoints.length - 1]
    if (head.seq === 0 || (last && last.seq >= head.seq)) return undefined
    const checkpoint = signCheckpoint({ seq: head.seq, hash: head.hash, at: this.#clock().toISOString(), prev_signature: last?.signature ?? null, key_id: this.#key.keyId }, this.#key.privateKey)
    await this.#store.addCheckpoint(checkpoint)
    return checkpoint
  }
}

function requireAuditor(principal: Principal): void {
  if (principal.type !== 'human' || !(principal.auditor || principal.admin)) throw new CountersignError('FORBIDDEN', 'only auditors and admins read the audit log')
}

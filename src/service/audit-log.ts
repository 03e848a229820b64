import type { KeyObject } from 'node:crypto'
import {
  checkpointBody,
  parseSignatureLines,
  signCheckpointWith,
  signNoteWith,
  verifyChain,
  verifyCosignature,
  type Checkpoint,
  type AuditSigner,
  type VerifyChainOptions,
  type VerifyReport,
  type WitnessKey,
} from '../audit/index.js'
import { CountersignError } from '../errors/index.js'
import type { Principal } from '../lifecycle/index.js'
import { AuditCosignatureStore, selectAuditBase, type Store } from '../store/index.js'
import { AuditTree } from './audit-tree.js'
import { passkeyProblems } from './passkey-audit.js'

/** The origin line of the tree heads when `audit.origin` is not set. */
export const DEFAULT_AUDIT_ORIGIN = 'countersign/audit'

/** Options of the audit log beyond its store and key. */
export interface AuditLogOptions {
  /** The log's name in its signed tree heads (`audit.origin`). */
  readonly origin?: string
  /** The witnesses whose cosignatures are accepted (`audit.witnesses`). */
  readonly witnesses?: readonly WitnessKey[]
  /** `audit.checkpoint_interval`: verification warns when checkpoints fall behind it. */
  readonly checkpointIntervalMs?: number
  /**
   * `audit.witness_quorum`: how many of `witnesses` must have cosigned the newest tree head older
   * than the checkpoint interval plus a margin; fewer is a `witness_quorum` warning of `verify`
   * and shows in {@link WitnessStatus.quorum}. 0 (the default): no requirement.
   */
  readonly witnessQuorum?: number
}

/** A checkpoint as served: its tree size, time and signed note with the cosignatures collected. */
export interface ServedCheckpoint {
  readonly tree_size: number
  readonly at: string
  readonly note: string
}

/** The audit claim of a receipt (see {@link AuditLog.receiptProof}). */
export interface ReceiptAuditProof {
  /** The signed tree head (C2SP signed note) the proofs are against. */
  readonly checkpoint: string
  /** Each deciding event: its seq, its canonical text as stored (the leaf data) and its RFC 9162 inclusion proof (base64 hashes). */
  readonly events: readonly { readonly seq: number; readonly event: string; readonly proof: readonly string[] }[]
}

/** What each configured witness last cosigned, for `/metrics` and the console. */
export interface WitnessStatus {
  /** The newest checkpoint's tree size (0 before the first). */
  readonly treeSize: number
  readonly witnesses: readonly { readonly name: string; readonly treeSize: number; readonly cosignedAt: Date | undefined }[]
  /**
   * `audit.witness_quorum` and how it stands: `required` cosignatures; `cosigned`, how many
   * distinct configured witnesses cosigned the newest checkpoint older than the checkpoint
   * interval plus a margin (`treeSize`, 0 when there is none yet: nothing is due).
   */
  readonly quorum: { readonly required: number; readonly treeSize: number; readonly cosigned: number }
}

/**
 * The audit log as its readers see it: pages of events, verification of the whole chain with its
 * signed checkpoints, the periodic checkpoint that pins the chain's head with the gateway's
 * Ed25519 key and signs the RFC 9162 tree head of the same events (a C2SP signed note), the
 * inclusion and consistency proofs against those tree heads, and witnesses' cosignatures.
 */
export class AuditLog {
  readonly #store: Store
  readonly #key: AuditSigner
  readonly #clock: () => Date
  readonly #previousKeys: readonly KeyObject[]
  readonly #origin: string
  readonly #witnesses: ReadonlyMap<string, WitnessKey>
  readonly #intervalMs: number | undefined
  readonly #quorum: number
  readonly #tree: AuditTree
  readonly #cosignatures: AuditCosignatureStore

  /** `previousKeys`: keys `key` replaced, with which old checkpoints still verify. */
  constructor(store: Store, key: AuditSigner, clock: () => Date = () => new Date(), previousKeys: readonly KeyObject[] = [], options: AuditLogOptions = {}) {
    this.#store = store
    this.#key = key
    this.#clock = clock
    this.#previousKeys = previousKeys
    this.#origin = options.origin ?? DEFAULT_AUDIT_ORIGIN
    this.#witnesses = new Map((options.witnesses ?? []).map((witness) => [witness.name, witness]))
    this.#intervalMs = options.checkpointIntervalMs
    this.#quorum = options.witnessQuorum ?? 0
    this.#tree = new AuditTree(store)
    this.#cosignatures = new AuditCosignatureStore(store.connection)
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
    const freshness = this.#intervalMs === undefined ? undefined : { intervalMs: this.#intervalMs, now: this.#clock() }
    const witnessQuorum = { required: this.#quorum, witnesses: [...this.#witnesses.values()] }
    return verifyStore(this.#store, [this.#key.publicKey, ...this.#previousKeys], freshness ? { freshness, witnessQuorum } : { witnessQuorum })
  }

  /**
   * Signs a checkpoint of the current head when it moved since the last one, with the signed tree
   * head of the same events; returns it, or `undefined`.
   */
  async checkpoint(): Promise<Checkpoint | undefined> {
    const { tree, lastHash } = await this.#tree.current()
    const size = tree.size
    const root = tree.root(size)
    return this.#store.addCheckpoint(async (last) => {
      if (size === 0 || (last && last.seq >= size)) return undefined
      const checkpoint = await signCheckpointWith({ seq: size, hash: lastHash, at: this.#clock().toISOString(), prev_signature: last?.signature ?? null, key_id: this.#key.keyId }, this.#key)
      const body = checkpointBody({ origin: this.#origin, size, root })
      return { ...checkpoint, note: `${body}\n${await signNoteWith(body, this.#origin, this.#key)}\n` }
    })
  }

  /** The newest `limit` signed tree heads, oldest first, each with the cosignatures collected. Public, like the JWKS: they hold only sizes and hashes. */
  async checkpoints(limit: number): Promise<ServedCheckpoint[]> {
    const checkpoints = (await this.#store.latestCheckpoints(limit)).filter((checkpoint) => checkpoint.note !== undefined)
    const cosignatures = await this.#cosignatures.of(checkpoints.map((checkpoint) => checkpoint.seq))
    return checkpoints.map((checkpoint) => {
      const lines = cosignatures.filter((cosignature) => cosignature.seq === checkpoint.seq).map((cosignature) => `${cosignature.line}\n`)
      return { tree_size: checkpoint.seq, at: checkpoint.at, note: `${checkpoint.note as string}${lines.join('')}` }
    })
  }

  /**
   * The inclusion proof of event `seq` in the tree of the first `treeSize` events (RFC 9162).
   *
   * @throws CountersignError INVALID when `seq` or `treeSize` is beyond the log.
   */
  async inclusionProof(seq: number, treeSize: number) {
    const { tree } = await this.#tree.current()
    if (seq < 1 || seq > treeSize) throw new CountersignError('INVALID', `event ${seq} is not in a tree of ${treeSize} events`)
    const proof = tree.inclusionProof(seq - 1, treeSize)
    return { seq, leaf_index: seq - 1, tree_size: treeSize, leaf_hash: tree.leaf(seq - 1).toString('base64'), root_hash: tree.root(treeSize).toString('base64'), proof: proof.map((hash) => hash.toString('base64')) }
  }

  /**
   * The consistency proof between the trees of the first `from` and `to` events (RFC 9162).
   *
   * @throws CountersignError INVALID unless `1 <= from <= to <= ` the log's size.
   */
  async consistencyProof(from: number, to: number) {
    const { tree } = await this.#tree.current()
    const proof = tree.consistencyProof(from, to)
    return { from, to, from_root: tree.root(from).toString('base64'), to_root: tree.root(to).toString('base64'), proof: proof.map((hash) => hash.toString('base64')) }
  }

  /**
   * Accepts a witness's cosignature (c2sp.org/tlog-cosignature) of the tree head of `treeSize`
   * events. The signature is its authentication: the witness must be in `audit.witnesses` and
   * the line must verify with its key over that tree head exactly.
   *
   * @throws CountersignError NOT_FOUND when no tree head of that size was signed; FORBIDDEN
   *   when the witness is not listed or the cosignature does not verify; INVALID when the line
   *   is not a signature line.
   */
  async addCosignature(treeSize: number, line: string): Promise<{ witness: string; cosigned_at: string }> {
    const [signature, ...more] = parseSignatureLines(line.endsWith('\n') ? line : `${line}\n`)
    if (signature === undefined || more.length > 0) throw new CountersignError('INVALID', 'expected one cosignature line')
    const witness = this.#witnesses.get(signature.name)
    if (witness === undefined) throw new CountersignError('FORBIDDEN', `${signature.name} is not a witness of this log (audit.witnesses)`)
    const checkpoint = (await this.#store.checkpointAt(treeSize))
    if (checkpoint?.note === undefined) throw new CountersignError('NOT_FOUND', `no signed tree head of ${treeSize} events`)
    const body = checkpoint.note.slice(0, checkpoint.note.indexOf('\n\n') + 1)
    const time = verifyCosignature(body, signature, witness.name, witness.publicKey)
    if (time === undefined) throw new CountersignError('FORBIDDEN', `the cosignature of ${witness.name} does not verify over the tree head of ${treeSize} events`)
    const cosignedAt = new Date(time * 1000)
    await this.#cosignatures.put({ seq: treeSize, witness: witness.name, line: signature.line, cosignedAt, receivedAt: this.#clock() })
    return { witness: witness.name, cosigned_at: cosignedAt.toISOString() }
  }

  /**
   * What a receipt carries to prove its decision is in the log: the events that allowed or
   * approved action `actionId` (`action.allowed`; or each `review.approve` and `action.approved`),
   * each with its inclusion proof in the tree of a signed checkpoint that covers them, and that
   * checkpoint (log signature only). Signs a checkpoint first when none covers them yet.
   *
   * @throws CountersignError CONFLICT when the action has no such event.
   */
  async receiptProof(actionId: string, status: 'allowed' | 'approved'): Promise<ReceiptAuditProof> {
    const types = status === 'approved' ? ['review.approve', 'action.approved'] : ['action.allowed']
    const events = (await this.#store.actionEvents(actionId)).filter((event) => types.includes((JSON.parse(event.event) as { type: string }).type))
    const needed = events.at(-1)?.seq
    if (needed === undefined) throw new CountersignError('CONFLICT', `action ${actionId} has no ${status} event in the audit log`)
    let [latest] = await this.#store.latestCheckpoints(1)
    if (latest?.note === undefined || latest.seq < needed) {
      await this.checkpoint()
      ;[latest] = await this.#store.latestCheckpoints(1)
    }
    if (latest?.note === undefined || latest.seq < needed) throw new CountersignError('INTERNAL', `no signed tree head covers event ${needed}`)
    const { tree } = await this.#tree.current()
    if (tree.size < latest.seq) throw new CountersignError('INTERNAL', `the audit tree has ${tree.size} events, the checkpoint ${latest.seq}`)
    return {
      checkpoint: latest.note,
      events: events.map((event) => ({ seq: event.seq, event: event.event, proof: tree.inclusionProof(event.seq - 1, latest.seq).map((hash) => hash.toString('base64')) })),
    }
  }

  /** What each configured witness last cosigned. */
  async witnessStatus(): Promise<WitnessStatus> {
    const [latest] = await this.#store.latestCheckpoints(1)
    const cosigned = new Map((await this.#cosignatures.latestByWitness()).map((cosignature) => [cosignature.witness, cosignature]))
    return {
      treeSize: latest?.seq ?? 0,
      witnesses: [...this.#witnesses.keys()].map((name) => ({ name, treeSize: cosigned.get(name)?.seq ?? 0, cosignedAt: cosigned.get(name)?.cosignedAt })),
      quorum: await this.#quorumStatus(),
    }
  }

  /** The newest checkpoint witnesses have had time to cosign, and how many listed witnesses did (their lines were verified when accepted). */
  async #quorumStatus(): Promise<WitnessStatus['quorum']> {
    const intervalMs = this.#intervalMs ?? 60_000
    const deadline = this.#clock().getTime() - intervalMs - Math.max(intervalMs, 60_000)
    // Checkpoints come once per interval (and when a receipt needs one), so the due one is among the newest.
    const due = (await this.#store.latestCheckpoints(100)).filter((checkpoint) => checkpoint.note !== undefined && Date.parse(checkpoint.at) < deadline).at(-1)
    if (due === undefined) return { required: this.#quorum, treeSize: 0, cosigned: 0 }
    const witnesses = new Set((await this.#cosignatures.of([due.seq])).map((cosignature) => cosignature.witness).filter((name) => this.#witnesses.has(name)))
    return { required: this.#quorum, treeSize: due.seq, cosigned: witnesses.size }
  }
}

/** The chain, its checkpoints and the state tables against the events (also used offline). */
export async function verifyStore(
  store: Store,
  publicKeys: readonly KeyObject[],
  options: Pick<VerifyChainOptions, 'freshness' | 'anchors'> & { readonly witnessQuorum?: { readonly required: number; readonly witnesses: readonly WitnessKey[] } } = {},
): Promise<VerifyReport> {
  const { witnessQuorum, ...rest } = options
  const cosignatures = new AuditCosignatureStore(store.connection)
  const quorum = witnessQuorum && { ...witnessQuorum, cosignatures: async (seq: number) => (await cosignatures.of([seq])).map((cosignature) => cosignature.line) }
  const base = await selectAuditBase(store.db)
  const start = base.seq === 0 ? undefined : { base: { seq: base.seq, hash: base.hash, frontier: base.frontier.map((hash) => Buffer.from(hash, 'base64')) } }
  const report = await verifyChain(store.allAuditEvents(), { ...rest, ...start, ...(quorum && { witnessQuorum: quorum }), checkpoints: await store.checkpoints(), publicKeys: [...publicKeys] })
  const mismatches = await store.stateMismatches()
  const passkeys = await passkeyProblems(store)
  if (mismatches.length === 0 && passkeys.length === 0) return report
  const problems = mismatches.map((mismatch) => ({ seq: 0, kind: 'state_mismatch' as const, message: `action ${mismatch.action_id}: ${mismatch.message}` }))
  return { ...report, ok: false, problems: [...report.problems, ...problems, ...passkeys] }
}

function requireAuditor(principal: Principal): void {
  if (principal.type !== 'human' || !(principal.auditor || principal.admin)) throw new CountersignError('FORBIDDEN', 'only auditors and admins read the audit log')
}

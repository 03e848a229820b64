import { createHash, type KeyObject } from 'node:crypto'
import { ARCHIVE_FORMAT, leafHash, MerkleTree, parseCheckpoint, type ArchiveHeader, type Checkpoint, type WitnessKey } from '../audit/index.js'
import { CountersignError } from '../errors/index.js'
import { AuditCosignatureStore, firstBlockingEvent, oldestWebhookCursor, pruneAuditEvents, selectAuditBase, type AuditBase, type Store } from '../store/index.js'
import type { ArchivedPasskey } from './passkey-audit.js'

/** What may be archived (`audit archive`): the rules around the cut besides the store's own. */
export interface ArchiveRules {
  /** Archive through the newest checkpoint signed at or before this time, or (a number) of at most this many events. */
  readonly before: Date | number
  /** `audit.witnesses`: a witness that has cosigned must keep getting consistency proofs, so the cut stays at or before its last tree head. */
  readonly witnesses: readonly WitnessKey[]
  /** `audit.witness_quorum`: the cut stays at or before the newest tree head that many witnesses cosigned. */
  readonly witnessQuorum: number
  /** `channels.webhooks` URLs: the cut stays at or before the last event each endpoint took, so none misses an event. */
  readonly webhooks?: readonly string[]
}

/** Where an archive cuts the log: after the events of `checkpoint`, from where the log starts now. */
export interface ArchivePlan {
  readonly base: AuditBase
  readonly checkpoint: Checkpoint & { readonly note: string }
}

/** An archive written: what the prune records. */
export interface WrittenArchive {
  readonly plan: ArchivePlan
  readonly events: number
  readonly sha256: string
  readonly frontier: readonly string[]
  readonly passkeys: readonly ArchivedPasskey[]
}

/**
 * The newest signed checkpoint the log can be archived through: after where it starts now,
 * within `rules` (witnesses, webhooks), and splitting no action (none with events on both sides of the cut, none
 * still open: pending, approved but not executed, executing, or a break-glass approval awaiting
 * its review).
 *
 * @throws CountersignError CONFLICT, saying why, when there is none.
 */
export async function planArchive(store: Store, rules: ArchiveRules): Promise<ArchivePlan> {
  const base = await selectAuditBase(store.db)
  const cosigned = await witnessLimit(store, rules)
  const delivered = (await oldestWebhookCursor(store.db, rules.webhooks ?? [])) ?? Number.POSITIVE_INFINITY
  const within = (checkpoint: Checkpoint) => (typeof rules.before === 'number' ? checkpoint.seq <= rules.before : Date.parse(checkpoint.at) <= rules.before.getTime())
  const candidates = (await store.checkpoints()).filter((checkpoint): checkpoint is ArchivePlan['checkpoint'] => checkpoint.note !== undefined && checkpoint.seq > base.seq && checkpoint.seq <= Math.min(cosigned, delivered) && within(checkpoint)).reverse()
  let below = Number.POSITIVE_INFINITY
  for (const checkpoint of candidates) {
    if (checkpoint.seq >= below) continue
    const blocking = await firstBlockingEvent(store.db, base.seq, checkpoint.seq)
    if (blocking === undefined) return { base, checkpoint }
    below = blocking
  }
  const why =
    candidates.length > 0
      ? `the oldest action still open (or going on after every checkpoint old enough) starts at event ${below}`
      : cosigned <= base.seq
        ? `the witnesses (audit.witnesses, audit.witness_quorum) have cosigned nothing after event ${base.seq}`
        : delivered <= base.seq
          ? `a webhook endpoint has taken nothing after event ${base.seq}`
          : `no signed checkpoint after event ${base.seq} is old enough and cosigned and delivered`
  throw new CountersignError('CONFLICT', `nothing to archive: ${why}`)
}

/**
 * Writes the archive of `plan` (see `ARCHIVE_FORMAT`) through `write`, one line per call, after
 * checking that the stored events are the ones the checkpoint signed (a log that does not verify
 * is never archived, let alone pruned).
 *
 * @throws CountersignError CONFLICT when the events do not hash to the checkpoint's chain hash
 *   and tree head.
 */
export async function writeArchive(store: Store, plan: ArchivePlan, publicKeys: readonly KeyObject[], write: (line: string) => Promise<void> | void): Promise<WrittenArchive> {
  const { base, checkpoint } = plan
  const note = parseCheckpoint(checkpoint.note)
  const tree = base.seq === 0 ? new MerkleTree() : MerkleTree.fromFrontier(base.seq, base.frontier.map((hash) => Buffer.from(hash, 'base64')))
  let lastHash = base.hash
  const passkeys = new Map<string, ArchivedPasskey>()
  for await (const row of eventsThrough(store, checkpoint.seq)) {
    if (row.seq !== tree.size + 1) break
    tree.append(leafHash(row.event))
    lastHash = row.hash
    collectPasskeys(row.event, passkeys)
  }
  if (tree.size !== checkpoint.seq || lastHash !== checkpoint.hash || !tree.root(checkpoint.seq).equals(note.root)) {
    throw new CountersignError('CONFLICT', `the stored events up to ${checkpoint.seq} are not the ones the checkpoint of ${checkpoint.at} signed: run \`countersign audit verify\`; nothing was archived`)
  }
  const digest = createHash('sha256')
  const line = async (value: unknown) => {
    const text = `${JSON.stringify(value)}\n`
    digest.update(text, 'utf8')
    await write(text)
  }
  const header: ArchiveHeader = { format: ARCHIVE_FORMAT, origin: note.origin, through_seq: checkpoint.seq, base: { seq: base.seq, hash: base.hash, frontier: base.frontier }, public_keys: publicKeys.map((key) => key.export({ type: 'spki', format: 'pem' }).toString()) }
  await line(header)
  for (const stored of await store.checkpoints()) if (stored.seq <= checkpoint.seq) await line({ checkpoint: stored })
  let events = 0
  for await (const row of eventsThrough(store, checkpoint.seq)) {
    await line({ ...row, proof: tree.inclusionProof(row.seq - 1, checkpoint.seq).map((hash) => hash.toString('base64')) })
    events += 1
  }
  return { plan, events, sha256: digest.digest('hex'), frontier: tree.compactRange(checkpoint.seq).map((hash) => hash.toString('base64')), passkeys: [...passkeys.values()] }
}

/**
 * Removes the archived events from the store in one transaction, recording an `audit.pruned`
 * event (actor `system`, channel `cli`) with the cut, the archive's SHA-256 and the passkey
 * registrations that went with it (later approvals are still checked against them).
 *
 * @throws CountersignError CONFLICT when the log changed under the plan (see `pruneAuditEvents`).
 */
export async function pruneArchived(store: Store, archive: WrittenArchive): Promise<void> {
  const { base, checkpoint } = archive.plan
  const next: AuditBase = { seq: checkpoint.seq, hash: checkpoint.hash, frontier: archive.frontier }
  const data = { through_seq: checkpoint.seq, hash: checkpoint.hash, root: parseCheckpoint(checkpoint.note).root.toString('base64'), events: archive.events, archive_sha256: archive.sha256, passkeys: archive.passkeys }
  await store.transact((tx, append) => pruneAuditEvents(tx, append, base.seq, next, { type: 'audit.pruned', action_id: null, actor: 'system', channel: 'cli', digest: null, policy_version: null, data }))
}

/** The highest tree size the witnesses allow to cut at (infinite when none is configured). */
async function witnessLimit(store: Store, rules: ArchiveRules): Promise<number> {
  const names = new Set(rules.witnesses.map((witness) => witness.name))
  const cosignatures = new AuditCosignatureStore(store.connection)
  let limit = Number.POSITIVE_INFINITY
  for (const latest of await cosignatures.latestByWitness()) if (names.has(latest.witness)) limit = Math.min(limit, latest.seq)
  if (rules.witnessQuorum > 0) {
    const checkpoints = (await store.checkpoints()).map((checkpoint) => checkpoint.seq)
    const bySeq = new Map<number, Set<string>>()
    for (const cosignature of await cosignatures.of(checkpoints)) if (names.has(cosignature.witness)) bySeq.set(cosignature.seq, (bySeq.get(cosignature.seq) ?? new Set()).add(cosignature.witness))
    const quorate = checkpoints.filter((seq) => (bySeq.get(seq)?.size ?? 0) >= rules.witnessQuorum)
    limit = Math.min(limit, quorate.at(-1) ?? 0)
  }
  return limit
}

async function* eventsThrough(store: Store, seq: number) {
  for await (const row of store.allAuditEvents()) {
    if (row.seq > seq) return
    yield row
  }
}

/** Passkey registrations an archived event carries: its own, or those an earlier prune carried. */
function collectPasskeys(text: string, into: Map<string, ArchivedPasskey>): void {
  const event = JSON.parse(text) as { type: string; actor: string; data: Record<string, unknown> }
  if (event.type === 'audit.pruned') for (const passkey of (event.data['passkeys'] ?? []) as ArchivedPasskey[]) into.set(passkey.credential_id, passkey)
  if (event.type !== 'passkey.registered') return
  const { credential_id, public_key, origin } = event.data as Record<string, string | undefined>
  if (credential_id && public_key && origin) into.set(credential_id, { credential_id, email: event.actor.replace(/^human:/, ''), public_key, origin })
}

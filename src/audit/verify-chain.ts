import type { KeyObject } from 'node:crypto'
import { CountersignError } from '../errors/index.js'
import { ChainWalker } from './chain-walker.js'
import { describeCheckpointFault, verifyCheckpointSignature, type Checkpoint } from './checkpoint.js'
import type { StoredAuditEvent } from './event.js'
import { ProblemLog, type AuditProblem } from './problems.js'
import { ed25519PublicKey, signingKeyId } from './signing-key.js'
import { MerkleAccumulator } from './merkle.js'
import { eventAt, eventTime } from './event-time.js'
import { checkOf, inBatches } from './parallel-check.js'
import { RowChecker, type RowCheck } from './row-check.js'
import { parseCheckpoint, parseSignatureLines, verifyCosignature, verifyNoteSignature, type SignedCheckpoint, type WitnessKey } from './note.js'

/** What to verify the events against. */
export interface VerifyChainOptions {
  /** Signed checkpoints, oldest first, the first with `prev_signature: null`. */
  readonly checkpoints?: readonly Checkpoint[]
  /** The Ed25519 keys checkpoints may be signed with (old and current); matched by key id. */
  readonly publicKeys?: readonly KeyObject[]
  /** Stop listing problems after this many (default 100); verification still reads every row. */
  readonly maxProblems?: number
  /**
   * Signed tree heads saved outside the log (a witness's last checkpoint, `verify --checkpoint
   * F`): trusted as given, the log must contain each of them (be as long, with the same root).
   */
  readonly anchors?: readonly SignedCheckpoint[]
  /**
   * When set, a `stale_checkpoint` warning is given if an event has waited longer than
   * `intervalMs` plus a margin (the interval again, at least a minute) for a checkpoint.
   */
  readonly freshness?: { readonly intervalMs: number; readonly now: Date }
  /**
   * `audit.witness_quorum`: when `required` is above 0, a `witness_quorum` warning is given if the
   * newest signed tree head that witnesses have had time to cosign (older than the checkpoint
   * interval plus the margin of `freshness`; with no `freshness`, the newest) carries fewer than
   * `required` valid cosignatures from distinct `witnesses`. `cosignatures(seq)` gives the
   * cosignature lines collected for the checkpoint at `seq`; each is verified here, not trusted.
   */
  /**
   * Where the log starts when its first events were archived (`audit archive --prune`): the
   * stored rows begin at `base.seq + 1` and chain to `base.hash`, and the Merkle tree resumes
   * from `base.frontier`. A signed checkpoint of exactly `base.seq` events must vouch for both
   * (its hash, and its tree head's root); otherwise the start is a `rewritten` problem.
   */
  readonly base?: ArchiveBase
  readonly witnessQuorum?: {
    readonly required: number
    readonly witnesses: readonly WitnessKey[]
    readonly cosignatures: (seq: number) => Promise<readonly string[]> | readonly string[]
  }
  /**
   * Worker threads that check rows (hashes, canonical form) ahead of the walk over the chain; 0
   * for none. By default one per core (at most 8), once the log has passed 32,768 rows (from the
   * first row when an earlier verification in this process started them).
   */
  readonly threads?: number
}

/** The state a log resumes from after its first `seq` events were archived (see `audit_base`). */
export interface ArchiveBase {
  /** The last archived event. */
  readonly seq: number
  /** Its stored chain hash. */
  readonly hash: string
  /** The compact range of the tree of the first `seq` events, largest subtree first. */
  readonly frontier: readonly Buffer[]
}

/** The outcome of verifying an audit log. */
export interface VerifyReport {
  /** True when nothing is wrong. */
  readonly ok: boolean
  /** How many stored rows were read. */
  readonly events: number
  /** The last event of the chain (its position and stored hash), `null` for an empty log. */
  readonly head: { readonly seq: number; readonly hash: string } | null
  /** How many checkpoints verified: authentic signature, and the event they sign is in the log. */
  readonly checkpoints: number
  /** What is wrong, by seq; at most `maxProblems`. */
  readonly problems: readonly AuditProblem[]
  /**
   * What is odd but not tampering, by seq; at most `maxProblems`. `time_backwards`: an event's
   * `at` is earlier than the one stored before it (the gateway's clock was set back, or replicas'
   * clocks disagree). The chain's order is its seq and hashes, not its times, so this does not
   * make `ok` false; but the times of the events around it are not to be trusted.
   * `stale_checkpoint`: events have waited longer than the checkpoint interval plus a margin for a
   * signed checkpoint (checkpointing stopped, or the newest checkpoints were deleted).
   * `witness_quorum`: the newest tree head old enough to have been cosigned has fewer
   * cosignatures than `audit.witness_quorum` requires (witnesses are down, lagging, or were cut
   * off: nobody outside the log vouches for its recent history).
   * `archived`: a checkpoint saved outside the log covers only events archived from it, so the
   * log cannot be checked against it (check it against the archive: `audit verify --file`).
   */
  readonly warnings: readonly AuditWarning[]
}

/** Something verification noticed that does not break the chain (see {@link VerifyReport.warnings}). */
export interface AuditWarning {
  readonly seq: number
  readonly kind: 'time_backwards' | 'stale_checkpoint' | 'witness_quorum' | 'archived'
  readonly message: string
}

/**
 * Verifies an audit log: every event hashes to its stored hash, chains to the one before
 * (the first to {@link GENESIS_HASH}), is stored at its own seq; every checkpoint is signed by
 * a given key, chains to the checkpoint before it, and matches the event it covers.
 * Rows are streamed in ascending stored seq (as the store returns them) and not held: memory
 * stays flat however long the log (a few batches of rows wait for worker threads, see `threads`,
 * which check rows while the store reads the next ones). It keeps going after a problem, resynchronizing on the
 * stored hashes, so each tampering is reported once, where it happened, as what it is.
 *
 * Without checkpoints, events removed from the end, or a history rewritten with recomputed
 * hashes from some event on, cannot be told from a shorter or different log: that is what
 * signed checkpoints are for.
 *
 * @throws CountersignError INVALID when `maxProblems` is not a positive integer, `threads` not a
 *   whole number or a public key not Ed25519; INTERNAL when a worker thread checking rows fails.
 *   The log itself never makes it throw: what is wrong there is a problem.
 *
 * @example
 * const report = await verifyChain(store.streamAuditEvents(), { checkpoints, publicKeys: [createPublicKey(pem)] })
 * if (!report.ok) for (const p of report.problems) console.log(`seq ${p.seq}: ${p.kind}: ${p.message}`)
 */
export async function verifyChain(
  events: Iterable<StoredAuditEvent> | AsyncIterable<StoredAuditEvent>,
  options: VerifyChainOptions = {},
): Promise<VerifyReport> {
  const { checkpoints = [], publicKeys = [], maxProblems = 100, anchors: given = [], freshness, witnessQuorum, threads, base } = options
  const baseSeq = base?.seq ?? 0
  // A tree head of archived events only cannot be compared with what the log still holds.
  const anchors = given.filter((anchor) => anchor.size >= baseSeq)
  if (!Number.isSafeInteger(maxProblems) || maxProblems < 1) throw new CountersignError('INVALID', 'maxProblems must be a positive integer')
  if (threads !== undefined && (!Number.isSafeInteger(threads) || threads < 0)) throw new CountersignError('INVALID', 'threads must be a whole number (0 for none)')
  const keys = new Map(publicKeys.map((key) => [signingKeyId(key), ed25519PublicKey(key)]))
  const problems = new ProblemLog(maxProblems)
  const authentic = checkCheckpoints(checkpoints, keys, problems)
  const notes = new Map<Checkpoint, SignedCheckpoint>()
  const treeHeads = treeHeadsOf(authentic, keys, anchors, problems, notes)

  const bySeq = new Map<number, Checkpoint[]>()
  for (const checkpoint of authentic) bySeq.set(checkpoint.seq, [...(bySeq.get(checkpoint.seq) ?? []), checkpoint])
  const matched = new Set<Checkpoint>()
  let lastMatchedSeq = 0
  const checker = new RowChecker()
  const walker = new ChainWalker(problems, (seq, storedHash, computedHash) => {
    const covering = bySeq.get(seq)
    if (covering === undefined) return
    for (const checkpoint of covering) {
      if (checkpoint.hash === storedHash || checkpoint.hash === computedHash) {
        matched.add(checkpoint)
        lastMatchedSeq = Math.max(lastMatchedSeq, seq)
      } else {
        const where = lastMatchedSeq + 1 === seq ? `event ${seq}` : `events ${lastMatchedSeq + 1}–${seq}`
        problems.add(seq, 'truncated', `event ${seq} is not the one the checkpoint of ${checkpoint.at} signed: the log was rewritten after it was signed, in ${where} (rolled back and re-appended, or re-hashed)`)
      }
    }
  }, checker, base)
  const last = authentic.reduce<Checkpoint | undefined>((highest, checkpoint) => (highest === undefined || checkpoint.seq > highest.seq ? checkpoint : highest), undefined)
  const clock = new ClockWatch(maxProblems, (last?.seq ?? 0) + 1)
  const tree = base === undefined || baseSeq === 0 ? new MerkleAccumulator() : MerkleAccumulator.fromFrontier(baseSeq, base.frontier)
  if (base !== undefined && baseSeq > 0) {
    const vouching = checkStart(base, tree.root(), authentic, notes, problems)
    if (vouching !== undefined) {
      matched.add(vouching)
      lastMatchedSeq = baseSeq
    }
  }
  let rewritten: { size: number; what: string } | undefined
  const onLeaves = (): void => {
    const heads = treeHeads.get(tree.size)
    if (heads === undefined || rewritten !== undefined) return
    const root = tree.root()
    // Every later tree head differs too: one report says where history stops matching.
    const differing = heads.find((expected) => !expected.root.equals(root))
    if (differing !== undefined) rewritten = { size: tree.size, what: differing.what }
  }
  const take = (row: unknown): void => {
    walker.push(row)
    const text: unknown = (row as Partial<StoredAuditEvent> | null)?.event
    clock.push((row as StoredAuditEvent | null)?.seq, eventTime(text), text)
    // A malformed row (reported by the walker) still takes its leaf: the tree is over rows as stored.
    // The walker has just encoded this text for its chain hash: the leaf hash reuses the bytes.
    tree.push(checker.hasher.leaf(typeof text === 'string' ? text : String(JSON.stringify(text))))
    onLeaves()
  }
  for await (const { rows, checked } of inBatches(events, threads)) {
    if (checked === undefined) {
      for (let index = 0; index < rows.length; index++) take(rows.row(index))
      continue
    }
    // Checked by a worker: every row is a record with a seq and string members.
    const seqs = rows.seqs as number[]
    const hashes = rows.hashes as string[]
    const others = new Map(checked.others)
    const check = (index: number): RowCheck => checkOf(checked, others, index, hashes[index] as string)
    if (checked.linked) {
      walker.pushLinked({ length: rows.length, row: (index) => rows.row(index), check, seq: (index) => seqs[index] as number, hash: (index) => hashes[index] as string })
    } else {
      for (let index = 0; index < rows.length; index++) walker.push(rows.row(index), check(index))
    }
    for (let index = 0; index < rows.length; index++) clock.push(seqs[index], checked.times[index] as number, rows.events[index])
    const start = tree.size
    // The batch's subtree root stands for its leaves, unless a tree head ends inside it.
    if (checked.root !== undefined && start % rows.length === 0 && ![...treeHeads.keys()].some((size) => size > start && size < start + rows.length)) {
      tree.push(Buffer.from(checked.root), rows.length)
      onLeaves()
    } else {
      for (let index = 0; index < rows.length; index++) {
        tree.push(Buffer.from(checked.leaves.buffer, checked.leaves.byteOffset + 32 * index, 32))
        onLeaves()
      }
    }
  }
  const head = walker.finish()
  // A chain problem at or before that size already explains the different root; this one is
  // for the history that was rewritten with every hash recomputed, where the chain is silent.
  if (rewritten !== undefined && !problems.list().some((problem) => problem.kind !== 'bad_checkpoint' && problem.seq <= (rewritten as { size: number }).size)) {
    problems.add(rewritten.size, 'rewritten', `the log's first ${rewritten.size} events are not the ones ${rewritten.what} covers (its Merkle root differs): history was rewritten, even if every hash after it was recomputed`)
  }

  const headSeq = head?.seq ?? 0
  if (last !== undefined && last.seq > headSeq) {
    const what = headSeq + 1 === last.seq ? `event ${last.seq} is` : `events ${headSeq + 1}–${last.seq} are`
    problems.add(headSeq + 1, 'truncated', `${what} missing from the end of the log: the checkpoint of ${last.at} covers up to event ${last.seq}`)
  }
  const longest = anchors.reduce<SignedCheckpoint | undefined>((top, anchor) => (top === undefined || anchor.size > top.size ? anchor : top), undefined)
  if (longest !== undefined && longest.size > tree.size && (last === undefined || longest.size > last.seq)) {
    problems.add(tree.size + 1, 'truncated', `the log has ${tree.size} events but the checkpoint saved outside it covers ${longest.size}: events ${tree.size + 1}–${longest.size} were removed (rolled back)`)
  }
  const warnings = [...clock.warnings]
  for (const anchor of given) {
    if (anchor.size >= baseSeq) continue
    warnings.push({ seq: anchor.size, kind: 'archived', message: `the checkpoint of ${anchor.size} events saved outside the log covers only archived events (the log starts after event ${baseSeq}): check it against the archive with \`audit verify --file ARCHIVE --checkpoint F\`` })
  }
  if (freshness !== undefined && clock.firstUncovered !== undefined) {
    const margin = Math.max(freshness.intervalMs, 60_000)
    const waited = freshness.now.getTime() - clock.firstUncovered.ms
    if (waited > freshness.intervalMs + margin) {
      const newest = last ? `the newest signed checkpoint covers event ${last.seq} (${last.at})` : 'no event is covered by a signed checkpoint'
      warnings.push({
        seq: clock.firstUncovered.seq,
        kind: 'stale_checkpoint',
        message: `${newest}, but event ${clock.firstUncovered.seq} (${clock.firstUncovered.at}) has waited ${formatGap(waited)} for one, more than the checkpoint interval of ${formatGap(freshness.intervalMs)} plus ${formatGap(margin)}: checkpointing stopped, or newer checkpoints were removed`,
      })
    }
  }
  if (witnessQuorum !== undefined && witnessQuorum.required > 0) {
    const warning = await checkQuorum(notes, witnessQuorum, freshness)
    if (warning !== undefined) warnings.push(warning)
  }
  return { ok: problems.count === 0, events: walker.rows, head, checkpoints: matched.size, problems: problems.list(), warnings }
}

/**
 * Checks that a signed checkpoint of exactly the archived events vouches for where the log now
 * starts: its chain hash, and the root the frontier gives. Returns that checkpoint.
 */
function checkStart(base: ArchiveBase, root: Buffer, authentic: readonly Checkpoint[], notes: ReadonlyMap<Checkpoint, SignedCheckpoint>, problems: ProblemLog): Checkpoint | undefined {
  const candidates = authentic.filter((checkpoint) => checkpoint.seq === base.seq)
  const vouching = candidates.find((checkpoint) => checkpoint.hash === base.hash && notes.get(checkpoint)?.root.equals(root) === true)
  if (vouching !== undefined) return vouching
  const why = candidates.length === 0 ? `no signed checkpoint of ${base.seq} events is left to vouch for it` : `the signed checkpoint of ${base.seq} events names another ${candidates.some((checkpoint) => checkpoint.hash === base.hash) ? 'tree root' : 'chain hash'}`
  problems.add(base.seq, 'rewritten', `the log starts after event ${base.seq} (archived), but ${why}: the stored start of the log (audit_base) was altered, or the checkpoints were`)
  return undefined
}

/** A tree head the log's first `size` events must hash to. */
interface ExpectedRoot {
  readonly root: Buffer
  readonly what: string
}

/**
 * The tree heads of the authentic checkpoints (their notes, signed by the checkpoint's key under
 * the note's origin, for the checkpoint's size) and of the anchors, by tree size.
 */
function treeHeadsOf(checkpoints: readonly Checkpoint[], keys: ReadonlyMap<string, KeyObject>, anchors: readonly SignedCheckpoint[], problems: ProblemLog, notes: Map<Checkpoint, SignedCheckpoint>): Map<number, ExpectedRoot[]> {
  const heads = new Map<number, ExpectedRoot[]>()
  const add = (size: number, head: ExpectedRoot) => heads.set(size, [...(heads.get(size) ?? []), head])
  for (const checkpoint of checkpoints) {
    if (checkpoint.note === undefined || checkpoint.note === null) continue
    const name = `the signed tree head of the checkpoint of ${checkpoint.at} (event ${checkpoint.seq})`
    let note: SignedCheckpoint
    try {
      note = parseCheckpoint(checkpoint.note)
    } catch (error) {
      problems.add(checkpoint.seq, 'bad_checkpoint', `${name} is not a signed note: ${error instanceof Error ? error.message : String(error)}`)
      continue
    }
    const key = keys.get(checkpoint.key_id)
    const signed = key !== undefined && note.signatures.some((signature) => verifyNoteSignature(note.body, signature, note.origin, key))
    if (!signed) problems.add(checkpoint.seq, 'bad_checkpoint', `${name} has no signature of key ${checkpoint.key_id} under ${note.origin}: it was altered or forged`)
    else if (note.size !== checkpoint.seq) problems.add(checkpoint.seq, 'bad_checkpoint', `${name} is for a tree of ${note.size} events`)
    else {
      add(note.size, { root: note.root, what: `the signed tree head of ${checkpoint.at}` })
      notes.set(checkpoint, note)
    }
  }
  for (const anchor of anchors) if (anchor.size > 0) add(anchor.size, { root: anchor.root, what: `the checkpoint of ${anchor.size} events saved outside the log` })
  return heads
}

/**
 * The `witness_quorum` warning, if due: counts the distinct configured witnesses whose
 * cosignature of the newest authentic tree head old enough to be cosigned verifies.
 */
async function checkQuorum(notes: ReadonlyMap<Checkpoint, SignedCheckpoint>, quorum: NonNullable<VerifyChainOptions['witnessQuorum']>, freshness: VerifyChainOptions['freshness']): Promise<AuditWarning | undefined> {
  const deadline = freshness === undefined ? Number.POSITIVE_INFINITY : freshness.now.getTime() - freshness.intervalMs - Math.max(freshness.intervalMs, 60_000)
  let newest: [Checkpoint, SignedCheckpoint] | undefined
  for (const entry of notes) {
    if (Date.parse(entry[0].at) < deadline && (newest === undefined || entry[0].seq > newest[0].seq)) newest = entry
  }
  if (newest === undefined) return undefined
  const [checkpoint, note] = newest
  const signatures = (await quorum.cosignatures(checkpoint.seq)).flatMap((line) => {
    try {
      return parseSignatureLines(line.endsWith('\n') ? line : `${line}\n`)
    } catch {
      return [] // not a signature line: it vouches for nothing
    }
  })
  const cosigned = quorum.witnesses.filter((witness) => signatures.some((signature) => verifyCosignature(note.body, signature, witness.name, witness.publicKey) !== undefined))
  if (cosigned.length >= quorum.required) return undefined
  const who = cosigned.length === 0 ? 'no witness' : `only ${cosigned.map((witness) => witness.name).join(', ')}`
  return {
    seq: checkpoint.seq,
    kind: 'witness_quorum',
    message: `the signed tree head of ${checkpoint.at} (${checkpoint.seq} events) has ${cosigned.length} of the ${quorum.required} witness cosignatures audit.witness_quorum requires (${who} of ${quorum.witnesses.length} cosigned it): nobody outside the log vouches for its history up to there`,
  }
}

/** Notes each event whose `at` is earlier than the event stored before it. */
class ClockWatch {
  readonly warnings: AuditWarning[] = []
  /** The first event no checkpoint covers, once seen. */
  firstUncovered: { seq: number; at: string; ms: number } | undefined
  readonly #max: number
  readonly #uncoveredFrom: number
  /** The last event with a time: its seq, time and text (whose `at` is read again only for a warning). */
  #previousSeq = 0
  #previousMs = Number.NaN
  #previousText: unknown

  constructor(max: number, uncoveredFrom: number) {
    this.#max = max
    this.#uncoveredFrom = uncoveredFrom
  }

  /** The next stored row: its seq, the {@link eventTime} of its text, and the text. */
  push(seq: unknown, ms: number, text: unknown): void {
    if (Number.isNaN(ms)) return
    const previousSeq = this.#previousSeq
    const previousMs = this.#previousMs
    const previousText = this.#previousText
    this.#previousSeq = seq as number
    this.#previousMs = ms
    this.#previousText = text
    if (this.firstUncovered === undefined && (seq as number) >= this.#uncoveredFrom) this.firstUncovered = { seq: seq as number, at: eventAt(text) as string, ms }
    // NaN before the first event with a time: no comparison holds.
    if (!(ms < previousMs) || this.warnings.length >= this.#max) return
    this.warnings.push({
      seq: seq as number,
      kind: 'time_backwards',
      message: `event ${seq as number} is at ${eventAt(text) as string}, ${formatGap(previousMs - ms)} before event ${previousSeq} (${eventAt(previousText) as string}) stored ahead of it: the gateway's clock went back (or replicas' clocks disagree); the chain itself is intact`,
    })
  }
}

function formatGap(ms: number): string {
  const units = [
    [365 * 86_400_000, 'year'],
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ] as const
  for (const [size, unit] of units) if (ms >= size) return `${Math.floor(ms / size)} ${unit}${Math.floor(ms / size) === 1 ? '' : 's'}`
  return `${ms} ms`
}

/** Checks each checkpoint's shape, key, signature and link to the one before; returns the authentic ones. */
function checkCheckpoints(checkpoints: readonly Checkpoint[], keys: ReadonlyMap<string, KeyObject>, problems: ProblemLog): Checkpoint[] {
  const authentic: Checkpoint[] = []
  let previous: Checkpoint | undefined
  for (const [index, checkpoint] of checkpoints.entries()) {
    const fault = describeCheckpointFault(checkpoint)
    if (fault !== undefined) {
      const seq = typeof checkpoint?.seq === 'number' && Number.isSafeInteger(checkpoint.seq) ? checkpoint.seq : 0
      problems.add(seq, 'bad_checkpoint', `checkpoint ${index + 1} ${fault}`)
      previous = checkpoint
      continue
    }
    const name = `the checkpoint of ${checkpoint.at} (event ${checkpoint.seq})`
    const key = keys.get(checkpoint.key_id)
    if (key === undefined) {
      problems.add(checkpoint.seq, 'bad_checkpoint', `${name} is signed by key ${checkpoint.key_id}, which is not among the public keys given`)
    } else if (!verifyCheckpointSignature(checkpoint, key)) {
      problems.add(checkpoint.seq, 'bad_checkpoint', `${name} has a signature that does not verify with key ${checkpoint.key_id}: it was altered or forged`)
    } else {
      authentic.push(checkpoint)
    }
    const expected = previous?.signature ?? null
    if (index === 0 && checkpoint.prev_signature !== null) {
      problems.add(checkpoint.seq, 'bad_checkpoint', `${name} is the first given but names a previous checkpoint: earlier checkpoints are missing`)
    } else if (index > 0 && checkpoint.prev_signature !== expected) {
      problems.add(checkpoint.seq, 'bad_checkpoint', `${name} does not chain to the checkpoint before it (its prev_signature differs): a checkpoint was removed or they are out of order`)
    }
    if (previous !== undefined && typeof previous.seq === 'number' && checkpoint.seq < previous.seq) {
      problems.add(checkpoint.seq, 'bad_checkpoint', `${name} comes after the checkpoint of event ${previous.seq}: checkpoints are out of order`)
    }
    previous = checkpoint
  }
  return authentic
}

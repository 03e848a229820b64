import type { KeyObject } from 'node:crypto'
import { CountersignError } from '../errors/index.js'
import { ChainWalker } from './chain-walker.js'
import { describeCheckpointFault, verifyCheckpointSignature, type Checkpoint } from './checkpoint.js'
import type { StoredAuditEvent } from './event.js'
import { ProblemLog, type AuditProblem } from './problems.js'
import { ed25519PublicKey, signingKeyId } from './signing-key.js'

/** What to verify the events against. */
export interface VerifyChainOptions {
  /** Signed checkpoints, oldest first, the first with `prev_signature: null`. */
  readonly checkpoints?: readonly Checkpoint[]
  /** The Ed25519 keys checkpoints may be signed with (old and current); matched by key id. */
  readonly publicKeys?: readonly KeyObject[]
  /** Stop listing problems after this many (default 100); verification still reads every row. */
  readonly maxProblems?: number
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
   */
  readonly warnings: readonly AuditWarning[]
}

/** Something verification noticed that does not break the chain (see {@link VerifyReport.warnings}). */
export interface AuditWarning {
  readonly seq: number
  readonly kind: 'time_backwards'
  readonly message: string
}

/**
 * Verifies an audit log: every event hashes to its stored hash, chains to the one before
 * (the first to {@link GENESIS_HASH}), is stored at its own seq; every checkpoint is signed by
 * a given key, chains to the checkpoint before it, and matches the event it covers.
 * Rows are streamed in ascending stored seq (as the store returns them) and not held: memory
 * stays flat however long the log. It keeps going after a problem, resynchronizing on the
 * stored hashes, so each tampering is reported once, where it happened, as what it is.
 *
 * Without checkpoints, events removed from the end, or a history rewritten with recomputed
 * hashes from some event on, cannot be told from a shorter or different log: that is what
 * signed checkpoints are for.
 *
 * @throws CountersignError INVALID when `maxProblems` is not a positive integer or a public key
 *   is not Ed25519. The log itself never makes it throw: what is wrong there is a problem.
 *
 * @example
 * const report = await verifyChain(store.streamAuditEvents(), { checkpoints, publicKeys: [createPublicKey(pem)] })
 * if (!report.ok) for (const p of report.problems) console.log(`seq ${p.seq}: ${p.kind}: ${p.message}`)
 */
export async function verifyChain(
  events: Iterable<StoredAuditEvent> | AsyncIterable<StoredAuditEvent>,
  options: VerifyChainOptions = {},
): Promise<VerifyReport> {
  const { checkpoints = [], publicKeys = [], maxProblems = 100 } = options
  if (!Number.isSafeInteger(maxProblems) || maxProblems < 1) throw new CountersignError('INVALID', 'maxProblems must be a positive integer')
  const keys = new Map(publicKeys.map((key) => [signingKeyId(key), ed25519PublicKey(key)]))
  const problems = new ProblemLog(maxProblems)
  const authentic = checkCheckpoints(checkpoints, keys, problems)

  const bySeq = new Map<number, Checkpoint[]>()
  for (const checkpoint of authentic) bySeq.set(checkpoint.seq, [...(bySeq.get(checkpoint.seq) ?? []), checkpoint])
  const matched = new Set<Checkpoint>()
  let lastMatchedSeq = 0
  const walker = new ChainWalker(problems, (seq, hashes) => {
    for (const checkpoint of bySeq.get(seq) ?? []) {
      if (hashes.includes(checkpoint.hash)) {
        matched.add(checkpoint)
        lastMatchedSeq = Math.max(lastMatchedSeq, seq)
      } else {
        const where = lastMatchedSeq + 1 === seq ? `event ${seq}` : `events ${lastMatchedSeq + 1}–${seq}`
        problems.add(seq, 'truncated', `event ${seq} is not the one the checkpoint of ${checkpoint.at} signed: the log was rewritten after it was signed, in ${where} (rolled back and re-appended, or re-hashed)`)
      }
    }
  })
  const clock = new ClockWatch(maxProblems)
  for await (const row of events) {
    walker.push(row)
    clock.push(row)
  }
  const head = walker.finish()

  const last = authentic.reduce<Checkpoint | undefined>((highest, checkpoint) => (highest === undefined || checkpoint.seq > highest.seq ? checkpoint : highest), undefined)
  const headSeq = head?.seq ?? 0
  if (last !== undefined && last.seq > headSeq) {
    const what = headSeq + 1 === last.seq ? `event ${last.seq} is` : `events ${headSeq + 1}–${last.seq} are`
    problems.add(headSeq + 1, 'truncated', `${what} missing from the end of the log: the checkpoint of ${last.at} covers up to event ${last.seq}`)
  }
  return { ok: problems.count === 0, events: walker.rows, head, checkpoints: matched.size, problems: problems.list(), warnings: clock.warnings }
}

/** Notes each event whose `at` is earlier than the event stored before it. */
class ClockWatch {
  readonly warnings: AuditWarning[] = []
  readonly #max: number
  #previous: { seq: number; at: string; ms: number } | undefined

  constructor(max: number) {
    this.#max = max
  }

  push(row: StoredAuditEvent): void {
    let at: unknown
    try {
      at = (JSON.parse(row.event) as { at?: unknown }).at
    } catch {
      return // malformed: the chain walker reports it
    }
    const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN
    if (Number.isNaN(ms)) return
    const previous = this.#previous
    this.#previous = { seq: row.seq, at: at as string, ms }
    if (!previous || ms >= previous.ms || this.warnings.length >= this.#max) return
    this.warnings.push({
      seq: row.seq,
      kind: 'time_backwards',
      message: `event ${row.seq} is at ${at as string}, ${formatGap(previous.ms - ms)} before event ${previous.seq} (${previous.at}) stored ahead of it: the gateway's clock went back (or replicas' clocks disagree); the chain itself is intact`,
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

/**
 * What audit verification can find wrong:
 *
 * - `modified`: an event's text no longer hashes to its stored hash, its stored hash or
 *   prev_hash was edited, or it was rewritten with a recomputed hash (the next one no longer
 *   chains to it).
 * - `missing`: events are absent from the chain (deleted rows).
 * - `inserted`: a row that is not part of the chain (a forged or duplicated event).
 * - `reordered`: an event stored at another seq than its own (moved, swapped, renumbered).
 * - `truncated`: a signed checkpoint covers events the log no longer has, or a different
 *   history than the log now holds (rolled back and re-appended).
 * - `rewritten`: the log's first N events are not the ones a signed tree head covers (one of the
 *   log's own checkpoints, or one saved outside it: a witness's, `verify --checkpoint F`): its
 *   Merkle root differs, so history was rewritten even if every hash was recomputed.
 * - `bad_checkpoint`: a checkpoint whose signature does not verify, whose key is unknown, or
 *   that breaks the checkpoint chain (`prev_signature`).
 * - `malformed`: a row or text that is not an audit event (not JSON, members missing…).
 * - `bad_passkey`: a passkey-signed approval whose assertion does not verify against the public
 *   key its `passkey.registered` event recorded, or that is not for the event's digest.
 */
export const AUDIT_PROBLEM_KINDS = ['modified', 'missing', 'inserted', 'reordered', 'truncated', 'rewritten', 'bad_checkpoint', 'malformed', 'state_mismatch', 'bad_passkey'] as const
export type AuditProblemKind = (typeof AUDIT_PROBLEM_KINDS)[number]

/**
 * One thing verification found wrong. `seq` is where to look: the stored seq of the row
 * concerned; for `missing` and `truncated` the first absent seq; for `bad_checkpoint` the
 * checkpoint's seq (0 when unreadable).
 */
export interface AuditProblem {
  readonly seq: number
  readonly kind: AuditProblemKind
  readonly message: string
}

/** A problem as collected: the message may be sharpened once the next event is seen. */
export interface CollectedProblem {
  readonly seq: number
  readonly kind: AuditProblemKind
  message: string
}

/** The problems found so far, at most `max` of them (a ruined log must not exhaust memory). */
export class ProblemLog {
  readonly #max: number
  readonly #problems: CollectedProblem[] = []

  constructor(max: number) {
    this.#max = max
  }

  /** Records a problem; `undefined` when the cap is reached. */
  add(seq: number, kind: AuditProblemKind, message: string): CollectedProblem | undefined {
    if (this.#problems.length >= this.#max) return undefined
    const problem: CollectedProblem = { seq, kind, message }
    this.#problems.push(problem)
    return problem
  }

  /** Withdraws a problem that a later finding explains better. */
  withdraw(problem: CollectedProblem): void {
    const index = this.#problems.indexOf(problem)
    if (index >= 0) this.#problems.splice(index, 1)
  }

  /** How many problems are listed. */
  get count(): number {
    return this.#problems.length
  }

  /** The problems by seq (stable: in the order found within one seq). */
  list(): AuditProblem[] {
    return this.#problems.map(({ seq, kind, message }) => ({ seq, kind, message })).sort((a, b) => a.seq - b.seq)
  }
}

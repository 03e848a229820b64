import { GENESIS_HASH, isRecord } from './event.js'
import type { AuditProblemKind, CollectedProblem, ProblemLog } from './problems.js'
import { isSeq, RowChecker, type RowCheck } from './row-check.js'

/**
 * How many rows that do not chain to the head may wait for the row they chain to. Rows moved
 * further apart than this are still reported, less precisely (as missing, then out of place).
 */
const MAX_PENDING = 256

/** A stored row and what its own content says. */
interface Row extends RowCheck {
  /** Arrival order: the earliest waiting row is the first to be forced into the chain. */
  readonly index: number
  readonly rowSeq: number
  readonly prevHash: string
  readonly storedHash: string
}

/** An event placed in the chain. Only the head and its parent are kept: memory stays flat. */
interface Node {
  /** Its position in the chain: the seq checkpoints refer to. */
  readonly seq: number
  /** `undefined` for the genesis pseudo-event. */
  readonly rowSeq: number | undefined
  readonly storedHash: string
  readonly computedHash: string | undefined
  parent: Node | undefined
  confirmed: boolean
  /** Problems charged to this row, withdrawn if it turns out not to be part of the chain. */
  readonly problems: CollectedProblem[]
  /** Its `modified` problem, sharpened once we see which hash the next event chains to. */
  readonly modified: { readonly problem: CollectedProblem; readonly hints: string } | undefined
  /** Set when it was forced in without chaining to the event before it. */
  brokenLink: CollectedProblem | undefined
}

/** Called once per event that keeps its place in the chain, with the hashes it may answer to: its stored hash, and the one its text gives (`undefined` when its prev_hash is not hex). */
export type ConfirmedEvent = (seq: number, storedHash: string, computedHash: string | undefined) => void

/**
 * Stored rows in order, each intact and sound (its check is `{ computedHash: its stored hash,
 * intact: true, textSeq, fault: undefined }`), each after the first chaining to the one before it
 * by its stored hash and numbered one after it, by its seq and by its text's seq.
 */
export interface LinkedRows {
  readonly length: number
  /** Row `index` as read, and its check, as `push` takes them. */
  row(index: number): unknown
  check(index: number): RowCheck
  /** Its stored seq and stored hash. */
  seq(index: number): number
  hash(index: number): string
}

/**
 * Walks stored rows in the order the store returns them and rebuilds the chain from their
 * hashes: each row is placed after the event its prev_hash names. Rows that do not chain to the
 * head wait (bounded) for the row they chain to; what cannot be placed is forced in, and the
 * way the chain breaks there says what happened. Resynchronizing on the stored hashes is what
 * lets one tampering produce one problem rather than a cascade.
 */
export class ChainWalker {
  readonly #problems: ProblemLog
  readonly #confirmed: ConfirmedEvent
  readonly #checker: RowChecker
  #head: Node = { seq: 0, rowSeq: undefined, storedHash: GENESIS_HASH, computedHash: undefined, parent: undefined, confirmed: true, problems: [], modified: undefined, brokenLink: undefined }
  readonly #pending: Row[] = []
  readonly #byPrevHash = new Map<string, Row[]>()
  /** Stored seq minus chain position, as rows are numbered now (0 unless renumbered). */
  #offset = 0
  /** A row numbered off the offset: one row out of place, or the start of a renumbered run. */
  #offsetCandidate: { readonly offset: number; readonly rowSeq: number; readonly seq: number } | undefined
  /** Set when an inserted row was taken out: the renumbering it caused is already explained. */
  #adoptOffset = false
  readonly #missing: (readonly [number, number])[] = []
  #rows = 0

  /**
   * `checker`: shared with the caller, which can then take each row's leaf hash from the same
   * encoding. `start`: the last archived event (its seq and stored hash) when the log no longer
   * begins at event 1; the first row must chain to it as to the genesis hash.
   */
  constructor(problems: ProblemLog, confirmed: ConfirmedEvent, checker: RowChecker = new RowChecker(), start?: { readonly seq: number; readonly hash: string }) {
    this.#problems = problems
    this.#confirmed = confirmed
    this.#checker = checker
    if (start !== undefined && start.seq > 0) this.#head = { ...this.#head, seq: start.seq, rowSeq: start.seq, storedHash: start.hash }
  }

  /** How many rows were read. */
  get rows(): number {
    return this.#rows
  }

  /**
   * Takes the next stored row. `checked`: what a {@link RowChecker} said of it, when it was
   * checked elsewhere (a row with a seq and string prev_hash, hash and event); checked here if not.
   */
  push(raw: unknown, checked?: RowCheck): void {
    this.#rows += 1
    const row = this.#read(raw, checked)
    if (row === undefined) return
    if (follows(row, this.#head)) {
      this.#placeLinked(row)
    } else {
      this.#hold(row)
    }
    this.#settle()
    const earliest = this.#pending[0]
    if (earliest !== undefined && this.#pending.length > MAX_PENDING) {
      this.#force(earliest)
      this.#settle()
    }
  }

  /**
   * Takes the next stored rows, known to be linked (see {@link LinkedRows}). The first is taken
   * as by `push`; when the walk is then in step (nothing waits, the numbering is as before), the
   * others are placed at once, each after the one before, as pushing them one by one would.
   */
  pushLinked(rows: LinkedRows): void {
    const waited = this.#pending.length > 0
    this.push(rows.row(0), rows.check(0))
    const first = this.#head
    const count = rows.length
    const inStep =
      !waited && this.#pending.length === 0 && first.rowSeq === rows.seq(0) && first.storedHash === rows.hash(0) && first.modified === undefined && this.#offsetCandidate === undefined && !this.#adoptOffset && rows.seq(0) - first.seq === this.#offset
    if (!inStep) {
      for (let index = 1; index < count; index++) this.push(rows.row(index), rows.check(index))
      return
    }
    if (count === 1) return
    this.#confirm(first)
    for (let index = 1; index < count - 1; index++) this.#confirmed(first.seq + index, rows.hash(index), rows.hash(index))
    // Keep one generation back (for forks) and no more, as `#advance` does.
    first.parent = undefined
    const node = (index: number, parent: Node | undefined): Node => {
      const hash = rows.hash(index)
      return { seq: first.seq + index, rowSeq: rows.seq(index), storedHash: hash, computedHash: hash, parent, confirmed: parent === undefined, problems: [], modified: undefined, brokenLink: undefined }
    }
    this.#head = node(count - 1, count === 2 ? first : node(count - 2, undefined))
    this.#rows += count - 1
  }

  /** Ends the walk: places what still waits and returns the chain's head, `null` when empty. */
  finish(): { seq: number; hash: string } | null {
    for (let earliest = this.#pending[0]; earliest !== undefined; earliest = this.#pending[0]) {
      this.#force(earliest)
      this.#settle()
    }
    this.#confirm(this.#head)
    this.#flushOffsetCandidate()
    return this.#head.rowSeq === undefined ? null : { seq: this.#head.seq, hash: this.#head.storedHash }
  }

  #read(raw: unknown, checked: RowCheck | undefined): Row | undefined {
    if (!isRecord(raw) || !isSeq(raw.seq)) {
      this.#problems.add(0, 'malformed', `row ${this.#rows} has no seq: skipped`)
      return undefined
    }
    // A row with a seq but a member missing still takes its place, so its neighbours chain as before.
    const rowSeq = raw.seq
    const prevHash = stringOr(raw.prev_hash)
    const storedHash = stringOr(raw.hash)
    const complete = typeof raw.prev_hash === 'string' && typeof raw.hash === 'string' && typeof raw.event === 'string'
    const { computedHash, intact, textSeq, fault } = checked ?? this.#checker.check(rowSeq, prevHash, storedHash, stringOr(raw.event), complete)
    return { index: this.#rows, rowSeq, prevHash, storedHash, computedHash, intact, textSeq, fault }
  }

  /** Places every waiting row that now chains to the head, and settles forks. */
  #settle(): void {
    for (;;) {
      const next = this.#firstFollower(this.#head)
      if (next !== undefined) {
        this.#release(next)
        this.#placeLinked(next)
      } else if (!this.#resolveFork()) {
        return
      }
    }
  }

  #placeLinked(row: Row): void {
    const head = this.#head
    const modified = head.modified
    if (modified !== undefined) {
      modified.problem.message =
        row.prevHash === head.computedHash
          ? `event ${head.rowSeq}'s stored hash was modified: its text still hashes to the value event ${row.rowSeq} chains to${modified.hints}`
          : `event ${head.rowSeq}'s text was modified: it no longer hashes to the stored hash event ${row.rowSeq} chains to${modified.hints}`
    }
    const position = head.seq + 1
    const problems: CollectedProblem[] = []
    // A linked, intact row whose own seq disagrees with its position: the chain was rebuilt around a gap or an insertion.
    if (row.intact && row.textSeq !== undefined && row.textSeq > position) {
      this.#reportMissing(position, row.textSeq - 1, head, problems)
      this.#advance(row, row.textSeq, problems)
    } else if (row.intact && row.textSeq !== undefined && row.textSeq < position) {
      this.#report(problems, row.rowSeq, 'inserted', `event ${row.rowSeq} is event ${row.textSeq} by its text but number ${position} in the chain: events were inserted before it`)
      this.#advance(row, row.textSeq, problems)
    } else {
      this.#advance(row, position, problems)
    }
  }

  /** Places a row that chains to nothing waiting to be placed: how the chain breaks says why. */
  #force(row: Row): void {
    this.#release(row)
    const head = this.#head
    const expected = head.seq + 1
    const claimed = row.textSeq ?? row.rowSeq
    const problems: CollectedProblem[] = []
    if (claimed > expected) {
      this.#reportMissing(expected, claimed - 1, head, problems)
      this.#advance(row, claimed, problems)
    } else if (claimed === expected) {
      if (row.fault !== undefined && !row.intact) {
        // Its own hash fails too: the row itself was edited, which explains the break.
        const message = row.fault.kind === 'modified' ? `event ${row.rowSeq} was modified: it does not chain to the event before it and no longer hashes to its stored hash (its prev_hash was edited)` : undefined
        this.#advance(row, claimed, problems, message)
      } else if (head.rowSeq === undefined) {
        const broken = this.#report(problems, row.rowSeq, 'modified', `event ${row.rowSeq} does not start from the genesis hash: it was rewritten, or the log does not begin at event 1`)
        this.#advance(row, claimed, problems)
        this.#head.brokenLink = broken
      } else if (this.#firstFollower(row) === undefined) {
        const broken = this.#report(problems, row.rowSeq, 'inserted', `event ${row.rowSeq} does not chain to event ${head.rowSeq}: it was inserted (forged), or event ${head.rowSeq} was rewritten`)
        this.#advance(row, claimed, problems)
        this.#head.brokenLink = broken
      } else {
        // The chain goes on from this row, not from the head: the head is what changed. A break
        // already charged to the head (it chained to nothing either) is this same change.
        if (head.brokenLink !== undefined) this.#problems.withdraw(head.brokenLink)
        this.#report(problems, head.rowSeq, 'modified', `event ${head.rowSeq} was rewritten with a recomputed hash, or replaced: event ${row.rowSeq} chains to a different event ${head.seq}`)
        this.#advance(row, claimed, problems)
      }
    } else if (this.#missing.some(([from, to]) => from <= claimed && claimed <= to)) {
      this.#problems.add(row.rowSeq, 'reordered', `event ${claimed}, reported missing, is stored out of place at seq ${row.rowSeq}`)
    } else {
      this.#problems.add(row.rowSeq, 'inserted', `event ${row.rowSeq} is not part of the chain: it is a second event ${claimed}`)
    }
  }

  /**
   * The head and a waiting row both chain to the head's parent, and the chain goes on from the
   * waiting row: the head is the row that does not belong. Takes it out and resumes from the
   * other. Returns whether it did.
   */
  #resolveFork(): boolean {
    const head = this.#head
    const parent = head.parent
    if (parent === undefined || head.rowSeq === undefined) return false
    const sibling = this.#firstFollower(parent)
    if (sibling === undefined || this.#firstFollower(sibling) === undefined) return false
    for (const problem of head.problems) this.#problems.withdraw(problem)
    if (this.#offsetCandidate?.rowSeq === head.rowSeq) this.#offsetCandidate = undefined
    const from = parent.rowSeq === undefined ? 'the genesis hash' : `event ${parent.rowSeq}`
    this.#problems.add(head.rowSeq, 'inserted', `event ${head.rowSeq} was inserted: it is not part of the chain, which goes on from ${from} with the event stored at seq ${sibling.rowSeq}`)
    this.#head = parent
    this.#adoptOffset = true
    this.#release(sibling)
    this.#placeLinked(sibling)
    return true
  }

  #advance(row: Row, seq: number, problems: CollectedProblem[], faultMessage?: string): void {
    const fault = row.fault && this.#report(problems, row.rowSeq, row.fault.kind, faultMessage ?? row.fault.message)
    this.#confirm(this.#head)
    const node: Node = {
      seq,
      rowSeq: row.rowSeq,
      storedHash: row.storedHash,
      computedHash: row.computedHash,
      parent: this.#head,
      confirmed: false,
      problems,
      modified: fault !== undefined && row.fault?.hints !== undefined && faultMessage === undefined ? { problem: fault, hints: row.fault.hints } : undefined,
      brokenLink: undefined,
    }
    // Keep one generation back (for forks) and no more, whatever the log's length.
    this.#head.parent = undefined
    this.#head = node
    this.#checkNumbering(row.rowSeq, seq)
  }

  #confirm(node: Node): void {
    if (node.confirmed) return
    node.confirmed = true
    this.#confirmed(node.seq, node.storedHash, node.computedHash)
  }

  /** Reports rows numbered off the chain: one problem per out-of-place row or renumbered run. */
  #checkNumbering(rowSeq: number, seq: number): void {
    const offset = rowSeq - seq
    if (this.#adoptOffset) {
      this.#adoptOffset = false
      this.#flushOffsetCandidate()
      this.#offset = offset
      return
    }
    if (offset === this.#offset) {
      this.#flushOffsetCandidate()
      return
    }
    const candidate = this.#offsetCandidate
    if (candidate?.offset === offset) {
      const by = Math.abs(offset)
      const direction = `${by} ${offset > 0 ? 'above' : 'below'}`
      this.#problems.add(candidate.rowSeq, 'reordered', `events from seq ${candidate.rowSeq} on are stored ${direction} their own seq: the rows were renumbered`)
      this.#offsetCandidate = undefined
      this.#offset = offset
      return
    }
    this.#flushOffsetCandidate()
    this.#offsetCandidate = { offset, rowSeq, seq }
  }

  #flushOffsetCandidate(): void {
    const candidate = this.#offsetCandidate
    if (candidate === undefined) return
    this.#offsetCandidate = undefined
    this.#problems.add(candidate.rowSeq, 'reordered', `event ${candidate.seq} is stored out of place, at seq ${candidate.rowSeq}`)
  }

  #reportMissing(from: number, to: number, head: Node, problems: CollectedProblem[]): void {
    this.#missing.push([from, to])
    if (this.#missing.length > MAX_PENDING) this.#missing.shift()
    const what = from === to ? `event ${from} is missing` : `events ${from}–${to} are missing`
    this.#report(problems, from, 'missing', `${what} (the chain goes from ${head.rowSeq === undefined ? 'the genesis hash' : `event ${head.seq}`} to event ${to + 1})`)
  }

  #report(into: CollectedProblem[], seq: number, kind: AuditProblemKind, message: string): CollectedProblem | undefined {
    const problem = this.#problems.add(seq, kind, message)
    if (problem !== undefined) into.push(problem)
    return problem
  }

  #hold(row: Row): void {
    this.#pending.push(row)
    const siblings = this.#byPrevHash.get(row.prevHash)
    if (siblings === undefined) this.#byPrevHash.set(row.prevHash, [row])
    else siblings.push(row)
  }

  #release(row: Row): void {
    this.#pending.splice(this.#pending.indexOf(row), 1)
    const siblings = this.#byPrevHash.get(row.prevHash) ?? []
    siblings.splice(siblings.indexOf(row), 1)
    if (siblings.length === 0) this.#byPrevHash.delete(row.prevHash)
  }

  /** The earliest waiting row that chains to `node` (by its stored or its recomputed hash). */
  #firstFollower(node: Pick<Node, 'storedHash' | 'computedHash'>): Row | undefined {
    // Nothing waits (the usual case): no hash to look up.
    if (this.#pending.length === 0) return undefined
    const byStored = this.#byPrevHash.get(node.storedHash)?.[0]
    const byComputed = node.computedHash === undefined ? undefined : this.#byPrevHash.get(node.computedHash)?.[0]
    if (byStored === undefined || byComputed === undefined) return byStored ?? byComputed
    return byStored.index <= byComputed.index ? byStored : byComputed
  }
}

function follows(row: Row, node: Node): boolean {
  return row.prevHash === node.storedHash || (node.computedHash !== undefined && row.prevHash === node.computedHash)
}

function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

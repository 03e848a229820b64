// Straight from its module, not the folder's index: a worker thread loads this file, and the index would load the action schemas too.
import { canonicalJson } from '../action/canonical.js'
import { scanCanonicalEvent } from './canonical-scan.js'
import { describeEventFault, GENESIS_HASH, isHex64, isRecord } from './event.js'
import { EventHasher } from './event-hasher.js'
import type { AuditProblemKind } from './problems.js'

/** What is wrong with a stored row by itself, reported if it takes a place in the chain. */
export interface RowFault {
  readonly kind: AuditProblemKind
  readonly message: string
  readonly hints?: string
}

/** What one stored row's own content says, whatever the rows around it. */
export interface RowCheck {
  /** The hash its prev_hash and text give; `undefined` when prev_hash is not hex. */
  readonly computedHash: string | undefined
  /** True when the computed hash is the stored one. */
  readonly intact: boolean
  /** The seq its text claims, when it has one. */
  readonly textSeq: number | undefined
  readonly fault: RowFault | undefined
}

/**
 * Checks stored rows one at a time: the chain hash, the text's canonical form and members.
 * Depends on nothing but the row, so rows can be checked anywhere (the chain walker, or a
 * worker thread for a batch of them) with the same answer.
 */
export class RowChecker {
  /** Its hasher: the caller can take each row's leaf hash from the encoding just checked. */
  readonly hasher = new EventHasher()
  /** The last stored hash seen that is 64 lower-case hex digits. */
  #lastHex = GENESIS_HASH

  /**
   * `complete`: the row's prev_hash, hash and event were all strings (`prevHash`, `storedHash`
   * and `text` are then those, else `''` for what was not).
   */
  check(rowSeq: number, prevHash: string, storedHash: string, text: string, complete: boolean): RowCheck {
    // A row's prev_hash is usually the hash of the row before, already found to be hex.
    const prevHex = prevHash === this.#lastHex || isHex64(prevHash)
    const computedHash = prevHex ? this.hasher.chain(prevHash, text) : undefined
    const intact = computedHash === storedHash
    // A stored hash equal to a computed one is hex.
    const storedHex = intact || isHex64(storedHash)
    if (storedHex) this.#lastHex = storedHash
    // Most texts are read in one pass that also shows them canonical; the rest are parsed and re-canonicalized.
    let body: unknown = scanCanonicalEvent(text)
    const scanned = body !== undefined
    let textFault: string | undefined
    try {
      body ??= JSON.parse(text)
      textFault = describeEventFault(body, 'verify')
    } catch {
      textFault = 'is not JSON'
    }
    const textSeq = isRecord(body) && isSeq(body.seq) ? body.seq : undefined
    // Named only in a fault: most rows have none.
    let fault: RowFault | undefined
    if (!complete) {
      fault = { kind: 'malformed', message: `event ${rowSeq} lacks a prev_hash, hash or event text` }
    } else if (!prevHex || !storedHex) {
      fault = { kind: 'malformed', message: `event ${rowSeq} has a prev_hash or hash that is not 64 lower-case hex digits` }
    } else if (textFault !== undefined) {
      fault = { kind: 'malformed', message: `event ${rowSeq}'s text ${textFault}${intact ? '' : ', and no longer hashes to its stored hash'}` }
    } else if (!intact) {
      const hints = [scanned || isCanonical(body, text) ? '' : ' (its text is no longer canonical JSON: re-serialized?)', textSeq === rowSeq ? '' : ` (its text now says seq ${textSeq})`].join('')
      fault = { kind: 'modified', message: `event ${rowSeq} was modified: its text and its stored hash disagree${hints}`, hints }
    } else if (!scanned && !isCanonical(body, text)) {
      fault = { kind: 'malformed', message: `event ${rowSeq}'s text is not canonical JSON (RFC 8785): it was not sealed by a conforming writer` }
    }
    return { computedHash, intact, textSeq, fault }
  }
}

/** A stored seq: a safe integer from 1. */
export function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1
}

/**
 * True when `text` is the RFC 8785 text of `body` (parsed from it). The fast path answers only
 * "yes" and only when sure: V8's `JSON.stringify` of a parsed value prints the keys in the order
 * parsed and strings and numbers exactly as RFC 8785 does, so if it gives `text` back, has no
 * escaped surrogate (a lone one, which I-JSON forbids) and every object's keys are in UTF-16
 * order, the canonical text is `text`. Anything else is decided by `canonicalJson` itself.
 */
function isCanonical(body: unknown, text: string): boolean {
  if (!text.includes('\\ud') && keysSorted(body) && JSON.stringify(body) === text) return true
  try {
    return canonicalJson(body) === text
  } catch {
    return false
  }
}

/** True when every object in `value` has its own keys (in enumeration order) in UTF-16 order. */
function keysSorted(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true
  if (Array.isArray(value)) {
    for (const item of value) if (!keysSorted(item)) return false
    return true
  }
  let previous: string | undefined
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false
    previous = key
    if (!keysSorted((value as Record<string, unknown>)[key])) return false
  }
  return true
}

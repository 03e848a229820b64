import { verifyConsistency } from './merkle.js'
import type { SignedCheckpoint } from './note.js'

/**
 * What a witness concludes about a log's newest checkpoint given the last one it cosigned:
 *
 * - `first`: it has seen none (trust on first use).
 * - `same`: the same tree head again.
 * - `consistent`: a larger tree whose consistency proof shows the old one is its prefix.
 * - `rollback`: a smaller tree than one already seen: events were removed.
 * - `fork`: a different history: same size with another root, or a proof that does not verify.
 */
export type WitnessVerdict =
  | { readonly kind: 'first' | 'same' | 'consistent' }
  | { readonly kind: 'rollback' | 'fork'; readonly message: string }

/**
 * Judges `next` against `last` (the witness's memory) with the consistency proof the log served
 * from `last.size` to `next.size` (ignored unless `next` is larger). Pure: signatures are checked
 * by the caller before, the state is saved by it after.
 *
 * @example
 * const verdict = judgeCheckpoint(saved, latest, proof)
 * if (verdict.kind === 'fork' || verdict.kind === 'rollback') refuse(verdict.message)
 */
export function judgeCheckpoint(last: SignedCheckpoint | undefined, next: SignedCheckpoint, proof: readonly Buffer[]): WitnessVerdict {
  if (last === undefined) return { kind: 'first' }
  if (next.origin !== last.origin) return { kind: 'fork', message: `the log now calls itself ${JSON.stringify(next.origin)}, not ${JSON.stringify(last.origin)}` }
  const root = (checkpoint: SignedCheckpoint) => checkpoint.root.toString('base64')
  if (next.size < last.size) {
    return { kind: 'rollback', message: `the newest checkpoint has ${next.size} events but this witness already cosigned ${last.size} (root ${root(last)}): events ${next.size + 1}–${last.size} were removed` }
  }
  if (next.size === last.size) {
    return next.root.equals(last.root) ? { kind: 'same' } : { kind: 'fork', message: `two different trees of ${next.size} events: root ${root(next)} now, ${root(last)} cosigned before` }
  }
  if (!verifyConsistency(last.size, next.size, last.root, next.root, proof)) {
    return { kind: 'fork', message: `the tree of ${next.size} events (root ${root(next)}) does not extend the tree of ${last.size} this witness cosigned (root ${root(last)}): the consistency proof fails, so history before event ${last.size + 1} was rewritten` }
  }
  return { kind: 'consistent' }
}

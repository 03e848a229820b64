import { CountersignError } from '../errors/index.js'
import { ACTION_STATUSES, type ActionStatus } from './types.js'

/** The statuses a policy decision can give a new action: allow, deny, review. */
export const INITIAL_STATUSES = ['allowed', 'denied', 'pending'] as const satisfies readonly ActionStatus[]

/** The statuses an action never leaves. */
export const TERMINAL_STATUSES = ['denied', 'expired', 'cancelled', 'succeeded', 'failed'] as const satisfies readonly ActionStatus[]

// The whole lifecycle (docs/concepts.md). Anything not listed is refused: states only move
// forward, so a decided action can never be re-opened or re-approved.
const NEXT: Readonly<Record<ActionStatus, readonly ActionStatus[]>> = Object.freeze({
  pending: Object.freeze(['approved', 'denied', 'expired', 'cancelled'] as const),
  // An approval not executed within `execute_within` expires too (invariant 6). An agent that
  // executes an approved action itself reports the outcome without an `executing` step.
  // Allowed actions an agent runs itself expire the same way, and either may be cancelled by its
  // submitter before it runs (an `exec` that cannot redeem its receipt leaves nothing dangling).
  approved: Object.freeze(['executing', 'succeeded', 'failed', 'expired', 'cancelled'] as const),
  allowed: Object.freeze(['executing', 'succeeded', 'failed', 'expired', 'cancelled'] as const),
  executing: Object.freeze(['succeeded', 'failed'] as const),
  denied: Object.freeze([]),
  expired: Object.freeze([]),
  cancelled: Object.freeze([]),
  succeeded: Object.freeze([]),
  failed: Object.freeze([]),
})

const STATUS_SET: ReadonlySet<string> = new Set(ACTION_STATUSES)
const TERMINAL_SET: ReadonlySet<string> = new Set(TERMINAL_STATUSES)

function isStatus(value: unknown): value is ActionStatus {
  // A Set, not `value in NEXT`: 'constructor' or '__proto__' must not look like statuses.
  return typeof value === 'string' && STATUS_SET.has(value)
}

/** Whether an action in status `s` can never change again. */
export function isTerminal(s: ActionStatus): boolean {
  return TERMINAL_SET.has(s)
}

/**
 * Whether the lifecycle allows an action to move from `from` to `to`. Staying in the same
 * status is not a transition and is refused, as is any unknown status.
 *
 * @example
 * canTransition('pending', 'approved') // true
 * canTransition('approved', 'pending') // false: a decided action never re-opens
 */
export function canTransition(from: ActionStatus, to: ActionStatus): boolean {
  return isStatus(from) && isStatus(to) && NEXT[from].includes(to)
}

/**
 * Throws unless the lifecycle allows `from` → `to`. Storage calls it before every
 * compare-and-set of an action's status, so a racing or replayed change fails closed.
 *
 * @throws CountersignError `ALREADY_DECIDED`, e.g. "action is approved; it cannot become pending";
 *   `INTERNAL` for a status that does not exist
 */
export function assertTransition(from: ActionStatus, to: ActionStatus): void {
  if (canTransition(from, to)) return
  if (!isStatus(from) || !isStatus(to)) {
    // Only corrupted data or a programming error gets here: not the caller's doing.
    throw new CountersignError('INTERNAL', `unknown action status in transition ${JSON.stringify(from)} -> ${JSON.stringify(to)}`)
  }
  throw new CountersignError('ALREADY_DECIDED', `action is ${from}; it cannot become ${to}`)
}

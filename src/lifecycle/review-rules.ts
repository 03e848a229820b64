import { CountersignError, type ErrorCode } from '../errors/index.js'
import type { ReviewRequirement } from '../policy/index.js'
import { reviewedStatus, type RequirementProgress } from './quorum.js'
import { canonicalEmail, conflictedHumans, conflictRoles, eligibleRequirements, isConflicted, sameHuman } from './reviewers.js'
import { REVIEW_DECISIONS, type Principal, type Review, type ReviewDecision, type ReviewSubject } from './types.js'

/** The longest reason a review may carry, in characters (code points). */
export const MAX_REASON_LENGTH = 2000

/** Whether a principal may review an action now, and if not, why (for UIs and the API). */
export type ReviewEligibility =
  | { readonly eligible: true; readonly requirements: readonly string[] }
  | { readonly eligible: false; readonly code: ErrorCode; readonly reason: string }

/** What a reviewer submits. */
export interface ReviewInput {
  readonly decision: ReviewDecision
  readonly reason: string
  /** Through which channel it arrived: `api`, `cli`, `console`, `slack`, `teams`. */
  readonly channel: string
}

/** A review applied to a pending action: the review to record and the action's resulting status. */
export interface ReviewOutcome {
  readonly review: Review
  readonly status: 'pending' | 'approved' | 'denied'
  readonly progress: readonly RequirementProgress[]
}

function refuse(code: ErrorCode, reason: string): ReviewEligibility {
  return { eligible: false, code, reason }
}

/** Both lists keep a requester out: a store that fills only one of them still fails closed. */
function allConflicted(subject: ReviewSubject): readonly string[] {
  return [...subject.conflicted, ...conflictedHumans(subject.requesters ?? {})]
}

function describeRequirements(requirements: readonly ReviewRequirement[]): string {
  if (requirements.length === 0) return 'it has no review requirement anyone can meet'
  const each = requirements.map((requirement) => {
    const who = requirement.approvers.length === 0 ? 'any human' : requirement.approvers.join(' or ')
    return `${who} (rule ${requirement.rule})`
  })
  return `it needs approval from ${each.join(' and from ')}`
}

function isoOrUnknown(date: Date): string {
  return Number.isNaN(date.getTime()) ? 'an unknown time' : date.toISOString()
}

/**
 * Whether `principal` may review `subject` at `now`, and if not the error code and a reason
 * written for them. Checks in this order, so the most lasting reason is the one shown: an
 * agent (invariant 1), a requester of the action (invariant 2, naming the role), not an
 * approver for any requirement, not pending, expired (`now >= expiresAt`), already reviewed.
 *
 * @example
 * const verdict = reviewEligibility(subject, principal, new Date())
 * if (!verdict.eligible) show(verdict.reason) // e.g. "you cannot review this action: you are its submitter, …"
 */
export function reviewEligibility(subject: ReviewSubject, principal: Principal, now: Date): ReviewEligibility {
  // Checked by value, not by narrowing alone: a principal built from untyped data that is not
  // exactly a human is treated as an agent.
  if (principal.type !== 'human') {
    const who = principal.type === 'agent' ? `agent ${principal.id}` : 'a non-human principal'
    return refuse('FORBIDDEN', `only humans review actions; ${who} cannot approve or deny`)
  }
  const email = canonicalEmail(principal.email)
  if (email === '') return refuse('FORBIDDEN', 'your identity has no email, so it cannot review actions')

  if (isConflicted(email, allConflicted(subject))) {
    const roles = conflictRoles(email, subject.requesters)
    const role = roles.length > 0 ? roles.join(' and ') : 'one of its requesters (agent owner, on-behalf-of human, submitter or token issuer)'
    return refuse('FORBIDDEN', `you cannot review this action: you are ${role}, and nobody countersigns their own request`)
  }

  const requirements = eligibleRequirements(principal, subject.requirements)
  if (requirements.length === 0) {
    return refuse('FORBIDDEN', `you are not an approver for this action: ${describeRequirements(subject.requirements)}`)
  }

  if (subject.status !== 'pending') return refuse('ALREADY_DECIDED', `action is ${subject.status}; it can no longer be reviewed`)
  // Negated `<` so that an invalid date on either side counts as expired.
  if (!(now.getTime() < subject.expiresAt.getTime())) {
    return refuse('ALREADY_DECIDED', `action expired at ${isoOrUnknown(subject.expiresAt)}; it can no longer be reviewed`)
  }

  const previous = subject.reviews.find((review) => sameHuman(review.reviewer, email))
  if (previous !== undefined) return refuse('CONFLICT', `you already reviewed this action (${previous.decision}); a review cannot be changed`)

  return { eligible: true, requirements }
}

/** Length in code points, so an emoji is one character; cheap on huge input. */
function tooLong(text: string): boolean {
  if (text.length <= MAX_REASON_LENGTH) return false
  // A code point is one or two UTF-16 units: beyond twice the limit it is too long for sure.
  return text.length > 2 * MAX_REASON_LENGTH || [...text].length > MAX_REASON_LENGTH
}

function validReason(input: ReviewInput, eligible: readonly string[], requirements: readonly ReviewRequirement[]): string {
  if (!(REVIEW_DECISIONS as readonly unknown[]).includes(input.decision)) {
    throw new CountersignError('INVALID', `decision must be ${REVIEW_DECISIONS.join(' or ')}, got ${JSON.stringify(input.decision) ?? 'nothing'}`)
  }
  if (typeof input.reason !== 'string') throw new CountersignError('INVALID', 'reason must be a string')
  const reason = input.reason.trim()
  if (tooLong(reason)) throw new CountersignError('INVALID', `reason is longer than ${MAX_REASON_LENGTH} characters`)
  if (reason !== '') return reason
  if (input.decision === 'deny') throw new CountersignError('INVALID', 'a deny needs a reason')
  const strict = requirements.filter((requirement) => requirement.reason_required && eligible.includes(requirement.rule))
  if (strict.length > 0) {
    const rules = strict.map((requirement) => requirement.rule).join(', ')
    throw new CountersignError('INVALID', `an approval needs a reason here: required by rule ${rules}`)
  }
  return reason
}

/**
 * Applies one human's review to a pending action, purely: returns the review to record and
 * the action's new status, and throws when the review must be refused. Storage loads the
 * action, calls this, and saves with compare-and-set on the status.
 *
 * Refusals: `FORBIDDEN` for an agent, a requester of the action (compared canonically, admins
 * included) or a human eligible for no requirement; `ALREADY_DECIDED` when the action is not
 * pending or `now >= expiresAt`; `CONFLICT` when this human already reviewed; `INVALID` for an
 * unknown decision, a deny without a reason, an approval without a reason where a requirement
 * the reviewer is eligible for has `reason_required`, or a reason over 2000 characters.
 *
 * Outcome: one deny by an eligible reviewer → `denied` (invariant 4); `approved` only when every
 * requirement has `min_approvals` distinct eligible approvers (invariant 3); else `pending`.
 *
 * @example
 * const { review, status } = applyReview(subject, bob, { decision: 'approve', reason: 'checked', channel: 'slack' }, now)
 */
export function applyReview(subject: ReviewSubject, principal: Principal, input: ReviewInput, now: Date): ReviewOutcome {
  const verdict = reviewEligibility(subject, principal, now)
  if (!verdict.eligible) throw new CountersignError(verdict.code, verdict.reason)
  // reviewEligibility refused every non-human above; this narrows the type only.
  if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'only humans review actions')

  const reason = validReason(input, verdict.requirements, subject.requirements)
  if (typeof input.channel !== 'string' || input.channel.trim() === '') {
    throw new CountersignError('INVALID', 'the channel a review arrived through is required')
  }

  const review: Review = Object.freeze({
    reviewer: canonicalEmail(principal.email),
    decision: input.decision,
    reason,
    channel: input.channel.trim(),
    at: new Date(now.getTime()),
    requirements: verdict.requirements,
  })
  const { status, progress } = reviewedStatus(subject.requirements, [...subject.reviews, review], allConflicted(subject))
  if (input.decision === 'deny' && status !== 'denied') {
    // Unreachable while eligibility and quorum agree; if they ever drift, refuse rather than
    // record a deny that does not end the request.
    throw new CountersignError('INTERNAL', 'a deny by an eligible reviewer did not deny the action')
  }
  return { review, status, progress }
}

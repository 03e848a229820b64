import { CountersignError } from '../errors/index.js'
import type { ReviewRequirement } from '../policy/index.js'
import { canonicalEmail, conflictedHumans, isApproverFor, isConflicted, sameHuman } from './reviewers.js'
import type { Principal, Requesters } from './types.js'

/** What break-glass needs to know about a pending action. */
export interface BreakGlassSubject {
  readonly status: string
  readonly expiresAt: Date | null
  readonly requirements: readonly ReviewRequirement[]
  readonly requesters: Requesters
}

/** A break-glass approval to record. */
export interface BreakGlassOutcome {
  readonly by: string
  readonly reason: string
  /** When the after-the-fact review is due: the shortest `review_within` of the requirements. */
  readonly reviewBy: Date
  /** Where to notify, besides the request's own channels. */
  readonly notify: readonly string[]
}

/**
 * Applies a break-glass approval (`review.break_glass`), purely: a human listed as an approver of
 * every requirement may approve a pending request at once, even their own (invariant 2 is
 * suspended for them, and only for them, in exchange for a reason, loud notifications and a
 * mandatory review by others within `review_within`). Refused (`FORBIDDEN`) for an agent, when
 * any requirement does not allow break-glass (so never for a request a deny rule decided, which
 * is never pending), and for a human not listed as an approver of every requirement; refused
 * (`INVALID`) without a reason; (`ALREADY_DECIDED`) when not pending or expired.
 *
 * @example
 * const { reviewBy } = applyBreakGlass(subject, alice, 'prod is down, restarting the pool', now)
 */
export function applyBreakGlass(subject: BreakGlassSubject, principal: Principal, reason: string, now: Date): BreakGlassOutcome {
  if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'break-glass is for humans only; an agent can never approve, urgently or not')
  const email = canonicalEmail(principal.email)
  if (email === '') throw new CountersignError('FORBIDDEN', 'your identity has no email, so it cannot approve')
  if (subject.status !== 'pending') throw new CountersignError('ALREADY_DECIDED', `action is ${subject.status}; break-glass applies to pending requests only`)
  const closed = subject.requirements.filter((requirement) => !requirement.break_glass)
  if (subject.requirements.length === 0 || closed.length > 0) {
    throw new CountersignError('FORBIDDEN', `break-glass is not allowed for this action: rule ${closed.map((requirement) => requirement.rule).join(', ') || '(none)'} has no break_glass`)
  }
  const notListed = subject.requirements.filter((requirement) => requirement.approvers.length > 0 && !isApproverFor(principal, requirement))
  if (notListed.length > 0) throw new CountersignError('FORBIDDEN', `only a listed approver may break the glass: you are not one for rule ${notListed.map((requirement) => requirement.rule).join(', ')}`)
  if (!subject.expiresAt || !(now.getTime() < subject.expiresAt.getTime())) throw new CountersignError('ALREADY_DECIDED', 'the request expired; submit it again')
  const trimmed = typeof reason === 'string' ? reason.trim() : ''
  if (trimmed === '') throw new CountersignError('INVALID', 'break-glass requires a reason: say why this cannot wait for another approver')
  if (trimmed.length > 2000) throw new CountersignError('INVALID', 'reason is longer than 2000 characters')
  const within = Math.min(...subject.requirements.map((requirement) => requirement.break_glass!.review_within_ms))
  const notify = [...new Set(subject.requirements.flatMap((requirement) => requirement.break_glass!.notify))]
  return { by: email, reason: trimmed, reviewBy: new Date(now.getTime() + within), notify }
}

/**
 * Whether `principal` may give the after-the-fact review of a break-glass approval by `by`:
 * a human who is neither `by` nor any requester of the action, and who is a listed approver of
 * one of its requirements or an admin. Throws `FORBIDDEN` with the reason otherwise.
 */
export function assertBreakGlassReviewer(principal: Principal, by: string, requesters: Requesters, requirements: readonly ReviewRequirement[]): string {
  if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'only humans review break-glass approvals')
  const email = canonicalEmail(principal.email)
  if (email === '' || sameHuman(email, by)) throw new CountersignError('FORBIDDEN', 'you broke the glass yourself: someone else must review it')
  if (isConflicted(email, conflictedHumans(requesters))) throw new CountersignError('FORBIDDEN', 'you are a requester of this action: someone else must review the break-glass')
  if (!principal.admin && !requirements.some((requirement) => isApproverFor(principal, requirement))) {
    throw new CountersignError('FORBIDDEN', 'only an approver of this action or an admin reviews its break-glass approval')
  }
  return email
}

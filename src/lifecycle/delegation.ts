import type { ReviewRequirement } from '../policy/index.js'
import { canonicalEmail, isApproverFor, isConflicted, sameHuman } from './reviewers.js'
import type { Human, Review } from './types.js'

/** A requirement a delegate may review for because a delegator could. */
export interface DelegatedRight {
  readonly rule: string
  /** The delegator whose right is used. */
  readonly from: string
}

/**
 * The requirements as `delegate` may review them, with the rights `delegators` lent them
 * (`POST /v1/delegations`): for each requirement the delegate is not an approver of, the first
 * delegator who is lends their right, and the delegate is listed as `user:` on it. Purely
 * additive, and never past the review rules: a delegator who is a requester of the action
 * (`conflicted`) lends nothing for it, nor one who reviewed it already (one right, one review);
 * the delegate stays subject to every rule (a delegate who is a requester is refused as any
 * requester is).
 *
 * @example
 * const { requirements, used } = withDelegatedRights(requirements, bob, [carol], conflicted, reviews)
 */
export function withDelegatedRights(
  requirements: readonly ReviewRequirement[],
  delegate: Human,
  delegators: readonly Human[],
  conflicted: readonly string[],
  reviews: readonly Review[],
): { readonly requirements: readonly ReviewRequirement[]; readonly used: readonly DelegatedRight[] } {
  const email = canonicalEmail(delegate.email)
  const lenders = delegators.filter(
    (delegator) => delegator.type === 'human' && !sameHuman(delegator.email, email) && !isConflicted(delegator.email, conflicted) && !reviews.some((review) => sameHuman(review.reviewer, delegator.email)),
  )
  if (email === '' || lenders.length === 0) return { requirements, used: [] }
  const used: DelegatedRight[] = []
  const lent = requirements.map((requirement) => {
    if (isApproverFor(delegate, requirement)) return requirement
    const lender = lenders.find((delegator) => isApproverFor(delegator, requirement))
    if (!lender) return requirement
    used.push({ rule: requirement.rule, from: canonicalEmail(lender.email) })
    return Object.freeze({ ...requirement, approvers: Object.freeze([...requirement.approvers, `user:${email}`]) })
  })
  return { requirements: used.length > 0 ? lent : requirements, used }
}

import type { ReviewRequirement } from '../policy/index.js'
import { canonicalEmail, couldApproveFor, isConflicted } from './reviewers.js'
import type { Review } from './types.js'

/** How far one requirement is from being met. */
export interface RequirementProgress {
  /** The rule that asked for the requirement (`default` for the policy's default review). */
  readonly rule: string
  readonly approvers: readonly string[]
  readonly min_approvals: number
  /** Canonical emails of the distinct, eligible, non-conflicted humans who approved, first approval first. */
  readonly approved_by: readonly string[]
  readonly met: boolean
}

/**
 * Whether a stored review counts for a requirement. Reviews are re-checked rather than
 * trusted, so a corrupted or duplicated list can never reach quorum: a conflicted reviewer,
 * a reviewer who was not eligible for the requirement when reviewing (its `requirements`
 * do not name the rule), or one the requirement's `user:` list rules out, counts for nothing.
 */
function counts(review: Review, reviewer: string, requirement: ReviewRequirement, conflicted: ReadonlySet<string>): boolean {
  return (
    reviewer !== '' &&
    !isConflicted(reviewer, conflicted) &&
    Array.isArray(review.requirements) &&
    review.requirements.includes(requirement.rule) &&
    couldApproveFor(reviewer, requirement)
  )
}

/** The approvals a requirement needs; anything but a positive count fails closed (never met). */
function needed(requirement: ReviewRequirement): number {
  const min = requirement.min_approvals
  return Number.isFinite(min) && min >= 1 ? Math.ceil(min) : Number.POSITIVE_INFINITY
}

function canonicalSet(emails: readonly string[]): ReadonlySet<string> {
  return new Set(emails.map(canonicalEmail).filter((email) => email !== ''))
}

/**
 * The progress of each requirement given the reviews so far (invariant 3: `min_approvals`
 * counts distinct humans). One human's approval counts toward every requirement they were
 * eligible for; each human counts once per requirement (emails that may name the same
 * human, see `sameHuman`, count once).
 *
 * @param conflicted emails of the humans who may never review (compared with `sameHuman`)
 */
export function requirementProgress(
  requirements: readonly ReviewRequirement[],
  reviews: readonly Review[],
  conflicted: readonly string[],
): readonly RequirementProgress[] {
  const excluded = canonicalSet(conflicted)
  return Object.freeze(
    requirements.map((requirement): RequirementProgress => {
      const approvedBy = new Set<string>()
      for (const review of reviews) {
        if (review.decision !== 'approve') continue
        const reviewer = canonicalEmail(review.reviewer)
        // One mailbox counts once: `bob+x@` and `bob@` are not two approvers (see sameHuman).
        if (counts(review, reviewer, requirement, excluded) && !isConflicted(reviewer, approvedBy)) approvedBy.add(reviewer)
      }
      return Object.freeze({
        rule: requirement.rule,
        approvers: requirement.approvers,
        min_approvals: requirement.min_approvals,
        approved_by: Object.freeze([...approvedBy]),
        met: approvedBy.size >= needed(requirement),
      })
    }),
  )
}

/**
 * The canonical email of the first eligible, non-conflicted human who denied, if any
 * (invariant 4). A deny that counts for no requirement is ignored here, as it is for quorum.
 */
export function firstDenial(
  requirements: readonly ReviewRequirement[],
  reviews: readonly Review[],
  conflicted: readonly string[],
): string | undefined {
  const excluded = canonicalSet(conflicted)
  for (const review of reviews) {
    if (review.decision !== 'deny') continue
    const reviewer = canonicalEmail(review.reviewer)
    if (requirements.some((requirement) => counts(review, reviewer, requirement, excluded))) return reviewer
  }
  return undefined
}

/**
 * The status the reviews give a pending action: `denied` after one counted deny, `approved`
 * once every requirement is met, otherwise `pending`. An action with no requirements is never
 * approved by reviews: nobody is eligible for it, and an empty "every" must not open a door.
 */
export function reviewedStatus(
  requirements: readonly ReviewRequirement[],
  reviews: readonly Review[],
  conflicted: readonly string[],
): { readonly status: 'pending' | 'approved' | 'denied'; readonly progress: readonly RequirementProgress[] } {
  const progress = requirementProgress(requirements, reviews, conflicted)
  if (firstDenial(requirements, reviews, conflicted) !== undefined) return { status: 'denied', progress }
  const approved = progress.length > 0 && progress.every((requirement) => requirement.met)
  return { status: approved ? 'approved' : 'pending', progress }
}

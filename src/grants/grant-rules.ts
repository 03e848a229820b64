import { CountersignError } from '../errors/index.js'
import { couldApproveFor, isConflicted, sameHuman } from '../lifecycle/index.js'
import type { ReviewRequirement } from '../policy/index.js'
import { grantShapeOf, shapeMismatch, ungrantable, type GrantShape } from './grant-shape.js'

/** A narrowing grant: later actions of the same agent, target and shape need no new review, until it expires or is used up. */
export interface Grant {
  readonly id: string
  /** The approved action the grant was made from. */
  readonly actionId: string
  /** Who submitted it (`agent:ID` or `human:EMAIL`): only their actions are covered. */
  readonly submittedBy: string
  readonly target: string
  readonly kind: string
  readonly shape: GrantShape
  /** The rule ids of the requirements the approval met; a later action must need exactly these. */
  readonly rules: readonly string[]
  /** The policy version that decided the approved action: a changed policy ends the grant's effect. */
  readonly policyVersion: string
  /** The approvers who granted, each with the requirements they were eligible for. */
  readonly reviewers: readonly { readonly email: string; readonly requirements: readonly string[] }[]
  readonly createdAt: Date
  readonly expiresAt: Date
  readonly maxUses: number
  readonly uses: number
  readonly revokedAt: Date | null
  readonly revokedBy: string | null
}

/** What a reviewer asks for with an approval. */
export interface GrantRequest {
  readonly ttl_ms: number
  readonly max_uses: number
}

/** A later action, as a grant sees it. */
export interface GrantCandidate {
  readonly submittedBy: string
  readonly target: string
  readonly kind: string
  readonly facts: unknown
  readonly policyVersion: string
  /** The requirements its decision asks for (effect review). */
  readonly requirements: readonly ReviewRequirement[]
  /** Humans who may never review it (its requesters). */
  readonly conflicted: readonly string[]
}

/**
 * Checks a reviewer's grant request against the requirements of the action being approved, and
 * returns it as granted, or throws INVALID saying why: every requirement must allow grants, and
 * the request stays within the smallest `max_ttl` and `max_uses`; the action's kind and facts
 * must have a shape.
 */
export function checkGrantRequest(request: GrantRequest, requirements: readonly ReviewRequirement[], kind: string, facts: unknown): GrantRequest {
  const refusing = requirements.filter((requirement) => requirement.grants === undefined).map((requirement) => requirement.rule)
  if (requirements.length === 0 || refusing.length > 0) throw new CountersignError('INVALID', `this action cannot be approved with a grant: rule ${refusing.join(', ') || '(none)'} has no review.grants`)
  const why = ungrantable(kind, facts)
  if (why !== undefined) throw new CountersignError('INVALID', `this action cannot be approved with a grant: ${why}`)
  const maxTtl = Math.min(...requirements.map((requirement) => requirement.grants!.max_ttl_ms))
  const maxUses = Math.min(...requirements.map((requirement) => requirement.grants!.max_uses))
  if (!Number.isSafeInteger(request.ttl_ms) || request.ttl_ms <= 0) throw new CountersignError('INVALID', 'a grant needs a positive duration')
  if (!Number.isSafeInteger(request.max_uses) || request.max_uses < 1) throw new CountersignError('INVALID', 'a grant needs at least one use')
  if (request.ttl_ms > maxTtl) throw new CountersignError('INVALID', `a grant here lasts at most ${maxTtl / 60_000} minutes (review.grants.max_ttl)`)
  if (request.max_uses > maxUses) throw new CountersignError('INVALID', `a grant here covers at most ${maxUses} uses (review.grants.max_uses)`)
  return { ttl_ms: request.ttl_ms, max_uses: request.max_uses }
}

/**
 * Why `grant` does not cover `candidate` at `now`, or `undefined` when it does. A grant covers
 * only an action that needs review under exactly the rules it was made for, by the same policy
 * version, from the same submitter, on the same target, of the same shape, while it is live;
 * and only if its reviewers, none of them a requester of the new action, still meet every
 * requirement's `min_approvals` (invariants 2 and 3 hold for granted actions too).
 */
export function grantMismatch(grant: Grant, candidate: GrantCandidate, now: Date): string | undefined {
  if (grant.revokedAt !== null) return 'it was revoked'
  if (!(now.getTime() < grant.expiresAt.getTime())) return 'it expired'
  if (grant.uses >= grant.maxUses) return 'it is used up'
  if (grant.submittedBy !== candidate.submittedBy) return `it is for ${grant.submittedBy}'s actions`
  if (grant.target !== candidate.target || grant.kind !== candidate.kind) return `it is for ${grant.kind} actions on ${grant.target}`
  if (grant.policyVersion !== candidate.policyVersion) return 'the policy changed since it was granted'
  const rules = [...new Set(candidate.requirements.map((requirement) => requirement.rule))].sort()
  if (rules.join(',') !== [...grant.rules].sort().join(',')) return `it was granted under rule ${grant.rules.join(', ')}, and this action needs review under ${rules.join(', ')}`
  const shape = grantShapeOf(candidate.kind, candidate.facts)
  if (shape === undefined) return ungrantable(candidate.kind, candidate.facts) ?? 'this action has no shape'
  const mismatch = shapeMismatch(grant.shape, shape)
  if (mismatch !== undefined) return mismatch
  for (const requirement of candidate.requirements) {
    const counted = grant.reviewers.filter(
      (reviewer, index) =>
        !isConflicted(reviewer.email, candidate.conflicted) &&
        reviewer.requirements.includes(requirement.rule) &&
        couldApproveFor(reviewer.email, requirement) &&
        grant.reviewers.findIndex((other) => sameHuman(other.email, reviewer.email)) === index,
    )
    if (counted.length < requirement.min_approvals) return `its reviewers do not meet rule ${requirement.rule} for this action (a requester of it cannot count)`
  }
  return undefined
}

import { randomBytes } from 'node:crypto'
import { grantMismatch, grantShapeOf, type Grant, type GrantCandidate } from '../grants/index.js'
import type { ReviewRequirement } from '../policy/index.js'
import type { ActionRecord, AuditDraft, ReviewRecord, Store } from '../store/index.js'

/** How many live grants of one submitter and target are tried before the action goes to review. */
const GRANTS_TRIED = 50

/** What a decision records about the grant that allowed an action: shown to reviewers, stored, audited, put in the receipt. */
export interface GrantCitation {
  readonly id: string
  /** The approved action the grant was made from. */
  readonly action_id: string
  /** The humans who granted it, with the requirements each met. */
  readonly reviewers: Grant['reviewers']
  readonly rules: readonly string[]
  /** Uses taken so far, this one included, of `max_uses`. */
  readonly uses: number
  readonly max_uses: number
  readonly expires_at: string
}

/** A new grant id: `grt_` and 16 random bytes. */
export function newGrantId(): string {
  return `grt_${randomBytes(16).toString('base64url')}`
}

/**
 * The grant an approval makes, if any: when the action has just been approved and every human
 * who approved it asked for a grant (nobody is bound by a grant they did not give), the grant
 * lasts the shortest and covers the fewest uses any of them asked for. Returns the grant and its
 * audit event, or why none was made.
 */
export function grantFromApproval(current: ActionRecord, requirements: readonly ReviewRequirement[], reviews: readonly ReviewRecord[], now: Date): { grant: Grant; event: AuditDraft } | { declined: string } | undefined {
  const approvals = reviews.filter((review) => review.decision === 'approve')
  if (!approvals.some((review) => review.grant)) return undefined
  if (!approvals.every((review) => review.grant)) return { declined: 'not every approver asked for a grant' }
  const shape = grantShapeOf(current.kind, (current.impact as { facts?: unknown }).facts)
  if (!shape) return { declined: `a ${current.kind} action of this shape cannot be granted` }
  const ttl = Math.min(...approvals.map((review) => review.grant!.ttl_ms))
  const maxUses = Math.min(...approvals.map((review) => review.grant!.max_uses))
  const grant: Grant = {
    id: newGrantId(),
    actionId: current.id,
    submittedBy: current.submittedBy,
    target: current.target,
    kind: current.kind,
    shape,
    rules: requirements.map((requirement) => requirement.rule),
    policyVersion: current.policyVersion,
    reviewers: approvals.map((review) => ({ email: review.reviewer, requirements: review.requirements })),
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttl),
    maxUses,
    uses: 0,
    revokedAt: null,
    revokedBy: null,
  }
  const event: AuditDraft = {
    type: 'grant.created',
    action_id: current.id,
    actor: 'system',
    channel: 'system',
    digest: current.digest,
    policy_version: current.policyVersion,
    data: { grant: grant.id, submitted_by: grant.submittedBy, target: grant.target, kind: grant.kind, shape, rules: grant.rules, reviewers: grant.reviewers.map((reviewer) => reviewer.email), expires_at: grant.expiresAt.toISOString(), max_uses: maxUses },
  }
  return { grant, event }
}

/**
 * Finds a live grant that covers `candidate` and takes one use of it, atomically in the store:
 * uses racing on any replica never exceed `max_uses`. Returns what the decision cites, or
 * `undefined` (the action goes to review as usual). Only called for an action whose decision is
 * `review`: a grant never covers an action that a rule denies.
 */
export async function useCoveringGrant(store: Store, candidate: GrantCandidate, now: Date): Promise<GrantCitation | undefined> {
  const grants = await store.listGrants({ liveAt: now, submittedBy: candidate.submittedBy, target: candidate.target, limit: GRANTS_TRIED })
  for (const grant of grants) {
    if (grantMismatch(grant, candidate, now) !== undefined) continue
    const used = await store.useGrant(grant.id, now)
    if (!used) continue
    return { id: used.id, action_id: used.actionId, reviewers: used.reviewers, rules: used.rules, uses: used.uses, max_uses: used.maxUses, expires_at: used.expiresAt.toISOString() }
  }
  return undefined
}

/** The grant an action's decision cites, if a grant allowed it. */
export function grantCitationOf(record: ActionRecord): GrantCitation | undefined {
  const grant = record.decision['grant']
  return grant && typeof grant === 'object' ? (grant as GrantCitation) : undefined
}

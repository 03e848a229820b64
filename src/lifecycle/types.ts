import type { ReviewRequirement } from '../policy/index.js'

/** Every status an action can have (docs/concepts.md, lifecycle). */
export const ACTION_STATUSES = ['allowed', 'denied', 'pending', 'approved', 'expired', 'cancelled', 'executing', 'succeeded', 'failed'] as const
export type ActionStatus = (typeof ACTION_STATUSES)[number]

/** Review decisions a human can give. */
export const REVIEW_DECISIONS = ['approve', 'deny'] as const
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number]

/** A verified human: one canonical id (the lower-cased email) across every channel. */
export interface Human {
  readonly type: 'human'
  /** Lower-cased email: the canonical identity. */
  readonly email: string
  readonly groups: readonly string[]
  readonly admin: boolean
  readonly auditor: boolean
}

/** A verified agent: never a reviewer. */
export interface Agent {
  readonly type: 'agent'
  readonly id: string
  /** Lower-cased email of the human who owns the agent. */
  readonly owner: string
  readonly labels: Readonly<Record<string, string>>
  /**
   * Canonical email of the human who issued the run-time token this agent authenticated with
   * (an admin, possibly not its owner). Absent for config tokens and workload identity. That
   * human is a requester of every action submitted with the token (invariant 2).
   */
  readonly issuedBy?: string | undefined
}

/** Who is acting on a request. */
export type Principal = Human | Agent

/** A recorded review. */
export interface Review {
  /** Canonical email of the reviewer. */
  readonly reviewer: string
  readonly decision: ReviewDecision
  readonly reason: string
  /** Through which channel it arrived: `api`, `cli`, `console`, `slack`, `teams`. */
  readonly channel: string
  readonly at: Date
  /** Ids (rule) of the requirements this reviewer was eligible for when reviewing. */
  readonly requirements: readonly string[]
}

/**
 * The humans behind a request, none of whom may review it (invariant 2). Any may be absent:
 * an agent's own submission has no human submitter, and `on_behalf_of` is optional.
 */
export interface Requesters {
  /** The owner of the agent that submitted the action. */
  readonly owner?: string | undefined
  /** The human the agent says it acts for (`context.on_behalf_of`). */
  readonly onBehalfOf?: string | undefined
  /** The human who submitted the action, when a human did. */
  readonly submitter?: string | undefined
  /** The human who issued the run-time token the action was submitted with, admins included. */
  readonly tokenIssuer?: string | undefined
}

/** What the review rules need to know about a pending action. */
export interface ReviewSubject {
  readonly status: ActionStatus
  /** When the pending request expires. */
  readonly expiresAt: Date
  readonly requirements: readonly ReviewRequirement[]
  /** Reviews recorded so far, oldest first. */
  readonly reviews: readonly Review[]
  /** Canonical emails of humans who may never review this action: owner, on_behalf_of, submitter, token issuer. */
  readonly conflicted: readonly string[]
  /**
   * Who those humans are, so a refusal can say which role conflicts. Everyone named here is
   * refused too, even if missing from `conflicted`: either list is enough to keep a human out.
   */
  readonly requesters?: Requesters | undefined
}

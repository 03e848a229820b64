import type { AuditEventBody, StoredAuditEvent } from '../audit/index.js'
import type { Grant, GrantRequest } from '../grants/index.js'
import type { PasskeyEvidence } from '../passkeys/index.js'

/** An action as stored. Dates are `Date`s; JSON columns are parsed. */
export interface ActionRecord {
  readonly id: string
  readonly createdAt: Date
  readonly updatedAt: Date
  readonly status: string
  readonly kind: string
  readonly target: string
  readonly submittedBy: string
  readonly agentId: string | null
  readonly owner: string | null
  readonly onBehalfOf: string | null
  /**
   * Canonical email of the human who issued the run-time token the action was submitted with: a
   * requester (invariant 2), admins included. Null or absent for config tokens and workload identity.
   */
  readonly tokenIssuedBy?: string | null | undefined
  /** Canonical JSON of `{kind, target, payload}`: exactly what was decided and is reviewed. */
  readonly actionJson: string
  readonly context: Readonly<Record<string, unknown>>
  readonly digest: string
  readonly decision: Readonly<Record<string, unknown>>
  readonly impact: Readonly<Record<string, unknown>>
  readonly policyVersion: string
  readonly expiresAt: Date | null
  readonly executeBy: Date | null
  readonly deadline: Date | null
  readonly result: Readonly<Record<string, unknown>> | null
  readonly version: number
  /** Countersign executes it: its target had a connector when it was submitted. */
  readonly brokered: boolean
  /** While executing: who holds the execution's lease (it ends at `deadline`). */
  readonly leaseOwner: string | null
  /** While pending: when its next reminder or escalation falls due (`null` or absent: none). */
  readonly routeAt?: Date | null | undefined
  /** A break-glass approval and its after-the-fact review, if the glass was broken. */
  readonly breakGlass?: BreakGlassRecord | null | undefined
  /** Until its after-the-fact review: when that review is due. */
  readonly breakGlassDue?: Date | null | undefined
  readonly breakGlassFlagged?: boolean | undefined
}

/** A break-glass approval (`review.break_glass`) and what became of it. */
export interface BreakGlassRecord {
  /** Canonical email of the human who approved their own request. */
  readonly by: string
  readonly reason: string
  readonly at: string
  /** When the after-the-fact review is due. */
  readonly review_by: string
  readonly rules: readonly string[]
  readonly notify: readonly string[]
  /** The after-the-fact review, once given. */
  readonly review?: { readonly reviewer: string; readonly verdict: 'confirm' | 'dispute'; readonly reason: string; readonly at: string } | undefined
  /** When it was flagged as overdue, if it was. */
  readonly overdue_at?: string | undefined
}

/** A review as stored. */
export interface ReviewRecord {
  readonly reviewer: string
  readonly decision: 'approve' | 'deny'
  readonly reason: string
  readonly channel: string
  readonly requirements: readonly string[]
  readonly at: Date
  /** The grant the reviewer asked for with an approval (`review.grants`). */
  readonly grant?: GrantRequest | undefined
  /** The passkey assertion that signed this approval (`review.assurance: passkey`). */
  readonly passkey?: PasskeyEvidence | undefined
}

/** An action as a waiter sees it: its record, its reviews and its audit events (its timeline), oldest first. */
export interface WatchedAction {
  readonly record: ActionRecord
  readonly reviews: readonly ReviewRecord[]
  readonly events: readonly StoredAuditEvent[]
}

/** An audit event to append: the store gives it its sequence number and time. */
export type AuditDraft = Omit<AuditEventBody, 'seq' | 'at'>

/** What a mutation of one action changes, decided by the service from the locked current state. */
export interface ActionChange {
  readonly status?: string
  readonly expiresAt?: Date | null
  readonly executeBy?: Date | null
  readonly deadline?: Date | null
  readonly result?: Readonly<Record<string, unknown>> | null
  readonly leaseOwner?: string | null
  readonly routeAt?: Date | null
  readonly breakGlass?: BreakGlassRecord
  readonly breakGlassDue?: Date | null
  readonly breakGlassFlagged?: boolean
  /** The decision as it now stands (reminders counted, escalated approvers added). */
  readonly decision?: Readonly<Record<string, unknown>>
  readonly review?: ReviewRecord
  /** A redeemed receipt's single-use id, stored with the change (a replay violates its key). */
  readonly redeemed?: { readonly jti: string; readonly by: string }
  /** A narrowing grant made by this change (the approval it comes from). */
  readonly grant?: Grant
  /** At least one: every change is audited in the same transaction. */
  readonly events: readonly AuditDraft[]
}

/** A new action with the audit events that record its submission and decision. */
export interface NewAction {
  readonly record: Omit<ActionRecord, 'version' | 'updatedAt' | 'leaseOwner'>
  readonly events: readonly AuditDraft[]
  /** An action recorded `executing`: the executor that holds its lease (until its `deadline`). */
  readonly leaseOwner?: string
}

/** One page of the list of actions, newest first. */
export interface ActionFilter {
  readonly status?: readonly string[] | undefined
  readonly target?: string | undefined
  readonly agent?: string | undefined
  readonly kind?: string | undefined
  /** Only actions with an id below this (ids sort by creation time). */
  readonly before?: string | undefined
  readonly limit: number
}

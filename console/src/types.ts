// The shapes of the gateway's HTTP API as the console reads them (see /openapi.json).

export const STATUSES = ['pending', 'allowed', 'approved', 'executing', 'succeeded', 'denied', 'failed', 'expired', 'cancelled'] as const
export type Status = (typeof STATUSES)[number]
export const KINDS = ['sql', 'shell', 'terraform', 'kubernetes', 'http', 'mcp', 'custom', 'policy'] as const

export interface Requirement {
  readonly rule: string
  readonly approvers: string[]
  readonly min_approvals: number
  readonly timeout_ms: number
  readonly execute_within_ms: number
  readonly reason_required: boolean
  readonly channels: string[]
  readonly approved_by: string[]
  readonly met: boolean
  /** Set when a reviewer may approve with a narrowing grant (review.grants). */
  readonly grants?: { readonly max_ttl_ms: number; readonly max_uses: number }
  /** `passkey`: an approval is signed with a passkey in this console. */
  readonly assurance?: 'passkey'
}

export interface Review {
  readonly reviewer: string
  readonly decision: 'approve' | 'deny'
  readonly reason: string
  readonly channel: string
  readonly at: string
  /** The grant the reviewer asked for with an approval. */
  readonly grant?: { readonly ttl_ms: number; readonly max_uses: number }
  /** The credential id of the passkey that signed the approval. */
  readonly passkey?: string
}

export interface TimelineEntry {
  readonly seq: number
  readonly at: string
  readonly type: string
  readonly actor: string
  readonly channel: string
  readonly data: Record<string, unknown>
}

export interface RuleOutcome {
  readonly id: string
  readonly effect: string
  readonly matched: boolean
  readonly reason: string
  readonly error?: string
}

export interface Action {
  readonly id: string
  readonly status: Status
  readonly kind: string
  readonly target: string
  readonly payload: Record<string, unknown>
  readonly payload_omitted?: boolean
  readonly context: Record<string, unknown>
  readonly digest: string
  readonly agent: string | null
  readonly owner: string | null
  readonly on_behalf_of: string | null
  readonly submitted_by: string
  readonly decision: {
    readonly effect: 'allow' | 'deny' | 'review'
    readonly matched_rules: string[]
    readonly explanation: string
    readonly messages: string[]
    readonly requirements: Requirement[]
    readonly rules: RuleOutcome[]
    readonly default_applied: boolean
    readonly policy_version: string
    /** Set when a narrowing grant allowed the action. */
    readonly grant?: GrantCitation
    /** What the shadow rules (`mode: shadow`) that applied would have done; never enforced. */
    readonly shadow?: { readonly effect: 'allow' | 'deny' | 'review'; readonly matched_rules: string[] }
  }
  readonly impact: { readonly summary: string; readonly highlights: string[]; readonly facts: unknown }
  readonly reviews: Review[]
  readonly result: Record<string, unknown> | null
  readonly created_at: string
  readonly updated_at: string
  readonly expires_at: string | null
  readonly execute_by: string | null
  readonly brokered: boolean
  /** A break-glass approval and its after-the-fact review (review.break_glass). */
  readonly break_glass?: {
    readonly by: string
    readonly reason: string
    readonly review_by: string
    readonly overdue: boolean
    readonly review?: { readonly reviewer: string; readonly verdict: 'confirm' | 'dispute'; readonly reason: string }
  }
  readonly timeline?: TimelineEntry[]
  readonly links: { readonly self: string; readonly console?: string }
}

export interface Eligibility {
  readonly eligible: boolean
  readonly requirements: string[]
  readonly code: string | null
  readonly reason: string | null
}

export type InboxEntry = Action & { readonly review: Eligibility }

export interface Inbox {
  readonly actions: InboxEntry[]
  readonly counts: { readonly reviewable: number; readonly waiting: number }
  readonly truncated: boolean
}

export interface User {
  readonly email: string
  readonly groups: string[]
  readonly admin: boolean
  readonly auditor: boolean
  readonly method: 'oidc' | 'dev'
  readonly expires_at: string
}

export interface DevHuman {
  readonly email: string
  readonly name: string | null
  readonly groups: string[]
  readonly admin: boolean
  readonly auditor: boolean
}

export interface SessionInfo {
  readonly user: User | null
  readonly csrf_token: string | null
  readonly sign_in: { readonly oidc: { readonly issuer: string } | null; readonly dev: { readonly humans: DevHuman[] } | null }
}

export interface Directory {
  readonly targets: { readonly name: string; readonly kind: string; readonly labels: Record<string, string>; readonly description: string | null; readonly brokered: boolean }[]
  readonly agents: { readonly id: string; readonly owner: string; readonly labels: Record<string, string>; readonly description: string | null }[]
  /** Members of each group, as the config names them. */
  readonly groups?: Record<string, string[]>
}

export interface AuditEvent {
  readonly seq: number
  readonly prev_hash: string
  readonly hash: string
  readonly event: { readonly at: string; readonly type: string; readonly action_id: string | null; readonly actor: string; readonly channel: string; readonly digest: string | null; readonly policy_version: string | null; readonly data: Record<string, unknown> }
}

export interface AuditPage {
  readonly events: AuditEvent[]
  readonly head: { readonly seq: number; readonly hash: string }
}

export interface Verification {
  readonly ok: boolean
  readonly events: number
  readonly head: { readonly seq: number; readonly hash: string } | null
  readonly checkpoints: number
  readonly problems: { readonly seq: number; readonly kind: string; readonly message: string }[]
}

/** `GET /v1/audit/checkpoints`: the newest signed tree heads and what each witness cosigned. */
export interface Checkpoints {
  readonly checkpoints: readonly { readonly tree_size: number; readonly at: string; readonly note: string }[]
  readonly witnesses: readonly { readonly name: string; readonly tree_size: number; readonly lag: number; readonly cosigned_at: string | null }[]
}

export interface Problem {
  readonly status: number
  readonly code: string
  readonly title: string
  readonly detail: string
}

/** What a decision says about the grant that allowed its action. */
export interface GrantCitation {
  readonly id: string
  readonly action_id: string
  readonly reviewers: { readonly email: string; readonly requirements: string[] }[]
  readonly rules: string[]
  readonly uses: number
  readonly max_uses: number
  readonly expires_at: string
}

/** A narrowing grant, as GET /v1/grants lists it. */
export interface Grant {
  readonly id: string
  readonly action_id: string
  readonly submitted_by: string
  readonly target: string
  readonly kind: string
  readonly shape: Record<string, unknown>
  readonly rules: string[]
  readonly reviewers: { readonly email: string; readonly requirements: string[] }[]
  readonly created_at: string
  readonly expires_at: string
  readonly max_uses: number
  readonly uses: number
  readonly revoked_at: string | null
  readonly revoked_by: string | null
  readonly live: boolean
}

import type { ActionStatus } from '../lifecycle/index.js'

// The shapes of the HTTP API (src/http/schemas.ts) as the CLI reads them. Written out here rather
// than inferred from the server's zod schemas: the CLI is a client of a possibly different
// gateway version, so it names only what it renders and tolerates anything more.

/** One review requirement of a decision, with its progress. */
export interface RequirementView {
  readonly rule: string
  readonly approvers: readonly string[]
  readonly min_approvals: number
  readonly approved_by: readonly string[]
  readonly met: boolean
  readonly timeout_ms: number
  readonly execute_within_ms: number
  readonly reason_required: boolean
  readonly channels: readonly string[]
  /** Set when a reviewer may approve with a narrowing grant. */
  readonly grants?: { readonly max_ttl_ms: number; readonly max_uses: number } | undefined
  /** `passkey`: approvals are signed with a passkey in the console. */
  readonly assurance?: 'passkey' | undefined
}

/** One human's review. */
export interface ReviewView {
  readonly reviewer: string
  readonly decision: 'approve' | 'deny'
  readonly reason: string
  readonly channel: string
  readonly at: string
}

/** One audit event of the action, as `GET /v1/actions/{id}` lists them. */
export interface TimelineEntry {
  readonly seq: number
  readonly at: string
  readonly type: string
  readonly actor: string
  readonly channel: string
  readonly data: Readonly<Record<string, unknown>>
}

/** An action as the API returns it (`POST /v1/actions`, `GET /v1/actions/{id}`, reviews, cancel). */
export interface ActionView {
  readonly id: string
  readonly status: ActionStatus
  readonly kind: string
  readonly target: string
  readonly payload: Readonly<Record<string, unknown>>
  readonly context: Readonly<Record<string, unknown>>
  readonly digest: string
  readonly agent: string | null
  readonly owner: string | null
  readonly on_behalf_of: string | null
  readonly submitted_by: string
  readonly decision: {
    readonly effect: 'allow' | 'deny' | 'review'
    readonly matched_rules: readonly string[]
    readonly explanation: string
    readonly messages: readonly string[]
    readonly requirements: readonly RequirementView[]
    readonly policy_version?: string
  }
  readonly impact: { readonly summary: string; readonly highlights: readonly string[]; readonly facts?: unknown }
  readonly reviews: readonly ReviewView[]
  readonly result: Readonly<Record<string, unknown>> | null
  readonly brokered?: boolean
  readonly created_at: string
  readonly updated_at: string
  readonly expires_at: string | null
  readonly execute_by: string | null
  readonly timeline?: readonly TimelineEntry[]
  readonly links: { readonly self: string; readonly console?: string }
}

/** A page of `GET /v1/actions`. */
export interface ActionPage {
  readonly actions: readonly ActionView[]
  readonly next_cursor: string | null
}

/** One stored audit event of `GET /v1/audit`. */
export interface AuditEventView {
  readonly seq: number
  readonly prev_hash: string
  readonly hash: string
  readonly event: Readonly<Record<string, unknown>>
}

/** A page of `GET /v1/audit`. */
export interface AuditPage {
  readonly events: readonly AuditEventView[]
  readonly head: { readonly seq: number; readonly hash: string }
}

/** The report of `GET /v1/audit/verify`. */
export interface VerifyReport {
  readonly ok: boolean
  readonly events: number
  readonly head: { readonly seq: number; readonly hash: string } | null
  readonly checkpoints: number
  readonly problems: readonly { readonly seq: number; readonly kind: string; readonly message: string }[]
  /** What is odd but not tampering (`time_backwards`: the clock was set back); absent from older gateways. */
  readonly warnings?: readonly { readonly seq: number; readonly kind: string; readonly message: string }[]
}

/** The answer of `POST /v1/tokens`: the token (shown once) and its record. */
export interface IssuedToken {
  readonly token: string
  readonly token_sha256: string
  readonly type: 'agent' | 'human'
  readonly subject: string
  readonly name: string
  readonly expires_at: string | null
}

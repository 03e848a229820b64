// The shapes of the Countersign HTTP API (v1) as a client reads them. Written out rather than
// imported from the server: the SDK is a client of a possibly different gateway version, and a
// client library must not pull the server (or zod) into an agent's process.

/** Every status an action can have. */
export const ACTION_STATUSES = ['allowed', 'denied', 'pending', 'approved', 'expired', 'cancelled', 'executing', 'succeeded', 'failed'] as const
export type ActionStatus = (typeof ACTION_STATUSES)[number]

/** The kinds of action the gateway knows. */
export const ACTION_KINDS = ['sql', 'shell', 'terraform', 'kubernetes', 'http', 'mcp', 'custom'] as const
export type ActionKind = (typeof ACTION_KINDS)[number]

/** What an agent says about itself: shown to reviewers and recorded, never trusted for identity. */
export interface ActionContext {
  readonly reason?: string
  readonly session?: string
  readonly model?: string
  /** The email of the human the agent acts for (who then cannot approve it). */
  readonly on_behalf_of?: string
  readonly trace_id?: string
}

/** An action as an agent submits it. */
export interface ActionInput {
  readonly kind: ActionKind
  readonly target: string
  readonly payload: Readonly<Record<string, unknown>>
  readonly context?: ActionContext
}

/** One review requirement of a decision, with its progress. */
export interface Requirement {
  readonly rule: string
  readonly approvers: readonly string[]
  readonly min_approvals: number
  readonly timeout_ms: number
  readonly execute_within_ms: number
  readonly reason_required: boolean
  readonly channels: readonly string[]
  readonly approved_by: readonly string[]
  readonly met: boolean
}

/** One human's review. */
export interface Review {
  readonly reviewer: string
  readonly decision: 'approve' | 'deny'
  readonly reason: string
  readonly channel: string
  readonly at: string
}

/** One audit event of an action, as `GET /v1/actions/{id}` lists them. */
export interface TimelineEntry {
  readonly seq: number
  readonly at: string
  readonly type: string
  readonly actor: string
  readonly channel: string
  readonly data: Readonly<Record<string, unknown>>
}

/** The result of a run: a brokered connector's (rows, output…) or the agent's own report. */
export type ActionResult = Readonly<Record<string, unknown>>

/** An action as the API returns it. */
export interface Action {
  readonly id: string
  readonly status: ActionStatus
  readonly kind: ActionKind
  readonly target: string
  readonly payload: Readonly<Record<string, unknown>>
  readonly payload_omitted?: boolean
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
    readonly requirements: readonly Requirement[]
    readonly rules?: readonly Readonly<Record<string, unknown>>[]
    readonly default_applied?: boolean
    readonly policy_version?: string
  }
  readonly impact: { readonly summary: string; readonly highlights: readonly string[]; readonly facts?: unknown }
  readonly reviews: readonly Review[]
  readonly result: ActionResult | null
  readonly created_at: string
  readonly updated_at: string
  readonly expires_at: string | null
  readonly execute_by: string | null
  /** Countersign runs it with the target's connector; otherwise the agent does, with a receipt. */
  readonly brokered: boolean
  readonly timeline?: readonly TimelineEntry[]
  readonly links: { readonly self: string; readonly console?: string }
}

/** A page of `GET /v1/actions`. */
export interface ActionPage {
  readonly actions: readonly Action[]
  readonly next_cursor: string | null
}

/** Which actions `list` returns (humans only). */
export interface ListFilter {
  readonly status?: ActionStatus | readonly ActionStatus[]
  readonly target?: string
  readonly agent?: string
  readonly kind?: ActionKind
  /** At most 200 (default 50). */
  readonly limit?: number
  /** `next_cursor` of the previous page. */
  readonly cursor?: string
}

/** `GET /v1/actions/{id}/receipt`. */
export interface ReceiptView {
  /** A compact JWS (EdDSA), good once. */
  readonly receipt: string
  readonly action_id: string
  readonly jti: string
  readonly digest: string
  readonly target: string
  readonly expires_at: string
}

/** What a receipt binds (its verified claims). */
export interface ReceiptClaims {
  readonly iss: string
  /** The action id. */
  readonly sub: string
  readonly jti: string
  readonly iat: number
  readonly exp: number
  readonly digest: string
  readonly target: string
  readonly kind: string
  readonly agent: string | null
  readonly status: 'allowed' | 'approved'
  readonly approvers: readonly string[]
  /**
   * The deciding audit events (`action.allowed`; or each `review.approve` and `action.approved`)
   * as stored, each with its RFC 9162 inclusion proof (base64 hashes) in the tree of `checkpoint`,
   * a signed tree head (C2SP signed note). Checked by `verifyReceipt`.
   */
  readonly audit?: {
    readonly checkpoint: string
    readonly events: readonly { readonly seq: number; readonly event: string; readonly proof: readonly string[] }[]
  }
}

/** `POST /v1/receipts/redeem`: the action about to run, or its digest. */
export type RedeemInput =
  | { readonly receipt: string; readonly target: string; readonly action: Pick<ActionInput, 'kind' | 'target' | 'payload'>; readonly digest?: undefined }
  | { readonly receipt: string; readonly target: string; readonly digest: string; readonly action?: undefined }

/** `POST /v1/actions/{id}/outcome`: how an action the agent ran itself went. */
export interface OutcomeReport {
  readonly status: 'succeeded' | 'failed'
  readonly exit_code?: number
  readonly output?: string
  readonly error?: string
}

/** `POST /v1/decide`: the decision for an action, nothing stored. */
export interface DryRun {
  readonly digest: string
  readonly decision: Readonly<Record<string, unknown>>
  readonly impact: { readonly summary: string; readonly highlights: readonly string[]; readonly facts?: unknown }
}

/** A JSON Web Key Set, as `/.well-known/jwks.json` serves it. */
export interface Jwks {
  readonly keys: readonly Readonly<Record<string, unknown>>[]
}

/** `GET /v1/me`. */
export interface WhoAmI {
  readonly type: 'agent' | 'human'
  readonly id: string
  readonly owner?: string
  readonly groups?: readonly string[]
  readonly admin?: boolean
  readonly auditor?: boolean
}

/** One stored audit event of `GET /v1/audit`. */
export interface AuditEvent {
  readonly seq: number
  readonly prev_hash: string
  readonly hash: string
  readonly event: Readonly<Record<string, unknown>>
}

/** A page of `GET /v1/audit`. */
export interface AuditPage {
  readonly events: readonly AuditEvent[]
  readonly head: { readonly seq: number; readonly hash: string }
}

/** `GET /v1/audit/checkpoints`. */
export interface AuditCheckpoints {
  /** Oldest first; `note` is the C2SP signed note: origin, size, base64 root, blank line, signature lines. */
  readonly checkpoints: readonly { readonly tree_size: number; readonly at: string; readonly note: string }[]
  readonly witnesses: readonly { readonly name: string; readonly tree_size: number; readonly lag: number; readonly cosigned_at: string | null }[]
}

/** `GET /v1/audit/proofs/inclusion` (hashes in base64). */
export interface AuditInclusionProof {
  readonly seq: number
  readonly leaf_index: number
  readonly tree_size: number
  readonly leaf_hash: string
  readonly root_hash: string
  readonly proof: readonly string[]
}

/** `GET /v1/audit/proofs/consistency` (hashes in base64). */
export interface AuditConsistencyProof {
  readonly from: number
  readonly to: number
  readonly from_root: string
  readonly to_root: string
  readonly proof: readonly string[]
}

/** `GET /v1/audit/verify`. */
export interface AuditVerification {
  readonly ok: boolean
  readonly events: number
  readonly head: { readonly seq: number; readonly hash: string } | null
  readonly checkpoints: number
  readonly problems: readonly { readonly seq: number; readonly kind: string; readonly message: string }[]
  /** What is odd but not tampering (`time_backwards`: the clock was set back); absent from older gateways. */
  readonly warnings?: readonly { readonly seq: number; readonly kind: string; readonly message: string }[]
}

/** A run-time token's record (`GET /v1/tokens`); the token itself only in {@link IssuedToken}. */
export interface TokenRecord {
  readonly token_sha256: string
  readonly type: 'agent' | 'human'
  readonly subject: string
  readonly name: string
  readonly created_at: string
  readonly created_by: string
  readonly expires_at: string | null
  readonly revoked_at: string | null
}

/** `POST /v1/tokens`: the token, shown once, and its record. */
export interface IssuedToken extends TokenRecord {
  readonly token: string
}

/** One event of `GET /v1/actions/{id}/events`. */
export type ActionEvent =
  | {
      readonly type: 'transition'
      /** The audit sequence number (the SSE id). */
      readonly seq: number
      /** The audit event (its canonical JSON, parsed): `type`, `actor`, `channel`, `at`, `data`… */
      readonly event: Readonly<Record<string, unknown>>
    }
  | { readonly type: 'action'; readonly action: Action }

/** The statuses in which an action never changes again. */
export const FINAL_STATUSES: readonly ActionStatus[] = ['denied', 'expired', 'cancelled', 'succeeded', 'failed']

/**
 * Whether an action reached what its submitter waits for: an end, or allowed/approved when the
 * agent runs it itself (then it is the agent's turn). A brokered action is settled once
 * Countersign has run it.
 */
export function isSettled(action: Pick<Action, 'status' | 'brokered'>): boolean {
  if (FINAL_STATUSES.includes(action.status)) return true
  return !action.brokered && (action.status === 'allowed' || action.status === 'approved')
}

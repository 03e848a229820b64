import { z } from '@hono/zod-openapi'
import { ACTION_KINDS, ActionContextSchema } from '../action/index.js'
import { ACTION_STATUSES, REVIEW_DECISIONS } from '../lifecycle/index.js'

/** Text without NUL characters: PostgreSQL text cannot hold them, and no reason or name needs one. */
const text = (max: number) => z.string().max(max).refine((value) => !value.includes('\u0000'), 'must not contain NUL characters')

/** `?wait=S`: seconds to hold the response (≤ 60). */
export const WaitQuery = z.object({
  wait: z.coerce.number().min(0).max(60).optional().openapi({ description: 'Seconds to hold the response until the action leaves its current status (at most 60).', example: 30 }),
})

export const ActionIdParam = z.object({
  id: z.string().regex(/^act_[0-9a-z]{26}$/, 'not an action id').openapi({ param: { name: 'id', in: 'path' }, example: 'act_01hzyx3k5e8qk2j4m6n8p0r2t4' }),
})

/** The body of `POST /v1/actions` and `POST /v1/decide` (payloads are checked per kind by the service). */
export const ActionInput = z
  .object({
    kind: z.enum(ACTION_KINDS),
    target: z.string().min(1).max(200),
    payload: z.record(z.string(), z.unknown()).openapi({ description: 'Per kind: sql {sql}; shell {command} or {argv}; terraform {plan, plan_sha256?, saved_plan?} (saved_plan: the binary plan file, base64, which the terraform connector applies); kubernetes {command, manifest?} | {request} | {manifest}; http {method, url, headers?, body?}; mcp {server, tool, arguments}; custom: any object.' }),
    context: ActionContextSchema.optional(),
  })
  .strict()
  .openapi('ActionInput', { example: { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users WHERE id = 42' }, context: { reason: 'remove a test account', model: 'claude' } } })

export const RequirementView = z
  .object({
    rule: z.string(),
    approvers: z.array(z.string()),
    min_approvals: z.number().int(),
    timeout_ms: z.number().int(),
    execute_within_ms: z.number().int(),
    reason_required: z.boolean(),
    channels: z.array(z.string()),
    grants: z.object({ max_ttl_ms: z.number().int(), max_uses: z.number().int() }).optional().openapi({ description: 'Set when a reviewer may approve with a narrowing grant (review.grants).' }),
    assurance: z.enum(['passkey']).optional().openapi({ description: 'passkey: an approval counts only as a WebAuthn assertion over the digest, made in the console.' }),
    approved_by: z.array(z.string()),
    met: z.boolean(),
    remind_after_ms: z.number().int().optional().openapi({ description: '`remind_after`: the approvers are asked again every this long while pending.' }),
    escalate: z
      .array(z.object({ after_ms: z.number().int(), to: z.array(z.string()) }))
      .optional()
      .openapi({ description: '`escalate`: approvers added this long after submission, stage by stage.' }),
    reminders: z.number().int().optional().openapi({ description: 'Reminders sent so far.' }),
    escalated: z.number().int().optional().openapi({ description: 'Escalation stages applied so far; their approvers are in `approvers`.' }),
  })
  .openapi('Requirement')

export const ReviewView = z
  .object({ reviewer: z.string(), decision: z.enum(REVIEW_DECISIONS), reason: z.string(), channel: z.string(), at: z.string(), grant: z.object({ ttl_ms: z.number().int(), max_uses: z.number().int() }).optional(), passkey: z.string().optional().openapi({ description: 'The credential id of the passkey that signed this approval.' }) })
  .openapi('Review')

export const TimelineEntry = z
  .object({ seq: z.number().int(), at: z.string(), type: z.string(), actor: z.string(), channel: z.string(), data: z.record(z.string(), z.unknown()) })
  .openapi('TimelineEntry')

export const DelegationInput = z
  .object({
    to: z.string().min(3).max(320).openapi({ description: 'The delegate: a human the configuration knows (email).' }),
    until: z.iso.datetime({ offset: true }).openapi({ description: 'When it ends (at most 30 days after it starts).' }),
    from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'When it starts (default: now).' }),
    delegator: z.string().max(320).optional().openapi({ description: 'Whose rights (default: yours; someone else\'s for admins only).' }),
    reason: text(2000).optional(),
  })
  .strict()
  .openapi('DelegationInput', { example: { to: 'bob@example.com', until: '2026-12-24T18:00:00Z', reason: 'on leave' } })

export const DelegationView = z
  .object({ id: z.string(), from: z.string(), to: z.string(), starts_at: z.string(), ends_at: z.string(), reason: z.string(), created_at: z.string(), revoked_at: z.string().nullable() })
  .openapi('Delegation')

export const BreakGlassView = z
  .object({
    by: z.string(),
    reason: z.string(),
    at: z.string(),
    review_by: z.string().openapi({ description: 'The after-the-fact review by someone else is due by then.' }),
    rules: z.array(z.string()),
    notify: z.array(z.string()),
    review: z.object({ reviewer: z.string(), verdict: z.enum(['confirm', 'dispute']), reason: z.string(), at: z.string() }).optional(),
    overdue: z.boolean().openapi({ description: 'Past review_by without a review: flagged in the console, /metrics and webhooks (break_glass.overdue).' }),
  })
  .openapi('BreakGlass', { description: 'A break-glass approval (review.break_glass): a listed approver approved at once, possibly their own request.' })

export const BreakGlassInput = z
  .object({ reason: text(2000) })
  .strict()
  .openapi('BreakGlassInput', { example: { reason: 'checkout is down; restarting the pool cannot wait' } })

export const BreakGlassReviewInput = z
  .object({ verdict: z.enum(['confirm', 'dispute']), reason: text(2000) })
  .strict()
  .openapi('BreakGlassReviewInput', { example: { verdict: 'confirm', reason: 'the outage justified it' } })

export const ActionView = z
  .object({
    id: z.string(),
    status: z.enum(ACTION_STATUSES),
    kind: z.enum(ACTION_KINDS),
    target: z.string(),
    payload: z.record(z.string(), z.unknown()),
    payload_omitted: z.boolean().optional().openapi({ description: 'Set in listings when the payload is too long to list: GET the action for all of it.' }),
    context: z.record(z.string(), z.unknown()),
    digest: z.string(),
    agent: z.string().nullable(),
    owner: z.string().nullable(),
    on_behalf_of: z.string().nullable(),
    submitted_by: z.string(),
    decision: z.object({
      effect: z.enum(['allow', 'deny', 'review']),
      matched_rules: z.array(z.string()),
      explanation: z.string(),
      messages: z.array(z.string()),
      requirements: z.array(RequirementView),
      rules: z.array(z.record(z.string(), z.unknown())),
      default_applied: z.boolean(),
      policy_version: z.string(),
      grant: z.record(z.string(), z.unknown()).optional().openapi({ description: 'Set when a narrowing grant allowed the action: the grant, its reviewers and its uses.' }),
      shadow: z
        .object({ effect: z.enum(['allow', 'deny', 'review']), matched_rules: z.array(z.string()) })
        .optional()
        .openapi({ description: 'Present when the policy has shadow rules (`mode: shadow`) for this action: the ones that applied, and the effect had they been enforced. Never enforced.' }),
      calendars: z
        .record(z.string(), z.boolean())
        .optional()
        .openapi({ description: 'The calendars (config `calendars`) the decision read, with their state then; execution refuses the action if any has changed since.' }),
    }),
    impact: z.object({ summary: z.string(), highlights: z.array(z.string()), facts: z.unknown() }),
    reviews: z.array(ReviewView),
    result: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    expires_at: z.string().nullable(),
    execute_by: z.string().nullable(),
    brokered: z.boolean().openapi({ description: 'Countersign executes it with the target\'s connector; otherwise the agent does, with a receipt.' }),
    break_glass: BreakGlassView.optional(),
    timeline: z.array(TimelineEntry).optional(),
    links: z.object({ self: z.string(), console: z.string().optional() }),
  })
  .openapi('Action')

export const ActionList = z
  .object({ actions: z.array(ActionView), next_cursor: z.string().nullable() })
  .openapi('ActionList', { description: 'Listed actions are brief: no per-rule outcomes, no facts, and payloads over 4 KiB omitted.' })

export const ListQuery = z.object({
  status: z
    .string()
    .max(200)
    .refine((value) => value.split(',').every((status) => (ACTION_STATUSES as readonly string[]).includes(status.trim())), `must be one or more of ${ACTION_STATUSES.join(', ')}, comma-separated`)
    .optional()
    .openapi({ description: 'One status or several, comma-separated.', example: 'pending' }),
  target: text(200).optional(),
  agent: text(200).optional(),
  kind: z.enum(ACTION_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(/^act_[0-9a-z]{26}$/, 'not a cursor from this API').optional(),
})

/** A grant asked for with an approval (`review.grants`): how long, and how many later actions. */
export const GrantInput = z
  .object({
    ttl: z.string().regex(/^(?:\d+(?:ms|s|m|h|d))+$/, 'expected a duration such as 30m or 1h').openapi({ example: '30m' }),
    max_uses: z.number().int().min(1).max(10_000).openapi({ example: 20 }),
  })
  .strict()
  .openapi('GrantInput', { description: 'Approve this action and later ones of the same agent, target and shape, for this long and this many uses (within the rule\'s review.grants).' })

export const ReviewInput = z
  .object({
    decision: z.enum(REVIEW_DECISIONS),
    reason: text(2000).optional(),
    grant: GrantInput.optional(),
    passkey: z
      .object({
        id: z.string().max(1024),
        rawId: z.string().max(1024),
        type: z.literal('public-key'),
        response: z.object({ clientDataJSON: z.string().max(16_384), authenticatorData: z.string().max(16_384), signature: z.string().max(4096), userHandle: z.string().max(1024).optional() }),
        clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
        authenticatorAttachment: z.string().max(50).optional(),
      })
      .optional()
      .openapi({ description: 'A WebAuthn assertion made with the options of POST /v1/actions/{id}/passkey-options: required where a requirement says assurance: passkey.' }),
  })
  .strict()
  .openapi('ReviewInput', { example: { decision: 'approve', reason: 'checked the WHERE clause' } })

export const GrantView = z
  .object({
    id: z.string(),
    action_id: z.string().openapi({ description: 'The approved action the grant was made from.' }),
    submitted_by: z.string(),
    target: z.string(),
    kind: z.string(),
    shape: z.record(z.string(), z.unknown()).openapi({ description: 'What a later action must match (derived from the approved action\'s facts).' }),
    rules: z.array(z.string()),
    policy_version: z.string(),
    reviewers: z.array(z.object({ email: z.string(), requirements: z.array(z.string()) })),
    created_at: z.string(),
    expires_at: z.string(),
    max_uses: z.number().int(),
    uses: z.number().int(),
    revoked_at: z.string().nullable(),
    revoked_by: z.string().nullable(),
    live: z.boolean(),
  })
  .openapi('Grant')

export const GrantIdParam = z.object({ id: z.string().regex(/^grt_[A-Za-z0-9_-]{22}$/, 'not a grant id').openapi({ param: { name: 'id', in: 'path' }, example: 'grt_3q2x0c6b5n4m8k1j7h9g2f' }) })

export const CancelInput = z.object({ reason: text(2000).optional() }).strict().openapi('CancelInput')

export const OutcomeInput = z
  .object({
    status: z.enum(['succeeded', 'failed']),
    exit_code: z.number().int().optional(),
    output: z.string().max(10_000_000).optional(),
    error: z.string().max(100_000).optional(),
  })
  .strict()
  .openapi('OutcomeInput')

export const ReceiptView = z
  .object({
    receipt: z.string().openapi({ description: 'A compact JWS (EdDSA, Ed25519; its kid is in /.well-known/jwks.json), good once.' }),
    action_id: z.string(),
    jti: z.string(),
    digest: z.string(),
    target: z.string(),
    expires_at: z.string(),
  })
  .openapi('Receipt')

export const RedeemInput = z
  .object({
    receipt: z.string().min(20).max(20_000),
    target: z.string().min(1).max(200).openapi({ description: 'The target the redeemer is about to act on.' }),
    digest: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits').optional().openapi({ description: 'The digest of the action about to run.' }),
    action: z.object({ kind: z.enum(ACTION_KINDS), target: z.string(), payload: z.record(z.string(), z.unknown()) }).strict().optional().openapi({ description: 'The action about to run; its digest is computed by the gateway.' }),
  })
  .strict()
  .refine((input) => (input.digest === undefined) !== (input.action === undefined), 'give exactly one of digest or action')
  .openapi('RedeemInput')

export const DecisionView = z
  .object({
    digest: z.string(),
    decision: z.record(z.string(), z.unknown()),
    impact: z.object({ summary: z.string(), highlights: z.array(z.string()), facts: z.unknown() }),
  })
  .openapi('DryRun')

export const AuditQuery = z.object({
  since: z.coerce.number().int().min(0).default(0).openapi({ description: 'Return events with a sequence number above this.' }),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
})

export const AuditEventView = z
  .object({ seq: z.number().int(), prev_hash: z.string(), hash: z.string(), event: z.record(z.string(), z.unknown()) })
  .openapi('AuditEvent')

export const AuditPage = z.object({ events: z.array(AuditEventView), head: z.object({ seq: z.number().int(), hash: z.string() }) }).openapi('AuditPage')

export const VerifyView = z
  .object({
    ok: z.boolean(),
    events: z.number().int(),
    head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
    checkpoints: z.number().int(),
    problems: z.array(z.object({ seq: z.number().int(), kind: z.string(), message: z.string() })),
    warnings: z.array(z.object({ seq: z.number().int(), kind: z.string(), message: z.string() })).openapi({ description: 'What is odd but not tampering: time_backwards, an event earlier than the one stored before it (the clock was set back); stale_checkpoint, events waiting longer than the checkpoint interval plus a margin for a signed checkpoint; witness_quorum, too few witness cosignatures; archived, a checkpoint saved outside the log that covers only archived events.' }),
  })
  .openapi('AuditVerification')

const Base64Hash = z.string().openapi({ description: 'A SHA-256 hash, base64 (RFC 4648, padded)' })

export const CheckpointsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ description: 'How many of the newest checkpoints.' }) })

export const CheckpointList = z
  .object({
    checkpoints: z.array(
      z.object({
        tree_size: z.number().int(),
        at: z.string(),
        note: z.string().openapi({ description: 'The signed tree head as a C2SP signed note: origin, tree size, base64 root hash, a blank line, the log signature line, then the witnesses\' cosignature lines.' }),
      }),
    ),
    witnesses: z
      .array(z.object({ name: z.string(), tree_size: z.number().int(), lag: z.number().int(), cosigned_at: z.string().nullable() }))
      .openapi({ description: 'Each witness of audit.witnesses: the largest tree size it cosigned (0: never), how many events the newest checkpoint is ahead of it, and when (its own clock).' }),
  })
  .openapi('AuditCheckpoints')

export const InclusionQuery = z.object({
  seq: z.coerce.number().int().min(1).openapi({ description: 'The event (leaf index seq − 1).' }),
  tree_size: z.coerce.number().int().min(1).openapi({ description: 'The size of the tree to prove inclusion in: a signed checkpoint\'s.' }),
})

export const InclusionProof = z
  .object({ seq: z.number().int(), leaf_index: z.number().int(), tree_size: z.number().int(), leaf_hash: Base64Hash, root_hash: Base64Hash, proof: z.array(Base64Hash) })
  .openapi('AuditInclusionProof', { description: 'RFC 9162 inclusion proof; verify it against the root of a signed checkpoint, not the root_hash given here.' })

export const ConsistencyQuery = z.object({
  from: z.coerce.number().int().min(1).openapi({ description: 'The smaller tree size.' }),
  to: z.coerce.number().int().min(1).openapi({ description: 'The larger tree size.' }),
})

export const ConsistencyProof = z
  .object({ from: z.number().int(), to: z.number().int(), from_root: Base64Hash, to_root: Base64Hash, proof: z.array(Base64Hash) })
  .openapi('AuditConsistencyProof', { description: 'RFC 9162 consistency proof; verify it against the roots of two signed checkpoints, not the roots given here.' })

export const CosignatureInput = z
  .object({
    tree_size: z.number().int().min(1),
    cosignature: z.string().max(1000).openapi({ description: 'One c2sp.org/tlog-cosignature line: `— NAME base64(keyhash ‖ time ‖ signature)`.' }),
  })
  .strict()
  .openapi('AuditCosignatureInput')

export const CosignatureAccepted = z.object({ witness: z.string(), cosigned_at: z.string() }).openapi('AuditCosignatureAccepted')

export const TokenInput = z
  .object({
    agent: z.string().max(64).optional(),
    user: z.string().email().max(320).optional(),
    name: text(200).default(''),
    expires_in: z.coerce.number().int().min(60).max(400 * 86400).optional().openapi({ description: 'Seconds until the token expires; none means never.' }),
  })
  .strict()
  .refine((input) => (input.agent === undefined) !== (input.user === undefined), 'give exactly one of agent or user')
  .openapi('TokenInput')

export const TokenView = z
  .object({
    token_sha256: z.string(),
    type: z.enum(['agent', 'human']),
    subject: z.string(),
    name: z.string(),
    created_at: z.string(),
    created_by: z.string(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi('Token')

export const Sha256Param = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/).openapi({ param: { name: 'sha256', in: 'path' } }) })

export const WhoAmI = z
  .object({ type: z.enum(['agent', 'human']), id: z.string(), owner: z.string().optional(), groups: z.array(z.string()).optional(), admin: z.boolean().optional(), auditor: z.boolean().optional() })
  .openapi('Principal')

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ message: z.string(), path: z.string().optional() })).optional(),
  })
  .openapi('Problem')

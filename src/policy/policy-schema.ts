import { z } from 'zod'
import { ACTION_KINDS } from '../action/index.js'
import { parseDuration } from './duration.js'

/** A policy's effects: what happens to an action. */
export const EFFECTS = ['allow', 'deny', 'review'] as const
export type Effect = (typeof EFFECTS)[number]

/** How a rule takes part: `enforce` (the default) decides; `shadow` is evaluated and recorded, never enforced. */
export const RULE_MODES = ['enforce', 'shadow'] as const
export type RuleMode = (typeof RULE_MODES)[number]

/** Channel plugins a review block may name. */
export const CHANNEL_TYPES = ['slack', 'teams', 'email', 'webhook', 'console'] as const

/** Longest review timeout or execution window: a month; longer is a mistake, not a policy. */
const MAX_DURATION_MS = 30 * 86_400_000

const Duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text)
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 90s, 30m, 1h or 1h30m, got "${text}"` })
    return z.NEVER
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: 'custom', message: `expected at most 30d, got "${text}"` })
    return z.NEVER
  }
  return ms
})

const Approver = z
  .string()
  .regex(/^(group:[A-Za-z0-9._-]+|user:[^\s@]+@[^\s@]+|oncall:(pagerduty|opsgenie):[A-Za-z0-9._-]{1,128})$/, 'expected group:NAME or user:EMAIL (or oncall:pagerduty:SCHEDULE, oncall:opsgenie:SCHEDULE)')
  .transform((value) => (value.startsWith('user:') ? value.toLowerCase() : value))

const Channel = z
  .string()
  .regex(new RegExp(`^(${CHANNEL_TYPES.join('|')})(:.+)?$`), `expected ${CHANNEL_TYPES.map((type) => `${type}:NAME`).join(', ')}`)

/** One escalation stage: `after` the request was submitted, `to` more approvers are added. */
const Escalation = z.strictObject({ after: Duration, to: z.array(Approver).min(1, 'expected at least one approver to escalate to') })

const Review = z.strictObject({
  approvers: z.array(Approver).default([]),
  min_approvals: z.int().min(1).max(50).default(1),
  timeout: Duration.prefault('1h'),
  execute_within: Duration.prefault('15m'),
  reason_required: z.boolean().default(false),
  channels: z.array(Channel).default([]),
  /** A reviewer may approve with a narrowing grant: its longest life and most uses. */
  grants: z.strictObject({ max_ttl: Duration, max_uses: z.int().min(1).max(10_000) }).optional(),
  /** `passkey`: an approval is a WebAuthn assertion over the action digest, made in the console. */
  assurance: z.enum(['passkey']).optional(),
  /** Re-notify the approvers every this long while the request is pending. */
  remind_after: Duration.optional(),
  /** Stages adding approvers when nobody has met the requirement yet, by time since submission. */
  escalate: z.array(Escalation).max(10).default([]),
  /** A listed approver may approve their own urgent request, at once, for review by others within `review_within`. */
  break_glass: z
    .strictObject({
      requires: z.literal('reason', 'expected requires: reason (break-glass always needs a reason)').default('reason'),
      notify: z.array(Channel).default([]),
      review_within: Duration.prefault('24h'),
    })
    .optional(),
})
/** What one review requirement needs, durations in milliseconds. */
export type ReviewSpec = z.output<typeof Review>

/** Reminders and escalation stages must fall within the request's life, stages in order. */
function checkRouting(review: ReviewSpec | undefined, ctx: z.RefinementCtx, path: readonly (string | number)[]): void {
  if (!review) return
  if (review.remind_after !== undefined && review.remind_after >= review.timeout) {
    ctx.addIssue({ code: 'custom', path: [...path, 'remind_after'], message: 'remind_after must be shorter than the timeout, or no reminder is ever sent' })
  }
  review.escalate.forEach((stage, index) => {
    if (stage.after >= review.timeout) ctx.addIssue({ code: 'custom', path: [...path, 'escalate', index, 'after'], message: 'an escalation must come before the timeout' })
    const previous = review.escalate[index - 1]
    if (previous && stage.after <= previous.after) ctx.addIssue({ code: 'custom', path: [...path, 'escalate', index, 'after'], message: 'escalation stages must come later one after another' })
  })
}

const OneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((value) => (typeof value === 'string' ? [value] : value))
const Kinds = z
  .union([z.enum(ACTION_KINDS), z.array(z.enum(ACTION_KINDS)).min(1)], { error: () => `expected an action kind or a list of them; the kinds are ${ACTION_KINDS.join(', ')}` })
  .transform((value) => (typeof value === 'string' ? [value] : value))

const Match = z.strictObject({ kind: Kinds.optional(), target: OneOrMany.optional(), env: OneOrMany.optional(), agent: OneOrMany.optional() })
export type MatchSpec = z.output<typeof Match>

const Rule = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'expected an id of letters, digits, ".", "_" or "-"'),
    description: z.string().optional(),
    match: Match.default({}),
    when: z.string().trim().min(1, 'must not be empty (leave `when` out to match always)').optional(),
    effect: z.enum(EFFECTS),
    review: Review.optional(),
    message: z.string().optional(),
    /** `shadow`: evaluated and recorded with every decision (what it would have done), never enforced. */
    mode: z.enum(RULE_MODES).default('enforce'),
  })
  .superRefine((rule, ctx) => {
    if (rule.review && rule.effect !== 'review') {
      ctx.addIssue({ code: 'custom', path: ['review'], message: `a review block belongs to effect review; this rule's effect is ${rule.effect}` })
    }
    checkRouting(rule.review, ctx, ['review'])
  })
export type RuleSpec = z.output<typeof Rule>

/** The policy document (docs/policy.md), as validated. */
export const PolicySchema = z
  .strictObject({
    version: z.literal(1, 'expected version: 1'),
    default: z.enum(EFFECTS).default('review'),
    default_review: Review.optional(),
    /** IANA zone for `time.hour` and `time.weekday`. */
    timezone: z.string().default('UTC'),
    rules: z.array(Rule).default([]),
  })
  .superRefine((policy, ctx) => {
    checkRouting(policy.default_review, ctx, ['default_review'])
    const seen = new Map<string, number>()
    policy.rules.forEach((rule, index) => {
      const first = seen.get(rule.id)
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', index, 'id'], message: `duplicate rule id "${rule.id}" (first at rules[${first}])` })
      else seen.set(rule.id, index)
    })
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: policy.timezone })
    } catch {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown time zone "${policy.timezone}" (expected an IANA name such as Europe/Paris)` })
    }
  })
export type PolicySpec = z.output<typeof PolicySchema>

/** The keys each part of a policy accepts, from the schemas themselves: for "expected one of" messages. */
export const POLICY_KEYS = {
  policy: Object.keys(PolicySchema.shape),
  rule: Object.keys(Rule.shape),
  match: Object.keys(Match.shape),
  review: Object.keys(Review.shape),
} as const

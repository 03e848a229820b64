import type { z } from '@hono/zod-openapi'
import { requirementProgress } from '../lifecycle/index.js'
import { conflictedOf, requirementsOf, type ActionState } from '../service/index.js'
import type { StoredAuditEvent } from '../audit/index.js'
import { LISTED_TEXT } from '../store/index.js'
import type { ActionView, TimelineEntry } from './schemas.js'

type View = z.infer<typeof ActionView>

/**
 * The API's view of an action: what will run (the stored payload, exactly as approved), who asked
 * and why, the decision with each requirement's progress, the reviews and the result.
 */
export function actionView(state: ActionState, options: { publicUrl?: string | undefined; timeline?: readonly StoredAuditEvent[]; brief?: boolean; now?: Date } = {}): View {
  const { record, reviews } = state
  // A listing carries the start of long action texts only: say so instead of showing a part.
  const cut = options.brief === true && record.actionJson.length > LISTED_TEXT
  const stored = cut ? { payload: {} } : (JSON.parse(record.actionJson) as { payload: Record<string, unknown> })
  const decision = record.decision as Record<string, unknown>
  const requirements = requirementsOf(record)
  // Most actions are decided at once and need nobody: then there is no progress to count.
  const progress = requirements.length === 0 ? [] : requirementProgress(requirements, reviews, conflictedOf(record))
  return {
    id: record.id,
    status: record.status as View['status'],
    kind: record.kind as View['kind'],
    target: record.target,
    payload: stored.payload,
    ...(cut && { payload_omitted: true }),
    context: record.context as Record<string, unknown>,
    digest: record.digest,
    agent: record.agentId,
    owner: record.owner,
    on_behalf_of: record.onBehalfOf,
    submitted_by: record.submittedBy,
    decision: {
      effect: decision['effect'] as View['decision']['effect'],
      matched_rules: (decision['matched_rules'] ?? []) as string[],
      explanation: String(decision['explanation'] ?? ''),
      messages: (decision['messages'] ?? []) as string[],
      requirements: requirements.map(({ escalate, ...requirement }, index) => ({
        ...requirement,
        approvers: [...requirement.approvers],
        channels: [...requirement.channels],
        ...(escalate && { escalate: escalate.map((stage) => ({ after_ms: stage.after_ms, to: [...stage.to] })) }),
        approved_by: [...(progress[index]?.approved_by ?? [])],
        met: progress[index]?.met ?? false,
      })),
      rules: options.brief ? [] : ((decision['rules'] ?? []) as Record<string, unknown>[]),
      default_applied: Boolean(decision['default_applied']),
      policy_version: record.policyVersion,
      ...(decision['grant'] !== undefined && { grant: decision['grant'] as Record<string, unknown> }),
      ...(shadowOf(decision) && { shadow: shadowOf(decision) }),
      ...(decision['calendars'] !== undefined && { calendars: decision['calendars'] as Record<string, boolean> }),
    },
    impact: options.brief ? { ...(record.impact as View['impact']), facts: null } : (record.impact as View['impact']),
    reviews: reviews.map((review) => ({ reviewer: review.reviewer, decision: review.decision, reason: review.reason, channel: review.channel, at: review.at.toISOString(), ...(review.grant && { grant: { ...review.grant } }), ...(review.passkey && { passkey: review.passkey.credential_id }) })),
    result: (record.result as Record<string, unknown> | null) ?? null,
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
    expires_at: record.expiresAt?.toISOString() ?? null,
    execute_by: record.executeBy?.toISOString() ?? null,
    brokered: record.brokered,
    ...(record.breakGlass && {
      break_glass: {
        ...record.breakGlass,
        rules: [...record.breakGlass.rules],
        notify: [...record.breakGlass.notify],
        overdue: !record.breakGlass.review && Date.parse(record.breakGlass.review_by) <= (options.now ?? new Date()).getTime(),
      },
    }),
    ...(options.timeline && { timeline: options.timeline.map(timelineEntry) }),
    links: { self: `${options.publicUrl ?? ''}/v1/actions/${record.id}`, console: `${options.publicUrl ?? ''}/actions/${record.id}` },
  }
}

function timelineEntry(stored: StoredAuditEvent): z.infer<typeof TimelineEntry> {
  const event = JSON.parse(stored.event) as { at: string; type: string; actor: string; channel: string; data: Record<string, unknown> }
  return { seq: stored.seq, at: event.at, type: event.type, actor: event.actor, channel: event.channel, data: event.data }
}

/** What the shadow rules recorded with a decision would have done: effect and the rules that applied. */
function shadowOf(decision: Record<string, unknown>): { effect: View['decision']['effect']; matched_rules: string[] } | undefined {
  const shadow = decision['shadow'] as { effect?: View['decision']['effect']; matched_rules?: string[] } | undefined
  return shadow?.effect ? { effect: shadow.effect, matched_rules: [...(shadow.matched_rules ?? [])] } : undefined
}

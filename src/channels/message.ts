import type { StoredAuditEvent } from '../audit/index.js'
import { requirementProgress } from '../lifecycle/index.js'
import { conflictedOf, requirementsOf, type ActionState } from '../service/index.js'
import { lineText, shownBlock, type ShownText } from './shown-text.js'

/** A labelled value, escaped for display. */
export interface MessageField {
  readonly label: string
  readonly value: string
}

/** One review requirement and how far it is. */
export interface MessageRequirement {
  readonly rule: string
  /** `group:dba or user:carol@example.com`, or `any human`. */
  readonly approvers: string
  readonly needed: number
  readonly approvedBy: readonly string[]
  readonly met: boolean
  readonly reasonRequired: boolean
}

/** One review given so far. */
export interface MessageReview {
  readonly reviewer: string
  readonly decision: 'approve' | 'deny'
  readonly reason: string
  readonly channel: string
  readonly at: Date
}

/**
 * Everything an approver is shown about one action, built once from its state and rendered by
 * each channel (Slack Block Kit, Teams Adaptive Cards): what will run, where, who asks and why,
 * what the analyzers found, which rules matched, what is still needed, and how it ended. Every
 * text that came from an agent or a person is already escaped (invisible characters shown as
 * `\u{XXXX}`, one-line fields without line breaks); a renderer applies only its own markup's escaping.
 */
export interface MessageContent {
  readonly id: string
  readonly status: string
  /** `Approval needed`, `Approved`, `Denied`, `Expired`, `Cancelled`, `Running`, `Succeeded`, `Failed`, `Allowed`. */
  readonly statusLabel: string
  readonly kind: string
  readonly target: string
  /** The target's `env` label, when it has one. */
  readonly env: string | undefined
  /** Which part of the payload `payload` is (`sql`, `command`), or `payload` for the whole JSON. */
  readonly payloadLabel: string
  /** Exactly what will run, escaped; only its start when `cut` (then `link` shows all of it). */
  readonly payload: ShownText
  /** Agent, owner, on behalf of, submitted by, model, session, trace id, the agent's reason. */
  readonly origin: readonly MessageField[]
  readonly impactSummary: string
  readonly highlights: readonly string[]
  readonly matchedRules: readonly string[]
  /** The policy's messages for this decision. */
  readonly policyMessages: readonly string[]
  readonly requirements: readonly MessageRequirement[]
  readonly reviews: readonly MessageReview[]
  /** While pending: when the request expires. */
  readonly expiresAt: Date | null
  /** While approved: by when it must run. */
  readonly executeBy: Date | null
  /** Once decided: who decided and how (`approved by a, b`, `denied by c: reason`, `expired: …`). */
  readonly outcome: string | undefined
  /** Once executed: how it went (`succeeded in 120 ms, 3 rows`). */
  readonly result: string | undefined
  /** Whether reviewers can still act: the Approve and Deny buttons are shown only then. */
  readonly reviewable: boolean
  /** Whether an approval needs a reason too (some requirement says `reason_required`). */
  readonly approveNeedsReason: boolean
  /**
   * Whether an approval must be signed with a passkey (some requirement says `assurance:
   * passkey`): chat cannot carry one, so Approve opens the console's confirm page instead.
   */
  readonly approveNeedsPasskey?: boolean | undefined
  /** The action in the web console: all of it, however long. */
  readonly link: string
  /** Reminders sent and escalations made while it was pending, oldest first (`escalated to group:sre (stage 1)`). */
  readonly routing?: readonly string[] | undefined
}

const STATUS_LABELS: Readonly<Record<string, string>> = {
  pending: 'Approval needed',
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired',
  cancelled: 'Cancelled',
  executing: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  allowed: 'Allowed',
}

/** Where highlights stop: the rest is counted, and in the console. */
const SHOWN_HIGHLIGHTS = 10
/** How much of a highlight, a policy message or a review's reason is shown: the whole message must stay within what chat platforms accept. */
const SHORT_TEXT = 300

/**
 * The content of an action's message, from its state (record and reviews) and, when given, its
 * audit events (who cancelled it and why, why it expired).
 *
 * @example
 * const content = messageContent(await gateway.get(human, id), { publicUrl: 'https://countersign.example.com', env: 'prod' })
 */
export function messageContent(state: ActionState, options: { readonly publicUrl: string; readonly env?: string | undefined; readonly events?: readonly StoredAuditEvent[] }): MessageContent {
  const { record, reviews } = state
  const requirements = requirementsOf(record)
  const progress = requirementProgress(requirements, reviews, conflictedOf(record))
  const { label: payloadLabel, text } = payloadText(record.actionJson)
  const context = record.context
  const origin: MessageField[] = [
    { label: 'Agent', value: record.agentId === null ? `none (submitted by ${lineText(record.submittedBy)})` : lineText(record.agentId) },
    ...(record.owner ? [{ label: 'Owner', value: lineText(record.owner) }] : []),
    ...(record.onBehalfOf ? [{ label: 'On behalf of', value: lineText(record.onBehalfOf) }] : []),
    ...(['model', 'session', 'trace_id'] as const).filter((key) => typeof context[key] === 'string').map((key) => ({ label: key === 'trace_id' ? 'Trace' : key === 'model' ? 'Model' : 'Session', value: lineText(String(context[key])) })),
    { label: 'Reason', value: typeof context['reason'] === 'string' ? lineText(context['reason'], 1_000) : '(none given)' },
  ]
  const impact = record.impact as { summary?: unknown; highlights?: unknown }
  const highlights = Array.isArray(impact.highlights) ? impact.highlights.map((item) => lineText(String(item), SHORT_TEXT)) : []
  const decision = record.decision
  return {
    id: record.id,
    status: record.status,
    statusLabel: `${STATUS_LABELS[record.status] ?? record.status}${record.breakGlass ? ' (BREAK-GLASS)' : ''}`,
    kind: lineText(record.kind),
    target: lineText(record.target),
    env: options.env === undefined ? undefined : lineText(options.env),
    payloadLabel,
    payload: shownBlock(text),
    origin,
    impactSummary: typeof impact.summary === 'string' ? lineText(impact.summary, 500) : '',
    highlights: highlights.length > SHOWN_HIGHLIGHTS ? [...highlights.slice(0, SHOWN_HIGHLIGHTS), `… and ${highlights.length - SHOWN_HIGHLIGHTS} more (see the console)`] : highlights,
    matchedRules: ((decision['matched_rules'] ?? []) as unknown[]).map((rule) => lineText(String(rule))),
    policyMessages: ((decision['messages'] ?? []) as unknown[]).map((message) => lineText(String(message), SHORT_TEXT)),
    requirements: requirements.map((requirement, index) => ({
      rule: lineText(requirement.rule),
      approvers: requirement.approvers.length === 0 ? 'any human' : requirement.approvers.map((approver) => lineText(approver)).join(' or '),
      needed: requirement.min_approvals,
      approvedBy: (progress[index]?.approved_by ?? []).map((email) => lineText(email)),
      met: progress[index]?.met ?? false,
      reasonRequired: requirement.reason_required,
    })),
    reviews: reviews.map((review) => ({ reviewer: lineText(review.reviewer), decision: review.decision, reason: lineText(review.reason, SHORT_TEXT), channel: lineText(review.channel), at: review.at })),
    expiresAt: record.status === 'pending' ? record.expiresAt : null,
    executeBy: record.status === 'approved' ? record.executeBy : null,
    outcome: outcomeText(state, options.events ?? []),
    result: record.result ? resultText(record.result) : undefined,
    reviewable: record.status === 'pending',
    approveNeedsReason: requirements.some((requirement) => requirement.reason_required),
    approveNeedsPasskey: requirements.some((requirement) => requirement.assurance === 'passkey'),
    link: `${options.publicUrl}/actions/${encodeURIComponent(record.id)}`,
    routing: routingLines(options.events ?? []),
  }
}

/** What reminders and escalation did, one line each, from the action's audit events. */
function routingLines(events: readonly StoredAuditEvent[]): string[] {
  const lines: string[] = []
  for (const stored of events) {
    const event = JSON.parse(stored.event) as { type: string; at: string; data: Record<string, unknown> }
    const list = (value: unknown) => (Array.isArray(value) ? value.map((item) => lineText(String(item))).join(', ') : '')
    if (event.type === 'request.escalated') {
      const added = list(event.data['added'])
      lines.push(`${event.at}: escalated (rule ${lineText(String(event.data['rule'] ?? ''))}, stage ${Number(event.data['stage'] ?? 0)})${added ? ` to ${added}` : ''}`)
    } else if (event.type === 'request.reminded') {
      lines.push(`${event.at}: reminder ${Number(event.data['count'] ?? 0)} sent to ${list(event.data['approvers']) || 'any human'} (rule ${lineText(String(event.data['rule'] ?? ''))})`)
    }
  }
  return lines
}

/**
 * The text that will run: the one string of a `{sql}` or `{command}` payload as written, or the
 * whole payload as JSON (still exactly what is stored, only indented).
 */
function payloadText(actionJson: string): { label: string; text: string } {
  const payload = (JSON.parse(actionJson) as { payload: Record<string, unknown> }).payload
  const keys = Object.keys(payload)
  if (keys.length === 1 && typeof payload[keys[0]!] === 'string') return { label: keys[0]!, text: payload[keys[0]!] as string }
  return { label: 'payload', text: JSON.stringify(payload, null, 2) }
}

function outcomeText(state: ActionState, events: readonly StoredAuditEvent[]): string | undefined {
  const { record, reviews } = state
  const approvers = reviews.filter((review) => review.decision === 'approve').map((review) => lineText(review.reviewer))
  const last = lastEvent(events, `action.${record.status}`)
  const glass = record.breakGlass
  if (glass && record.status !== 'expired' && record.status !== 'cancelled') {
    const followUp = glass.review
      ? `after-the-fact review: ${glass.review.verdict === 'confirm' ? 'confirmed' : 'DISPUTED'} by ${lineText(glass.review.reviewer)}: ${lineText(glass.review.reason, SHORT_TEXT)}`
      : `must be reviewed by someone else by ${glass.review_by}${glass.overdue_at ? ' (OVERDUE)' : ''}`
    return `BREAK-GLASS approval by ${lineText(glass.by)}: ${lineText(glass.reason, SHORT_TEXT)}; ${followUp}`
  }
  switch (record.status) {
    case 'approved':
    case 'executing':
    case 'succeeded':
    case 'failed':
      return approvers.length > 0 ? `approved by ${approvers.join(', ')}` : record.decision['effect'] === 'allow' ? 'allowed by policy' : undefined
    case 'denied': {
      const deny = reviews.find((review) => review.decision === 'deny')
      return deny ? `denied by ${lineText(deny.reviewer)}: ${lineText(deny.reason)}` : 'denied by policy'
    }
    case 'expired':
      return `expired: ${lineText(String(last?.data['reason'] ?? 'no decision in time'))}`
    case 'cancelled': {
      const reason = typeof last?.data['reason'] === 'string' && last.data['reason'] !== '' ? `: ${lineText(last.data['reason'])}` : ''
      return `cancelled by ${lineText(last?.actor ?? 'its submitter')}${reason}`
    }
    default:
      return undefined
  }
}

function lastEvent(events: readonly StoredAuditEvent[], type: string): { actor: string; data: Record<string, unknown> } | undefined {
  for (let index = events.length - 1; index >= 0; index--) {
    const event = JSON.parse(events[index]!.event) as { type: string; actor: string; data: Record<string, unknown> }
    if (event.type === type) return event
  }
  return undefined
}

/** `succeeded in 120 ms, 3 rows` / `failed in 8 ms: relation "x" does not exist`. */
function resultText(result: Readonly<Record<string, unknown>>): string {
  const parts: string[] = []
  if (typeof result['duration_ms'] === 'number') parts.push(`in ${result['duration_ms']} ms`)
  const details: string[] = []
  if (typeof result['row_count'] === 'number') details.push(`${result['row_count']} row${result['row_count'] === 1 ? '' : 's'}`)
  if (typeof result['exit_code'] === 'number') details.push(`exit code ${result['exit_code']}`)
  if (typeof result['signal'] === 'string') details.push(`killed by ${lineText(result['signal'])}`)
  if (typeof result['http_status'] === 'number') details.push(`HTTP ${result['http_status']}`)
  if (result['truncated'] === true) details.push('output truncated')
  const head = [lineText(String(result['status'] ?? 'finished')), ...parts].join(' ')
  const error = typeof result['error'] === 'string' ? `: ${lineText(result['error'])}` : ''
  return `${head}${details.length > 0 ? `, ${details.join(', ')}` : ''}${error}`
}

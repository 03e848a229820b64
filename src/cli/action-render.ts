import { formatDuration } from '../policy/index.js'
import type { ActionView, RequirementView } from './api-types.js'
import { escapeInline, escapeInvisible } from '../action/index.js'
import { renderResult } from './result-render.js'

// Everything shown here comes from the gateway, and much of it from an agent (payload, reason,
// target, session…): every string goes through escapeInline or escapeInvisible before printing.

/**
 * An action in a few lines: id, status, what and where, impact, the decision and what it still
 * needs. Printed by `submit`, `approve`, `deny` and `cancel`.
 */
export function renderActionBrief(action: ActionView, now: Date): string {
  const lines = [`${action.id}  ${action.status}  ${escapeInline(action.kind)} on ${escapeInline(action.target)}`]
  if (action.impact.summary) lines.push(`  impact:   ${escapeInline(action.impact.summary)}`)
  for (const highlight of action.impact.highlights) lines.push(`            ! ${escapeInline(highlight)}`)
  lines.push(`  decision: ${action.decision.effect}: ${escapeInline(action.decision.explanation)}`)
  for (const message of unsaid(action.decision)) lines.push(`            ${escapeInline(message)}`)
  if (action.status === 'pending') {
    for (const requirement of action.decision.requirements) lines.push(`  requires: ${requirementText(requirement)}`)
    if (action.expires_at) lines.push(`  expires:  ${timeText(action.expires_at, now)}`)
  }
  if ((action.status === 'approved' || action.status === 'allowed') && action.execute_by) lines.push(`  run by:   ${timeText(action.execute_by, now)}`)
  const review = action.reviews.at(-1)
  if (review) lines.push(`  last review: ${reviewText(review)}`)
  if (action.result) lines.push(...renderResult(action.result))
  if (action.links.console) lines.push(`  console:  ${escapeInline(action.links.console)}`)
  return `${lines.join('\n')}\n`
}

/**
 * Everything a reviewer must see before deciding (docs/security.md, the review invariants): the full payload
 * with invisible characters escaped, the origin, the impact, the matched rules, each requirement
 * with its approvals so far, the reviews, the timeline and the result.
 */
export function renderActionDetail(action: ActionView, now: Date): string {
  const context = action.context
  const out: string[] = []
  out.push(`${action.id}  ${action.status}  ${escapeInline(action.kind)} on ${escapeInline(action.target)}`)
  out.push(`created ${timeText(action.created_at, now)}, updated ${timeText(action.updated_at, now)}`)
  if (action.status === 'pending' && action.expires_at) out.push(`expires ${timeText(action.expires_at, now)} unless decided`)
  if ((action.status === 'approved' || action.status === 'allowed') && action.execute_by) out.push(`must run by ${timeText(action.execute_by, now)}`)
  out.push(`digest ${action.digest}`)

  out.push('', 'origin')
  field(out, 'agent', action.agent === null ? '(none: submitted by a human)' : escapeInline(action.agent))
  if (action.owner) field(out, 'owner', escapeInline(action.owner))
  field(out, 'on behalf of', action.on_behalf_of ? escapeInline(action.on_behalf_of) : '(nobody)')
  field(out, 'submitted by', escapeInline(action.submitted_by))
  for (const [key, label] of [['model', 'model'], ['session', 'session'], ['trace_id', 'trace id']] as const) {
    if (context[key] !== undefined) field(out, label, escapeInline(String(context[key])))
  }
  field(out, 'reason', context['reason'] === undefined ? '(none given)' : escapeInline(String(context['reason'])))

  out.push('', `payload (${escapeInline(action.kind)}): exactly what will run`)
  out.push(...objectLines(action.payload))

  out.push('', 'impact')
  out.push(`  ${escapeInline(action.impact.summary || '(no summary)')}`)
  for (const highlight of action.impact.highlights) out.push(`  ! ${escapeInline(highlight)}`)

  const decision = action.decision
  out.push('', `decision: ${decision.effect}`)
  out.push(`  ${escapeInline(decision.explanation)}`)
  field(out, 'matched rules', decision.matched_rules.length > 0 ? decision.matched_rules.map(escapeInline).join(', ') : '(none: the default applied)')
  for (const message of unsaid(decision)) field(out, 'message', escapeInline(message))
  if (decision.policy_version) field(out, 'policy', decision.policy_version.slice(0, 12))
  for (const requirement of decision.requirements) out.push(`  ${requirement.met ? '[x]' : '[ ]'} ${requirementText(requirement)}`)

  out.push('', 'reviews')
  if (action.reviews.length === 0) out.push('  (none yet)')
  for (const review of action.reviews) out.push(`  ${reviewText(review)}`)

  if (action.timeline && action.timeline.length > 0) {
    out.push('', 'timeline')
    for (const entry of action.timeline) out.push(`  #${entry.seq}  ${entry.at}  ${escapeInline(entry.type)} by ${escapeInline(entry.actor)} via ${escapeInline(entry.channel)}`)
  }

  if (action.result) {
    out.push('', 'result')
    out.push(...objectLines(action.result))
  }
  if (action.links.console) out.push('', `console: ${escapeInline(action.links.console)}`)
  return `${out.join('\n')}\n`
}

/** The policy's messages the explanation does not already say (a deny's explanation quotes them). */
function unsaid(decision: ActionView['decision']): readonly string[] {
  return decision.messages.filter((message) => !decision.explanation.includes(message))
}

/** `1 of 2 approvals from group:dba (rule); approved by …; reason required; …` */
export function requirementText(requirement: RequirementView): string {
  const who = requirement.approvers.length > 0 ? requirement.approvers.map(escapeInline).join(', ') : 'any eligible human'
  const parts = [`${requirement.approved_by.length} of ${requirement.min_approvals} approval${requirement.min_approvals === 1 ? '' : 's'} from ${who} (${escapeInline(requirement.rule)})`]
  if (requirement.approved_by.length > 0) parts.push(`approved by ${requirement.approved_by.map(escapeInline).join(', ')}`)
  if (requirement.met) parts.push('met')
  if (requirement.reason_required) parts.push('reason required')
  if (requirement.assurance === 'passkey') parts.push('approve with a passkey in the console')
  if (requirement.grants) parts.push(`may be granted for up to ${formatDuration(requirement.grants.max_ttl_ms)} and ${requirement.grants.max_uses} uses`)
  parts.push(`expires after ${formatDuration(requirement.timeout_ms)}`, `run within ${formatDuration(requirement.execute_within_ms)} of approval`)
  if (requirement.channels.length > 0) parts.push(`asked in ${requirement.channels.map(escapeInline).join(', ')}`)
  return parts.join('; ')
}

/** How long ago (or how far ahead) a time is: `12s`, `5m`, `3h`, `2d`. */
export function ageText(iso: string, now: Date): string {
  const ms = Math.abs(now.getTime() - Date.parse(iso))
  if (Number.isNaN(ms)) return '?'
  const units = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
  ] as const
  for (const [size, unit] of units) if (ms >= size) return `${Math.floor(ms / size)}${unit}`
  return `${Math.floor(ms / 1000)}s`
}

function timeText(iso: string, now: Date): string {
  return Date.parse(iso) > now.getTime() ? `${iso} (in ${ageText(iso, now)})` : `${iso} (${ageText(iso, now)} ago)`
}

function reviewText(review: ActionView['reviews'][number]): string {
  const reason = review.reason ? `: "${escapeInline(review.reason)}"` : ''
  return `${review.at}  ${escapeInline(review.reviewer)} ${review.decision === 'approve' ? 'approved' : 'denied'} via ${escapeInline(review.channel)}${reason}`
}

function field(out: string[], label: string, value: string): void {
  out.push(`  ${`${label}:`.padEnd(15)}${value}`)
}

/**
 * An object (a payload, a result) key by key: texts (SQL, a command, a manifest) as indented blocks with their line
 * breaks, anything else as JSON. Indentation keeps a payload's own lines from posing as keys.
 */
function objectLines(object: Readonly<Record<string, unknown>>): string[] {
  const keys = Object.keys(object)
  if (keys.length === 0) return ['  {}']
  return keys.flatMap((key) => {
    const value = object[key]
    const name = `  ${escapeInline(key)}:`
    if (typeof value === 'string' && value.includes('\n')) return [`${name} |`, ...blockLines(value, '    ')]
    if (typeof value === 'string') return [`${name} ${escapeInline(value)}`]
    if (value === null || typeof value !== 'object') return [`${name} ${JSON.stringify(value) ?? String(value)}`]
    // JSON.stringify escapes C0 controls but leaves bidi overrides and zero-width characters as they are.
    return [name, ...JSON.stringify(value, null, 2).split('\n').map((line) => `    ${escapeInvisible(line)}`)]
  })
}

function blockLines(text: string, indent: string): string[] {
  const lines = escapeInvisible(text).split('\n')
  if (lines.length > 1 && lines.at(-1) === '') lines.pop()
  return lines.map((line) => `${indent}${line}`)
}

import { MAX_REASON_LENGTH, type ReviewDecision } from '../../lifecycle/index.js'
import type { MessageContent } from '../message.js'
import type { OutgoingActivity } from './connector.js'

/** The verbs of the card's `Action.Execute` buttons, and the id of its reason input. */
export const TEAMS_IDS = {
  approve: 'countersign.approve',
  deny: 'countersign.deny',
  reason: 'countersign_reason',
} as const

/** The data of the `Action.Submit` fallback (older clients): which review of which action. */
export interface SubmitData {
  readonly countersign: ReviewDecision
  readonly id: string
}

/** An Adaptive Card element or action, as JSON. */
export type CardNode = Readonly<Record<string, unknown>>

/** An Adaptive Card, as JSON. */
export interface AdaptiveCard {
  readonly type: 'AdaptiveCard'
  readonly $schema: string
  readonly version: '1.5'
  readonly body: readonly CardNode[]
  readonly actions: readonly CardNode[]
  readonly [key: string]: unknown
}

/** The content type of an Adaptive Card attachment and of an invoke response carrying one. */
export const ADAPTIVE_CARD_TYPE = 'application/vnd.microsoft.card.adaptive'

type Run = { text: string; weight?: 'Bolder'; italic?: boolean; fontType?: 'Monospace'; size?: 'Large'; color?: 'Attention' }

// Every text that came from an agent or a person goes into a TextRun, which Adaptive Cards never
// read as Markdown: no link, mention or formatting can be made from an agent's words.
const run = (text: string, style: Omit<Run, 'text'> = {}): CardNode => ({ type: 'TextRun', text, ...style })
const bold = (text: string) => run(text, { weight: 'Bolder' })
const line = (...runs: CardNode[]): CardNode => ({ type: 'RichTextBlock', spacing: 'Small', inlines: runs.filter((item) => item['text'] !== '') })
const section = (items: readonly CardNode[], extra: Record<string, unknown> = {}): CardNode => ({ type: 'Container', spacing: 'Medium', separator: true, items, ...extra })
const bullet = (text: string) => line(run(`• ${text}`))

/**
 * The Adaptive Card (1.5) for an action's content: the same facts as every channel shows
 * (status and outcome, target and env, what will run, who asks and why, the impact, the matched
 * rules, each requirement and the reviews so far, the expiry), and while it is pending a reason
 * box with Approve and Deny as `Action.Execute` (each with an `Action.Submit` fallback for older
 * clients). The reason is required to deny, and to approve where a rule says `reason_required`.
 * `notice`, shown first, tells the clicker what happened to their click.
 */
export function teamsCard(content: MessageContent, options: { readonly notice?: string | undefined } = {}): AdaptiveCard {
  const where = `${content.kind} on ${content.target}${content.env ? ` (${content.env})` : ''}`
  const status: CardNode[] = [
    { type: 'RichTextBlock', inlines: [run(`${content.statusLabel}: ${where}`, { weight: 'Bolder', size: 'Large' })] },
    line(bold('Status: '), run(content.statusLabel), run(content.outcome ? ` (${content.outcome})` : '')),
  ]
  if (content.result) status.push(line(bold('Result: '), run(content.result)))
  if (content.expiresAt) status.push(dateLine('Expires', content.expiresAt))
  if (content.executeBy) status.push(dateLine('Must run by', content.executeBy))
  status.push(line(bold('Target: '), run(where), bold('   Action: '), run(content.id)))

  const payload: CardNode[] = [
    line(bold(`What will run (${content.payloadLabel}):`)),
    { type: 'Container', style: 'emphasis', bleed: false, items: [{ type: 'RichTextBlock', inlines: [run(content.payload.text || ' ', { fontType: 'Monospace' })] }] },
  ]
  if (content.payload.cut) {
    payload.push({ type: 'TextBlock', wrap: true, isSubtle: true, text: `*Only the first ${content.payload.text.length} of ${content.payload.total} characters are shown:* [see all of it in the console](${markdownUrl(content.link)})` })
  }

  const needs = content.requirements.map((requirement) =>
    line(
      run(`• ${requirement.needed} approval${requirement.needed === 1 ? '' : 's'} from ${requirement.approvers} (rule ${requirement.rule}): `),
      bold(`${requirement.approvedBy.length} so far`),
      run(requirement.approvedBy.length > 0 ? ` (${requirement.approvedBy.join(', ')})` : ''),
      run(requirement.met ? ', met' : ''),
      run(requirement.reasonRequired ? ', reason required' : ''),
    ),
  )
  const reviews = content.reviews.map((review) => line(run(`• ${review.reviewer} ${review.decision === 'approve' ? 'approved' : 'denied'} via ${review.channel}`), run(review.reason ? `: "${review.reason}"` : '')))

  const body: CardNode[] = [
    ...(options.notice ? [{ type: 'Container', style: 'attention', items: [line(run(options.notice, { weight: 'Bolder' }))] }] : []),
    ...status,
    section(payload),
    section([line(bold('Requested by')), ...content.origin.map((field) => line(bold(`${field.label}: `), run(field.value)))]),
    section([line(bold('Impact: '), run(content.impactSummary || '(no summary)')), ...content.highlights.map(bullet)]),
    section([
      line(bold('Matched rules: '), run(content.matchedRules.length > 0 ? content.matchedRules.join(', ') : '(none: the policy default applied)')),
      ...content.policyMessages.map(bullet),
      ...(needs.length > 0 ? [line(bold('Needs')), ...needs] : []),
      ...(reviews.length > 0 ? [line(bold('Reviews')), ...reviews] : []),
      ...(content.routing?.length ? [line(bold('Reminders and escalation')), ...content.routing.map(bullet)] : []),
    ]),
  ]
  if (content.reviewable && content.approveNeedsPasskey) {
    body.push({ type: 'TextBlock', wrap: true, spacing: 'Medium', text: '**Approving needs a passkey:** Approve opens the console, where you confirm with your passkey for exactly this action. Deny works here.' })
  }
  if (content.reviewable) {
    body.push({
      type: 'Input.Text',
      id: TEAMS_IDS.reason,
      label: content.approveNeedsReason ? 'Reason (required)' : 'Reason (required to deny)',
      placeholder: 'Why approve or deny?',
      isMultiline: true,
      maxLength: MAX_REASON_LENGTH,
      isRequired: content.approveNeedsReason,
      errorMessage: 'A reason is required here.',
      spacing: 'Medium',
      separator: true,
    })
  }
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    fallbackText: `${content.statusLabel}: ${where} (${content.id}). Open ${content.link}`,
    msteams: { width: 'Full' },
    body,
    actions: [
      ...(content.reviewable
        ? [content.approveNeedsPasskey ? { type: 'Action.OpenUrl', title: 'Approve with passkey', style: 'positive', url: content.link } : reviewButton(content.id, 'approve'), reviewButton(content.id, 'deny')]
        : []),
      { type: 'Action.OpenUrl', title: 'Open in console', url: content.link },
    ],
  }
}

/** The message activity carrying an action's card; its summary (what a notification shows) names the action. */
export function cardActivity(content: MessageContent): OutgoingActivity {
  const where = `${content.kind} on ${content.target}${content.env ? ` (${content.env})` : ''}`
  return { type: 'message', summary: `${content.statusLabel}: ${where} (${content.id})`, attachments: [{ contentType: ADAPTIVE_CARD_TYPE, content: teamsCard(content) }] }
}

function reviewButton(id: string, decision: ReviewDecision): CardNode {
  const title = decision === 'approve' ? 'Approve' : 'Deny'
  const style = decision === 'approve' ? 'positive' : 'destructive'
  return {
    type: 'Action.Execute',
    title,
    verb: TEAMS_IDS[decision],
    style,
    data: { id },
    associatedInputs: 'auto',
    // Clients before Universal Actions send this as a message activity whose `value` is the data and the reason.
    fallback: { type: 'Action.Submit', title, style, data: { countersign: decision, id } satisfies SubmitData },
  }
}

/** A date as each reader's client shows it in their own zone (Adaptive Cards' DATE and TIME functions take RFC 3339 without fractions). */
function dateLine(label: string, at: Date): CardNode {
  const iso = at.toISOString().replace(/\.\d{3}Z$/, 'Z')
  return { type: 'TextBlock', spacing: 'Small', wrap: true, text: `**${label}:** {{DATE(${iso}, SHORT)}} {{TIME(${iso})}}` }
}

/** A URL inside a Markdown link: parentheses and spaces escaped so it cannot end the link early. */
function markdownUrl(url: string): string {
  return url.replace(/[()\s]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
}

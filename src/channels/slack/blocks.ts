import type { types } from '@slack/bolt'
import { MAX_REASON_LENGTH, type ReviewDecision } from '../../lifecycle/index.js'
import type { MessageContent } from '../message.js'

/** The `action_id`s of the message's buttons and the `callback_id` of the reason modal. */
export const SLACK_IDS = {
  approve: 'countersign_approve',
  deny: 'countersign_deny',
  open: 'countersign_open',
  /** Approve where a passkey is needed: a link to the console's confirm page, never a review. */
  confirm: 'countersign_confirm',
  reasonModal: 'countersign_reason',
  reasonBlock: 'reason',
  reasonInput: 'reason',
} as const

/** What a review button carries: the action, and whether an approval needs a reason (then a modal asks for it). */
export interface ButtonValue {
  readonly id: string
  readonly reason: boolean
}

/** What the reason modal carries to its submission: the action, the decision, and where to answer the reviewer. */
export interface ModalMetadata {
  readonly id: string
  readonly decision: ReviewDecision
  readonly channel: string | undefined
}

type Element = types.RichTextElement
type Section = types.RichTextSection

const text = (value: string, style?: { bold?: boolean; italic?: boolean }): types.RichTextText => ({ type: 'text', text: value, ...(style && { style }) })
const bold = (value: string) => text(value, { bold: true })
const section = (...elements: Element[]): Section => ({ type: 'rich_text_section', elements: elements.filter((element) => element.type !== 'text' || element.text !== '') })
const list = (items: readonly Section[]): types.RichTextList => ({ type: 'rich_text_list', style: 'bullet', elements: [...items] })
const date = (at: Date): types.RichTextDate => ({ type: 'date', timestamp: Math.floor(at.getTime() / 1000), format: '{date_short_pretty} {time}', fallback: at.toISOString() })
const block = (...elements: (Section | types.RichTextList | types.RichTextPreformatted)[]): types.RichTextBlock => ({ type: 'rich_text', elements })

/**
 * The Block Kit message for an action's content. Every text from the content goes into
 * `rich_text` elements, which Slack shows literally: no mrkdwn, no links or mentions made from an
 * agent's text. The payload is a preformatted block; when only its start fits, the message says
 * how much is missing and links to all of it. Approve and Deny buttons only while it is pending.
 */
export function slackMessage(content: MessageContent): { text: string; blocks: types.KnownBlock[] } {
  const where = `${content.kind} on ${content.target}${content.env ? ` (${content.env})` : ''}`
  const status: Section[] = [section(bold('Status: '), text(content.statusLabel), text(content.outcome ? ` (${content.outcome})` : ''))]
  if (content.result) status.push(section(bold('Result: '), text(content.result)))
  if (content.expiresAt) status.push(section(bold('Expires: '), date(content.expiresAt)))
  if (content.executeBy) status.push(section(bold('Must run by: '), date(content.executeBy)))
  status.push(section(bold('Target: '), text(where), bold('   Action: '), text(content.id)))

  const payload: (Section | types.RichTextPreformatted)[] = [section(bold(`What will run (${content.payloadLabel}):`)), { type: 'rich_text_preformatted', elements: [text(content.payload.text || ' ')] }]
  if (content.payload.cut) {
    payload.push(section(text(`Only the first ${content.payload.text.length} of ${content.payload.total} characters are shown: `, { italic: true }), { type: 'link', url: content.link, text: 'see all of it in the console' }))
  }

  const needs = content.requirements.map((requirement) =>
    section(
      text(`${requirement.needed} approval${requirement.needed === 1 ? '' : 's'} from ${requirement.approvers} (rule ${requirement.rule}): `),
      bold(`${requirement.approvedBy.length} so far`),
      text(requirement.approvedBy.length > 0 ? ` (${requirement.approvedBy.join(', ')})` : ''),
      text(requirement.met ? ', met' : ''),
      text(requirement.reasonRequired ? ', reason required' : ''),
    ),
  )
  const reviews = content.reviews.map((review) => section(text(`${review.reviewer} ${review.decision === 'approve' ? 'approved' : 'denied'} via ${review.channel}`), text(review.reason ? `: "${review.reason}"` : '')))

  const blocks: types.KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${content.statusLabel}: ${where}`, 150), emoji: false } },
    block(...status),
    block(...payload),
    block(section(bold('Requested by')), list(content.origin.map((field) => section(bold(`${field.label}: `), text(field.value))))),
    block(section(bold('Impact: '), text(content.impactSummary || '(no summary)')), ...(content.highlights.length > 0 ? [list(content.highlights.map((highlight) => section(text(highlight))))] : [])),
    block(
      section(bold('Matched rules: '), text(content.matchedRules.length > 0 ? content.matchedRules.join(', ') : '(none: the policy default applied)')),
      ...(content.policyMessages.length > 0 ? [list(content.policyMessages.map((message) => section(text(message))))] : []),
      ...(needs.length > 0 ? [section(bold('Needs')), list(needs)] : []),
      ...(reviews.length > 0 ? [section(bold('Reviews')), list(reviews)] : []),
      ...(content.reviewable && content.approveNeedsPasskey ? [section(bold('Approving needs a passkey: '), text('Approve opens the console, where you confirm with your passkey for exactly this action. Deny works here.'))] : []),
      ...(content.routing?.length ? [section(bold('Reminders and escalation')), list(content.routing.map((item) => section(text(item))))] : []),
    ),
    { type: 'actions', block_id: 'countersign_actions', elements: buttons(content) },
  ]
  return { text: escapeMrkdwn(`${content.statusLabel}: ${where} (${content.id})`), blocks }
}

function buttons(content: MessageContent): types.Button[] {
  const open: types.Button = { type: 'button', action_id: SLACK_IDS.open, text: { type: 'plain_text', text: 'Open in console' }, url: content.link }
  if (!content.reviewable) return [open]
  const value = (reason: boolean) => JSON.stringify({ id: content.id, reason } satisfies ButtonValue)
  // A passkey cannot be given in chat: Approve is a link to the console's confirm page.
  const approve: types.Button = content.approveNeedsPasskey
    ? { type: 'button', action_id: SLACK_IDS.confirm, style: 'primary', text: { type: 'plain_text', text: 'Approve with passkey' }, url: content.link }
    : { type: 'button', action_id: SLACK_IDS.approve, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: value(content.approveNeedsReason) }
  return [
    approve,
    { type: 'button', action_id: SLACK_IDS.deny, style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value: value(true) },
    open,
  ]
}

/** The modal asking a reviewer for their reason, before the review is submitted. */
export function reasonModal(metadata: ModalMetadata): types.ModalView {
  const verb = metadata.decision === 'approve' ? 'Approve' : 'Deny'
  return {
    type: 'modal',
    callback_id: SLACK_IDS.reasonModal,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: `${verb} action` },
    submit: { type: 'plain_text', text: verb },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'context', elements: [{ type: 'plain_text', text: `Action ${metadata.id}`, emoji: false }] },
      {
        type: 'input',
        block_id: SLACK_IDS.reasonBlock,
        label: { type: 'plain_text', text: metadata.decision === 'approve' ? 'Why approve? (required by the policy)' : 'Why deny?' },
        element: { type: 'plain_text_input', action_id: SLACK_IDS.reasonInput, multiline: true, max_length: MAX_REASON_LENGTH },
      },
    ],
  }
}

/** Escapes the three characters Slack's mrkdwn gives meaning to (`<!channel>`, `<url|text>`). */
export function escapeMrkdwn(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`
}

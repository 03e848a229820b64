import type { Reminder } from '../../lifecycle/index.js'
import type { MessageContent } from '../message.js'

/** An email's subject and bodies. */
export interface RenderedEmail {
  readonly subject: string
  readonly text: string
  readonly html: string
}

const html = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

/**
 * The email for an action's content: the same facts as every chat channel shows (what will run,
 * in full unless it is too long, then its start and the console link; who asks and why; the
 * impact; the matched rules; what is still needed), as plain text and HTML. No buttons: approval
 * happens on the console's request page after sign-in, so email adds no weaker path. Every text
 * from the content is HTML-escaped; the content already shows invisible characters escaped.
 */
export function renderEmail(content: MessageContent, reminder?: Reminder): RenderedEmail {
  const where = `${content.kind} on ${content.target}${content.env ? ` (${content.env})` : ''}`
  const subject = `${reminder ? `Reminder ${reminder.count}: ` : ''}${content.statusLabel}: ${where} (${content.id})`.replace(/[\r\n]+/g, ' ')
  const needs = content.requirements.map(
    (requirement) =>
      `${requirement.needed} approval${requirement.needed === 1 ? '' : 's'} from ${requirement.approvers} (rule ${requirement.rule}): ${requirement.approvedBy.length} so far${requirement.approvedBy.length > 0 ? ` (${requirement.approvedBy.join(', ')})` : ''}${requirement.met ? ', met' : ''}${requirement.reasonRequired ? ', reason required' : ''}`,
  )
  const cut = content.payload.cut ? `Only the first ${content.payload.text.length} of ${content.payload.total} characters are shown; see all of it in the console.` : undefined
  const lines = [
    `${content.statusLabel}: ${where}`,
    ...(reminder ? [`Reminder ${reminder.count}: this request still needs approval from ${reminder.approvers.join(' or ') || 'any human'} (rule ${reminder.rule}).`] : []),
    ...(content.outcome ? [`Status: ${content.statusLabel} (${content.outcome})`] : []),
    ...(content.expiresAt ? [`Expires: ${content.expiresAt.toISOString()}`] : []),
    `Action: ${content.id}`,
    '',
    `What will run (${content.payloadLabel}):`,
    content.payload.text,
    ...(cut ? [cut] : []),
    '',
    'Requested by:',
    ...content.origin.map((field) => `  ${field.label}: ${field.value}`),
    '',
    `Impact: ${content.impactSummary || '(no summary)'}`,
    ...content.highlights.map((highlight) => `  - ${highlight}`),
    '',
    `Matched rules: ${content.matchedRules.length > 0 ? content.matchedRules.join(', ') : '(none: the policy default applied)'}`,
    ...content.policyMessages.map((message) => `  - ${message}`),
    ...(needs.length > 0 ? ['Needs:', ...needs.map((need) => `  - ${need}`)] : []),
    ...((content.routing?.length ?? 0) > 0 ? ['Reminders and escalation:', ...content.routing!.map((item) => `  - ${item}`)] : []),
    '',
    `Review it in the console (sign in first): ${content.link}`,
    'Approving or denying happens there, never by replying to this email.',
  ]
  const section = (title: string, body: string) => `<h3 style="margin:16px 0 4px">${html(title)}</h3>${body}`
  const list = (items: readonly string[]) => (items.length > 0 ? `<ul>${items.map((item) => `<li>${html(item)}</li>`).join('')}</ul>` : '')
  const body = [
    `<h2 style="margin:0 0 8px">${html(`${content.statusLabel}: ${where}`)}</h2>`,
    reminder ? `<p><strong>${html(`Reminder ${reminder.count}`)}</strong>: ${html(`this request still needs approval from ${reminder.approvers.join(' or ') || 'any human'} (rule ${reminder.rule}).`)}</p>` : '',
    content.outcome ? `<p>${html(`Status: ${content.statusLabel} (${content.outcome})`)}</p>` : '',
    content.expiresAt ? `<p>Expires: ${html(content.expiresAt.toISOString())}</p>` : '',
    `<p>Action: <code>${html(content.id)}</code></p>`,
    section(`What will run (${content.payloadLabel})`, `<pre style="white-space:pre-wrap;background:#f6f8fa;padding:8px">${html(content.payload.text)}</pre>${cut ? `<p><em>${html(cut)}</em></p>` : ''}`),
    section('Requested by', list(content.origin.map((field) => `${field.label}: ${field.value}`))),
    section('Impact', `<p>${html(content.impactSummary || '(no summary)')}</p>${list(content.highlights)}`),
    section('Matched rules', `<p>${html(content.matchedRules.length > 0 ? content.matchedRules.join(', ') : '(none: the policy default applied)')}</p>${list(content.policyMessages)}`),
    needs.length > 0 ? section('Needs', list(needs)) : '',
    (content.routing?.length ?? 0) > 0 ? section('Reminders and escalation', list(content.routing!)) : '',
    `<p style="margin-top:16px"><a href="${html(content.link)}">Review it in the console</a> (sign in first). Approving or denying happens there, never by replying to this email.</p>`,
  ].join('\n')
  return { subject, text: `${lines.join('\n')}\n`, html: `<!doctype html><html><body style="font-family:sans-serif">${body}</body></html>` }
}

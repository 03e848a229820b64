import type { TerraformFacts } from './facts.js'
import type { PlannedChange } from './plan.js'
import type { Exposure } from './public-exposure.js'

/** What the report needs to know about one resource change. */
export interface ReviewedChange {
  readonly change: PlannedChange
  readonly changedAttributes: readonly string[]
  readonly dataStore: boolean
  readonly iam: boolean
  readonly exposure: Exposure | null
}

/** The plan-level points beside the resource changes. */
export interface PlanNotes {
  readonly errored: boolean
  readonly incomplete: boolean
  readonly invocations: readonly string[]
}

/** Resources named one by one in each group of highlights; the rest are counted. */
const PER_GROUP = 5
/** Attribute names listed for one update. */
const ATTRIBUTES_LISTED = 8
/** Addresses longer than this are cut in sentences (for_each keys can be long). */
const ADDRESS_MAX = 120

/**
 * One line like Terraform's own: `Plan: 2 to add, 1 to change, 1 to destroy, 1 to replace`,
 * replacements counted apart (not as an add and a destroy), forgets and unrecognized actions
 * appended when there are any, provider actions as Terraform 1.14 shows them.
 */
export function summarize(facts: TerraformFacts, unknown: number, notes: PlanNotes): string {
  if (facts.parse_error !== '') return printable(`unreadable Terraform plan: ${facts.parse_error}`)
  const parts = [`${facts.creates} to add`, `${facts.updates} to change`, `${facts.deletes} to destroy`, `${facts.replaces} to replace`]
  if (facts.forgets > 0) parts.push(`${facts.forgets} to forget`)
  if (unknown > 0) parts.push(`${unknown} with unrecognized actions`)
  const nothing = facts.creates + facts.updates + facts.deletes + facts.replaces + facts.forgets + unknown === 0
  let line = nothing ? 'No changes.' : `Plan: ${parts.join(', ')}.`
  if (notes.invocations.length > 0) line += ` Actions: ${notes.invocations.length} to invoke.`
  return line
}

/**
 * The risky points, most serious first: data stores destroyed, then other destruction, IAM,
 * public exposure, provider actions, and last the attributes each update changes. Only
 * addresses and attribute names appear; values never do, except public source ranges, which
 * are masked when sensitive.
 */
export function highlight(facts: TerraformFacts, reviewed: readonly ReviewedChange[], notes: PlanNotes): string[] {
  if (facts.parse_error !== '') return [printable(`not a readable Terraform plan: ${facts.parse_error}`)]
  const out: string[] = []
  if (notes.errored) out.push('planning errored: this plan is incomplete and cannot be applied as shown')
  else if (notes.incomplete) out.push('the plan is incomplete: more changes are left for a later plan')

  const destroying = reviewed.filter((r) => r.change.destroy || r.change.kind === 'replace')
  group(out, destroying.filter((r) => r.dataStore), destruction, (n) => `destroys or replaces ${n} more data stores`)
  group(out, reviewed.filter((r) => r.change.kind === 'unknown'), (r) => `unrecognized actions [${cut(r.change.actions.join(', '))}] on ${name(r.change)} (treated as destructive)`, (n) => `${n} more resources with unrecognized actions`)
  const plain = destroying.filter((r) => !r.dataStore && r.change.kind !== 'unknown')
  group(out, plain.filter((r) => r.change.kind === 'delete'), destruction, (n) => `destroys ${n} more resources`)
  group(out, plain.filter((r) => r.change.kind === 'replace'), destruction, (n) => `replaces ${n} more resources`)

  const iam = reviewed.filter((r) => r.iam).map((r) => cut(r.change.address))
  if (iam.length > 0) out.push(`changes IAM: ${listed(iam)}`)
  group(out, reviewed.filter((r) => r.exposure !== null), (r) => r.exposure?.sentence(cut(r.change.address)) ?? '', (n) => `opens ${n} more resources to the internet`)
  if (notes.invocations.length > 0) out.push(`invokes provider actions: ${listed(notes.invocations.map(cut))}`)

  const forgotten = reviewed.filter((r) => r.change.kind === 'forget').map((r) => cut(r.change.address))
  if (forgotten.length > 0) out.push(`stops managing (removes from state, leaves running): ${listed(forgotten)}`)
  group(out, reviewed.filter((r) => r.change.kind === 'update'), update, (n) => `updates ${n} more resources`)
  return out.map(printable)
}

/** Adds one sentence per item up to PER_GROUP, then one counting the rest. */
function group(out: string[], items: readonly ReviewedChange[], sentence: (r: ReviewedChange) => string, more: (count: number) => string): void {
  for (const item of items.slice(0, PER_GROUP)) out.push(sentence(item))
  if (items.length > PER_GROUP) out.push(more(items.length - PER_GROUP))
}

function destruction(r: ReviewedChange): string {
  const { change } = r
  const why: string[] = []
  if (r.dataStore) why.push('data store')
  if (change.kind === 'replace') why.push(...replacementReasons(change))
  const suffix = why.length > 0 ? ` (${why.join('; ')})` : ''
  return `${change.kind === 'replace' ? 'replaces' : 'destroys'} ${name(change)}${suffix}`
}

function replacementReasons(change: PlannedChange): string[] {
  const reasons: string[] = []
  if (!change.actions.includes('delete')) reasons.push('the old object is only forgotten, not destroyed')
  if (change.replacedBy.length > 0) {
    const names = listed(change.replacedBy, ATTRIBUTES_LISTED)
    reasons.push(`${names} ${change.replacedBy.length === 1 ? 'forces' : 'force'} replacement`)
  } else if (change.reason === 'replace_because_tainted') reasons.push('tainted')
  else if (change.reason === 'replace_by_request') reasons.push('replacement requested')
  else if (change.reason === 'replace_by_triggers') reasons.push('replace_triggered_by')
  return reasons
}

function update(r: ReviewedChange): string {
  const { changedAttributes } = r
  const address = cut(r.change.address)
  return changedAttributes.length > 0 ? `updates ${address}: ${listed(changedAttributes, ATTRIBUTES_LISTED)}` : `updates ${address}`
}

/** The address, marked when the change is to a deposed object (left over from a failed create-before-destroy). */
function name(change: PlannedChange): string {
  return change.deposed === '' ? cut(change.address) : `a deposed object of ${cut(change.address)}`
}

function listed(items: readonly string[], max = PER_GROUP): string {
  const more = items.length > max ? `, +${items.length - max} more` : ''
  return `${items.slice(0, max).join(', ')}${more}`
}

function cut(text: string): string {
  return text.length > ADDRESS_MAX ? `${text.slice(0, ADDRESS_MAX - 1)}…` : text
}

/**
 * Escapes control characters and invisible or direction-changing Unicode, so that a crafted
 * address (a `for_each` key with a newline or a right-to-left override) cannot forge or reorder
 * the line an approver reads.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (ch) => {
    if (ch === '\n') return '\\n'
    if (ch === '\t') return '\\t'
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}

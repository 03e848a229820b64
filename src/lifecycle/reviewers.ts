import type { ReviewRequirement } from '../policy/index.js'
import type { Human, Requesters } from './types.js'

/**
 * The canonical id of a human: the email with invisible format characters removed, trimmed,
 * Unicode-normalized (NFKC, so full-width and compatibility forms fold) and lower-cased.
 * One person reached through the console, Slack, Teams or a token is one id (PRODUCT.md §1),
 * so every comparison of humans in the review rules goes through this function.
 *
 * @example
 * canonicalEmail('  Alice@Example.COM ') // 'alice@example.com'
 */
export function canonicalEmail(s: string): string {
  // Stored or wire data may not be a string at run time; no identity is safer than a crash.
  if (typeof s !== 'string') return ''
  // Normalize before lower-casing: the same address typed as composed, decomposed, full-width or
  // with a zero-width character must still be one person, or a requester could slip past the
  // conflict check. Folding only ever merges identities, which is the safe direction.
  return s.replace(/\p{Cf}/gu, '').trim().normalize('NFKC').toLowerCase()
}

/** Which roles conflict, in the order a refusal names them. */
const ROLES = [
  ['owner', 'the owner of the agent that submitted it'],
  ['onBehalfOf', 'the human it is on behalf of'],
  ['submitter', 'its submitter'],
] as const satisfies readonly (readonly [keyof Requesters, string])[]

/**
 * The canonical emails of the humans who may never review an action (invariant 2): the
 * agent's owner, the `on_behalf_of` human and the submitter. Absent or blank ones are
 * dropped; each person appears once.
 *
 * @example
 * conflictedHumans({ owner: 'Carol@example.com', onBehalfOf: ' carol@example.com' }) // ['carol@example.com']
 */
export function conflictedHumans(requesters: Requesters): readonly string[] {
  const emails = new Set<string>()
  for (const [role] of ROLES) {
    const email = canonicalEmail(requesters[role] ?? '')
    if (email !== '') emails.add(email)
  }
  return Object.freeze([...emails])
}

/**
 * The roles (as phrases for a refusal) in which `email` is one of the requesters, e.g.
 * `['the owner of the agent that submitted it']`; empty when it is none of them.
 */
export function conflictRoles(email: string, requesters: Requesters | undefined): readonly string[] {
  const canonical = canonicalEmail(email)
  if (canonical === '' || requesters === undefined) return []
  return ROLES.filter(([role]) => canonicalEmail(requesters[role] ?? '') === canonical).map(([, phrase]) => phrase)
}

/**
 * Whether a human with this canonical email and these canonical groups matches one
 * `approvers` entry. Anything that is not `group:NAME` or `user:EMAIL` with a non-empty
 * name matches nobody: an unreadable approver must never widen who may approve.
 */
function matchesApprover(approver: string, email: string, groups: ReadonlySet<string>): boolean {
  if (typeof approver !== 'string') return false
  const entry = approver.trim().toLowerCase()
  if (entry.startsWith('group:')) {
    const group = entry.slice('group:'.length).trim()
    return group !== '' && groups.has(group)
  }
  if (entry.startsWith('user:')) {
    const user = canonicalEmail(entry.slice('user:'.length))
    return user !== '' && user === email
  }
  return false
}

/**
 * Whether a human may approve for one requirement: any human when `approvers` is empty,
 * otherwise a member of a listed group (case-insensitive) or the listed user (canonical
 * email). Conflicts of interest are not considered here; see `conflictedHumans`.
 */
export function isApproverFor(human: Human, requirement: ReviewRequirement): boolean {
  if (human.type !== 'human') return false
  const email = canonicalEmail(human.email)
  if (email === '') return false
  if (requirement.approvers.length === 0) return true
  const groups = new Set((human.groups ?? []).map((group) => (typeof group === 'string' ? group.trim().toLowerCase() : '')))
  groups.delete('')
  return requirement.approvers.some((approver) => matchesApprover(approver, email, groups))
}

/**
 * The rule ids of the requirements `human` may approve for, in the requirements' order.
 * Conflicts of interest are not considered here; the review rules check them first.
 *
 * @example
 * eligibleRequirements(bob, [{ rule: 'dba', approvers: ['group:dba'], … }, { rule: 'sec', approvers: ['group:security'], … }])
 * // ['dba'] when bob is in the dba group only
 */
export function eligibleRequirements(human: Human, requirements: readonly ReviewRequirement[]): readonly string[] {
  return Object.freeze(requirements.filter((requirement) => isApproverFor(human, requirement)).map((requirement) => requirement.rule))
}

/**
 * Whether a stored review by `reviewer` (a canonical email) could have come from someone
 * eligible for `requirement`. A stored review carries no groups, so group membership cannot
 * be re-checked; a `user:`-only requirement can, and a corrupted review list that claims a
 * requirement its reviewer is not listed for must not count toward it.
 */
export function couldApproveFor(reviewer: string, requirement: ReviewRequirement): boolean {
  if (reviewer === '') return false
  if (requirement.approvers.length === 0) return true
  return requirement.approvers.some((approver) => {
    if (typeof approver !== 'string') return false
    const entry = approver.trim().toLowerCase()
    if (entry.startsWith('group:')) return entry.slice('group:'.length).trim() !== ''
    return matchesApprover(entry, reviewer, new Set())
  })
}

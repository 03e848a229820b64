import { domainToUnicode } from 'node:url'
import type { ReviewRequirement } from '../policy/index.js'
import type { Human, Requesters } from './types.js'

/**
 * The canonical id of a human: the email with invisible format characters removed, trimmed,
 * Unicode-normalized (NFKC, so full-width and compatibility forms fold) and lower-cased.
 * One person reached through the console, Slack, Teams or a token is one id (docs/concepts.md),
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

/**
 * Letters of other scripts drawn like a Latin letter (Unicode's confusables for a–z, the ones
 * that survive NFKD without marks). Any other letter outside ASCII opposite an ASCII one is a
 * wildcard to {@link sameHuman}, so this table only has to be good, not complete.
 */
const LOOKALIKES: Readonly<Record<string, string>> = {
  а: 'a', ɑ: 'a', α: 'a', в: 'b', ь: 'b', с: 'c', ϲ: 'c', ԁ: 'd', е: 'e', ε: 'e', ҽ: 'e', ɡ: 'g', ԍ: 'g', һ: 'h', н: 'h',
  і: 'i', ı: 'i', ι: 'i', ј: 'j', ϳ: 'j', к: 'k', κ: 'k', ӏ: 'l', ɩ: 'l', м: 'm', п: 'n', η: 'n', о: 'o', ο: 'o', σ: 'o',
  р: 'p', ρ: 'p', ԛ: 'q', г: 'r', ѕ: 's', т: 't', τ: 't', υ: 'u', ս: 'u', ν: 'v', ѵ: 'v', ԝ: 'w', ω: 'w', х: 'x', χ: 'x',
  у: 'y', γ: 'y', ү: 'y', ᴢ: 'z',
}

/**
 * The mailbox an email reaches, as far as telling people apart is concerned: the canonical email
 * ({@link canonicalEmail}) with a `+tag` dropped from the local part, trailing dots dropped from
 * the domain, an IDN (`xn--`) domain decoded, accents removed and letters of other scripts that
 * look Latin mapped to them. `alice+x@Example.com.` and `аlice@example.com` (Cyrillic а) give
 * `alice@example.com`. Used only to find requesters, where merging two people is the safe side.
 *
 * @example
 * mailboxKey('Alice+deploy@EXAMPLE.com.') // 'alice@example.com'
 */
export function mailboxKey(email: string): string {
  const canonical = canonicalEmail(email)
  const at = canonical.lastIndexOf('@')
  if (at < 0) return lookalikesFolded(canonical)
  const local = canonical.slice(0, at)
  const plus = local.indexOf('+')
  const mailbox = plus > 0 ? local.slice(0, plus) : local
  let domain = canonical.slice(at + 1).replace(/\.+$/, '')
  if (/(^|\.)xn--/.test(domain)) domain = domainToUnicode(domain) || domain
  return `${lookalikesFolded(mailbox)}@${lookalikesFolded(domain)}`
}

function lookalikesFolded(text: string): string {
  const bare = text.normalize('NFKD').replace(/\p{M}/gu, '').normalize('NFKC').toLowerCase()
  return [...bare].map((char) => LOOKALIKES[char] ?? char).join('')
}

/**
 * Whether two emails may name the same human: equal {@link mailboxKey}s, or keys of equal length
 * that differ only where one has a character outside ASCII and the other an ASCII one (a
 * look-alike the table does not know). Errs toward "the same": it decides who may not review,
 * never who may.
 *
 * @example
 * sameHuman('alice@example.com', 'ALICE+ops@example.com') // true
 * sameHuman('alice@example.com', 'bob@example.com') // false
 */
export function sameHuman(a: string, b: string): boolean {
  const left = mailboxKey(a)
  const right = mailboxKey(b)
  if (left === '' || right === '') return false
  if (left === right) return true
  const l = [...left]
  const r = [...right]
  if (l.length !== r.length) return false
  // An unknown letter outside ASCII opposite an ASCII one may be its look-alike; two different
  // letters outside ASCII (张 and 李) are two letters.
  return l.every((char, i) => char === r[i] || (char > '\x7f') !== ((r[i] ?? '') > '\x7f'))
}

/** Whether `email` may be one of the humans in `conflicted` (see {@link sameHuman}). */
export function isConflicted(email: string, conflicted: Iterable<string>): boolean {
  for (const other of conflicted) if (sameHuman(email, other)) return true
  return false
}

/** Which roles conflict, in the order a refusal names them. */
const ROLES = [
  ['owner', 'the owner of the agent that submitted it'],
  ['onBehalfOf', 'the human it is on behalf of'],
  ['submitter', 'its submitter'],
  ['tokenIssuer', 'the human who issued the token it was submitted with'],
] as const satisfies readonly (readonly [keyof Requesters, string])[]

/**
 * The canonical emails of the humans who may never review an action (invariant 2): the
 * agent's owner, the `on_behalf_of` human, the submitter and the human who issued the
 * run-time token it was submitted with. Absent or blank ones are dropped; each person appears
 * once. Compare a reviewer against them with {@link isConflicted}, not by equality.
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
 * `['the owner of the agent that submitted it']`; empty when it is none of them. Emails are
 * compared with {@link sameHuman}.
 */
export function conflictRoles(email: string, requesters: Requesters | undefined): readonly string[] {
  const canonical = canonicalEmail(email)
  if (canonical === '' || requesters === undefined) return []
  return ROLES.filter(([role]) => sameHuman(requesters[role] ?? '', canonical)).map(([, phrase]) => phrase)
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

import type { Directory } from '../config/index.js'
import { canonicalEmail, type Human } from '../lifecycle/index.js'

/** Group names as the config and policies write them (`group:NAME`). */
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
/** More groups than this from one claim is a misconfigured claim, not a person. */
const MAX_CLAIMED_GROUPS = 200

/** Who may sign in to the console: the configured humans, and anyone of the allowed domains. */
export interface Admission {
  readonly directory: Directory
  /** `identities.allowed_domains`, lower-cased. */
  readonly allowedDomains: readonly string[]
}

/** The outcome of a sign-in: the human's identity, or why not (a code the sign-in page explains). */
export type SignInIdentity =
  | { readonly ok: true; readonly email: string; readonly groups: readonly string[] }
  | { readonly ok: false; readonly code: 'no_email' | 'email_unverified' | 'not_allowed' }

/**
 * The human an identity provider's claims describe (docs/concepts.md: one canonical id, the
 * lower-cased email): the email must be present and not marked unverified, and belong to a
 * human the config names or to an allowed domain. Groups come from `groupsClaim` (a list, or one
 * string of names separated by spaces or commas); names a policy could not write are dropped.
 *
 * @example
 * admitClaims({ email: 'Alice@Example.com', email_verified: true, groups: ['dba'] }, admission, 'groups')
 * // { ok: true, email: 'alice@example.com', groups: ['dba'] }
 */
export function admitClaims(claims: Readonly<Record<string, unknown>>, admission: Admission, groupsClaim?: string): SignInIdentity {
  const raw = claims['email']
  const email = typeof raw === 'string' ? canonicalEmail(raw) : ''
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return { ok: false, code: 'no_email' }
  // Absent is accepted (some providers only list verified addresses and say nothing); false never.
  const verified = claims['email_verified']
  if (verified === false || verified === 'false') return { ok: false, code: 'email_unverified' }
  if (!mayEnter(email, admission)) return { ok: false, code: 'not_allowed' }
  return { ok: true, email, groups: groupsClaim === undefined ? [] : claimedGroups(claims[groupsClaim]) }
}

/** Whether `email` (canonical) may use the console now: configured, or of an allowed domain. */
export function mayEnter(email: string, admission: Admission): boolean {
  if (admission.directory.human(email)) return true
  const domain = email.slice(email.lastIndexOf('@') + 1)
  return domain !== '' && admission.allowedDomains.includes(domain)
}

/**
 * The principal of a console session, decided again at every request from the current config:
 * the groups the config gives the human merged with those the provider asserted at sign-in; the
 * admin and auditor roles from the config only. `undefined` when the human may no longer enter
 * (removed from the config, or their domain no longer allowed).
 */
export function sessionHuman(session: { readonly email: string; readonly groups: readonly string[] }, admission: Admission): Human | undefined {
  const email = canonicalEmail(session.email)
  if (email === '' || !mayEnter(email, admission)) return undefined
  const known = admission.directory.human(email)
  const groups = [...new Set([...(known?.groups ?? []), ...session.groups])].sort()
  return { type: 'human', email, groups, admin: known?.admin ?? false, auditor: known?.auditor ?? false }
}

function claimedGroups(value: unknown): readonly string[] {
  const names = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : []
  const groups = new Set<string>()
  for (const name of names) {
    if (typeof name !== 'string') continue
    // Keycloak's full group paths start with "/": "/dba" is the group dba.
    const trimmed = name.trim().replace(/^\//, '')
    if (GROUP_NAME.test(trimmed)) groups.add(trimmed)
    if (groups.size >= MAX_CLAIMED_GROUPS) break
  }
  return [...groups].sort()
}

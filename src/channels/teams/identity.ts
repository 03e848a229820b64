import type { Directory } from '../../config/index.js'
import { canonicalEmail, type Human } from '../../lifecycle/index.js'
import { conversationOf, type Activity } from './activity.js'
import type { ConnectorError } from './connector-error.js'
import type { ConnectorClient, TeamsMember } from './connector.js'

/** Who a Teams user is to Countersign: a human (and the email Teams gave), or why they are nobody here. */
export type TeamsIdentification = { readonly ok: true; readonly human: Human } | { readonly ok: false; readonly reason: string }

/** What mapping Teams users needs. */
export interface TeamsIdentityOptions {
  readonly connector: ConnectorClient
  readonly directory: Directory
  /** The organization's tenant: members of any other are nobody here. */
  readonly tenantId: string
  /** Domains whose addresses are accepted besides configured humans (then as a human in no group). */
  readonly allowedDomains: readonly string[]
}

/** A click must be answered within Teams' invoke timeout: the member lookup gets a share of it. */
const LOOKUP_TIMEOUT_MS = 4_000

/**
 * Maps the sender of an activity to a Countersign human by the email (else the UPN) the Bot
 * Connector's members API reports for them in that conversation (`GET
 * /v3/conversations/{team or chat}/members/{id}`): a configured human (with their groups and
 * roles), or an address in an allowed domain (a human in no group). Members of another tenant,
 * anonymous meeting guests and senders the connector does not know are nobody. Looked up on
 * every click: a changed email or group counts at once. The activity's own `from` fields are
 * never trusted for who someone is.
 */
export class TeamsIdentities {
  readonly #options: TeamsIdentityOptions

  constructor(options: TeamsIdentityOptions) {
    this.#options = options
  }

  /** The human behind the sender of `activity`, or the reason they cannot review. */
  async identify(activity: Activity): Promise<TeamsIdentification> {
    let member: TeamsMember
    try {
      member = await this.lookup(activity)
    } catch (error) {
      const failed = error as ConnectorError
      if (failed.status === 404) return { ok: false, reason: 'Countersign could not find you among the members of this conversation, so it cannot tell who you are; nothing changed.' }
      return { ok: false, reason: `Countersign could not look you up in Teams (${failed.code ?? failed.message}); nothing changed. Try again in a moment.` }
    }
    return this.human(member, activity.from.aadObjectId)
  }

  /** The member record of the sender of `activity`: in a team, the team's roster; else the chat's. */
  async lookup(activity: Activity): Promise<TeamsMember> {
    const conversation = activity.channelData?.team?.id ?? conversationOf(activity)
    return this.#options.connector.member(activity.serviceUrl, conversation, activity.from.id, LOOKUP_TIMEOUT_MS)
  }

  /** The human a member record names, or why it names nobody here. */
  human(member: TeamsMember, claimedObjectId?: string): TeamsIdentification {
    const { directory, tenantId, allowedDomains } = this.#options
    if (member.userRole === 'anonymous') return { ok: false, reason: 'Only people signed in to the organization can review actions; nothing changed.' }
    if (member.tenantId !== undefined && member.tenantId !== tenantId) return { ok: false, reason: 'Only members of this organization can review actions here; nothing changed.' }
    if (claimedObjectId !== undefined && member.aadObjectId !== undefined && claimedObjectId !== member.aadObjectId) return { ok: false, reason: 'Teams described you inconsistently, so Countersign cannot tell who you are; nothing changed.' }
    const email = memberEmail(member)
    if (email === '') return { ok: false, reason: 'Teams did not tell Countersign your email address, so it cannot tell who you are; nothing changed.' }
    const known = directory.human(email)
    if (known) return { ok: true, human: known }
    const domain = email.slice(email.lastIndexOf('@') + 1)
    if (allowedDomains.includes(domain)) return { ok: true, human: { type: 'human', email, groups: [], admin: false, auditor: false } }
    return { ok: false, reason: `Countersign does not know ${email} as a reviewer (only the people in its configuration${allowedDomains.length > 0 ? ` and addresses at ${allowedDomains.join(', ')}` : ''} can review), so your click changed nothing.` }
  }
}

/**
 * A member's canonical email: their `email`, else their UPN. A guest's UPN
 * (`alice_contoso.com#EXT#@tenant.onmicrosoft.com`) is not an address anyone is configured by.
 */
export function memberEmail(member: TeamsMember): string {
  const email = canonicalEmail(member.email ?? '')
  if (email.includes('@')) return email
  const upn = canonicalEmail(member.userPrincipalName ?? '')
  return upn.includes('@') && !upn.includes('#ext#') ? upn : ''
}

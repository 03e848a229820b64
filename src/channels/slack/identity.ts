import type { WebClient } from '@slack/web-api'
import type { Directory } from '../../config/index.js'
import { canonicalEmail, type Human } from '../../lifecycle/index.js'

/** Who a Slack user is to Countersign: a human, or why they are nobody here. */
export type Identification = { readonly ok: true; readonly human: Human } | { readonly ok: false; readonly reason: string }

/** What mapping Slack users needs. */
export interface SlackIdentityOptions {
  readonly client: WebClient
  readonly directory: Directory
  readonly teamId: string
  /** Domains whose addresses are accepted besides configured humans (then as a human in no group). */
  readonly allowedDomains: readonly string[]
}

/**
 * Maps a Slack user to a Countersign human by the email Slack reports for them (`users.info`,
 * scope `users:read.email`): a configured human (with their groups and roles), or an address
 * in an allowed domain (a human in no group). Bots, deactivated users and members of other
 * organizations are nobody. Looked up on every click: a changed email or group counts at once.
 */
export class SlackIdentities {
  readonly #options: SlackIdentityOptions

  constructor(options: SlackIdentityOptions) {
    this.#options = options
  }

  /** The human behind Slack user `userId`, or the reason they cannot review. */
  async identify(userId: string): Promise<Identification> {
    const { client, directory, teamId, allowedDomains } = this.#options
    let user
    try {
      user = (await client.users.info({ user: userId })).user
    } catch (error) {
      return { ok: false, reason: `Countersign could not look you up in Slack (${(error as { data?: { error?: string } }).data?.error ?? (error as Error).message}); nothing changed. Try again in a moment.` }
    }
    if (!user || user.deleted || user.is_bot || user.is_app_user) return { ok: false, reason: 'Only people can review actions; nothing changed.' }
    const homeTeams = [user.team_id, ...(user.enterprise_user?.teams ?? [])]
    if (user.is_stranger || !homeTeams.includes(teamId)) return { ok: false, reason: 'Only members of this workspace can review actions here; nothing changed.' }
    const email = canonicalEmail(user.profile?.email ?? '')
    if (email === '') return { ok: false, reason: 'Slack did not tell Countersign your email address (the app needs the users:read.email scope), so it cannot tell who you are; nothing changed.' }
    const known = directory.human(email)
    if (known) return { ok: true, human: known }
    const domain = email.slice(email.lastIndexOf('@') + 1)
    if (allowedDomains.includes(domain)) return { ok: true, human: { type: 'human', email, groups: [], admin: false, auditor: false } }
    return { ok: false, reason: `Countersign does not know ${email} as a reviewer (only the people in its configuration${allowedDomains.length > 0 ? ` and addresses at ${allowedDomains.join(', ')}` : ''} can review), so your click changed nothing.` }
  }
}

import type { Logger } from 'pino'
import type { TeamsConversationStore } from '../../store/index.js'
import { conversationOf, conversationTypeOf, tenantOf, type Activity } from './activity.js'
import { memberEmail, type TeamsIdentities } from './identity.js'

/** What keeping conversation references needs. */
export interface InstallationOptions {
  readonly conversations: TeamsConversationStore
  readonly identities: TeamsIdentities
  readonly tenantId: string
  readonly logger?: Logger | undefined
}

/**
 * Keeps the conversation references of the bot (where it can post, and at which service URL)
 * from the activities Teams sends when the app is installed, upgraded or removed
 * (`installationUpdate`) and when the bot joins or leaves a conversation (`conversationUpdate`).
 * A 1:1 chat is remembered with its person's email (from the members API), so a direct message
 * to an approver finds it.
 */
export class TeamsInstallations {
  readonly #options: InstallationOptions

  constructor(options: InstallationOptions) {
    this.#options = options
  }

  /** Records what an `installationUpdate` or `conversationUpdate` activity says about the bot's conversations. */
  async seen(activity: Activity): Promise<void> {
    const { conversations, logger } = this.#options
    const conversationId = conversationOf(activity)
    const botId = activity.recipient?.id
    const removed = activity.type === 'installationUpdate' ? (activity.action ?? 'add').startsWith('remove') : (activity.membersRemoved ?? []).some((member) => member.id === botId)
    if (removed) {
      await conversations.forget(conversationId)
      logger?.info({ conversation: conversationId }, 'the Teams app was removed from a conversation')
      return
    }
    const type = conversationTypeOf(activity)
    const tenantId = tenantOf(activity) ?? this.#options.tenantId
    const team = activity.channelData?.team
    await conversations.remember({
      conversationId,
      tenantId,
      serviceUrl: activity.serviceUrl,
      conversationType: type,
      teamId: team?.id ?? null,
      name: team?.name ?? activity.conversation.name ?? null,
      userId: type === 'personal' ? activity.from.id : null,
      userEmail: type === 'personal' ? await this.#email(activity) : null,
    })
    logger?.info({ conversation: conversationId, type, team: team?.id }, 'remembered a Teams conversation')
  }

  /** The email of the person in a 1:1 chat, when the members API gives one in our tenant. */
  async #email(activity: Activity): Promise<string | null> {
    try {
      const member = await this.#options.identities.lookup(activity)
      if (member.tenantId !== undefined && member.tenantId !== this.#options.tenantId) return null
      return memberEmail(member) || null
    } catch (error) {
      // Remembered without it: the person's first click in the chat fills it in.
      this.#options.logger?.warn({ err: error, teams_user: activity.from.id }, 'could not look up the email of a Teams user who installed the app')
      return null
    }
  }
}

import type { TeamsConfig } from '../../config/index.js'
import type { Human } from '../../lifecycle/index.js'
import type { TeamsConversationStore } from '../../store/index.js'
import { approversToAsk } from '../approvers.js'
import type { AnnouncementRequest, Channel, DeliveryFailure } from '../channel.js'
import type { MessageContent } from '../message.js'
import { cardActivity } from './card.js'
import { ConnectorError } from './connector-error.js'
import type { ConnectorClient } from './connector.js'

/** Where an announced Teams message is: what an update (`PUT …/activities/{id}`) needs. */
export interface TeamsMessageRef {
  readonly serviceUrl: string
  readonly conversationId: string
  readonly activityId: string
}

/** The destination prefix of a 1:1 message to a human: `dm:alice@example.com`. */
export const DM_PREFIX = 'dm:'

/** What the Teams channel is made of. */
export interface TeamsChannelOptions {
  readonly connector: ConnectorClient
  readonly conversations: TeamsConversationStore
  readonly config: TeamsConfig
  /** The configured humans, for 1:1 messages to approvers. */
  readonly humans: readonly Human[]
}

/**
 * Microsoft Teams as a channel (outbound): a request goes to the Teams channels or chats its
 * policy rules name (`channels: [teams:dba-team]`, names mapped to conversation ids in
 * `channels.teams.channels`), else to `default_channel`, and with `dm_approvers` also to each
 * eligible approver in their 1:1 chat with the bot (known from the app's personal install).
 * Posted as an Adaptive Card through the Bot Connector, updated in place (`PUT …/activities/{id}`).
 */
export class TeamsChannel implements Channel {
  readonly name = 'teams'
  readonly #options: TeamsChannelOptions

  constructor(options: TeamsChannelOptions) {
    this.#options = options
  }

  destinations(request: AnnouncementRequest): readonly string[] {
    const { config, humans } = this.#options
    const named = request.requirements.flatMap((requirement) => requirement.channels).filter((channel) => channel.startsWith('teams:')).map((channel) => channel.slice('teams:'.length).trim())
    const channels = named.length > 0 ? named : config.default_channel ? [config.default_channel] : []
    const direct = config.dm_approvers ? approversToAsk(humans, request.requirements, request.conflicted).map((email) => `${DM_PREFIX}${email}`) : []
    return [...new Set([...channels.filter((channel) => channel !== ''), ...direct])]
  }

  async announce(destination: string, content: MessageContent): Promise<string> {
    const { serviceUrl, conversationId } = await this.#resolve(destination)
    const activityId = await this.#options.connector.send(serviceUrl, conversationId, cardActivity(content))
    return JSON.stringify({ serviceUrl, conversationId, activityId } satisfies TeamsMessageRef)
  }

  async update(ref: string, content: MessageContent): Promise<void> {
    const { serviceUrl, conversationId, activityId } = JSON.parse(ref) as TeamsMessageRef
    await this.#options.connector.update(serviceUrl, conversationId, activityId, cardActivity(content))
  }

  failure(error: unknown): DeliveryFailure {
    if (!(error instanceof ConnectorError)) return { permanent: false, message: error instanceof Error ? error.message : String(error) }
    const { status, message } = error
    if (error.permanent) return { permanent: true, message }
    if (status === 429) return { permanent: false, retryAfterMs: error.retryAfterMs ?? 1_000, message }
    // A refused token is fetched anew on the next attempt; the token endpoint's refusals may be a password being rotated.
    if (status === undefined || status === 401 || status === 408 || status >= 500 || error.operation === 'token') return { permanent: false, retryAfterMs: error.retryAfterMs, message }
    // 400, 403 (the bot was removed or blocked), 404 (the conversation or message is gone), 413…
    return { permanent: true, message }
  }

  /** The service URL and conversation id of a destination. */
  async #resolve(destination: string): Promise<{ serviceUrl: string; conversationId: string }> {
    const { config, conversations } = this.#options
    if (destination.startsWith(DM_PREFIX)) {
      const email = destination.slice(DM_PREFIX.length)
      const chat = await conversations.personal(config.tenant_id, email)
      if (!chat) throw new ConnectorError('resolve', `${email} has no 1:1 chat with the Countersign app in Teams (they add the app for themselves, or an admin installs it for them)`, { permanent: true, code: 'NoPersonalChat' })
      return { serviceUrl: chat.serviceUrl, conversationId: chat.conversationId }
    }
    const conversationId = Object.hasOwn(config.channels, destination) ? config.channels[destination] : undefined
    if (conversationId === undefined) throw new ConnectorError('resolve', `teams:${destination} is not mapped to a conversation in channels.teams.channels`, { permanent: true, code: 'UnknownChannel' })
    const known = await conversations.find(conversationId)
    const serviceUrl = (known && !known.removedAt ? known.serviceUrl : undefined) ?? config.service_url ?? (await conversations.latestServiceUrl(config.tenant_id))
    // Not permanent: installing the app in the team tells the service URL, and the next attempt uses it.
    if (!serviceUrl) throw new ConnectorError('resolve', `no service URL is known for teams:${destination} yet: install the app in its team, or set channels.teams.service_url`, { code: 'NoServiceUrl' })
    return { serviceUrl, conversationId }
  }
}

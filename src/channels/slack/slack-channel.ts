import { ErrorCode, type WebClient } from '@slack/web-api'
import type { SlackConfig } from '../../config/index.js'
import type { Human } from '../../lifecycle/index.js'
import { approversToAsk } from '../approvers.js'
import type { AnnouncementRequest, Channel, DeliveryFailure } from '../channel.js'
import type { MessageContent } from '../message.js'
import type { Reminder } from '../../lifecycle/index.js'
import { escapeMrkdwn, slackMessage } from './blocks.js'

/** Where an announced Slack message is: what `chat.update` needs. */
export interface SlackMessageRef {
  readonly channel: string
  readonly ts: string
}

/** Slack errors that say "try again later" rather than "this will never work". */
const TRANSIENT_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org'])

/** The destination prefix of a direct message to a human: `dm:alice@example.com`. */
export const DM_PREFIX = 'dm:'

/**
 * Slack as a channel (outbound): a request goes to the Slack channels its policy rules name
 * (`channels: [slack:#db-approvals]`, by name or id), else to `default_channel`, and with
 * `dm_approvers` also to each eligible approver directly (found by email, `users.lookupByEmail`).
 * Announced with `chat.postMessage`, updated in place with `chat.update`.
 */
export class SlackChannel implements Channel {
  readonly name = 'slack'
  readonly #client: WebClient
  readonly #config: SlackConfig
  readonly #humans: readonly Human[]

  constructor(client: WebClient, config: SlackConfig, humans: readonly Human[]) {
    this.#client = client
    this.#config = config
    this.#humans = humans
  }

  destinations(request: AnnouncementRequest): readonly string[] {
    const named = request.requirements.flatMap((requirement) => requirement.channels).filter((channel) => channel.startsWith('slack:')).map((channel) => channel.slice('slack:'.length).trim())
    const channels = named.length > 0 ? named : this.#config.default_channel ? [this.#config.default_channel] : []
    const direct = this.#config.dm_approvers ? approversToAsk(this.#humans, request.requirements, request.conflicted).map((email) => `${DM_PREFIX}${email}`) : []
    return [...new Set([...channels.filter((channel) => channel !== ''), ...direct])]
  }

  async announce(destination: string, content: MessageContent): Promise<string> {
    const channel = destination.startsWith(DM_PREFIX) ? await this.#userId(destination.slice(DM_PREFIX.length)) : destination
    const { text, blocks } = slackMessage(content)
    const posted = await this.#client.chat.postMessage({ channel, text, blocks, unfurl_links: false, unfurl_media: false })
    if (!posted.channel || !posted.ts) throw new Error('chat.postMessage answered without the message channel and ts')
    return JSON.stringify({ channel: posted.channel, ts: posted.ts } satisfies SlackMessageRef)
  }

  async update(ref: string, content: MessageContent): Promise<void> {
    const { channel, ts } = JSON.parse(ref) as SlackMessageRef
    const { text, blocks } = slackMessage(content)
    await this.#client.chat.update({ channel, ts, text, blocks })
  }

  /** A reply in the message's thread, also sent to the channel, naming who is still asked. */
  async remind(ref: string, content: MessageContent, reminder: Reminder): Promise<void> {
    const { channel, ts } = JSON.parse(ref) as SlackMessageRef
    const who = reminder.approvers.length > 0 ? reminder.approvers.join(' or ') : 'any human'
    const text = escapeMrkdwn(`Reminder ${reminder.count}: ${content.kind} on ${content.target} (${content.id}) still needs approval from ${who} (rule ${reminder.rule}).`)
    await this.#client.chat.postMessage({ channel, thread_ts: ts, reply_broadcast: true, text, unfurl_links: false, unfurl_media: false })
  }

  failure(error: unknown): DeliveryFailure {
    const coded = error as { code?: string; retryAfter?: number; data?: { error?: string }; statusCode?: number; message?: string }
    switch (coded?.code) {
      case ErrorCode.RateLimitedError:
        return { permanent: false, retryAfterMs: (coded.retryAfter ?? 1) * 1000, message: `rate limited by Slack (retry after ${coded.retryAfter ?? 1} s)` }
      case ErrorCode.PlatformError: {
        const code = coded.data?.error ?? 'unknown_error'
        return { permanent: !TRANSIENT_ERRORS.has(code), message: `Slack refused the call: ${code}` }
      }
      case ErrorCode.HTTPError:
        return { permanent: false, message: `Slack answered HTTP ${coded.statusCode ?? '?'}` }
      case ErrorCode.RequestError:
        return { permanent: false, message: `Slack could not be reached: ${coded.message ?? 'request error'}` }
      default:
        return { permanent: false, message: error instanceof Error ? error.message : String(error) }
    }
  }

  async #userId(email: string): Promise<string> {
    const found = await this.#client.users.lookupByEmail({ email })
    if (!found.user?.id) throw new Error(`users.lookupByEmail found no Slack user for ${email}`)
    return found.user.id
  }
}

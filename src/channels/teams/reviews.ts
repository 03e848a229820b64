import type { Logger } from 'pino'
import { CountersignError } from '../../errors/index.js'
import type { ReviewDecision } from '../../lifecycle/index.js'
import type { ActionState, Gateway } from '../../service/index.js'
import type { TeamsConversationStore } from '../../store/index.js'
import { messageContent } from '../message.js'
import { refusalText } from '../refusal.js'
import { conversationOf, conversationTypeOf, tenantOf, type Activity } from './activity.js'
import { ADAPTIVE_CARD_TYPE, TEAMS_IDS, teamsCard } from './card.js'
import type { ConnectorClient } from './connector.js'
import type { TeamsIdentification, TeamsIdentities } from './identity.js'

/** The body of the HTTP response to an `adaptiveCard/action` invoke (Universal Actions). */
export interface InvokeResponse {
  readonly statusCode: number
  readonly type: string
  readonly value: unknown
}

/** What the review handlers use. */
export interface TeamsReviewOptions {
  readonly gateway: Gateway
  readonly connector: ConnectorClient
  readonly identities: TeamsIdentities
  readonly conversations: TeamsConversationStore
  readonly publicUrl: string
  readonly logger?: Logger | undefined
}

/** A click, read from an invoke or a fallback submission. */
interface Click {
  readonly id: string
  readonly decision: ReviewDecision
  readonly reason: string
}

/**
 * Reviews from Teams cards. The clicker is mapped to a human by the members API
 * ({@link TeamsIdentities}); the review goes through `gateway.review(…, 'teams')`, the API's own
 * call, so every refusal (the agent's owner approving, a second review by the same person, a
 * decided or expired action, a deny without a reason) comes from the service.
 *
 * `Action.Execute` (an `adaptiveCard/action` invoke) is answered with the card as it is now, for
 * the clicker, led by what happened to their click when it was refused; every copy is then
 * updated by the outbox. A person Countersign does not know gets only a message, not the card.
 * The `Action.Submit` fallback of older clients arrives as a message; a refusal is replied in
 * the conversation, addressed to the clicker.
 */
export class TeamsReviews {
  readonly #options: TeamsReviewOptions

  constructor(options: TeamsReviewOptions) {
    this.#options = options
  }

  /** Answers an `adaptiveCard/action` invoke. */
  async execute(activity: Activity): Promise<InvokeResponse> {
    const click = executeClick(activity.value)
    if (!click) return { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message: 'This card action is not one Countersign knows.' } }
    const who = await this.#identify(activity)
    if (!who.ok) return message(who.reason)
    const { gateway } = this.#options
    let state: ActionState
    try {
      state = await gateway.review(who.human, click.id, { decision: click.decision, reason: click.reason }, 'teams')
    } catch (error) {
      this.#logRefusal(error, click.id)
      try {
        return await this.#card(await gateway.get(who.human, click.id), `${who.human.email}: ${refusalText(error)}`)
      } catch {
        return message(refusalText(error))
      }
    }
    try {
      return await this.#card(state)
    } catch (error) {
      // Recorded all the same: the outbox brings every copy of the card up to date.
      this.#options.logger?.error({ err: error, action_id: click.id }, 'could not render the card after a review from Teams')
      return message('Your review was recorded.')
    }
  }

  /** Handles an `Action.Submit` fallback (a message whose `value` is the button's data and the reason). */
  async submit(activity: Activity): Promise<void> {
    const click = submitClick(activity.value)
    if (!click) return
    const who = await this.#identify(activity)
    let refusal: string | undefined
    if (!who.ok) refusal = who.reason
    else {
      try {
        await this.#options.gateway.review(who.human, click.id, { decision: click.decision, reason: click.reason }, 'teams')
      } catch (error) {
        this.#logRefusal(error, click.id)
        refusal = refusalText(error)
      }
    }
    if (refusal === undefined) return
    const to = activity.from.name ?? (who.ok ? who.human.email : 'you')
    // Plain text: a display name or a rule id cannot become a link or a mention.
    const reply = { type: 'message' as const, textFormat: 'plain' as const, text: `${to}: ${refusal}` }
    const { connector, logger } = this.#options
    const conversation = conversationOf(activity)
    await (activity.replyToId ? connector.reply(activity.serviceUrl, conversation, activity.replyToId, reply) : connector.send(activity.serviceUrl, conversation, reply)).catch((error: unknown) =>
      logger?.warn({ err: error, action_id: click.id }, 'could not tell a Teams user what happened to their click'),
    )
  }

  /** Who clicked; in their 1:1 chat with the bot, remembered as theirs (for direct messages). */
  async #identify(activity: Activity): Promise<TeamsIdentification> {
    const { identities, conversations, logger } = this.#options
    const who = await identities.identify(activity)
    if (!who.ok) logger?.info({ teams_user: activity.from.id }, 'a Teams user Countersign does not know clicked a review button')
    const tenantId = tenantOf(activity)
    if (who.ok && tenantId && conversationTypeOf(activity) === 'personal') {
      const seen = { conversationId: conversationOf(activity), tenantId, serviceUrl: activity.serviceUrl, conversationType: 'personal', teamId: null, name: null, userId: activity.from.id, userEmail: who.human.email }
      await conversations.remember(seen).catch((error: unknown) => logger?.warn({ err: error }, 'could not remember a Teams 1:1 chat'))
    }
    return who
  }

  async #card(state: ActionState, notice?: string): Promise<InvokeResponse> {
    const { gateway, publicUrl } = this.#options
    const events = await gateway.store.actionEvents(state.record.id)
    const content = messageContent(state, { publicUrl, env: gateway.directory.target(state.record.target)?.labels['env'], events })
    return { statusCode: 200, type: ADAPTIVE_CARD_TYPE, value: teamsCard(content, { notice }) }
  }

  #logRefusal(error: unknown, id: string): void {
    if (!(error instanceof CountersignError) || error.code === 'INTERNAL') this.#options.logger?.error({ err: error, action_id: id }, 'a review from Teams failed')
  }
}

/** A text shown to the clicker alone, instead of a card. */
function message(text: string): InvokeResponse {
  return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text }
}

const DECISIONS: Readonly<Record<string, ReviewDecision>> = { [TEAMS_IDS.approve]: 'approve', [TEAMS_IDS.deny]: 'deny' }

/** An invoke's `{action: {type: 'Action.Execute', verb, data: {id, reason…}}}`. */
function executeClick(value: unknown): Click | undefined {
  const action = (value as { action?: { type?: unknown; verb?: unknown; data?: Record<string, unknown> } } | undefined)?.action
  if (!action || action.type !== 'Action.Execute' || typeof action.verb !== 'string') return undefined
  const decision = Object.hasOwn(DECISIONS, action.verb) ? DECISIONS[action.verb] : undefined
  return decision ? clickOf(action.data, decision) : undefined
}

/** A fallback submission's `{countersign: decision, id, reason…}`. */
function submitClick(value: unknown): Click | undefined {
  const data = value as Record<string, unknown> | undefined
  const decision = data?.['countersign']
  return decision === 'approve' || decision === 'deny' ? clickOf(data, decision) : undefined
}

function clickOf(data: Record<string, unknown> | undefined, decision: ReviewDecision): Click | undefined {
  const id = data?.['id']
  const reason = data?.[TEAMS_IDS.reason] ?? ''
  if (typeof id !== 'string' || id === '' || typeof reason !== 'string') return undefined
  return { id, decision, reason }
}

/** Whether a message activity is a fallback submission of a Countersign card. */
export function isSubmission(activity: Activity): boolean {
  return activity.type === 'message' && submitClick(activity.value) !== undefined
}

import type { App, BlockAction, ButtonAction, ViewSubmitAction } from '@slack/bolt'
import type { WebClient } from '@slack/web-api'
import type { Logger } from 'pino'
import { CountersignError } from '../../errors/index.js'
import type { ReviewDecision } from '../../lifecycle/index.js'
import type { Gateway } from '../../service/index.js'
import { refusalText } from '../refusal.js'
import { escapeMrkdwn, reasonModal, SLACK_IDS, type ButtonValue, type ModalMetadata } from './blocks.js'
import type { SlackIdentities } from './identity.js'
import { workspaceGuard } from './workspace.js'

/** What the interaction listeners use. */
export interface InteractionOptions {
  readonly gateway: Gateway
  readonly client: WebClient
  readonly identities: SlackIdentities
  readonly teamId: string
  readonly logger?: Logger | undefined
}

/**
 * The Slack app's listeners. Each acknowledges at once and works after: Approve submits the
 * review; Deny, and Approve when a requirement wants a reason, first open a modal whose
 * submission carries the review. The clicker is mapped to a human by their Slack email, and the
 * review goes through `gateway.review(…, 'slack')`, the API's own call: every refusal (the
 * agent's owner approving, a second review by the same person, a decided action) comes from the
 * service, and is shown to the clicker alone.
 */
export function registerInteractions(app: App, options: InteractionOptions): void {
  const { gateway, client, identities, logger } = options

  const tell = async (channel: string | undefined, user: string, text: string): Promise<void> => {
    if (!channel) return void logger?.warn({ user }, 'nowhere to tell a Slack user what happened to their click')
    await client.chat.postEphemeral({ channel, user, text: escapeMrkdwn(text) }).catch((error: unknown) => logger?.warn({ err: error, user }, 'could not answer a Slack user'))
  }

  const review = async (user: string, channel: string | undefined, id: string, decision: ReviewDecision, reason: string): Promise<void> => {
    const who = await identities.identify(user)
    if (!who.ok) {
      logger?.info({ slack_user: user, action_id: id }, 'a Slack user Countersign does not know clicked a review button')
      return tell(channel, user, who.reason)
    }
    try {
      await gateway.review(who.human, id, { decision, reason }, 'slack')
    } catch (error) {
      if (!(error instanceof CountersignError) || error.code === 'INTERNAL') logger?.error({ err: error, action_id: id }, 'a review from Slack failed')
      await tell(channel, user, refusalText(error))
    }
  }

  app.use(workspaceGuard(options.teamId, (team) => logger?.warn({ team }, 'refused a Slack payload from another workspace')))
  app.error(async (error) => void logger?.error({ err: error }, 'a Slack listener failed'))

  // The console link is a URL button: Slack still sends the click, which only needs an answer.
  app.action(SLACK_IDS.open, async ({ ack }) => ack())
  // A link to the console's confirm page: opening it approves nothing.
  app.action(SLACK_IDS.confirm, async ({ ack }) => ack())

  const clicked = (decision: ReviewDecision) =>
    async function reviewClicked({ ack, body, action }: { ack: () => Promise<void>; body: BlockAction; action: ButtonAction }): Promise<void> {
      await ack()
      const value = buttonValue(action.value)
      const channel = body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id
      if (!value) return void logger?.warn({ value: action.value }, 'a Slack review button without a readable value')
      if (decision === 'deny' || value.reason) {
        // The trigger is good for 3 s: open the modal before anything slower; who clicked is checked on submission.
        const metadata: ModalMetadata = { id: value.id, decision, channel }
        await client.views.open({ trigger_id: body.trigger_id, view: reasonModal(metadata) }).catch(async (error: unknown) => {
          logger?.warn({ err: error, action_id: value.id }, 'could not open the Slack reason form')
          await tell(channel, body.user.id, 'Countersign could not open the form for your reason; nothing changed. Click again.')
        })
        return
      }
      await review(body.user.id, channel, value.id, decision, '')
    }
  app.action<BlockAction<ButtonAction>>(SLACK_IDS.approve, clicked('approve'))
  app.action<BlockAction<ButtonAction>>(SLACK_IDS.deny, clicked('deny'))

  app.view<ViewSubmitAction>(SLACK_IDS.reasonModal, async ({ ack, body, view }) => {
    await ack()
    const metadata = modalMetadata(view.private_metadata)
    if (!metadata) return void logger?.warn('a Slack reason form without readable metadata')
    const reason = view.state.values[SLACK_IDS.reasonBlock]?.[SLACK_IDS.reasonInput]?.value ?? ''
    await review(body.user.id, metadata.channel, metadata.id, metadata.decision, reason)
  })
}

function buttonValue(value: string | undefined): ButtonValue | undefined {
  try {
    const parsed = JSON.parse(value ?? '') as Partial<ButtonValue>
    return typeof parsed.id === 'string' && typeof parsed.reason === 'boolean' ? { id: parsed.id, reason: parsed.reason } : undefined
  } catch {
    return undefined
  }
}

function modalMetadata(value: string): ModalMetadata | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<ModalMetadata>
    const decision = parsed.decision === 'approve' || parsed.decision === 'deny' ? parsed.decision : undefined
    return typeof parsed.id === 'string' && decision ? { id: parsed.id, decision, channel: typeof parsed.channel === 'string' ? parsed.channel : undefined } : undefined
  } catch {
    return undefined
  }
}

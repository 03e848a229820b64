import type { Logger } from 'pino'
import { resolveSecret, type TeamsConfig } from '../../config/index.js'
import type { Human } from '../../lifecycle/index.js'
import type { Gateway } from '../../service/index.js'
import { TeamsConversationStore, type OutboxStore } from '../../store/index.js'
import type { ChannelRoute } from '../routes.js'
import { BotFrameworkVerifier } from './bot-auth.js'
import { BotTokenSource } from './bot-token.js'
import { ConnectorClient } from './connector.js'
import { TeamsIdentities } from './identity.js'
import { TeamsInstallations } from './installations.js'
import { TEAMS_MESSAGES_PATH, TeamsReceiver } from './receiver.js'
import { TeamsReviews } from './reviews.js'
import { TeamsChannel } from './teams-channel.js'

/** What the Teams bot is built from. */
export interface TeamsAppOptions {
  readonly config: TeamsConfig
  readonly gateway: Gateway
  readonly outbox: OutboxStore
  /** The configured humans, for 1:1 messages to approvers. */
  readonly humans: readonly Human[]
  /** Base of the console links in cards. */
  readonly publicUrl: string
  readonly logger?: Logger | undefined
}

/** A running Teams bot: its outbound channel, its messaging endpoint, and how to stop it. */
export interface TeamsApp {
  readonly channel: TeamsChannel
  readonly route: ChannelRoute
  stop(): Promise<void>
}

/**
 * Builds the Teams bot (`channels.teams`) on the Bot Framework protocol: the bot's token
 * (client credentials at the tenant), the Bot Connector client, the verifier of inbound tokens,
 * the outbound channel and the messaging endpoint at {@link TEAMS_MESSAGES_PATH}. The app
 * password is read here, so a missing secret stops the gateway at start-up; nothing is fetched
 * from Microsoft until it is needed.
 */
export async function startTeamsApp(options: TeamsAppOptions): Promise<TeamsApp> {
  const { config, gateway } = options
  const logger = options.logger?.child({ channel: 'teams' })
  const clock = () => gateway.now()
  const tokens = new BotTokenSource({ appId: config.app_id, appPassword: resolveSecret(config.app_password), tenantId: config.tenant_id, loginUrl: config.login_url })
  const connector = new ConnectorClient(tokens)
  const conversations = new TeamsConversationStore(gateway.store.connection, clock)
  const identities = new TeamsIdentities({ connector, directory: gateway.directory, tenantId: config.tenant_id, allowedDomains: config.allowed_domains })
  const receiver = new TeamsReceiver({
    verifier: new BotFrameworkVerifier({ appId: config.app_id, openIdMetadataUrl: config.openid_metadata, clock }),
    tenantId: config.tenant_id,
    outbox: options.outbox,
    reviews: new TeamsReviews({ gateway, connector, identities, conversations, publicUrl: options.publicUrl, logger }),
    installations: new TeamsInstallations({ conversations, identities, tenantId: config.tenant_id, logger }),
    logger,
  })
  return {
    channel: new TeamsChannel({ connector, conversations, config, humans: options.humans }),
    route: { path: TEAMS_MESSAGES_PATH, handle: (request) => receiver.handle(request) },
    stop: () => receiver.stop(),
  }
}

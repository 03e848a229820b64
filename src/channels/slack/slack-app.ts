import { App, LogLevel, SocketModeReceiver, type Logger as BoltLogger } from '@slack/bolt'
import { WebClient } from '@slack/web-api'
import type { Logger } from 'pino'
import { resolveSecret, type SlackConfig } from '../../config/index.js'
import type { Human } from '../../lifecycle/index.js'
import type { Gateway } from '../../service/index.js'
import type { OutboxStore } from '../../store/index.js'
import type { ChannelRoute } from '../routes.js'
import { SlackIdentities } from './identity.js'
import { registerInteractions } from './interactions.js'
import { SLACK_INTERACTIONS_PATH, SlackHttpReceiver } from './receiver.js'
import { SlackChannel } from './slack-channel.js'

/** What the Slack app is built from. */
export interface SlackAppOptions {
  readonly config: SlackConfig
  readonly gateway: Gateway
  readonly outbox: OutboxStore
  /** The configured humans, for direct messages to approvers. */
  readonly humans: readonly Human[]
  readonly logger?: Logger | undefined
}

/** A running Slack app: its outbound channel, its inbound route (none in Socket Mode), and how to stop it. */
export interface SlackApp {
  readonly channel: SlackChannel
  readonly route: ChannelRoute | undefined
  stop(): Promise<void>
}

/**
 * Builds the Slack app (docs/configuration.md, `channels.slack`): one Web API client for every call
 * ({@link slackWebClient}), the Bolt app with the interaction listeners, and either our HTTP receiver (mounted
 * at {@link SLACK_INTERACTIONS_PATH}) or, with `socket_mode`, Bolt's Socket Mode receiver. The
 * secrets are read here, when first used.
 */
export async function startSlackApp(options: SlackAppOptions): Promise<SlackApp> {
  const { config, gateway, logger } = options
  const log = logger?.child({ channel: 'slack' })
  const client = slackWebClient(resolveSecret(config.bot_token), config.api_url, log)
  const channel = new SlackChannel(client, config, options.humans)
  const identities = new SlackIdentities({ client, directory: gateway.directory, teamId: config.team_id, allowedDomains: config.allowed_domains })
  const receiver = config.socket_mode
    ? new SocketModeReceiver({ appToken: resolveSecret(config.socket_mode.app_token), logger: boltLogger(log), installerOptions: { clientOptions: { slackApiUrl: config.api_url } } })
    : new SlackHttpReceiver({ signingSecret: resolveSecret(config.signing_secret!), teamId: config.team_id, outbox: options.outbox, clock: () => gateway.now(), logger: log })
  // Every call goes through `client`; Bolt's own clients are never used, so no auth.test at start-up.
  const app = new App({ receiver, authorize: async () => ({}), logger: boltLogger(log), convoStore: false, ignoreSelf: false })
  registerInteractions(app, { gateway, client, identities, teamId: config.team_id, logger: log })
  // Slack being unreachable must not keep the gateway from starting: the socket connects (and reconnects) in the background.
  if (receiver instanceof SocketModeReceiver) app.start().catch((error: unknown) => log?.error({ err: error }, 'Socket Mode could not connect to Slack'))
  return {
    channel,
    route: receiver instanceof SlackHttpReceiver ? { path: SLACK_INTERACTIONS_PATH, handle: (request) => receiver.handle(request) } : undefined,
    stop: async () => {
      await app.stop()
    },
  }
}

/**
 * The Web API client every Slack call goes through: pointed at `apiUrl`, with no retries of its
 * own (a rate limit is an error carrying its `Retry-After`): the outbox retries deliveries, and
 * a click's calls must answer quickly or not at all.
 */
export function slackWebClient(token: string, apiUrl: string, logger?: Logger | undefined): WebClient {
  return new WebClient(token, { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 10_000, logger: boltLogger(logger) })
}

/** Bolt's and the Web API client's logger interface over pino; messages at info and below go to debug (they are chatty). */
function boltLogger(logger: Logger | undefined): BoltLogger {
  let level = LogLevel.INFO
  const line = (parts: unknown[]) => parts.map((part) => (part instanceof Error ? part.message : typeof part === 'string' ? part : JSON.stringify(part))).join(' ')
  return {
    debug: (...parts) => logger?.trace(line(parts)),
    info: (...parts) => logger?.debug(line(parts)),
    warn: (...parts) => logger?.warn(line(parts)),
    error: (...parts) => logger?.error({ err: parts.find((part) => part instanceof Error) }, line(parts)),
    setLevel: (next) => void (level = next),
    getLevel: () => level,
    setName: () => {},
  }
}

import type { Logger } from 'pino'
import type { Config } from '../config/index.js'
import type { Gateway } from '../service/index.js'
import { OutboxStore } from '../store/index.js'
import { configuredHumans } from './approvers.js'
import type { Channel } from './channel.js'
import { OutboxDispatcher, type DispatcherOptions } from './dispatcher.js'
import type { ChannelRoute } from './routes.js'
import { startSlackApp } from './slack/index.js'
import { startTeamsApp } from './teams/index.js'
import { EmailChannel } from './email/index.js'
import { PagerDutyIncidentChannel } from './pagerduty/index.js'

/** Periods of the outbox dispatchers that tests shorten. */
export type ChannelTuning = Partial<Pick<DispatcherOptions, 'pollMs' | 'leaseMs' | 'retryBaseMs' | 'maxRetryMs' | 'maxAttempts'>>

/** What the configured channels are started with. */
export interface ChannelsOptions {
  readonly config: Config
  readonly gateway: Gateway
  /** Base of the console links in messages. */
  readonly publicUrl: string
  readonly logger?: Logger | undefined
  readonly tuning?: ChannelTuning | undefined
}

/** The running channels: their inbound routes, for the server to mount, and how to stop them. */
export interface StartedChannels {
  readonly routes: readonly ChannelRoute[]
  /** Stops inbound work first (waiting for acknowledged clicks), then the dispatchers. */
  stop(): Promise<void>
}

/**
 * Starts every channel the config enables (`channels.slack`, `channels.teams`), each with its
 * outbox dispatcher. Nothing is started when none is configured.
 */
export async function startChannels(options: ChannelsOptions): Promise<StartedChannels> {
  const { config, gateway, logger } = options
  const incidents = config.oncall?.pagerduty?.events
  if (!config.channels.slack && !config.channels.teams && !config.channels.email && !incidents) return { routes: [], stop: async () => {} }
  const outbox = new OutboxStore(gateway.store.connection, () => gateway.now())
  const humans = configuredHumans(config, gateway.directory)
  const apps: { readonly channel: Channel; readonly route: ChannelRoute | undefined; stop(): Promise<void> }[] = []
  const dispatchers: OutboxDispatcher[] = []
  const stop = async () => {
    for (const app of apps) await app.stop()
    for (const dispatcher of dispatchers) await dispatcher.stop()
  }
  try {
    if (config.channels.slack) apps.push(await startSlackApp({ config: config.channels.slack, gateway, outbox, humans, logger }))
    if (config.channels.teams) apps.push(await startTeamsApp({ config: config.channels.teams, gateway, outbox, humans, publicUrl: options.publicUrl, logger }))
    if (incidents) apps.push({ channel: new PagerDutyIncidentChannel(incidents), route: undefined, stop: async () => {} })
    if (config.channels.email) {
      const email = new EmailChannel(config.channels.email, humans)
      apps.push({ channel: email, route: undefined, stop: async () => email.close() })
    }
    for (const app of apps) {
      const dispatcher = new OutboxDispatcher({ ...options.tuning, outbox, gateway, channel: app.channel, publicUrl: options.publicUrl, logger })
      dispatchers.push(dispatcher)
      await dispatcher.start()
    }
  } catch (error) {
    await stop()
    throw error
  }
  return { routes: apps.flatMap((app) => (app.route ? [app.route] : [])), stop }
}

import type { Logger } from 'pino'
import type { Config } from '../../config/index.js'
import { WebhookCursorStore, type Store } from '../../store/index.js'
import { DEFAULT_AUDIT_ORIGIN } from '../../service/index.js'
import { WebhookSender, type WebhookSenderOptions } from './webhook-sender.js'

export { WebhookSender } from './webhook-sender.js'
export type { WebhookSenderOptions } from './webhook-sender.js'

/** Periods of the senders that tests shorten. */
export type WebhookTuning = Partial<Pick<WebhookSenderOptions, 'pollMs' | 'leaseMs' | 'retryBaseMs' | 'maxRetryMs' | 'timeoutMs'>>

/**
 * Starts a sender per `channels.webhooks` entry; a secret that cannot be read stops the gateway
 * here. Returns how to stop them.
 */
export async function startWebhooks(options: { config: Config; store: Store; publicUrl: string; clock?: () => Date; logger?: Logger | undefined; tuning?: WebhookTuning | undefined }): Promise<{ stop(): Promise<void> }> {
  const cursors = new WebhookCursorStore(options.store.connection, options.clock)
  const senders = options.config.channels.webhooks.map((webhook) => new WebhookSender({ ...options.tuning, webhook, store: options.store, cursors, publicUrl: options.publicUrl, origin: options.config.audit.origin ?? DEFAULT_AUDIT_ORIGIN, logger: options.logger }))
  for (const sender of senders) await sender.start()
  return { stop: async () => void (await Promise.all(senders.map((sender) => sender.stop()))) }
}

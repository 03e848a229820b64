import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import { Webhook } from 'standardwebhooks'
import { toCloudEvent, toOcsf } from '../../audit/index.js'
import { resolveSecret, type WebhookConfig } from '../../config/index.js'
import { CountersignError } from '../../errors/index.js'
import { webhookEndpointId, type Store, type WebhookCursorStore } from '../../store/index.js'
import { timerDelay } from '../../time/index.js'

/** What a sender is made of; the periods have defaults that suit production. */
export interface WebhookSenderOptions {
  readonly webhook: WebhookConfig
  readonly store: Store
  readonly cursors: WebhookCursorStore
  /** Base of the links in event payloads. */
  readonly publicUrl: string
  /** The log's origin (`audit.origin`): OCSF and CloudEvents ids are `<origin>/<seq>`. */
  readonly origin: string
  readonly logger?: Logger | undefined
  readonly pollMs?: number
  readonly leaseMs?: number
  readonly retryBaseMs?: number
  readonly maxRetryMs?: number
  /** How long one delivery may take. */
  readonly timeoutMs?: number
}

/** Events read per pass. */
const BATCH = 100

/**
 * Sends the audit log's events to one endpoint as Standard Webhooks (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature: v1,…` over `id.timestamp.body`, HMAC-SHA256 with the
 * `whsec_` secret), in order and once each: the endpoint's cursor moves past an event only when
 * the endpoint answered 2xx; a failure is retried with exponential backoff before any later
 * event is sent. Any replica can send; one at a time holds the endpoint's lease.
 */
export class WebhookSender {
  readonly #o: Required<Omit<WebhookSenderOptions, 'logger'>> & { logger: Logger | undefined }
  readonly #endpoint: string
  readonly #signer: Webhook
  readonly #owner = `webhook:${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  readonly #filter: (type: string) => boolean
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = false

  constructor(options: WebhookSenderOptions) {
    this.#o = { pollMs: 1_000, leaseMs: 60_000, retryBaseMs: 1_000, maxRetryMs: 300_000, timeoutMs: 10_000, ...options, logger: options.logger }
    this.#endpoint = webhookEndpointId(options.webhook.url)
    try {
      this.#signer = new Webhook(resolveSecret(options.webhook.secret))
    } catch (error) {
      if (error instanceof CountersignError) throw error
      throw new CountersignError('INVALID', `channels.webhooks: the secret ${options.webhook.secret.ref} is not a Standard Webhooks secret (whsec_ followed by base64)`)
    }
    const patterns = options.webhook.events
    this.#filter = patterns ? (type) => patterns.some((pattern) => (pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern)) : () => true
  }

  /** Opens the endpoint's cursor (at the log's head for a new endpoint) and starts sending. */
  async start(): Promise<void> {
    await this.#o.cursors.open(this.#endpoint)
    this.#schedule(0)
  }

  /** Stops sending and waits for the delivery under way. */
  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.#running = this.#pass().finally(() => this.#schedule(this.#o.pollMs))
    }, timerDelay(delayMs))
    this.#timer.unref()
  }

  async #pass(): Promise<void> {
    try {
      const cursor = await this.#o.cursors.claim(this.#endpoint, this.#owner, this.#o.leaseMs)
      if (!cursor) return
      let seq = cursor.seq
      for (;;) {
        const events = await this.#o.store.auditEvents(seq, BATCH)
        for (const event of events) {
          if (this.#stopped) break
          const body = JSON.parse(event.event) as { type: string }
          if (this.#filter(body.type)) {
            const failure = await this.#deliver(event.seq, event.hash, body)
            if (failure) {
              const delay = Math.min(this.#o.maxRetryMs, this.#o.retryBaseMs * 2 ** cursor.attempts)
              await this.#o.cursors.failed(this.#endpoint, this.#owner, new Date(Date.now() + delay), failure)
              this.#o.logger?.warn({ webhook: redactUrl(this.#o.webhook.url), seq: event.seq, attempts: cursor.attempts + 1, error: failure }, 'webhook delivery failed; retrying later')
              return
            }
          }
          if (!(await this.#o.cursors.advance(this.#endpoint, this.#owner, event.seq))) return
          seq = event.seq
        }
        if (events.length < BATCH || this.#stopped) break
      }
      await this.#o.cursors.release(this.#endpoint, this.#owner)
    } catch (error) {
      this.#o.logger?.error({ err: error, webhook: redactUrl(this.#o.webhook.url) }, 'webhook pass failed; retrying at the next one')
    }
  }

  /** Sends one event; returns why it failed, or `undefined` when the endpoint took it. */
  async #deliver(seq: number, hash: string, event: { type: string } & Record<string, unknown>): Promise<string | undefined> {
    const id = `evt_${seq}`
    const at = new Date()
    const actionId = typeof event['action_id'] === 'string' ? event['action_id'] : undefined
    const format = this.#o.webhook.format
    const payload = JSON.stringify(
      format === 'ocsf'
        ? toOcsf({ seq, hash, event }, this.#o.origin)
        : format === 'cloudevents'
          ? toCloudEvent({ seq, hash, event }, this.#o.origin)
          : { type: event.type, timestamp: event['at'], data: { ...event, hash, ...(actionId && { links: { console: `${this.#o.publicUrl}/actions/${actionId}`, api: `${this.#o.publicUrl}/v1/actions/${actionId}` } }) } },
    )
    try {
      const response = await fetch(this.#o.webhook.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#o.timeoutMs),
        headers: {
          // CloudEvents in structured mode say so in their media type (CloudEvents HTTP binding).
          'content-type': format === 'cloudevents' ? 'application/cloudevents+json' : 'application/json',
          'user-agent': 'Countersign-Webhooks',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': this.#signer.sign(id, at, payload),
        },
        body: payload,
      })
      await response.body?.cancel()
      return response.status >= 200 && response.status < 300 ? undefined : `HTTP ${response.status}`
    } catch (error) {
      return (error as Error).name === 'TimeoutError' ? `no answer within ${this.#o.timeoutMs} ms` : `cannot reach the endpoint (${(error as NodeJS.ErrnoException).cause ? String(((error as Error).cause as NodeJS.ErrnoException).code ?? 'network error') : 'network error'})`
    }
  }
}

/** The endpoint for logs: its origin and path, never a token in its query. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return '(invalid URL)'
  }
}

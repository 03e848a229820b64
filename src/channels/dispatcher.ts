import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import { conflictedHumans } from '../lifecycle/index.js'
import type { ReviewRequirement } from '../policy/index.js'
import type { Gateway } from '../service/index.js'
import { ACTIONS_CHANNEL, ANNOUNCING_EVENTS, type AnnouncedAction, type OutboxEvent, type OutboxMessage, type OutboxStore } from '../store/index.js'
import type { StoredAuditEvent } from '../audit/index.js'
import type { Reminder } from '../lifecycle/index.js'
import type { Channel } from './channel.js'
import { messageContent } from './message.js'
import { timerDelay } from '../time/index.js'

/** The newest `request.reminded` event after `afterSeq` up to `uptoSeq`, as the reminder it is. */
function latestReminder(events: readonly StoredAuditEvent[], afterSeq: number, uptoSeq: number): Reminder | undefined {
  for (let index = events.length - 1; index >= 0; index--) {
    const stored = events[index]!
    if (stored.seq <= afterSeq) return undefined
    if (stored.seq > uptoSeq) continue
    const event = JSON.parse(stored.event) as { type: string; data: { rule?: unknown; count?: unknown; approvers?: unknown } }
    if (event.type !== 'request.reminded') continue
    return { rule: String(event.data.rule ?? ''), count: Number(event.data.count ?? 1), approvers: Array.isArray(event.data.approvers) ? event.data.approvers.map(String) : [] }
  }
  return undefined
}

/** Audit events read per transaction while catching up. */
const EVENT_BATCH = 500

/** What a dispatcher is made of; the periods have defaults that suit production. */
export interface DispatcherOptions {
  readonly outbox: OutboxStore
  readonly gateway: Gateway
  readonly channel: Channel
  /** Base of the console links in messages. */
  readonly publicUrl: string
  readonly logger?: Logger | undefined
  /** How often to look for work without a wake-up (new pending actions are not notified). */
  readonly pollMs?: number
  /** How long a claimed message stays this replica's; longer than any one send takes. */
  readonly leaseMs?: number
  /** First retry delay; doubled per failed attempt, up to `maxRetryMs`. */
  readonly retryBaseMs?: number
  readonly maxRetryMs?: number
  /** Failed attempts after which a message is given up on (until its action changes again). */
  readonly maxAttempts?: number
  /** Messages sent at once. */
  readonly concurrency?: number
}

/**
 * Keeps a channel's messages in step with their actions, on every replica at once: derives
 * deliveries from the audit log into the outbox (announce each new pending action, mark its
 * messages behind on every later event), then claims the messages that are behind and sends
 * each one rendering its action's current state: the first send announces it, every later one
 * updates it in place. Failures are retried with exponential backoff (or the platform's
 * `Retry-After`), from the store, so a restart or another replica carries on.
 */
export class OutboxDispatcher {
  readonly id: string
  readonly #o: Required<Omit<DispatcherOptions, 'logger'>> & { logger: Logger | undefined }
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #again = false
  #stopped = false
  #unlisten: (() => Promise<void>) | undefined

  constructor(options: DispatcherOptions) {
    this.#o = { pollMs: 1_000, leaseMs: 60_000, retryBaseMs: 1_000, maxRetryMs: 300_000, maxAttempts: 12, concurrency: 4, ...options, logger: options.logger }
    this.id = `${options.channel.name}:${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  }

  /** Opens the channel's cursor, listens for changes of actions and starts the first pass. */
  async start(): Promise<void> {
    await this.#o.outbox.openCursor(this.#o.channel.name)
    this.#unlisten = await this.#o.gateway.store.connection.listen(ACTIONS_CHANNEL, () => this.wake())
    this.wake()
  }

  /** Runs a pass soon (coalesced with one already running). */
  wake(): void {
    if (this.#stopped) return
    if (this.#running) {
      this.#again = true
      return
    }
    clearTimeout(this.#timer)
    this.#running = this.#pass().finally(() => {
      this.#running = undefined
      if (this.#again) {
        this.#again = false
        this.wake()
      } else if (!this.#stopped) {
        this.#timer = setTimeout(() => this.wake(), timerDelay(this.#o.pollMs))
        this.#timer.unref()
      }
    })
  }

  /** Stops taking work and waits for the pass under way. */
  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#unlisten?.()
    await this.#running
  }

  async #pass(): Promise<void> {
    try {
      const name = this.#o.channel.name
      for (;;) {
        const { events } = await this.#o.outbox.advance(name, (batch, pending) => this.#plan(batch, pending), EVENT_BATCH)
        if (events < EVENT_BATCH) break
      }
      for (;;) {
        const claimed = await this.#o.outbox.claim(name, this.id, this.#o.leaseMs, this.#o.concurrency)
        await Promise.all(claimed.map((message) => this.#send(message)))
        if (claimed.length < this.#o.concurrency || this.#stopped) break
      }
    } catch (error) {
      this.#o.logger?.error({ err: error, channel: this.#o.channel.name }, 'channel outbox pass failed; retrying at the next one')
    }
  }

  #plan(events: readonly OutboxEvent[], pending: ReadonlyMap<string, AnnouncedAction>): { actionId: string; destination: string }[] {
    const planned: { actionId: string; destination: string }[] = []
    for (const event of events) {
      const action = ANNOUNCING_EVENTS.includes(event.type) && event.actionId ? pending.get(event.actionId) : undefined
      const glass = event.type === 'break_glass.used'
      if (!action || (!glass && action.status !== 'pending')) continue
      const asked = (action.decision['requirements'] ?? []) as readonly ReviewRequirement[]
      // Break-glass is loud: the rule's `notify` destinations hear of it too, besides where the request was asked.
      const requirements = glass ? asked.map((requirement) => ({ ...requirement, channels: [...requirement.channels, ...(requirement.break_glass?.notify ?? [])] })) : asked
      const submitter = action.submittedBy.startsWith('human:') ? action.submittedBy.slice('human:'.length) : undefined
      const conflicted = conflictedHumans({ owner: action.owner ?? undefined, onBehalfOf: action.onBehalfOf ?? undefined, submitter, tokenIssuer: action.tokenIssuedBy ?? undefined })
      const destinations = this.#o.channel.destinations({ id: action.id, requirements, conflicted })
      if (destinations.length === 0 && !this.#o.channel.selective) this.#o.logger?.warn({ action_id: action.id, channel: this.#o.channel.name }, 'no destination to announce the action to')
      for (const destination of new Set(destinations)) planned.push({ actionId: action.id, destination })
    }
    return planned
  }

  async #send(message: OutboxMessage): Promise<void> {
    const { gateway, channel, outbox, logger } = this.#o
    try {
      const record = await gateway.store.getAction(message.actionId)
      if (!record) throw new Error(`action ${message.actionId} is gone`)
      const [reviews, events] = await Promise.all([gateway.store.getReviews(record.id), gateway.store.actionEvents(record.id)])
      const content = messageContent({ record, reviews }, { publicUrl: this.#o.publicUrl, env: gateway.directory.target(record.target)?.labels['env'], events })
      let ref = message.ref
      if (ref === null) ref = await channel.announce(message.destination, content)
      else {
        await channel.update(ref, content)
        // A reminder since the last send asks the same people again: a new notification, not only an edit.
        const reminder = channel.remind && record.status === 'pending' ? latestReminder(events, message.sentSeq, message.wantedSeq) : undefined
        if (reminder) await channel.remind!(ref, content, reminder)
      }
      if (!(await outbox.complete(message, this.id, ref))) logger?.warn({ action_id: message.actionId, destination: message.destination }, 'a channel message was sent after its lease ended')
    } catch (error) {
      const failure = channel.failure(error)
      const attempts = message.attempts + 1
      const dead = failure.permanent || attempts >= this.#o.maxAttempts
      const backoff = Math.min(this.#o.retryBaseMs * 2 ** (attempts - 1), this.#o.maxRetryMs) * (1 + Math.random() * 0.2)
      const retryAt = new Date(gateway.now().getTime() + Math.max(backoff, failure.retryAfterMs ?? 0))
      const log = { action_id: message.actionId, channel: channel.name, destination: message.destination, attempts, error: failure.message }
      if (dead) logger?.error(log, 'giving up on a channel message until its action changes again')
      else logger?.warn({ ...log, retry_at: retryAt.toISOString() }, 'a channel message failed; retrying')
      await outbox.fail(message, this.id, { error: failure.message, retryAt, dead }).catch((err: unknown) => logger?.error({ err }, 'recording a failed channel message failed'))
    }
  }
}

import type { Logger } from 'pino'
import type { AuditLog } from './audit-log.js'
import type { Gateway } from './gateway.js'
import { timerDelay } from '../time/index.js'

/**
 * Work no request triggers: expiring pending requests and unexecuted approvals at their deadline,
 * and signing audit checkpoints. Every replica runs it; the store's row locks make each expiry
 * happen once. The sweep runs at the next deadline (and at least every `sweepMs`), so an action
 * expires on time, not up to a polling interval late.
 */
export class Background {
  readonly #gateway: Gateway
  readonly #audit: AuditLog
  readonly #logger: Logger | undefined
  readonly #sweepMs: number
  readonly #checkpointMs: number
  #sweepTimer: NodeJS.Timeout | undefined
  #checkpointTimer: NodeJS.Timeout | undefined
  #running: Promise<void> = Promise.resolve()
  #stopped = false

  constructor(options: { gateway: Gateway; audit: AuditLog; logger?: Logger | undefined; sweepMs?: number; checkpointMs: number }) {
    this.#gateway = options.gateway
    this.#audit = options.audit
    this.#logger = options.logger
    this.#sweepMs = options.sweepMs ?? 1000
    this.#checkpointMs = options.checkpointMs
  }

  start(): void {
    this.#schedule(0)
    this.#checkpointTimer = setInterval(() => void this.#checkpoint(), this.#checkpointMs)
    this.#checkpointTimer.unref()
  }

  /** Runs a sweep now (e.g. after an action with an earlier deadline was created). */
  #schedule(delayMs: number): void {
    if (this.#stopped) return
    clearTimeout(this.#sweepTimer)
    this.#sweepTimer = setTimeout(() => {
      this.#running = this.#sweep()
    }, timerDelay(Math.min(delayMs, this.#sweepMs)))
    this.#sweepTimer.unref()
  }

  async #sweep(): Promise<void> {
    let next = this.#sweepMs
    try {
      const { expired, failed } = await this.#gateway.expireDue()
      if (expired > 0) this.#logger?.info({ expired }, 'expired actions')
      if (failed > 0) this.#logger?.error({ failed }, 'some due actions could not be expired; retrying at the next sweep')
      const overdue = await this.#gateway.flagOverdueBreakGlass()
      if (overdue > 0) this.#logger?.warn({ overdue }, 'break-glass approvals past their review window without a review')
      const routed = await this.#gateway.routeDue()
      if (routed.steps > 0) this.#logger?.info({ steps: routed.steps }, 'sent reminders and escalations')
      if (routed.failed > 0) this.#logger?.error({ failed: routed.failed }, 'some reminders or escalations failed; retrying at the next sweep')
      const [deadline, routeAt] = await Promise.all([this.#gateway.store.nextDeadline(), this.#gateway.store.nextRouteAt()])
      const soonest = Math.min(deadline?.getTime() ?? Infinity, routeAt?.getTime() ?? Infinity)
      // On the gateway's clock, as the deadlines are: a wall-clock difference would spin on a clock set apart from it.
      if (soonest !== Infinity) next = soonest - this.#gateway.now().getTime() + 5
    } catch (error) {
      this.#logger?.error({ err: error }, 'expiry sweep failed')
    }
    this.#schedule(next)
  }

  async #checkpoint(): Promise<void> {
    try {
      await this.#audit.checkpoint()
    } catch (error) {
      this.#logger?.error({ err: error }, 'audit checkpoint failed')
    }
  }

  /** Stops the timers, waits for a running sweep and writes a last checkpoint. */
  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#sweepTimer)
    clearInterval(this.#checkpointTimer)
    await this.#running
    await this.#checkpoint()
  }
}

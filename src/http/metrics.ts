import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** The gateway's Prometheus metrics, on a registry of their own (several gateways may share a process in tests). */
export class Metrics {
  readonly registry = new Registry()
  readonly requests = new Histogram({
    name: 'countersign_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 60],
    registers: [this.registry],
  })
  readonly decisions = new Counter({ name: 'countersign_decisions_total', help: 'Submitted actions by decision', labelNames: ['effect', 'kind'] as const, registers: [this.registry] })
  readonly reviews = new Counter({ name: 'countersign_reviews_total', help: 'Accepted reviews by decision and channel', labelNames: ['decision', 'channel'] as const, registers: [this.registry] })
  readonly refusals = new Counter({ name: 'countersign_refusals_total', help: 'Refused requests by error code', labelNames: ['code'] as const, registers: [this.registry] })
  readonly waiters = new Gauge({ name: 'countersign_waiters', help: 'Requests and streams waiting for an action to change', registers: [this.registry] })
  readonly breakGlass = new Counter({ name: 'countersign_break_glass_total', help: 'Break-glass approvals by channel', labelNames: ['channel'] as const, registers: [this.registry] })

  /** `breakGlassOverdue`: how many break-glass approvals are past their review window unreviewed, read at each scrape. */
  constructor(options: { defaults?: boolean; breakGlassOverdue?: () => Promise<number> } = {}) {
    if (options.defaults) collectDefaultMetrics({ register: this.registry })
    const overdue = options.breakGlassOverdue
    if (overdue) {
      new Gauge({
        name: 'countersign_break_glass_overdue',
        help: 'Break-glass approvals past their review window without an after-the-fact review',
        registers: [this.registry],
        async collect() {
          this.set(await overdue())
        },
      })
    }
  }
}

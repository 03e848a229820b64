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
  readonly shadowHits = new Counter({ name: 'countersign_shadow_hits_total', help: 'Decisions a shadow rule (mode: shadow) applied to, by rule and the effect it would have had', labelNames: ['rule', 'effect'] as const, registers: [this.registry] })
  readonly waiters = new Gauge({ name: 'countersign_waiters', help: 'Requests and streams waiting for an action to change', registers: [this.registry] })

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults) collectDefaultMetrics({ register: this.registry })
  }
}

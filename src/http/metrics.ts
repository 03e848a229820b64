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
  readonly breakGlass = new Counter({ name: 'countersign_break_glass_total', help: 'Break-glass approvals by channel', labelNames: ['channel'] as const, registers: [this.registry] })

  /** Set by the gateway: what the audit log's witnesses last cosigned, read at each scrape. */
  auditWitnesses: (() => Promise<AuditWitnessStatus>) | undefined
  readonly auditTreeSize = new Gauge({
    name: 'countersign_audit_checkpoint_tree_size',
    help: 'Tree size of the newest signed audit checkpoint',
    registers: [this.registry],
    collect: () => this.#auditScrape(),
  })
  readonly auditWitnessTreeSize = new Gauge({ name: 'countersign_audit_witness_tree_size', help: 'Largest audit tree size each configured witness cosigned (0: never)', labelNames: ['witness'] as const, registers: [this.registry], collect: () => this.#auditScrape() })
  readonly auditWitnessLag = new Gauge({ name: 'countersign_audit_witness_lag_events', help: 'Events between the newest signed checkpoint and what each witness last cosigned', labelNames: ['witness'] as const, registers: [this.registry], collect: () => this.#auditScrape() })
  readonly auditWitnessCosigned = new Gauge({ name: 'countersign_audit_witness_cosigned_timestamp_seconds', help: 'When each witness last cosigned (its own clock; 0: never)', labelNames: ['witness'] as const, registers: [this.registry], collect: () => this.#auditScrape() })
  readonly auditWitnessQuorum = new Gauge({ name: 'countersign_audit_witness_quorum', help: 'audit.witness_quorum: cosignatures required on each tree head once it is the checkpoint interval plus a margin old', registers: [this.registry], collect: () => this.#auditScrape() })
  readonly auditQuorumCosignatures = new Gauge({ name: 'countersign_audit_quorum_cosignatures', help: 'Listed witnesses that cosigned the newest tree head older than the checkpoint interval plus a margin (below countersign_audit_witness_quorum: nobody enough vouches for it)', registers: [this.registry], collect: () => this.#auditScrape() })
  #auditPending: Promise<void> | undefined

  /** One read of the witness status per scrape, shared by the four gauges (collected concurrently). */
  #auditScrape(): Promise<void> {
    this.#auditPending ??= this.#collectAuditWitnesses().finally(() => {
      this.#auditPending = undefined
    })
    return this.#auditPending
  }

  async #collectAuditWitnesses(): Promise<void> {
    const status = await this.auditWitnesses?.().catch(() => undefined)
    if (status === undefined) return
    this.auditTreeSize.set(status.treeSize)
    if (status.quorum) {
      this.auditWitnessQuorum.set(status.quorum.required)
      this.auditQuorumCosignatures.set(status.quorum.cosigned)
    }
    for (const witness of status.witnesses) {
      this.auditWitnessTreeSize.set({ witness: witness.name }, witness.treeSize)
      this.auditWitnessLag.set({ witness: witness.name }, Math.max(0, status.treeSize - witness.treeSize))
      this.auditWitnessCosigned.set({ witness: witness.name }, witness.cosignedAt ? witness.cosignedAt.getTime() / 1000 : 0)
    }
  }

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

/** The audit log's witness status as `/metrics` shows it. */
export interface AuditWitnessStatus {
  readonly treeSize: number
  readonly witnesses: readonly { readonly name: string; readonly treeSize: number; readonly cosignedAt: Date | undefined }[]
  /** `audit.witness_quorum` and the cosignatures of the newest tree head due (see `WitnessStatus` in the audit log service). */
  readonly quorum?: { readonly required: number; readonly treeSize: number; readonly cosigned: number }
}

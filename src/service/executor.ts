import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import { ActionSchema } from '../action/index.js'
import type { TargetConfig } from '../config/index.js'
import type { Connector, ExecutionContext, ExecutionResult } from '../connectors/index.js'
import { traceOrigin } from '../telemetry/index.js'
import { CountersignError } from '../errors/index.js'
import type { ActionRecord, ReviewRecord } from '../store/index.js'
import { spanFacts, type ExecutionSlot, type Gateway } from './gateway.js'
import { timerDelay } from '../time/index.js'
import { grantCitationOf } from './grant-use.js'

/** Where the executor gets the connector of a target (built once, reused). */
export interface ConnectorSource {
  get(target: TargetConfig): Connector
}

/** What an executor is made of; the periods have defaults that suit production. */
export interface ExecutorOptions {
  readonly gateway: Gateway
  readonly connectors: ConnectorSource
  readonly logger?: Logger | undefined
  /** How long a claim holds without renewal; renewed every third of it while the action runs. */
  readonly leaseMs?: number
  /** Actions run at once by this replica. */
  readonly concurrency?: number
  /** How often the store is asked for runnable actions that no wake-up announced (another replica's, a crash's). */
  readonly scanMs?: number
  /** This executor's name in leases and the audit log. */
  readonly id?: string
}

/**
 * Runs brokered actions (docs/concepts.md): claims an allowed or approved action with a lease
 * (`approved → executing`, one winner across replicas), runs exactly the stored text whose digest
 * was decided with the target's connector, renews the lease while it runs, and records the
 * bounded result. An execution whose lease ends (this process died) is failed by the expiry
 * sweep on any replica, never re-run.
 */
export class Executor {
  readonly id: string
  readonly #gateway: Gateway
  readonly #connectors: ConnectorSource
  readonly #logger: Logger | undefined
  readonly #leaseMs: number
  readonly #concurrency: number
  readonly #scanMs: number
  readonly #queue = new Set<string>()
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void> }>()
  /** Slots held for actions claimed as they are recorded (Gateway.executeAtOnce), not yet running: each resolves when given back. */
  readonly #reserved = new Set<Promise<void>>()
  #scanTimer: NodeJS.Timeout | undefined
  #stopped = true

  constructor(options: ExecutorOptions) {
    this.#gateway = options.gateway
    this.#connectors = options.connectors
    this.#logger = options.logger
    this.#leaseMs = options.leaseMs ?? 30_000
    this.#concurrency = options.concurrency ?? 8
    this.#scanMs = options.scanMs ?? 2_000
    this.id = options.id ?? `executor:${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
    this.#gateway.whenRunnable((id) => this.wake(id))
    this.#gateway.executeAtOnce(() => this.reserve())
  }

  /** Takes the actions the gateway makes runnable, and scans the store for others. */
  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    const scan = () => {
      this.#scanTimer = setTimeout(() => {
        void this.scan().finally(() => {
          if (!this.#stopped) scan()
        })
      }, timerDelay(this.#scanMs))
      this.#scanTimer.unref()
    }
    scan()
    void this.scan()
  }

  /** Queues one action to run now (a claim decides whether it still can). */
  wake(id: string): void {
    if (this.#stopped || this.#running.has(id)) return
    this.#queue.add(id)
    this.#pump()
  }

  /** Queues every runnable action in the store. */
  async scan(): Promise<void> {
    try {
      for (const id of await this.#gateway.store.runnableActions(100)) this.wake(id)
    } catch (error) {
      this.#logger?.error({ err: error }, 'looking for runnable actions failed')
    }
  }

  /** Stops taking work; running executions are aborted and their (failed) results recorded. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    clearTimeout(this.#scanTimer)
    this.#queue.clear()
    // An action claimed as it was recorded is run (and, aborted, recorded failed) like the others.
    await Promise.all(this.#reserved)
    for (const { controller } of this.#running.values()) controller.abort(new Error('the gateway is shutting down'))
    await Promise.all([...this.#running.values()].map(({ done }) => done))
  }

  /**
   * Holds one of this executor's slots for an action the gateway claims for it as it records it;
   * undefined when none is free or the executor is stopped. The slot counts against
   * `concurrency` until released or its run ends.
   */
  reserve(): ExecutionSlot | undefined {
    if (this.#stopped || this.#running.size + this.#reserved.size >= this.#concurrency) return undefined
    let giveBack = () => {}
    const held = new Promise<void>((resolve) => (giveBack = resolve))
    this.#reserved.add(held)
    const release = () => {
      if (!this.#reserved.delete(held)) return
      giveBack()
      this.#pump()
    }
    return {
      executor: this.id,
      leaseMs: this.#leaseMs,
      release,
      run: (record) => {
        release()
        return this.#start(record.id, (controller) => this.#runClaimed(record, controller))
      },
    }
  }

  #pump(): void {
    for (const id of this.#queue) {
      if (this.#running.size + this.#reserved.size >= this.#concurrency) return
      this.#queue.delete(id)
      if (this.#running.has(id)) continue
      void this.#start(id, (controller) => this.#execute(id, controller))
    }
  }

  /** Runs `body` as the execution of action `id`: counted as running, aborted by `stop()`. */
  #start<T>(id: string, body: (controller: AbortController) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    if (this.#stopped) controller.abort(new Error('the gateway is shutting down'))
    const done = body(controller).finally(() => {
      this.#running.delete(id)
      this.#pump()
    })
    this.#running.set(id, { controller, done: done.then(() => {}) })
    return done
  }

  async #execute(id: string, controller: AbortController): Promise<void> {
    let record: ActionRecord | undefined
    try {
      record = await this.#gateway.claimExecution(id, this.id, this.#leaseMs)
    } catch (error) {
      this.#logger?.error({ err: error, action_id: id }, 'claiming an action for execution failed')
      return
    }
    if (record) await this.#runClaimed(record, controller)
  }


  /** Runs an action this executor holds the lease of, renewing it meanwhile, and records the result (see #record). */
  async #runClaimed(record: ActionRecord, controller: AbortController): Promise<ActionRecord | undefined> {
    const id = record.id
    const heartbeat = setInterval(() => {
      const until = new Date(this.#gateway.now().getTime() + this.#leaseMs)
      this.#gateway.store.renewLease(id, this.id, until).then(
        (held) => {
          if (!held) controller.abort(new Error('the execution lease was lost'))
        },
        (error: unknown) => this.#logger?.warn({ err: error, action_id: id }, 'renewing an execution lease failed'),
      )
    }, timerDelay(Math.max(10, Math.floor(this.#leaseMs / 3))))
    const result = await this.#run(record, controller.signal).finally(() => clearInterval(heartbeat))
    return this.#record(record, result)
  }

  /** Runs the stored action; every failure becomes a `failed` result, never an exception. */
  async #run(record: ActionRecord, signal: AbortSignal): Promise<ExecutionResult> {
    const started = performance.now()
    // One trace id for the whole execution, recorded with its result whatever happens: the action's own, or one derived from its id.
    const traceId = traceOrigin(record.id, record.context['trace_id']).traceId
    const span = this.#gateway.telemetry.execution(spanFacts(record))
    let connectorType = 'none'
    const result = await this.#runIn(record, signal, traceId, span.spanId, started, (type) => (connectorType = type))
    span.end({ status: result.status, connector: connectorType, truncated: result.truncated })
    return result
  }

  async #runIn(record: ActionRecord, signal: AbortSignal, traceId: string, spanId: string | undefined, started: number, using: (type: string) => void): Promise<ExecutionResult> {
    const failed = (error: string): ExecutionResult => ({ status: 'failed', duration_ms: Math.round(performance.now() - started), truncated: false, error, trace_id: traceId })
    try {
      // What runs is the stored text whose digest was decided and approved (invariant 5): checked again here.
      if (createHash('sha256').update(record.actionJson, 'utf8').digest('hex') !== record.digest) {
        return failed('the stored action does not hash to its approved digest; it was not run')
      }
      const action = ActionSchema.parse(JSON.parse(record.actionJson))
      const target = this.#gateway.directory.target(record.target)
      if (!target?.connector) return failed(`target ${record.target} no longer has a connector in the configuration; the action was not run`)
      if (target.kind !== action.kind) return failed(`target ${record.target} is now of kind ${target.kind}, not ${action.kind}; the action was not run`)
      // An action the policy allowed was never reviewed: its reviews need no read.
      const reviews = record.decision['effect'] === 'allow' ? [] : await this.#gateway.store.getReviews(record.id)
      const context = executionContext(record, reviews, traceId, spanId)
      const connector = this.#connectors.get(target)
      using(connector.type)
      const result = await connector.execute({ actionId: record.id, action, target, facts: storedFacts(record), reviewed: record.decision['effect'] === 'review', context, signal })
      return { ...result, trace_id: traceId }
    } catch (error) {
      if (error instanceof CountersignError) return failed(error.message)
      // Unknown errors may quote connection details: the log gets the error, the result only its kind.
      this.#logger?.error({ err: error, action_id: record.id }, 'a connector failed unexpectedly')
      return failed(`the connector failed unexpectedly (${(error as Error)?.name ?? 'error'}); see the gateway's log`)
    }
  }

  /** Records the result; resolves with the action as recorded, or undefined when it was not. */
  async #record(claimed: ActionRecord, result: ExecutionResult): Promise<ActionRecord | undefined> {
    const id = claimed.id
    for (let attempt = 1; ; attempt++) {
      try {
        const finished = await this.#gateway.finishExecution(claimed, this.id, result)
        if (!finished) this.#logger?.warn({ action_id: id, status: result.status }, 'the execution finished after its lease was lost; its result was not recorded')
        return finished
      } catch (error) {
        if (attempt >= 5) {
          this.#logger?.error({ err: error, action_id: id }, 'recording an execution result failed; the lease will end and the action will be failed')
          return undefined
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt))
      }
    }
  }
}

/** The facts an action was decided on, from its stored impact; null when it has none. */
function storedFacts(record: ActionRecord): Readonly<Record<string, unknown>> | null {
  const facts = record.impact['facts']
  return facts && typeof facts === 'object' && !Array.isArray(facts) ? (facts as Record<string, unknown>) : null
}

/**
 * The identity context of one execution ("Identity at execution"): built once from
 * the stored record and its reviews, handed to the connector. `traceId` is the action's own W3C
 * trace id when its `context.trace_id` names one, else one derived from its id (traceOrigin), which
 * the result records; `spanId`: the execution's span when traces are exported.
 */
export function executionContext(record: ActionRecord, reviews: readonly ReviewRecord[], traceId: string, spanId?: string): ExecutionContext {
  const matched = record.decision['matched_rules']
  return {
    request_id: record.id,
    digest: record.digest,
    agent: record.agentId ?? record.submittedBy,
    agent_owner: record.owner,
    on_behalf_of: record.onBehalfOf,
    submitter: record.submittedBy,
    approvers: grantApprovers(record) ?? reviews.filter((review) => review.decision === 'approve').map((review) => ({ email: review.reviewer, channel: review.channel, at: review.at.toISOString() })),
    matched_rules: Array.isArray(matched) ? matched.filter((id): id is string => typeof id === 'string') : [],
    policy_version: record.policyVersion,
    trace_id: traceId,
    ...(spanId !== undefined && { span_id: spanId }),
  }
}

/** For an action a narrowing grant allowed: the humans who granted it, as its approvers (channel `grant`). */
function grantApprovers(record: ActionRecord): ExecutionContext['approvers'] | undefined {
  const grant = grantCitationOf(record)
  return grant?.reviewers.map((reviewer) => ({ email: reviewer.email, channel: 'grant', at: record.createdAt.toISOString() }))
}

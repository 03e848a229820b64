import { createHash } from 'node:crypto'
import { ActionDraftSchema, canonicalJson, type Action } from '../action/index.js'
import { plannableStatements, type AnalysisContext, type Analyzers } from '../analyzers/index.js'
import { CountersignError } from '../errors/index.js'
import {
  applyBreakGlass,
  applyReview,
  assertBreakGlassReviewer,
  assertTransition,
  canonicalEmail,
  conflictedHumans,
  dueRouting,
  isTerminal,
  nextRouting,
  requirementProgress,
  sameHuman,
  withDelegatedRights,
  type ActionStatus,
  type Human,
  type Principal,
  type Requesters,
  type ReviewDecision,
} from '../lifecycle/index.js'
import { calendarChanges, decide, type Calendars, type CompiledPolicy, type Decision, type ReviewRequirement } from '../policy/index.js'
import type { ActionChange, ActionRecord, AuditDraft, ReviewRecord, Store } from '../store/index.js'
import type { Directory } from '../config/index.js'
import { analyzeAction } from '../analyzers/index.js'
import { newActionId } from './ids.js'
import type { ExecutionResult } from '../connectors/index.js'
import type { ReceiptClaims } from './receipts.js'
import type { SqlCatalogs } from './sql-catalogs.js'
import type { Waiters } from './waiters.js'
import type { OnCallResolver } from './oncall.js'

/** Longest wait a caller may ask for (PRODUCT.md §6: `wait` ≤ 60 s). */
export const MAX_WAIT_MS = 60_000
/** Longest outcome output an agent may report; longer output is cut and said to be. */
export const MAX_OUTPUT_CHARS = 64 * 1024
/** How long an agent that redeemed a receipt has to report the outcome before the action is failed as unknown. */
export const REPORT_WINDOW_MS = 60 * 60_000

/** What a caller gets back for one action: the record and its reviews. */
export interface ActionState {
  readonly record: ActionRecord
  readonly reviews: readonly ReviewRecord[]
}

/** An agent's report of how an action it executed itself went. */
export interface OutcomeReport {
  readonly status: 'succeeded' | 'failed'
  readonly exit_code?: number | undefined
  readonly output?: string | undefined
  readonly error?: string | undefined
}

/** The parts the service is composed of. */
export interface GatewayParts {
  readonly store: Store
  readonly directory: Directory
  readonly analyzers: Analyzers
  /** The policy in force (it may be reloaded; decisions record its version). */
  readonly policy: () => CompiledPolicy
  readonly waiters: Waiters
  readonly clock?: () => Date
  /** The catalogs of `postgres` targets: without it, SQL is judged by name alone (`catalog_checked: false`). */
  readonly sqlCatalogs?: SqlCatalogs | undefined
  /** Config `calendars`: what `calendar.NAME` reads, at decision and again at execution. */
  readonly calendars?: Calendars | undefined
  /** Resolves `oncall:…` approvers when a request is submitted; without it they resolve to nobody. */
  readonly onCall?: OnCallResolver | undefined
}

/**
 * The use cases of the gateway: submit, review, cancel, report an outcome, expire, look. Every
 * transport (HTTP API, CLI, chat channels) calls these and nothing else; every rule about who
 * may do what is enforced here or in the pure lifecycle core, never in a transport.
 */
export class Gateway {
  readonly store: Store
  readonly directory: Directory
  readonly analyzers: Analyzers
  readonly waiters: Waiters
  readonly #policy: () => CompiledPolicy
  readonly #clock: () => Date
  readonly #sqlCatalogs: SqlCatalogs | undefined
  readonly #calendars: Calendars
  readonly #onCall: OnCallResolver | undefined
  readonly #runnableListeners: ((id: string) => void)[] = []

  constructor(parts: GatewayParts) {
    this.store = parts.store
    this.directory = parts.directory
    this.analyzers = parts.analyzers
    this.waiters = parts.waiters
    this.#policy = parts.policy
    this.#clock = parts.clock ?? (() => new Date())
    this.#sqlCatalogs = parts.sqlCatalogs
    this.#calendars = parts.calendars ?? {}
    this.#onCall = parts.onCall
  }

  /** The gateway's clock: server time for every record. */
  now(): Date {
    return this.#clock()
  }

  /** The policy in force. */
  get policy(): CompiledPolicy {
    return this.#policy()
  }

  /**
   * Validates, analyzes and decides an action, then records it (allowed, denied or pending) with
   * its audit events. With `waitMs`, a pending action is held until it leaves `pending`.
   */
  async submit(principal: Principal, input: unknown, options: { channel: string; waitMs?: number; signal?: AbortSignal }): Promise<ActionState> {
    const action = parseAction(input)
    // The context goes into an audit event: refuse here what canonical JSON cannot carry (a lone
    // surrogate), not inside a group commit where it would fail other agents' submissions too.
    canonicalJson(action.context)
    const known = await this.#prepare(action)
    const now = this.#clock()
    const decided = this.#decide(principal, action, now, known)
    const { impact, digest, actionJson } = decided
    // Who is on call now, for `oncall:…` approvers: asked once, at submission, and stored with the request.
    const decision = decided.decision.effect === 'review' && this.#onCall ? { ...decided.decision, requirements: await this.#onCall.resolveRequirements(decided.decision.requirements) } : decided.decision
    const status: ActionStatus = decision.effect === 'allow' ? 'allowed' : decision.effect === 'deny' ? 'denied' : 'pending'
    const expiresAt = status === 'pending' ? new Date(now.getTime() + Math.min(...decision.requirements.map((r) => r.timeout_ms))) : null
    const brokered = this.directory.target(action.target)?.connector !== undefined
    // An allowed action its agent runs itself must run within the policy's default execute_within,
    // as an approved one must: never run, it expires instead of staying allowed forever.
    const executeBy = status === 'allowed' && !brokered ? new Date(now.getTime() + this.#policy().defaultReview.execute_within_ms) : null
    const agent = principal.type === 'agent' ? principal : undefined
    const actor = actorOf(principal)
    const onBehalfOf = action.context.on_behalf_of ? canonicalEmail(action.context.on_behalf_of) : null
    const id = newActionId(now)
    const stored = storedDecision(decision)
    const record: Omit<ActionRecord, 'version' | 'updatedAt' | 'leaseOwner'> = {
      id,
      createdAt: now,
      status,
      kind: action.kind,
      target: action.target,
      submittedBy: actor,
      agentId: agent?.id ?? null,
      owner: agent?.owner ?? null,
      onBehalfOf,
      tokenIssuedBy: agent?.issuedBy ? canonicalEmail(agent.issuedBy) : null,
      actionJson,
      context: action.context,
      digest,
      decision: stored,
      impact,
      policyVersion: decision.policy_version,
      expiresAt,
      executeBy,
      deadline: expiresAt ?? executeBy,
      result: null,
      brokered,
      routeAt: expiresAt ? nextRouting({ createdAt: now, expiresAt, requirements: decision.requirements }) : null,
    }
    const base = { action_id: id, actor, channel: options.channel, digest, policy_version: decision.policy_version }
    const events: AuditDraft[] = [
      {
        ...base,
        type: 'action.submitted',
        data: { kind: action.kind, target: action.target, context: action.context, agent: agent?.id ?? null, owner: agent?.owner ?? null, ...(agent?.issuedBy && { token_issued_by: canonicalEmail(agent.issuedBy) }) },
      },
      {
        ...base,
        type: `action.${status}` as AuditDraft['type'],
        actor: 'system',
        data: { effect: decision.effect, matched_rules: decision.matched_rules, explanation: decision.explanation, ...(expiresAt && { expires_at: expiresAt.toISOString() }), ...(executeBy && { execute_by: executeBy.toISOString() }) },
      },
    ]
    await this.store.createAction({ record, events })
    const state: ActionState = { record: { ...record, updatedAt: now, version: 1, leaseOwner: null }, reviews: [] }
    if (record.brokered && status === 'allowed') this.#runnable(id)
    if (isSettled(state.record) || !options.waitMs) return state
    return this.waitForChange(principal, id, undefined, options.waitMs, options.signal)
  }

  /** Calls `listener` with the id of every brokered action this replica made runnable (allowed or approved). */
  whenRunnable(listener: (id: string) => void): void {
    this.#runnableListeners.push(listener)
  }

  #runnable(id: string): void {
    for (const listener of this.#runnableListeners) listener(id)
  }

  /** The decision for an action without recording anything (`POST /v1/decide`). */
  async dryRun(principal: Principal, input: unknown): Promise<{ action: Action; digest: string; decision: Decision; impact: Record<string, unknown> }> {
    const action = parseAction(input)
    const known = await this.#prepare(action)
    const { decision, impact, digest } = this.#decide(principal, action, this.#clock(), known)
    return { action, digest, decision, impact }
  }

  /**
   * What the analysis learns from the target before deciding (I/O, so it happens here and the
   * analyzers stay pure): for SQL on a `postgres` target, its catalog and the planner's row
   * estimates of the statements that can be planned without running anything not known harmless.
   * Never throws: what cannot be had is left out, and nothing is judged more permissively for it.
   */
  async #prepare(action: Action): Promise<Pick<AnalysisContext, 'sqlCatalog' | 'estimatedRows'>> {
    const catalogs = this.#sqlCatalogs
    if (action.kind !== 'sql' || catalogs === undefined || !catalogs.covers(action.target)) return {}
    const sql = (action.payload as { sql?: unknown }).sql
    if (typeof sql !== 'string') return {}
    try {
      const sqlCatalog = await catalogs.catalogFor(action.target)
      if (sqlCatalog === undefined) return {}
      const estimatedRows = await catalogs.estimate(action.target, plannableStatements(sql, sqlCatalog))
      return { sqlCatalog, estimatedRows }
    } catch {
      return {}
    }
  }

  #decide(principal: Principal, action: Action, now: Date, known: Pick<AnalysisContext, 'sqlCatalog' | 'estimatedRows'> = {}) {
    const target = this.directory.target(action.target)
    if (!target) throw new CountersignError('INVALID', `unknown target "${action.target}"`, { details: [{ path: 'target', message: 'no target with this name in the configuration' }] })
    // The same analysis as the CLI's policy tools: SQL read in the target's dialect (analyzeAction).
    const analysis = analyzeAction(this.analyzers, action, target, known)
    // The digest is the SHA-256 of exactly the canonical text that is stored and shown (actionDigest).
    const actionJson = canonicalJson({ kind: action.kind, target: action.target, payload: action.payload })
    const digest = createHash('sha256').update(actionJson, 'utf8').digest('hex')
    const impact = { summary: analysis?.summary ?? '', highlights: analysis?.highlights ?? [], facts: analysis?.facts ?? null }
    const agent = principal.type === 'agent' ? principal : undefined
    const decision = decide(this.#policy(), { action, target, agent, facts: analysis?.facts, digest, now, calendars: this.#calendars })
    return { decision, impact, digest, actionJson }
  }

  /** An action, if the principal may see it (agents see their own; humans see all). */
  async get(principal: Principal, id: string): Promise<ActionState> {
    let record = await this.store.getAction(id)
    if (!record || !mayView(principal, record)) throw new CountersignError('NOT_FOUND', `no action ${id}`)
    // Past its deadline but not swept yet: expire it now, so nobody reads a stale pending or approved.
    if (record.deadline && record.deadline <= this.#clock() && (await this.expire(id))) record = (await this.store.getAction(id)) ?? record
    return { record, reviews: await this.store.getReviews(id) }
  }

  /**
   * Holds until the action's status differs from `from`, the wait ends, or the caller goes away;
   * returns its state then. `from` is the status the caller last saw. Without it, holds until the
   * action is settled (see {@link isSettled}): decided, and for a brokered action, finished.
   * Comparing with the status at arrival instead would hold a caller whose request arrived just
   * after the decision until the next change, or the timeout.
   */
  async waitForChange(principal: Principal, id: string, from: string | undefined, waitMs: number, signal?: AbortSignal): Promise<ActionState> {
    const done = (state: ActionState) => (from === undefined ? isSettled(state.record) : state.record.status !== from || isTerminal(state.record.status as ActionStatus))
    const first = await this.get(principal, id)
    if (done(first)) return first
    return this.waiters.waitFor(id, () => this.get(principal, id), done, Math.min(waitMs, MAX_WAIT_MS), signal)
  }

  /** Actions newest first; humans only. */
  async list(principal: Principal, filter: Parameters<Store['listActions']>[0]): Promise<readonly ActionRecord[]> {
    requireHuman(principal, 'list actions')
    return this.store.listActions(filter)
  }

  /**
   * Records one human's review through `channel`. The review rules (only humans, no
   * self-approval, distinct-human quorum per requirement, one eligible deny ends it, decided
   * never changes) are applied to the locked current state; a racing review sees the result.
   */
  async review(principal: Principal, id: string, input: { decision: ReviewDecision; reason?: string | undefined }, channel: string): Promise<ActionState> {
    if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'only humans review; agent credentials can never approve or deny')
    const delegators = await this.delegatorsOf(principal)
    const outcome = await this.store.mutateAction(id, (current, reviews, now) => {
      const expired = this.#expiry(current, now)
      if (expired) return { change: expired, value: new CountersignError('ALREADY_DECIDED', `action ${id} expired before this review`) }
      const delegated = (current.decision['delegated'] ?? []) as readonly { rule: string; from: string; to: string }[]
      const spent = delegated.find((entry) => sameHuman(entry.from, principal.email))
      if (spent) throw new CountersignError('CONFLICT', `${spent.to} already reviewed this action with the review rights you delegated to them; one right, one review`)
      const lent = withDelegatedRights(requirementsOf(current), principal, delegators, conflictedOf(current), reviews)
      const applied = applyReview(
        {
          status: current.status as ActionStatus,
          expiresAt: current.expiresAt ?? new Date(0),
          requirements: lent.requirements,
          reviews,
          conflicted: conflictedOf(current),
          requesters: requestersOf(current),
        },
        principal,
        { decision: input.decision, reason: input.reason ?? '', channel },
        now,
      )
      const base = { action_id: id, digest: current.digest, policy_version: current.policyVersion }
      const events: AuditDraft[] = [
        {
          ...base,
          type: `review.${input.decision}`,
          actor: actorOf(principal),
          channel,
          data: { reason: applied.review.reason, requirements: applied.review.requirements, ...(lent.used.length > 0 && { delegated_by: lent.used }) },
        },
      ]
      // A right used through a delegation is written into the stored requirements, so that every
      // later quorum count (by any replica) sees this reviewer listed where the lender was.
      const used = lent.used.filter((right) => applied.review.requirements.includes(right.rule))
      const decision = used.length > 0 ? { ...current.decision, requirements: lent.requirements, delegated: [...delegated, ...used.map((right) => ({ ...right, to: applied.review.reviewer, at: now.toISOString() }))] } : undefined
      let change: ActionChange = { review: applied.review, events, ...(decision && { decision }) }
      if (applied.status !== 'pending') {
        assertTransition(current.status as ActionStatus, applied.status)
        const executeBy = applied.status === 'approved' ? new Date(now.getTime() + Math.min(...requirementsOf(current).map((r) => r.execute_within_ms))) : null
        events.push({
          ...base,
          type: `action.${applied.status}`,
          actor: 'system',
          channel,
          data: { progress: applied.progress, ...(executeBy && { execute_by: executeBy.toISOString() }) },
        })
        change = { ...change, status: applied.status, executeBy, deadline: executeBy }
      }
      return { change, value: undefined }
    })
    if (outcome.value) throw outcome.value
    if (outcome.changed && outcome.record.status === 'approved' && outcome.record.brokered) this.#runnable(id)
    return { record: outcome.record, reviews: outcome.reviews }
  }

  /**
   * Break-glass (`review.break_glass`): a listed approver approves a pending request at once,
   * even their own, with a reason. The action is approved and runs; `break_glass.used` is audited
   * and announced loudly (every channel the request is in, and the rule's `notify`); the approval
   * must be reviewed by someone else within `review_within`, or it is flagged as overdue.
   */
  async breakGlass(principal: Principal, id: string, input: { reason: string }, channel: string): Promise<ActionState> {
    if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'break-glass is for humans only; an agent can never approve, urgently or not')
    const outcome = await this.store.mutateAction(id, (current, _reviews, now) => {
      const expired = this.#expiry(current, now)
      if (expired) return { change: expired, value: new CountersignError('ALREADY_DECIDED', `action ${id} expired before the break-glass`) }
      const requirements = requirementsOf(current)
      const glass = applyBreakGlass({ status: current.status, expiresAt: current.expiresAt, requirements, requesters: requestersOf(current) }, principal, input.reason, now)
      assertTransition(current.status as ActionStatus, 'approved')
      const executeBy = new Date(now.getTime() + Math.min(...requirements.map((r) => r.execute_within_ms)))
      const own = conflictedOf(current).some((email) => email === glass.by)
      const record = { by: glass.by, reason: glass.reason, at: now.toISOString(), review_by: glass.reviewBy.toISOString(), rules: requirements.map((r) => r.rule), notify: glass.notify }
      const base = { action_id: id, digest: current.digest, policy_version: current.policyVersion, channel }
      const events: AuditDraft[] = [
        { ...base, type: 'break_glass.used', actor: actorOf(principal), data: { reason: glass.reason, own_request: own, review_by: record.review_by, rules: record.rules, notify: glass.notify } },
        { ...base, type: 'action.approved', actor: 'system', data: { break_glass: true, by: glass.by, execute_by: executeBy.toISOString() } },
      ]
      return { change: { status: 'approved', executeBy, deadline: executeBy, breakGlass: record, breakGlassDue: glass.reviewBy, events }, value: undefined }
    })
    if (outcome.value) throw outcome.value
    if (outcome.changed && outcome.record.brokered) this.#runnable(id)
    return { record: outcome.record, reviews: outcome.reviews }
  }

  /**
   * The after-the-fact review of a break-glass approval, by someone other than who broke the
   * glass and the action's requesters: `confirm` (it was justified) or `dispute` (it was not; the
   * action already ran, so this is for the record and the people who follow up). Once.
   */
  async reviewBreakGlass(principal: Principal, id: string, input: { verdict: 'confirm' | 'dispute'; reason: string }, channel: string): Promise<ActionState> {
    const outcome = await this.store.mutateAction(id, (current, _reviews, now) => {
      const glass = current.breakGlass
      if (!glass) throw new CountersignError('CONFLICT', `action ${id} was not approved with break-glass`)
      const reviewer = assertBreakGlassReviewer(principal, glass.by, requestersOf(current), requirementsOf(current))
      if (glass.review) throw new CountersignError('ALREADY_DECIDED', `the break-glass of action ${id} was already reviewed by ${glass.review.reviewer} (${glass.review.verdict})`)
      const reason = input.reason.trim()
      if (reason === '') throw new CountersignError('INVALID', 'a break-glass review needs a reason')
      const review = { reviewer, verdict: input.verdict, reason, at: now.toISOString() }
      const event: AuditDraft = { type: 'break_glass.reviewed', action_id: id, actor: actorOf(principal), channel, digest: current.digest, policy_version: current.policyVersion, data: { verdict: input.verdict, reason, by: glass.by, late: now.toISOString() > glass.review_by } }
      return { change: { breakGlass: { ...glass, review }, breakGlassDue: null, events: [event] }, value: undefined }
    })
    return { record: outcome.record, reviews: outcome.reviews }
  }

  /** Flags, once each, break-glass approvals whose after-the-fact review is overdue (`break_glass.overdue`, for webhooks and the console); returns how many. */
  async flagOverdueBreakGlass(): Promise<number> {
    let flagged = 0
    for (const id of await this.store.overdueBreakGlass(this.#clock())) {
      const outcome = await this.store.mutateAction(id, (current, _reviews, now) => {
        const glass = current.breakGlass
        if (!glass || glass.review || current.breakGlassFlagged || !current.breakGlassDue || current.breakGlassDue > now) return { value: false }
        const event: AuditDraft = { type: 'break_glass.overdue', action_id: id, actor: 'system', channel: 'system', digest: current.digest, policy_version: current.policyVersion, data: { by: glass.by, review_by: glass.review_by, reason: `nobody reviewed the break-glass approval by ${glass.by} before ${glass.review_by}` } }
        return { change: { breakGlass: { ...glass, overdue_at: now.toISOString() }, breakGlassFlagged: true, events: [event] }, value: true }
      })
      if (outcome.value) flagged++
    }
    return flagged
  }

  /** The humans whose review rights are lent to `principal` now (`POST /v1/delegations`), with their groups from config. */
  async delegatorsOf(principal: Principal): Promise<readonly Human[]> {
    if (principal.type !== 'human') return []
    const delegations = await this.store.activeDelegations(this.#clock(), canonicalEmail(principal.email))
    return delegations.map((delegation) => this.directory.human(delegation.from) ?? { type: 'human' as const, email: delegation.from, groups: [], admin: false, auditor: false })
  }

  /** Cancels a pending action, or an allowed or approved one not yet run: its own agent, the human who submitted it, or an admin. */
  async cancel(principal: Principal, id: string, reason: string | undefined, channel: string): Promise<ActionState> {
    const outcome = await this.store.mutateAction(id, (current, _reviews, now) => {
      if (!mayView(principal, current)) throw new CountersignError('NOT_FOUND', `no action ${id}`)
      const own = current.submittedBy === actorOf(principal)
      if (!own && !(principal.type === 'human' && principal.admin)) throw new CountersignError('FORBIDDEN', 'only the agent that submitted an action, its submitter or an admin can cancel it')
      const expired = this.#expiry(current, now)
      if (expired) return { change: expired, value: new CountersignError('ALREADY_DECIDED', `action ${id} expired`) }
      assertTransition(current.status as ActionStatus, 'cancelled')
      const event: AuditDraft = { type: 'action.cancelled', action_id: id, actor: actorOf(principal), channel, digest: current.digest, policy_version: current.policyVersion, data: { reason: reason ?? '' } }
      return { change: { status: 'cancelled', deadline: null, events: [event] }, value: undefined }
    })
    if (outcome.value) throw outcome.value
    return { record: outcome.record, reviews: outcome.reviews }
  }

  /**
   * Records the outcome of an action its agent executed itself (targets without a connector):
   * `allowed` or `approved` (within its execute window) → `succeeded` | `failed`, once.
   */
  async reportOutcome(principal: Principal, id: string, report: OutcomeReport, channel: string): Promise<ActionState> {
    const outcome = await this.store.mutateAction(id, (current, _reviews, now) => {
      if (!mayView(principal, current)) throw new CountersignError('NOT_FOUND', `no action ${id}`)
      if (current.submittedBy !== actorOf(principal)) throw new CountersignError('FORBIDDEN', 'only the submitter of an action reports its outcome')
      // Countersign runs the actions of a target with a connector and records their result itself.
      if (current.brokered) throw new CountersignError('FORBIDDEN', `target ${current.target} has a connector: Countersign executes its actions and records their outcome`)
      if (current.status === 'executing' && current.leaseOwner !== actorOf(principal)) throw new CountersignError('FORBIDDEN', `action ${id} is being executed by ${current.leaseOwner ?? 'someone else'}`)
      const expired = this.#expiry(current, now)
      if (expired) return { change: expired, value: new CountersignError('ALREADY_DECIDED', `the approval of action ${id} expired before it was executed`) }
      assertTransition(current.status as ActionStatus, report.status)
      const output = report.output ?? ''
      const result = {
        status: report.status,
        reported_by: actorOf(principal),
        finished_at: now.toISOString(),
        ...(report.exit_code !== undefined && { exit_code: report.exit_code }),
        ...(report.error !== undefined && { error: report.error.slice(0, 4096) }),
        output: output.slice(0, MAX_OUTPUT_CHARS),
        truncated: output.length > MAX_OUTPUT_CHARS,
        output_chars: output.length,
      }
      const event: AuditDraft = {
        type: `action.${report.status}`,
        action_id: id,
        actor: actorOf(principal),
        channel,
        digest: current.digest,
        policy_version: current.policyVersion,
        data: { exit_code: report.exit_code ?? null, output_chars: output.length, error: result.error ?? null },
      }
      return { change: { status: report.status, deadline: null, leaseOwner: null, result, events: [event] }, value: undefined }
    })
    if (outcome.value) throw outcome.value
    return { record: outcome.record, reviews: outcome.reviews }
  }

  /**
   * Claims a brokered action for execution by `executor` (compare-and-set `allowed`/`approved` →
   * `executing`, with a lease until `now + leaseMs`): on every replica at once, exactly one claim
   * wins. Returns the claimed action, or `undefined` when it is not (or no longer) runnable.
   */
  async claimExecution(id: string, executor: string, leaseMs: number): Promise<ActionRecord | undefined> {
    const outcome = await this.store.mutateAction(id, (current, _reviews, now) => {
      const expired = this.#expiry(current, now)
      if (expired) return { change: expired, value: false }
      if (!current.brokered || (current.status !== 'allowed' && current.status !== 'approved')) return { value: false }
      const closed = this.#windowClosed(current, now)
      if (closed) return { change: closed, value: false }
      const until = new Date(now.getTime() + leaseMs)
      const event: AuditDraft = { type: 'action.executing', action_id: id, actor: 'system', channel: 'system', digest: current.digest, policy_version: current.policyVersion, data: { executor, lease_until: until.toISOString() } }
      return { change: { status: 'executing', leaseOwner: executor, deadline: until, events: [event] }, value: true }
    })
    return outcome.value ? outcome.record : undefined
  }

  /**
   * Records the result of a brokered execution, if `executor` still holds the lease; returns the
   * final state, or `undefined` when the lease was lost (the action was failed meanwhile).
   */
  async finishExecution(id: string, executor: string, result: ExecutionResult): Promise<ActionRecord | undefined> {
    const outcome = await this.store.mutateAction(id, (current, _reviews, now) => {
      if (current.status !== 'executing' || current.leaseOwner !== executor) return { value: false }
      const stored = { ...result, executor, finished_at: now.toISOString() }
      const event: AuditDraft = {
        type: `action.${result.status}`,
        action_id: id,
        actor: 'system',
        channel: 'system',
        digest: current.digest,
        policy_version: current.policyVersion,
        // The result itself may hold data the log should not: the log vouches for it by hash.
        data: { executor, duration_ms: result.duration_ms, error: result.error ?? null, truncated: result.truncated, ...(result.read_only_enforced ? { read_only_enforced: true } : {}), ...(result.sandboxed ? { sandboxed: true } : {}), result_sha256: createHash('sha256').update(canonicalJson(stored)).digest('hex') },
      }
      return { change: { status: result.status, deadline: null, leaseOwner: null, result: stored, events: [event] }, value: true }
    })
    return outcome.value ? outcome.record : undefined
  }

  /**
   * Redeems a verified receipt: the action it names moves `allowed`/`approved` → `executing`,
   * once, on behalf of `principal` (who then reports the outcome). Refused: a receipt for another
   * target than `presented.target`, a digest that is not the approved one (a changed payload), a
   * receipt already redeemed, an action no longer runnable.
   */
  async redeemReceipt(principal: Principal, claims: ReceiptClaims, presented: { target: string; digest: string }, channel: string): Promise<ActionState> {
    if (presented.target !== claims.target) throw new CountersignError('FORBIDDEN', `the receipt is for target ${claims.target}, not ${presented.target}`)
    if (presented.digest !== claims.digest) throw new CountersignError('FORBIDDEN', 'the action presented is not the one approved (its digest differs): a changed action is a new request')
    const outcome = await this.store.mutateAction(claims.sub, (current, _reviews, now) => {
      if (principal.type === 'agent' ? current.agentId !== principal.id : !principal.admin) throw new CountersignError('FORBIDDEN', 'only the agent that submitted the action, or an admin, redeems its receipt')
      // The receipt's signature covers these, but the stored action is what counts.
      if (current.digest !== claims.digest || current.target !== claims.target) throw new CountersignError('FORBIDDEN', 'the receipt does not match the stored action')
      if (current.brokered) throw new CountersignError('FORBIDDEN', `target ${current.target} has a connector: Countersign executes its actions`)
      const expired = this.#expiry(current, now)
      if (expired) return { change: expired, value: new CountersignError('ALREADY_DECIDED', `the approval of action ${current.id} expired before it was executed`) }
      if (current.status !== 'allowed' && current.status !== 'approved') {
        return { value: new CountersignError('ALREADY_DECIDED', `action ${current.id} is ${current.status}: its receipt cannot be redeemed (a receipt is good once)`) }
      }
      const closed = this.#windowClosed(current, now)
      if (closed) return { change: closed, value: new CountersignError('ALREADY_DECIDED', String(closed.result?.['error'])) }
      const reportBy = new Date(now.getTime() + REPORT_WINDOW_MS)
      const event: AuditDraft = { type: 'action.executing', action_id: current.id, actor: actorOf(principal), channel, digest: current.digest, policy_version: current.policyVersion, data: { via: 'receipt', jti: claims.jti, report_by: reportBy.toISOString() } }
      const change: ActionChange = { status: 'executing', leaseOwner: actorOf(principal), deadline: reportBy, redeemed: { jti: claims.jti, by: actorOf(principal) }, events: [event] }
      return { change, value: undefined }
    })
    if (outcome.value) throw outcome.value
    return { record: outcome.record, reviews: outcome.reviews }
  }

  /**
   * Sends the reminders and applies the escalation stages (`review.remind_after`,
   * `review.escalate`) due for a pending action, under its row lock: on every replica at once,
   * each step happens once. Each is an audit event (`request.reminded`, `request.escalated`),
   * which the channels turn into a new notification or new destinations; escalated approvers are
   * added to the requirement stored with the action. Returns how many steps were taken.
   */
  async route(id: string): Promise<number> {
    const outcome = await this.store.mutateAction(id, (current, reviews, now) => {
      if (current.status !== 'pending' || !current.routeAt || current.routeAt > now) return { value: 0 }
      const requirements = requirementsOf(current)
      const progress = requirementProgress(requirements, reviews, conflictedOf(current))
      const routed = dueRouting({ createdAt: current.createdAt, expiresAt: current.expiresAt, requirements, met: progress.map((item) => item.met) }, now)
      const base = { action_id: id, actor: 'system', channel: 'system', digest: current.digest, policy_version: current.policyVersion }
      const events: AuditDraft[] = [
        ...routed.escalations.map((step): AuditDraft => ({ ...base, type: 'request.escalated', data: { rule: step.rule, stage: step.stage, added: step.added, approvers: step.approvers } })),
        ...routed.reminders.map((step): AuditDraft => ({ ...base, type: 'request.reminded', data: { rule: step.rule, count: step.count, approvers: step.approvers } })),
      ]
      // Nothing due after all (met meanwhile): only the schedule moves, which needs no event.
      if (events.length === 0) return { value: 0 }
      return { change: { decision: { ...current.decision, requirements: routed.requirements }, routeAt: routed.next, events }, value: events.length }
    })
    if (!outcome.changed && outcome.record.status === 'pending' && outcome.record.routeAt && outcome.record.routeAt <= this.#clock()) {
      // Met requirements leave nothing due: move the schedule on so the sweep does not spin on it.
      const requirements = requirementsOf(outcome.record)
      const progress = requirementProgress(requirements, outcome.reviews, conflictedOf(outcome.record))
      await this.store.reschedule(id, outcome.record.version, nextRouting({ createdAt: outcome.record.createdAt, expiresAt: outcome.record.expiresAt, requirements, met: progress.map((item) => item.met) }))
    }
    return outcome.value
  }

  /** Takes every reminder and escalation step due now; returns how many. */
  async routeDue(): Promise<{ steps: number; failed: number }> {
    let steps = 0
    let failed = 0
    for (const id of await this.store.dueRoutings(this.#clock())) steps += await this.route(id).catch(() => (failed++, 0))
    return { steps, failed }
  }

  /** Expires the action when its deadline has passed; returns whether it did. Safe on every replica. */
  async expire(id: string): Promise<boolean> {
    const outcome = await this.store.mutateAction(id, (current, _reviews, now) => ({ change: this.#expiry(current, now), value: undefined }))
    return outcome.changed
  }

  /** Expires every action whose deadline has passed; returns how many. */
  async expireDue(): Promise<{ expired: number; failed: number }> {
    let expired = 0
    let failed = 0
    for (const id of await this.store.dueActions(this.#clock())) {
      // One action that cannot be expired (a broken row) must not hold up the others.
      const done = await this.expire(id).catch(() => (failed++, false))
      if (done) expired++
    }
    return { expired, failed }
  }

  /**
   * The change that refuses to run `current` at `now` because a calendar its decision read has
   * changed since (a change window closed, a freeze began or ended): the action expires, with the
   * calendars named in its result and audit event. Re-deciding under the new window is a new
   * request, so an approval given inside a window is never used outside it.
   */
  #windowClosed(current: ActionRecord, now: Date): ActionChange | undefined {
    const seen = current.decision['calendars']
    if (!seen || typeof seen !== 'object') return undefined
    const changes = calendarChanges(this.#calendars, seen as Record<string, unknown>, now)
    if (changes.length === 0) return undefined
    const words = changes.map((change) => `calendar.${change.name} was ${change.was} when it was decided and is ${change.now === null ? 'no longer configured' : change.now} now`)
    const reason = `refused at execution: the change window changed since the decision (${words.join('; ')}); submit the action again to have it decided under the current window`
    const event: AuditDraft = { type: 'action.expired', action_id: current.id, actor: 'system', channel: 'system', digest: current.digest, policy_version: current.policyVersion, data: { reason, calendars: changes } }
    return { status: 'expired', deadline: null, leaseOwner: null, result: { status: 'expired', error: reason, calendars: changes, finished_at: now.toISOString() }, events: [event] }
  }

  /**
   * The change that ends `current` at `now`, if its time is up: a pending request or an approval
   * expires; an execution whose lease ended (its executor died) fails, and is never re-run:
   * re-running a command that may have half-run is worse than failing it.
   */
  #expiry(current: ActionRecord, now: Date): ActionChange | undefined {
    if (current.status === 'executing' && current.deadline && now >= current.deadline) {
      const viaReceipt = current.leaseOwner?.startsWith('agent:') || current.leaseOwner?.startsWith('human:')
      const reason = viaReceipt
        ? `${current.leaseOwner} redeemed the receipt but reported no outcome in time; the result is unknown`
        : `the executor (${current.leaseOwner ?? 'unknown'}) stopped before reporting a result; the action was not re-run (it may have partly run): submit it again if it should run`
      const event: AuditDraft = { type: 'action.failed', action_id: current.id, actor: 'system', channel: 'system', digest: current.digest, policy_version: current.policyVersion, data: { reason, lease_owner: current.leaseOwner } }
      return { status: 'failed', deadline: null, leaseOwner: null, result: { status: 'failed', error: reason, finished_at: now.toISOString() }, events: [event] }
    }
    const pendingOver = current.status === 'pending' && current.expiresAt && now >= current.expiresAt
    const approvalOver = (current.status === 'approved' || current.status === 'allowed') && current.executeBy && now >= current.executeBy
    if (!pendingOver && !approvalOver) return undefined
    const event: AuditDraft = {
      type: 'action.expired',
      action_id: current.id,
      actor: 'system',
      channel: 'system',
      digest: current.digest,
      policy_version: current.policyVersion,
      data: pendingOver ? { reason: 'no decision before the request timed out', expires_at: current.expiresAt!.toISOString() } : { reason: current.status === 'allowed' ? 'it was allowed but not executed in time' : 'the approval was not executed in time', execute_by: current.executeBy!.toISOString() },
    }
    return { status: 'expired', deadline: null, events: [event] }
  }
}

function parseAction(input: unknown): Action {
  const parsed = ActionDraftSchema.safeParse(input)
  if (!parsed.success) {
    throw new CountersignError('INVALID', 'invalid action', {
      details: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    })
  }
  return parsed.data
}

/** The audit/actor name of a principal: `agent:ID` or `human:EMAIL`. */
export function actorOf(principal: Principal): string {
  return principal.type === 'agent' ? `agent:${principal.id}` : `human:${principal.email}`
}

function mayView(principal: Principal, record: ActionRecord): boolean {
  return principal.type === 'human' || record.agentId === principal.id
}

function requireHuman(principal: Principal, what: string): void {
  if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', `agents cannot ${what}`)
}

/** The requirements frozen into the action at decision time (a policy reload never changes them). */
export function requirementsOf(record: ActionRecord): readonly ReviewRequirement[] {
  return (record.decision['requirements'] ?? []) as readonly ReviewRequirement[]
}

/** The humans who may never review this action: its agent's owner, on-behalf-of human, human submitter and token issuer. */
export function conflictedOf(record: ActionRecord): readonly string[] {
  return conflictedHumans(requestersOf(record))
}

/** The humans behind an action, by role. */
export function requestersOf(record: ActionRecord): Requesters {
  const submitter = record.submittedBy.startsWith('human:') ? record.submittedBy.slice('human:'.length) : undefined
  return { owner: record.owner ?? undefined, onBehalfOf: record.onBehalfOf ?? undefined, submitter, tokenIssuer: record.tokenIssuedBy ?? undefined }
}

function storedDecision(decision: Decision): Record<string, unknown> {
  return {
    effect: decision.effect,
    matched_rules: decision.matched_rules,
    rules: decision.rules,
    excluded_rules: decision.excluded_rules,
    default_applied: decision.default_applied,
    requirements: decision.requirements,
    messages: decision.messages,
    explanation: decision.explanation,
    policy_version: decision.policy_version,
    ...(decision.calendars && { calendars: decision.calendars }),
  }
}

/**
 * Whether an action has reached the status its submitter waits for: an end (denied, expired,
 * cancelled, succeeded, failed), or, for an action its agent executes itself, allowed or approved
 * (then it is the agent's turn). A brokered action is settled only when Countersign has run it.
 */
export function isSettled(record: ActionRecord): boolean {
  if (isTerminal(record.status as ActionStatus)) return true
  return !record.brokered && (record.status === 'allowed' || record.status === 'approved')
}

import { createHash, hash } from 'node:crypto'
import { ActionDraftSchema, canonicalJson, type Action } from '../action/index.js'
import { plannableStatements, type Analysis, type AnalysisContext, type Analyzers } from '../analyzers/index.js'
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
  reviewEligibility,
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
import { calendarChanges, decide, reviewPolicyChanges, type Calendars, type CompiledPolicy, type Decision, type ReviewRequirement } from '../policy/index.js'
import type { ActionChange, ActionRecord, AuditDraft, ReviewRecord, Store, WatchedAction } from '../store/index.js'
import type { Directory } from '../config/index.js'
import { analyzeAction, targetDialect } from '../analyzers/index.js'
import { AnalysisCache, analysisKey } from './analysis-cache.js'
import { newActionId } from './ids.js'
import { checkGrantRequest, type Grant, type GrantRequest } from '../grants/index.js'
import { grantFromApproval, useCoveringGrant, type GrantCitation } from './grant-use.js'
import { bindingOfChallenge, type PasskeyEvidence, type PasskeyService } from '../passkeys/index.js'
import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import type { ExecutionResult } from '../connectors/index.js'
import type { ReceiptClaims } from './receipts.js'
import type { SqlCatalogs } from './sql-catalogs.js'
import type { Waiters } from './waiters.js'
import { NO_TELEMETRY, type ActionSpanFacts, type Telemetry } from '../telemetry/index.js'
import type { PolicyChanges } from './policy-changes.js'
import type { OnCallResolver } from './oncall.js'
import { timerDelay } from '../time/index.js'

/** Longest wait a caller may ask for (docs/api.md: `wait` ≤ 60 s). */
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
  /** Traces of submissions, reviews and waits (`telemetry.otlp_endpoint`); none by default. */
  readonly telemetry?: Telemetry | undefined
  /** Passkey approvals (`review.assurance: passkey`): without it, such requirements cannot be approved. */
  readonly passkeys?: PasskeyService | undefined
  /** With `policy.source: store`: the analysis of a proposed policy change (actions of kind `policy`); without it they are refused. */
  readonly policyChanges?: Pick<PolicyChanges, 'analyze'> | undefined
  /** Config `calendars`: what `calendar.NAME` reads, at decision and again at execution. */
  readonly calendars?: Calendars | undefined
  /** Resolves `oncall:…` approvers when a request is submitted; without it they resolve to nobody. */
  readonly onCall?: OnCallResolver | undefined
}

/** What is learned before deciding: from a SQL target, or the whole analysis of a policy change. */
type Known = Pick<AnalysisContext, 'sqlCatalog' | 'estimatedRows'> & { readonly analysis?: Analysis }

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
  /** Passkey approvals, when the gateway has them. */
  readonly passkeys: PasskeyService | undefined
  readonly #calendars: Calendars
  readonly #onCall: OnCallResolver | undefined
  readonly #runnableListeners: ((id: string) => void)[] = []
  #reserveSlot: (() => ExecutionSlot | undefined) | undefined
  readonly telemetry: Telemetry
  readonly #policyChanges: Pick<PolicyChanges, 'analyze'> | undefined
  readonly #decidedListeners: ((record: ActionRecord) => void)[] = []
  readonly #analyses = new AnalysisCache()

  constructor(parts: GatewayParts) {
    this.store = parts.store
    this.directory = parts.directory
    this.analyzers = parts.analyzers
    this.waiters = parts.waiters
    this.#policy = parts.policy
    this.#clock = parts.clock ?? (() => new Date())
    this.#sqlCatalogs = parts.sqlCatalogs
    this.telemetry = parts.telemetry ?? NO_TELEMETRY
    this.passkeys = parts.passkeys
    this.#policyChanges = parts.policyChanges
    this.#calendars = parts.calendars ?? {}
    this.#onCall = parts.onCall
  }

  /** The gateway's clock: server time for every record. */
  now(): Date {
    return this.#clock()
  }

  /** The catalogs SQL for `postgres` targets is analyzed with (shared by another view of this service, such as the wire gateway's). */
  get sqlCatalogs(): SqlCatalogs | undefined {
    return this.#sqlCatalogs
  }

  /** The policy in force. */
  get policy(): CompiledPolicy {
    return this.#policy()
  }

  /** Where the policy in force comes from: the store (changed by approved `policy` actions) or its file. */
  get policySource(): 'file' | 'store' {
    return this.#policyChanges ? 'store' : 'file'
  }

  /**
   * Validates, analyzes and decides an action, then records it (allowed, denied or pending) with
   * its audit events. With `waitMs`, a pending action is held until it leaves `pending`.
   */
  async submit(principal: Principal, input: unknown, options: SubmitOptions): Promise<ActionState> {
    const started = epochMs()
    const action = parseAction(input)
    // The context goes into an audit event: refuse here what canonical JSON cannot carry (a lone
    // surrogate), not inside a group commit where it would fail other agents' submissions too.
    canonicalJson(action.context)
    const known = await this.#prepare(principal, action)
    const now = this.#clock()
    const made = this.#decide(principal, action, now, known)
    const { impact, digest, actionJson, analyzed } = made
    const decided = epochMs()
    if (made.decision.effect !== 'allow' && options.reuse) {
      const earlier = await options.reuse(digest)
      if (earlier) return earlier
    }
    // Who is on call now, for `oncall:…` approvers: asked once, at submission, and stored with the request.
    const decision = made.decision.effect === 'review' && this.#onCall ? { ...made.decision, requirements: await this.#onCall.resolveRequirements(made.decision.requirements) } : made.decision
    const agent = principal.type === 'agent' ? principal : undefined
    const actor = actorOf(principal)
    const onBehalfOf = action.context.on_behalf_of ? canonicalEmail(action.context.on_behalf_of) : null
    const tokenIssuedBy = agent?.issuedBy ? canonicalEmail(agent.issuedBy) : null
    // Only an action that would otherwise need review can be covered by a grant: a deny stays a deny.
    const grant =
      decision.effect === 'review'
        ? await useCoveringGrant(
            this.store,
            {
              submittedBy: actor,
              target: action.target,
              kind: action.kind,
              facts: impact.facts,
              policyVersion: decision.policy_version,
              requirements: decision.requirements,
              conflicted: conflictedHumans({ owner: agent?.owner, onBehalfOf: onBehalfOf ?? undefined, submitter: principal.type === 'human' ? principal.email : undefined, tokenIssuer: tokenIssuedBy ?? undefined }),
            },
            now,
          )
        : undefined
    const status: ActionStatus = decision.effect === 'allow' || grant ? 'allowed' : decision.effect === 'deny' ? 'denied' : 'pending'
    const expiresAt = status === 'pending' ? new Date(now.getTime() + Math.min(...decision.requirements.map((r) => r.timeout_ms))) : null
    const brokered = this.directory.target(action.target)?.connector !== undefined
    // An allowed action its agent runs itself must run within the policy's default execute_within,
    // as an approved one must: never run, it expires instead of staying allowed forever. One
    // allowed by a grant runs within its rules' execute_within, as its approval would have.
    const executeWithin = grant ? Math.min(...decision.requirements.map((r) => r.execute_within_ms)) : this.#policy().defaultReview.execute_within_ms
    const executeBy = status === 'allowed' && !brokered ? new Date(now.getTime() + executeWithin) : null
    const id = newActionId(now)
    const stored = grant ? grantedDecision(decision, grant) : storedDecision(decision)
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
      tokenIssuedBy,
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
        data: { effect: stored['effect'], matched_rules: decision.matched_rules, explanation: stored['explanation'], ...(grant && { grant }), ...(decision.shadow && { shadow: { effect: decision.shadow.effect, matched_rules: decision.shadow.matched_rules } }), ...(expiresAt && { expires_at: expiresAt.toISOString() }), ...(executeBy && { execute_by: executeBy.toISOString() }) },
      },
    ]
    // An allowed action its caller runs at once (runAllowed): run now, recorded with its outcome
    // in the same group-committed write, before the caller hands its result to anyone.
    const run = status === 'allowed' && !brokered && options.runAllowed ? options.runAllowed({ ...record, updatedAt: now, version: 1, leaseOwner: null }) : undefined
    if (run) {
      const report: OutcomeReport = await run.catch((error: unknown) => ({ status: 'failed', error: error instanceof Error ? error.message : String(error) }))
      const finished = this.#clock()
      const result = outcomeResult(report, actor, finished)
      const settled = { ...record, status: report.status, executeBy: null, deadline: null, result }
      events.push({ ...base, type: `action.${report.status}`, data: { exit_code: report.exit_code ?? null, output_chars: result.output_chars, error: result.error ?? null, ran: 'at_once' } })
      await this.store.createAction({ record: settled, events })
      this.#submitted(record, decision, { started, analyzed, decided })
      return { record: { ...settled, updatedAt: finished, version: 1, leaseOwner: null }, reviews: [] }
    }
    // A brokered action allowed for a caller that waits: claimed as it is recorded, in the same
    // write (no claim transaction after it), and run at once by this replica's executor when it
    // has a slot free. Nobody else can claim it, so it still runs once; should this process die,
    // its lease ends as any claimed execution's does.
    const slot = status === 'allowed' && brokered && options.waitMs ? this.#reserveSlot?.() : undefined
    if (slot) {
      const until = new Date(now.getTime() + slot.leaseMs)
      const claimed = { ...record, status: 'executing' as const, deadline: until }
      try {
        await this.store.createAction({ record: claimed, events: [...events, executingEvent(claimed, slot.executor, until)], leaseOwner: slot.executor })
      } catch (error) {
        slot.release()
        throw error
      }
      this.#submitted(record, decision, { started, analyzed, decided })
      // The caller gets the action as its executor recorded it, without reading it back; if that
      // takes longer than the wait (or was not recorded), as the store has it then.
      const finished = await within(slot.run({ ...claimed, updatedAt: now, version: 1, leaseOwner: slot.executor }), Math.min(options.waitMs!, MAX_WAIT_MS), options.signal)
      return finished ? { record: finished, reviews: [] } : this.get(principal, id)
    }
    await this.store.createAction({ record, events })
    this.#submitted(record, decision, { started, analyzed, decided })
    const state: ActionState = { record: { ...record, updatedAt: now, version: 1, leaseOwner: null }, reviews: [] }
    if (record.brokered && status === 'allowed') this.#runnable(id)
    if (isSettled(state.record) || !options.waitMs) return state
    return this.waitForChange(principal, id, undefined, options.waitMs, options.signal)
  }

  /** Calls `listener` with every action this replica decided and stored (for metrics). */
  whenDecided(listener: (record: ActionRecord) => void): void {
    this.#decidedListeners.push(listener)
  }

  /** The submission is recorded: its listeners, and its span. */
  #submitted(record: Omit<ActionRecord, 'version' | 'updatedAt' | 'leaseOwner'>, decision: Decision, times: { started: number; analyzed: number; decided: number }): void {
    for (const listener of this.#decidedListeners) listener({ ...record, updatedAt: record.createdAt, version: 1, leaseOwner: null })
    this.telemetry.submitted(
      spanFacts(record),
      { effect: decision.effect, status: record.status, matchedRules: decision.matched_rules, policyVersion: decision.policy_version, agent: record.agentId },
      { ...times, ended: epochMs() },
    )
  }

  /**
   * Where a brokered action allowed for a waiting caller is run at once: `reserve` returns a slot of
   * this replica's executor, or undefined when it has none free (the action is then recorded
   * `allowed` and claimed as usual).
   */
  executeAtOnce(reserve: () => ExecutionSlot | undefined): void {
    this.#reserveSlot = reserve
  }

  /** Calls `listener` with the id of every brokered action this replica made runnable (allowed or approved). */
  whenRunnable(listener: (id: string) => void): void {
    this.#runnableListeners.push(listener)
  }

  /** The wait for reviews of `record` ended (it left pending): its span, from the submission. */
  #waitEnded(record: ActionRecord): void {
    this.telemetry.waitEnded(spanFacts(record), { since: record.createdAt.getTime(), at: this.#clock().getTime(), status: record.status })
  }

  #runnable(id: string): void {
    for (const listener of this.#runnableListeners) listener(id)
  }

  /** The decision for an action without recording anything (`POST /v1/decide`). */
  async dryRun(principal: Principal, input: unknown): Promise<{ action: Action; digest: string; decision: Decision; impact: Record<string, unknown> }> {
    const action = parseAction(input)
    const known = await this.#prepare(principal, action)
    const { decision, impact, digest } = this.#decide(principal, action, this.#clock(), known)
    return { action, digest, decision, impact }
  }

  /**
   * What the analysis learns from the target before deciding (I/O, so it happens here and the
   * analyzers stay pure): for SQL on a `postgres` target, its catalog and the planner's row
   * estimates of the statements that can be planned without running anything not known harmless.
   * Never throws for that: what cannot be had is left out, and nothing is judged more permissively
   * for it. A policy change (kind `policy`) is analyzed whole here (diff and replay) and refused
   * when it is invalid, stale, proposed by an agent, or made without `policy.source: store`.
   */
  async #prepare(principal: Principal, action: Action): Promise<Known> {
    if (action.kind === 'policy') {
      // A policy change is read whole here: its diff and a replay of the history (I/O) are its facts.
      if (!this.#policyChanges || action.target !== 'policy') throw new CountersignError('INVALID', 'actions of kind policy change the policy in force: only on target "policy", with policy.source: store')
      if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'only humans propose policy changes')
      return { analysis: await this.#policyChanges.analyze(action.payload as { text: string; base: string }) }
    }
    const catalogs = this.#sqlCatalogs
    if (action.kind !== 'sql' || catalogs === undefined || !catalogs.covers(action.target)) return {}
    const sql = (action.payload as { sql?: unknown }).sql
    if (typeof sql !== 'string') return {}
    try {
      const sqlCatalog = await catalogs.catalogFor(action.target)
      if (sqlCatalog === undefined) return {}
      // EXPLAIN cannot plan a statement whose parameters are not bound: its estimates are unknown
      // (-1, as when none are given) without asking, or reading which statements could be planned.
      const params = (action.payload as { params?: unknown }).params
      if (Array.isArray(params) && params.length > 0) return { sqlCatalog }
      return { sqlCatalog, estimatedRows: await catalogs.estimate(action.target, plannableStatements(sql, sqlCatalog)) }
    } catch {
      return {}
    }
  }

  #decide(principal: Principal, action: Action, now: Date, known: Known = {}) {
    const target = this.directory.target(action.target)
    if (!target) throw new CountersignError('INVALID', `unknown target "${action.target}"`, { details: [{ path: 'target', message: 'no target with this name in the configuration' }] })
    // The digest is the SHA-256 of exactly the canonical text that is stored and shown (actionDigest).
    const actionJson = canonicalJson({ kind: action.kind, target: action.target, payload: action.payload })
    const digest = hash('sha256', actionJson, 'hex')
    // The same analysis as the CLI's policy tools: SQL read in the target's dialect (analyzeAction).
    // Cached by what it reads: the text (a SQL statement's parameters apart), the dialect, the catalog snapshot and the row estimates;
    // never for MCP, whose tools' annotations change at run time.
    const analyze = () => analyzeAction(this.analyzers, action, target, known)
    const inputs = { dialect: targetDialect(target), catalog: known.sqlCatalog, estimatedRows: known.estimatedRows }
    const analysis = known.analysis ?? (action.kind === 'mcp' ? analyze() : this.#analyses.get(analysisKey(action, digest), actionJson, inputs, analyze))
    const analyzed = epochMs()
    const impact = { summary: analysis?.summary ?? '', highlights: analysis?.highlights ?? [], facts: analysis?.facts ?? null }
    const agent = principal.type === 'agent' ? principal : undefined
    const policy = this.#policy()
    // The policy governs everything else: a change of it is never let through without a human.
    const decision = reviewPolicyChanges(policy, action.kind, decide(policy, { action, target, agent, facts: analysis?.facts, digest, now, calendars: this.#calendars }))
    return { decision, impact, digest, actionJson, analyzed }
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
  async waitForChange(principal: Principal, id: string, from: string | undefined, waitMs: number, signal?: AbortSignal): Promise<WatchedAction> {
    const done = (state: ActionState) => (from === undefined ? isSettled(state.record) : state.record.status !== from || isTerminal(state.record.status as ActionStatus))
    return this.waitFor(principal, id, done, Math.min(waitMs, MAX_WAIT_MS), signal)
  }

  /**
   * Holds until `done` accepts the action as `principal` may see it (with its timeline), the wait
   * ends, or the caller goes away; returns it then. The waiters of one action share its reads
   * (see {@link Waiters}); each is authorized on its own, as by {@link get}.
   */
  waitFor(principal: Principal, id: string, done: (state: WatchedAction) => boolean, waitMs: number, signal?: AbortSignal): Promise<WatchedAction> {
    return this.waiters.waitFor(id, (action) => this.#visible(principal, id, action), done, waitMs, signal)
  }

  /** The action as `principal` may see it, with its timeline, by a read shared with its waiters (see {@link Waiters}). */
  async watched(principal: Principal, id: string): Promise<WatchedAction> {
    return this.#visible(principal, id, await this.waiters.read(id, { fresh: true }))
  }

  /** `action` as {@link get} gives it to `principal`: refused when not theirs, expired first when past its deadline. */
  async #visible(principal: Principal, id: string, action: WatchedAction | undefined): Promise<WatchedAction> {
    if (!action || !mayView(principal, action.record)) throw new CountersignError('NOT_FOUND', `no action ${id}`)
    if (!action.record.deadline || action.record.deadline > this.#clock() || !(await this.expire(id))) return action
    const expired = await this.waiters.read(id, { fresh: true })
    if (!expired || !mayView(principal, expired.record)) throw new CountersignError('NOT_FOUND', `no action ${id}`)
    return expired
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
  async review(
    principal: Principal,
    id: string,
    input: { decision: ReviewDecision; reason?: string | undefined; grant?: GrantRequest | undefined; passkey?: AuthenticationResponseJSON | undefined },
    channel: string,
  ): Promise<ActionState> {
    if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'only humans review; agent credentials can never approve or deny')
    if (input.grant && input.decision !== 'approve') throw new CountersignError('INVALID', 'only an approval can come with a grant')
    if (input.passkey && input.decision !== 'approve') throw new CountersignError('INVALID', 'only an approval is signed with a passkey')
    let evidence: PasskeyEvidence | undefined
    if (input.passkey) {
      if (!this.passkeys) throw new CountersignError('INVALID', 'this gateway does not take passkey approvals')
      const stored = await this.store.getAction(id)
      if (!stored) throw new CountersignError('NOT_FOUND', `no action ${id}`)
      evidence = await this.passkeys.verifyApproval(principal, { id, digest: stored.digest, policyVersion: stored.policyVersion }, input.passkey)
    }
    const started = epochMs()
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
      // Checked after the review rules, so that who may not review hears that first; only a
      // reviewer eligible for the original can grant.
      const asked = input.grant && checkGrantRequest(input.grant, requirementsOf(current), current.kind, (current.impact as { facts?: unknown }).facts)
      const signed = input.decision === 'approve' ? passkeyCheck(current, requirementsOf(current), applied.review.requirements, evidence, this.passkeys?.origin) : undefined
      const review = { ...applied.review, ...(asked && { grant: asked }), ...(signed && { passkey: signed }) }
      const base = { action_id: id, digest: current.digest, policy_version: current.policyVersion }
      const events: AuditDraft[] = [
        { ...base, type: `review.${input.decision}`, actor: actorOf(principal), channel, data: { reason: review.reason, requirements: review.requirements, ...(asked && { grant: asked }), ...(signed && { passkey: signed }), ...(lent.used.length > 0 && { delegated_by: lent.used }) } },
      ]
      // A right used through a delegation is written into the stored requirements, so that every
      // later quorum count (by any replica) sees this reviewer listed where the lender was.
      const used = lent.used.filter((right) => applied.review.requirements.includes(right.rule))
      const decision = used.length > 0 ? { ...current.decision, requirements: lent.requirements, delegated: [...delegated, ...used.map((right) => ({ ...right, to: applied.review.reviewer, at: now.toISOString() }))] } : undefined
      let change: ActionChange = { review, events, ...(decision && { decision }) }
      let made: { grant: Grant; event: AuditDraft } | undefined
      if (applied.status === 'approved') {
        const granted = grantFromApproval(current, requirementsOf(current), [...reviews, review], now)
        if (granted && 'grant' in granted) {
          made = granted
          change = { ...change, grant: granted.grant }
        } else if (granted) events[0] = { ...events[0]!, data: { ...events[0]!.data, grant_declined: granted.declined } }
      }
      if (applied.status !== 'pending') {
        assertTransition(current.status as ActionStatus, applied.status)
        const executeBy = applied.status === 'approved' ? new Date(now.getTime() + Math.min(...requirementsOf(current).map((r) => r.execute_within_ms))) : null
        events.push({
          ...base,
          type: `action.${applied.status}`,
          actor: 'system',
          channel,
          data: { progress: applied.progress, ...(executeBy && { execute_by: executeBy.toISOString() }), ...(made && { grant: made.grant.id }) },
        })
        if (made) events.push(made.event)
        change = { ...change, status: applied.status, executeBy, deadline: executeBy, events }
      }
      return { change, value: undefined }
    })
    if (outcome.value) throw outcome.value
    if (outcome.changed) {
      this.telemetry.reviewed(spanFacts(outcome.record), { decision: input.decision, channel, status: outcome.record.status, started, at: epochMs() })
      if (outcome.record.status !== 'pending') this.#waitEnded(outcome.record)
    }
    if (outcome.changed && outcome.record.status === 'approved' && outcome.record.brokered) this.#runnable(id)
    return { record: outcome.record, reviews: outcome.reviews }
  }

  /**
   * WebAuthn options to approve action `id` with a passkey: its challenge binds the digest, the
   * requirements this human counts for, the policy version and an expiry. Refused when the human
   * may not review the action now (the review rules say why).
   */
  async passkeyOptions(principal: Principal, id: string) {
    if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'only humans review; agent credentials can never approve or deny')
    if (!this.passkeys) throw new CountersignError('INVALID', 'this gateway does not take passkey approvals')
    const record = await this.store.getAction(id)
    if (!record) throw new CountersignError('NOT_FOUND', `no action ${id}`)
    const reviews = await this.store.getReviews(id)
    const verdict = reviewEligibility({ status: record.status as ActionStatus, expiresAt: record.expiresAt ?? new Date(0), requirements: requirementsOf(record), reviews, conflicted: conflictedOf(record), requesters: requestersOf(record) }, principal, this.#clock())
    if (!verdict.eligible) throw new CountersignError(verdict.code, verdict.reason)
    return this.passkeys.approvalOptions(principal, { id, digest: record.digest, policyVersion: record.policyVersion }, verdict.requirements)
  }

  /** Where the channels announced an action (`GET /v1/actions/{id}/notifications`): each channel and destination, and whether it was posted. */
  async notifications(principal: Principal, id: string): Promise<readonly { channel: string; destination: string; posted: boolean; error: string | null }[]> {
    requireHuman(principal, 'see where actions were announced')
    const rows = await this.store.db.selectFrom('channel_messages').select(['channel', 'destination', 'sent_seq', 'last_error', 'dead_at']).where('action_id', '=', id).orderBy('channel').orderBy('destination').execute()
    return rows.map((row) => ({ channel: row.channel, destination: row.destination, posted: Number(row.sent_seq) > 0, error: row.dead_at || Number(row.sent_seq) === 0 ? row.last_error : null }))
  }

  /** Grants newest first (`GET /v1/grants`); humans only. With `live`, only those still usable now. */
  async grants(principal: Principal, options: { live?: boolean; limit?: number } = {}): Promise<readonly Grant[]> {
    requireHuman(principal, 'list grants')
    return this.store.listGrants({ liveAt: options.live ? this.#clock() : undefined, limit: options.limit ?? 100 })
  }

  /** Revokes a grant at once: an admin or one of the humans who granted it. */
  async revokeGrant(principal: Principal, id: string, reason: string | undefined, channel: string): Promise<Grant> {
    requireHuman(principal, 'revoke grants')
    const grant = await this.store.getGrant(id)
    if (!grant) throw new CountersignError('NOT_FOUND', `no grant ${id}`)
    const email = principal.type === 'human' ? canonicalEmail(principal.email) : ''
    const granter = grant.reviewers.some((reviewer) => reviewer.email === email)
    if (!granter && !(principal.type === 'human' && principal.admin)) throw new CountersignError('FORBIDDEN', 'only an admin or a human who granted it can revoke a grant')
    if (grant.revokedAt) throw new CountersignError('ALREADY_DECIDED', `grant ${id} was already revoked`)
    const event: AuditDraft = { type: 'grant.revoked', action_id: grant.actionId, actor: actorOf(principal), channel, digest: null, policy_version: grant.policyVersion, data: { grant: id, reason: reason ?? '', uses: grant.uses } }
    const revoked = await this.store.revokeGrant(id, actorOf(principal), event)
    if (!revoked) throw new CountersignError('ALREADY_DECIDED', `grant ${id} was already revoked`)
    return (await this.store.getGrant(id)) ?? revoked
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
    let waited = false
    const outcome = await this.store.mutateAction(id, (current, _reviews, now) => {
      if (!mayView(principal, current)) throw new CountersignError('NOT_FOUND', `no action ${id}`)
      const own = current.submittedBy === actorOf(principal)
      if (!own && !(principal.type === 'human' && principal.admin)) throw new CountersignError('FORBIDDEN', 'only the agent that submitted an action, its submitter or an admin can cancel it')
      const expired = this.#expiry(current, now)
      if (expired) return { change: expired, value: new CountersignError('ALREADY_DECIDED', `action ${id} expired`) }
      assertTransition(current.status as ActionStatus, 'cancelled')
      waited = current.status === 'pending'
      const event: AuditDraft = { type: 'action.cancelled', action_id: id, actor: actorOf(principal), channel, digest: current.digest, policy_version: current.policyVersion, data: { reason: reason ?? '' } }
      return { change: { status: 'cancelled', deadline: null, events: [event] }, value: undefined }
    })
    if (outcome.value) throw outcome.value
    if (waited && outcome.changed) this.#waitEnded(outcome.record)
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
      const result = outcomeResult(report, actorOf(principal), now)
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
      return { change: { status: 'executing', leaseOwner: executor, deadline: until, events: [executingEvent(current, executor, until)] }, value: true }
    })
    return outcome.value ? outcome.record : undefined
  }

  /**
   * Records the result of a brokered execution, if `executor` still holds the lease; returns the
   * final state, or `undefined` when the lease was lost (the action was failed meanwhile).
   * `claimed`: the action as `claimExecution` returned it, which is what it still is unless
   * something changed it meanwhile (then the store decides again on the row as it is).
   */
  async finishExecution(claimed: ActionRecord, executor: string, result: ExecutionResult): Promise<ActionRecord | undefined> {
    const id = claimed.id
    const outcome = await this.store.mutateActionFrom(claimed, (current, now) => {
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
    if (!outcome.value) return undefined
    // Those waiting on this replica need not wait for the store's notification to come round.
    this.waiters.wake(id)
    return outcome.record
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
    let waited = false
    const outcome = await this.store.mutateAction(id, (current, _reviews, now) => {
      waited = current.status === 'pending'
      return { change: this.#expiry(current, now), value: undefined }
    })
    if (waited && outcome.changed) this.#waitEnded(outcome.record)
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

/** How a transport submits (`channel`: where the request came from, e.g. `api`, `mcp`, `postgres`). */
export interface SubmitOptions {
  readonly channel: string
  /** Hold a pending action up to this long for its decision. */
  readonly waitMs?: number
  readonly signal?: AbortSignal
  /**
   * For an action the policy does not allow at once: an earlier identical request (same digest)
   * of the caller's to hold or run instead of recording a new one (a re-issued statement).
   */
  readonly reuse?: (digest: string) => Promise<ActionState | undefined>
  /**
   * For an action its caller runs itself (a target without a connector, as the caller sees it):
   * when the policy allows it at once, `runAllowed` may return the running of it; the action is
   * then recorded once, decided and finished (`succeeded`/`failed`), in one group-committed write.
   * Only for work whose effects are nothing until that write is done (a read whose result is held
   * back until then): `undefined` records it `allowed` first, as usual.
   */
  readonly runAllowed?: (record: ActionRecord) => Promise<OutcomeReport> | undefined
}

/**
 * One of an executor's slots, held for an action claimed as it is recorded: `run` runs the claimed
 * action in it (and gives the slot back when done); `release` gives it back unused.
 */
export interface ExecutionSlot {
  readonly executor: string
  readonly leaseMs: number
  /** Resolves with the action as its result was recorded, or undefined when it was not (a lost lease). */
  run(record: ActionRecord): Promise<ActionRecord | undefined>
  release(): void
}

/** `promise`'s value, or undefined once `timeoutMs` have passed or `signal` aborted. */
function within<T>(promise: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined): Promise<T | undefined> {
  return new Promise((resolve) => {
    const end = (value: T | undefined) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', stop)
      resolve(value)
    }
    const stop = () => end(undefined)
    const timer = setTimeout(stop, timerDelay(timeoutMs))
    signal?.addEventListener('abort', stop, { once: true })
    if (signal?.aborted) stop()
    promise.then(end, stop)
  })
}

/** The audit event of an executor's claim on `action` with a lease until `until`. */
function executingEvent(action: Pick<ActionRecord, 'id' | 'digest' | 'policyVersion'>, executor: string, until: Date): AuditDraft {
  return { type: 'action.executing', action_id: action.id, actor: 'system', channel: 'system', digest: action.digest, policy_version: action.policyVersion, data: { executor, lease_until: until.toISOString() } }
}

/** The stored result of an outcome the agent ran and reports (output cut at MAX_OUTPUT_CHARS). */
function outcomeResult(report: OutcomeReport, reportedBy: string, now: Date) {
  const output = report.output ?? ''
  return {
    status: report.status,
    reported_by: reportedBy,
    finished_at: now.toISOString(),
    ...(report.exit_code !== undefined && { exit_code: report.exit_code }),
    ...(report.error !== undefined && { error: report.error.slice(0, 4096) }),
    output: output.slice(0, MAX_OUTPUT_CHARS),
    truncated: output.length > MAX_OUTPUT_CHARS,
    output_chars: output.length,
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

/** Now, in epoch milliseconds with the fraction the monotonic clock gives: span times. */
function epochMs(): number {
  return performance.timeOrigin + performance.now()
}

/** What a span may say of an action: ids and kinds, never its payload. */
export function spanFacts(record: Pick<ActionRecord, 'id' | 'kind' | 'target' | 'context'>): ActionSpanFacts {
  return { id: record.id, kind: record.kind, target: record.target, traceContext: record.context['trace_id'] }
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

/**
 * The passkey evidence an approval must carry, checked against the locked action: where a
 * requirement the reviewer counts for says `assurance: passkey`, the approval must come with an
 * assertion (already verified against the reviewer's live passkey) whose binding names this
 * action, its digest, its policy version and every such requirement. Returns the evidence to
 * store, or throws FORBIDDEN saying where to approve instead (the console's page).
 */
function passkeyCheck(current: ActionRecord, requirements: readonly ReviewRequirement[], counted: readonly string[], evidence: PasskeyEvidence | undefined, consoleOrigin: string | undefined): PasskeyEvidence | undefined {
  const needed = requirements.filter((requirement) => requirement.assurance === 'passkey' && counted.includes(requirement.rule)).map((requirement) => requirement.rule)
  if (needed.length === 0) return evidence
  const page = consoleOrigin ? `${consoleOrigin}/actions/${current.id}` : `the page of action ${current.id}`
  if (!evidence) throw new CountersignError('FORBIDDEN', `this approval needs a passkey (rule ${needed.join(', ')}): confirm it in the console, at ${page}`)
  const clientData = JSON.parse(Buffer.from(evidence.client_data_json, 'base64url').toString('utf8')) as { challenge?: string }
  const binding = bindingOfChallenge(clientData.challenge ?? '')
  if (!binding || binding.action_id !== current.id || binding.digest !== current.digest || binding.policy_version !== current.policyVersion) {
    throw new CountersignError('FORBIDDEN', 'the passkey assertion is not for this action as it stands (its digest or policy version differs)')
  }
  const missing = needed.filter((rule) => !binding.requirements.includes(rule))
  if (missing.length > 0) throw new CountersignError('FORBIDDEN', `the passkey assertion does not cover rule ${missing.join(', ')}`)
  return evidence
}

/**
 * The decision of an action a grant covered: allowed, citing the grant and its reviewers; the
 * review it would otherwise have needed is kept as `granted_effect` and in the explanation.
 */
function grantedDecision(decision: Decision, grant: GrantCitation): Record<string, unknown> {
  const who = grant.reviewers.map((reviewer) => reviewer.email).join(', ')
  return {
    ...storedDecision(decision),
    effect: 'allow',
    requirements: [],
    granted_requirements: decision.requirements,
    grant,
    explanation: `allowed by grant ${grant.id} from ${who} (approved with action ${grant.action_id}; use ${grant.uses} of ${grant.max_uses}), instead of: ${decision.explanation}`,
  }
}

/**
 * The stored form of each remembered decision (frozen: decision-memo.ts), made once and frozen
 * too, so that every action it decides shares it and the store writes its JSON once (store.ts).
 */
const storedDecisions = new WeakMap<Decision, Readonly<Record<string, unknown>>>()

function storedDecision(decision: Decision): Record<string, unknown> {
  if (!Object.isFrozen(decision)) return storedForm(decision)
  let stored = storedDecisions.get(decision)
  if (stored === undefined) {
    stored = Object.freeze(storedForm(decision))
    storedDecisions.set(decision, stored)
  }
  return stored
}

function storedForm(decision: Decision): Record<string, unknown> {
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
    ...(decision.shadow && { shadow: decision.shadow }),
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

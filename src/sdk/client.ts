import { ApiError, outcomeError } from './errors.js'
import { backoff, Http, sleep } from './http.js'
import { ReceiptError, verifyReceipt, type VerifyReceiptOptions } from './receipts.js'
import { parseSse } from './sse.js'
import type { TokenSource } from './token-source.js'
import {
  FINAL_STATUSES,
  isSettled,
  type Action,
  type ActionEvent,
  type ActionInput,
  type ActionPage,
  type ActionStatus,
  type AuditPage,
  type AuditVerification,
  type AuditCheckpoints,
  type AuditConsistencyProof,
  type AuditInclusionProof,
  type DryRun,
  type IssuedToken,
  type Jwks,
  type ListFilter,
  type OutcomeReport,
  type ReceiptClaims,
  type ReceiptView,
  type RedeemInput,
  type TokenRecord,
  type WhoAmI,
} from './types.js'

/** How a {@link Countersign} client reaches its gateway. */
export interface CountersignOptions {
  /** The gateway's base URL, e.g. `https://countersign.example.com`. */
  readonly url: string
  /** A bearer token: `cs_agent_…`, `cs_user_…`, or a workload identity JWT; or a {@link TokenSource} of fresh ones. */
  readonly token?: string | TokenSource | undefined
  /** The fetch to use (default: the platform's). */
  readonly fetch?: typeof fetch
  /** How many times a failed request may be sent again where that is safe (default 3). */
  readonly retries?: number
  /** Extra headers on every request. */
  readonly headers?: Readonly<Record<string, string>>
}

/** Waiting for an action: for how long at most, and a signal that stops the wait. */
export interface WaitOptions {
  /** Give up waiting after this long (default: until the action is settled or expires). */
  readonly timeoutMs?: number
  /** Stops waiting (it does not cancel the action: use {@link Countersign.cancel} for that). */
  readonly signal?: AbortSignal
}

/** The longest hold the API grants one request (`wait` ≤ 60 s). */
const MAX_HOLD_SECONDS = 60
/** A gateway that answers a hold at once without a change is not holding: poll this gently instead. */
const POLL_MS = 1000
/** How long the gateway's key set is kept (it serves it with max-age=300). */
const JWKS_TTL_MS = 300_000

/**
 * A typed client of the Countersign HTTP API, on the platform's fetch and WebCrypto alone.
 * Reads are retried on network errors, 502–504 and 429 (honoring Retry-After); requests that
 * change something only when the gateway provably did not act on them. Refusals are
 * {@link ApiError}s with the problem document's `code`.
 *
 * @example
 * const cs = new Countersign({ url: process.env.COUNTERSIGN_URL!, token: process.env.COUNTERSIGN_TOKEN })
 * const action = await cs.run({ kind: 'sql', target: 'prod-db', payload: { sql: 'UPDATE plans SET tier = 2 WHERE id = 42' } }, { timeoutMs: 10 * 60_000 })
 * console.log(action.result) // the rows, once a DBA approved and Countersign ran it
 */
export class Countersign {
  /** The gateway's base URL, without a trailing slash. */
  readonly url: string
  readonly #http: Http
  #jwks: { keys: Jwks; until: number } | undefined

  constructor(options: CountersignOptions) {
    this.#http = new Http(options)
    this.url = this.#http.url
  }

  /**
   * Submits an action for a decision. With `wait` (seconds, ≤ 60) the gateway holds the answer
   * until the action is settled (decided; for a brokered action, run) or the wait ends. Never
   * sent twice unless the gateway provably did not receive it.
   */
  submit(action: ActionInput, options: { wait?: number; signal?: AbortSignal } = {}): Promise<Action> {
    return this.#http.json('POST', '/v1/actions', { query: { wait: options.wait }, body: action, signal: options.signal, retry: 'unsent' })
  }

  /**
   * An action with its decision, reviews, timeline and result. With `wait` (seconds, ≤ 60), holds
   * until it is settled, or with `from`, while it still has that status.
   */
  get(id: string, options: { wait?: number; from?: ActionStatus; signal?: AbortSignal } = {}): Promise<Action> {
    return this.#http.json('GET', `/v1/actions/${encodeURIComponent(id)}`, { query: { wait: options.wait, from: options.from }, signal: options.signal, retry: 'idempotent' })
  }

  /**
   * Waits until the action is settled (see {@link isSettled}) or `timeoutMs` ends, holding one
   * request at a time; returns the action as it is then (check its status: pending at the
   * timeout is returned, not thrown).
   */
  async waitFor(id: string, options: WaitOptions = {}): Promise<Action> {
    const deadline = options.timeoutMs === undefined ? Infinity : performance.now() + options.timeoutMs
    let previous: Action | undefined
    for (;;) {
      const left = deadline - performance.now()
      const asked = performance.now()
      const action = await this.get(id, { ...(left > 0 && { wait: holdSeconds(left) }), ...(options.signal && { signal: options.signal }) })
      if (isSettled(action) || performance.now() >= deadline) return action
      if (action.updated_at === previous?.updated_at && performance.now() - asked < POLL_MS) await sleep(Math.min(POLL_MS, deadline - performance.now()), options.signal)
      previous = action
    }
  }

  /**
   * Submits an action and waits until it may run or ran: returns it when it succeeded (a brokered
   * action, with its `result`) or when it is allowed or approved for the agent to run itself (then
   * fetch its {@link receipt} and {@link redeem} it). Otherwise throws `Denied`, `Expired`,
   * `Cancelled`, `Failed`, or `StillPending` when `timeoutMs` ended first; each carries the action.
   */
  async run(action: ActionInput, options: WaitOptions = {}): Promise<Action> {
    const deadline = options.timeoutMs === undefined ? Infinity : performance.now() + options.timeoutMs
    const signal = options.signal && { signal: options.signal }
    let current = await this.submit(action, { wait: holdSeconds(deadline - performance.now()), ...signal })
    if (!isSettled(current) && performance.now() < deadline) current = await this.waitFor(current.id, { ...signal, ...(Number.isFinite(deadline) && { timeoutMs: Math.max(0, deadline - performance.now()) }) })
    if (current.status === 'succeeded' || (isSettled(current) && !FINAL_STATUSES.includes(current.status))) return current
    throw outcomeError(current)
  }

  /** Records a human's review (`approve` or `deny`); humans only, never on their own request. */
  review(id: string, decision: 'approve' | 'deny', reason?: string, options: { signal?: AbortSignal } = {}): Promise<Action> {
    return this.#http.json('POST', `/v1/actions/${encodeURIComponent(id)}/reviews`, { body: { decision, ...(reason !== undefined && { reason }) }, signal: options.signal, retry: 'unsent' })
  }

  /** Cancels a pending action (its submitter, or an admin). */
  cancel(id: string, reason?: string, options: { signal?: AbortSignal } = {}): Promise<Action> {
    return this.#http.json('POST', `/v1/actions/${encodeURIComponent(id)}/cancel`, { body: reason === undefined ? {} : { reason }, signal: options.signal, retry: 'unsent' })
  }

  /** One page of actions, newest first (humans); pass `next_cursor` back as `cursor` for the next. */
  list(filter: ListFilter = {}, options: { signal?: AbortSignal } = {}): Promise<ActionPage> {
    const status = typeof filter.status === 'string' ? filter.status : filter.status?.join(',')
    const query = { status, target: filter.target, agent: filter.agent, kind: filter.kind, limit: filter.limit, cursor: filter.cursor }
    return this.#http.json('GET', '/v1/actions', { query, signal: options.signal, retry: 'idempotent' })
  }

  /**
   * The action's events as they happen (`GET /v1/actions/{id}/events`): a `transition` per audit
   * event, in order and none twice, and an `action` with the action as it is, at the start and at
   * every change. Ends after the action is final; a dropped stream is reopened. Break out of the
   * loop or abort `signal` to stop.
   *
   * @example
   * for await (const event of cs.events(id)) if (event.type === 'action') console.log(event.action.status)
   */
  async *events(id: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<ActionEvent> {
    let lastSeq = 0
    let failures = 0
    for (;;) {
      const response = await this.#http.send('GET', `/v1/actions/${encodeURIComponent(id)}/events`, { signal: options.signal, retry: 'idempotent', accept: 'text/event-stream' })
      if (!response.body) throw new ApiError('INTERNAL', response.status, 'the event stream has no body')
      try {
        for await (const message of parseSse(response.body)) {
          failures = 0
          if (message.event === 'transition') {
            const seq = Number(message.id)
            // A reopened stream starts from the first transition again: skip what was seen.
            if (!(seq > lastSeq)) continue
            lastSeq = seq
            yield { type: 'transition', seq, event: JSON.parse(message.data) as Record<string, unknown> }
          } else if (message.event === 'action') {
            const action = JSON.parse(message.data) as Action
            yield { type: 'action', action }
            if (FINAL_STATUSES.includes(action.status)) return
          }
        }
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason ?? error
        if (error instanceof SyntaxError) throw new ApiError('INTERNAL', response.status, `the event stream carried something other than JSON: ${error.message}`)
        if (failures >= this.#http.retries) throw new ApiError('NETWORK', 0, `the event stream of ${id} broke: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
      }
      // The stream ended before the action did (a proxy or a replica went away): open it again.
      if (failures++ >= this.#http.retries) throw new ApiError('NETWORK', 0, `the event stream of ${id} keeps ending before the action is final`)
      await sleep(backoff(failures), options.signal)
    }
  }

  /** A signed single-use receipt for an allowed or approved action the agent runs itself. */
  receipt(id: string, options: { signal?: AbortSignal } = {}): Promise<ReceiptView> {
    return this.#http.json('GET', `/v1/actions/${encodeURIComponent(id)}/receipt`, { signal: options.signal, retry: 'idempotent' })
  }

  /**
   * Redeems a receipt, once, just before running the action: the gateway checks it and the
   * action presented (or its digest) and moves the action to `executing`. Report the outcome after.
   */
  redeem(input: RedeemInput, options: { signal?: AbortSignal } = {}): Promise<Action> {
    // Only what the digest covers: an action with its context (or an Action view) is accepted as is.
    const presented = input.action ? { action: { kind: input.action.kind, target: input.action.target, payload: input.action.payload } } : { digest: input.digest }
    return this.#http.json('POST', '/v1/receipts/redeem', { body: { receipt: input.receipt, target: input.target, ...presented }, signal: options.signal, retry: 'unsent' })
  }

  /** Reports how an action the agent ran itself went (once). */
  reportOutcome(id: string, report: OutcomeReport, options: { signal?: AbortSignal } = {}): Promise<Action> {
    return this.#http.json('POST', `/v1/actions/${encodeURIComponent(id)}/outcome`, { body: report, signal: options.signal, retry: 'unsent' })
  }

  /** Dry run: the decision and impact for an action; nothing is stored. */
  decide(action: ActionInput, options: { signal?: AbortSignal } = {}): Promise<DryRun> {
    return this.#http.json('POST', '/v1/decide', { body: action, signal: options.signal, retry: 'idempotent' })
  }

  /** The gateway's receipt keys (`/.well-known/jwks.json`), kept for five minutes. */
  async jwks(options: { refresh?: boolean } = {}): Promise<Jwks> {
    if (!options.refresh && this.#jwks && this.#jwks.until > performance.now()) return this.#jwks.keys
    const keys = await this.#http.json<Jwks>('GET', '/.well-known/jwks.json', { retry: 'idempotent' })
    this.#jwks = { keys, until: performance.now() + JWKS_TTL_MS }
    return keys
  }

  /**
   * Checks a receipt offline against this gateway's keys (see `verifyReceipt`); a key it does not
   * know yet makes it fetch the key set again once (the gateway's key was rotated).
   */
  async verifyReceipt(receipt: string, options: Omit<VerifyReceiptOptions, 'jwks' | 'jwksUrl' | 'fetch'>): Promise<ReceiptClaims> {
    try {
      return await verifyReceipt(receipt, { ...options, jwks: await this.jwks() })
    } catch (error) {
      if (!(error instanceof ReceiptError) || error.code !== 'UNKNOWN_KEY') throw error
      return verifyReceipt(receipt, { ...options, jwks: await this.jwks({ refresh: true }) })
    }
  }

  /** Who the token belongs to. */
  me(): Promise<WhoAmI> {
    return this.#http.json('GET', '/v1/me', { retry: 'idempotent' })
  }

  /** Audit events after `since` (auditors, admins). */
  audit(options: { since?: number; limit?: number } = {}): Promise<AuditPage> {
    return this.#http.json('GET', '/v1/audit', { query: { since: options.since, limit: options.limit }, retry: 'idempotent' })
  }

  /** The audit chain's verification report (auditors, admins). */
  verifyAudit(): Promise<AuditVerification> {
    return this.#http.json('GET', '/v1/audit/verify', { retry: 'idempotent' })
  }

  /** The newest signed tree heads of the audit log (C2SP checkpoints with cosignatures) and each witness's status (any token). */
  auditCheckpoints(options: { limit?: number } = {}): Promise<AuditCheckpoints> {
    return this.#http.json('GET', '/v1/audit/checkpoints', { query: { limit: options.limit }, retry: 'idempotent' })
  }

  /** The RFC 9162 inclusion proof of event `seq` in the tree of the first `treeSize` events (any token): check it against a signed checkpoint's root. */
  auditInclusionProof(seq: number, treeSize: number): Promise<AuditInclusionProof> {
    return this.#http.json('GET', '/v1/audit/proofs/inclusion', { query: { seq, tree_size: treeSize }, retry: 'idempotent' })
  }

  /** The RFC 9162 consistency proof between the trees of the first `from` and `to` events (any token). */
  auditConsistencyProof(from: number, to: number): Promise<AuditConsistencyProof> {
    return this.#http.json('GET', '/v1/audit/proofs/consistency', { query: { from, to }, retry: 'idempotent' })
  }

  /** Issues a run-time token (admins: for agents; anyone: for themselves); the token is in the answer only. */
  createToken(request: { agent: string; name?: string; expires_in?: number } | { user: string; name?: string; expires_in?: number }): Promise<IssuedToken> {
    return this.#http.json('POST', '/v1/tokens', { body: request, retry: 'unsent' })
  }

  /** Run-time tokens, hashes only (admins). */
  async listTokens(): Promise<readonly TokenRecord[]> {
    return (await this.#http.json<{ tokens: TokenRecord[] }>('GET', '/v1/tokens', { retry: 'idempotent' })).tokens
  }

  /** Revokes a run-time token by its SHA-256. */
  async revokeToken(sha256: string): Promise<void> {
    await this.#http.json('DELETE', `/v1/tokens/${encodeURIComponent(sha256)}`, { retry: 'unsent' })
  }
}

/** The hold to ask for with `ms` left: at most the API's 60 s, at least a tenth of a second. */
function holdSeconds(ms: number): number {
  if (!Number.isFinite(ms)) return MAX_HOLD_SECONDS
  return Math.min(MAX_HOLD_SECONDS, Math.max(0.1, Math.round(ms / 100) / 10))
}

import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { Analysis, Analyzers } from '../analyzers/index.js'
import type { Directory } from '../config/index.js'
import type { Connector, ExecutionRequest, ExecutionResult } from '../connectors/index.js'
import { CountersignError } from '../errors/index.js'
import { diffPolicies, type CompiledPolicy } from '../policy/index.js'
import { addPolicyVersion, latestPolicyVersion, type Store } from '../store/index.js'
import { replayPolicy } from './policy-replay.js'


/** How far back a proposal's replay looks. */
const REPLAY_WINDOW_MS = 30 * 86_400_000

/** The policy in force, as the gateway holds it. */
export interface PolicySlot {
  readonly current: CompiledPolicy
  /** Compiles a policy text as the gateway compiles its own; throws INVALID with located problems. */
  compileText(text: string, file: string): CompiledPolicy
  use(policy: CompiledPolicy): void
}

/** What policy changes in store mode are made of. */
export interface PolicyChangesParts {
  readonly store: Store
  readonly directory: Pick<Directory, 'target' | 'agent'>
  readonly analyzers: Pick<Analyzers, 'analyze'>
  readonly slot: PolicySlot
  readonly clock?: () => Date
  readonly logger?: Logger | undefined
}

/**
 * The policy in force kept in the store (`policy.source: store`), versioned. A change is an action
 * of kind `policy` on the built-in `policy` target: its facts are the diff against the policy in
 * force and a replay of the last 30 days under it; it goes through the policy's review rules like
 * any action, and once approved the executor puts it in force here (compare-and-set on the version
 * it replaces). Every replica picks a new version up by polling the store, with an audit event.
 */
export class PolicyChanges {
  readonly #parts: PolicyChangesParts
  readonly #clock: () => Date
  #timer: NodeJS.Timeout | undefined
  #refreshing: Promise<boolean> | undefined

  constructor(parts: PolicyChangesParts) {
    this.#parts = parts
    this.#clock = parts.clock ?? (() => new Date())
  }

  /**
   * At start: seeds an empty store with the policy file's text, then puts the store's newest
   * version in force; returns whether that changed the policy (and recorded its load).
   */
  async start(seedText: string, pollMs = 5000): Promise<boolean> {
    await addPolicyVersion(this.#parts.store.db, { base: null, sha256: sha256(seedText), text: seedText, at: this.#clock(), createdBy: 'system', actionId: null })
    const changed = await this.refresh()
    if (pollMs > 0) {
      this.#timer = setInterval(() => {
        this.refresh().catch((error: unknown) => this.#parts.logger?.error({ err: error }, 'reading the policy in force from the store failed; the last one stays'))
      }, pollMs)
      this.#timer.unref()
    }
    return changed
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /**
   * Puts the store's newest version in force if it is not already, recording `policy.loaded`
   * first (no decision is made under a policy the log does not name). Returns whether it changed.
   */
  refresh(): Promise<boolean> {
    // One refresh at a time: the poll and an approval on this replica must not record the load twice.
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined))
    return this.#refreshing
  }

  async #refresh(): Promise<boolean> {
    const latest = await latestPolicyVersion(this.#parts.store.db)
    if (!latest || latest.sha256 === this.#parts.slot.current.version) return false
    const compiled = this.#parts.slot.compileText(latest.text, `store:v${latest.version}`)
    await this.#parts.store.appendEvents([
      { type: 'policy.loaded', action_id: latest.actionId, actor: 'system', channel: 'system', digest: null, policy_version: compiled.version, data: { source: 'store', version: latest.version, rules: compiled.rules.length, created_by: latest.createdBy } },
    ])
    this.#parts.slot.use(compiled)
    this.#parts.logger?.info({ policy_version: compiled.version, version: latest.version }, 'policy put in force from the store')
    return true
  }

  /**
   * The analysis of a proposed change: refused (INVALID) when the text is not a valid policy or
   * `base` is not the policy in force; otherwise the diff and the replay summary as its facts.
   */
  async analyze(payload: { readonly text: string; readonly base: string }): Promise<Analysis> {
    const current = this.#parts.slot.current
    if (payload.base !== current.version) {
      throw new CountersignError('INVALID', `base ${payload.base.slice(0, 12)} is not the policy in force (${current.version.slice(0, 12)}): propose the change against the policy in force`)
    }
    const candidate = this.#parts.slot.compileText(payload.text, 'proposed policy')
    const diff = diffPolicies(current, candidate)
    const now = this.#clock()
    const replay = await replayPolicy(this.#parts, candidate, { since: new Date(now.getTime() - REPLAY_WINDOW_MS), maxChanges: 20 })
    const changes = replay.effects.filter((pair) => pair.from !== pair.to)
    const summary = [
      `policy change: ${diff.added.length} rule${diff.added.length === 1 ? '' : 's'} added, ${diff.removed.length} removed, ${diff.changed.length} changed${diff.default ? `, default ${diff.default.from} → ${diff.default.to}` : ''}`,
      `replay of the last 30 days: ${replay.changed} of ${replay.replayed} actions would be decided differently${changes.length ? ` (${changes.map((pair) => `${pair.from} → ${pair.to} ${pair.actions}`).join(', ')})` : ''}`,
    ].join('; ')
    const highlights = [
      ...changes.filter((pair) => pair.to === 'allow' || (pair.from === 'deny' && pair.to === 'review')).map((pair) => `loosens: ${pair.actions} action${pair.actions === 1 ? '' : 's'} ${pair.from} → ${pair.to}`),
      ...diff.removed.map((id) => `removes rule ${id}`),
      ...(diff.default ? [`changes the default from ${diff.default.from} to ${diff.default.to}`] : []),
    ]
    const facts = {
      base: current.version,
      version: candidate.version,
      diff,
      replay: { since: replay.since, replayed: replay.replayed, changed: replay.changed, effects: changes, rules: replay.rules, changes: replay.changes.map((change) => ({ id: change.id, before: change.before.effect, after: change.after.effect, responsible: change.responsible })) },
    }
    return { facts, summary, highlights }
  }

  /** The connector the executor runs an approved change with: it puts the text in force, once, if its base is still in force. */
  readonly connector: Connector = {
    type: 'policy',
    execute: async (request: ExecutionRequest): Promise<ExecutionResult> => {
      const started = Date.now()
      const payload = request.action.payload as { text: string; base: string }
      const record = await this.#parts.store.getAction(request.actionId)
      const added = await addPolicyVersion(this.#parts.store.db, { base: payload.base, sha256: sha256(payload.text), text: payload.text, at: this.#clock(), createdBy: record?.submittedBy ?? 'unknown', actionId: request.actionId })
      if (!added) return { status: 'failed', duration_ms: Date.now() - started, truncated: false, error: 'the policy in force changed since this change was proposed (its base is no longer in force); propose it again against the policy in force' }
      await this.refresh()
      return { status: 'succeeded', duration_ms: Date.now() - started, truncated: false, stdout: `policy ${sha256(payload.text).slice(0, 12)} is in force` }
    },
    close: async () => {},
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

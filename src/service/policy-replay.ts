import type { Action, ActionKind } from '../action/index.js'
import { analyzeAction, type Analyzers } from '../analyzers/index.js'
import type { Directory } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import type { Principal } from '../lifecycle/index.js'
import { compilePolicy, parseDuration, ReplayTally, type CompiledPolicy, type PolicyAgent, type RecordedDecision, type ReplayChange, type ReplayTotals } from '../policy/index.js'
import { actionHistory, type HistoryRow, type Store } from '../store/index.js'
import type { Gateway } from './gateway.js'
import { POLICY_TARGET } from './policy-target.js'
import { actionIdFloor } from './ids.js'

/** Which history to replay, and how. */
export interface ReplayOptions {
  /** The window: actions submitted at or after `since` (and before `until`, default: all since). */
  readonly since: Date
  readonly until?: Date | undefined
  /** Only actions on these targets. */
  readonly targets?: readonly string[] | undefined
  /**
   * `current` (default): analyze each payload again, as the gateway would now (facts that needed
   * the gateway's live knowledge — a SQL target's catalog, MCP tools' annotations — are taken as
   * recorded). `recorded`: decide on the facts recorded at submission, exactly what the live
   * decision read: the policy is then the only difference.
   */
  readonly facts?: 'current' | 'recorded' | undefined
  /** How many changed actions the report lists (all are counted). Default 1000. */
  readonly maxChanges?: number | undefined
  /** Base URL of the console, for each changed action's link. */
  readonly publicUrl?: string | undefined
}

/** A changed action with the console link where it can be looked at. */
export interface ReplayChangeView extends ReplayChange {
  readonly link?: string
}

/** The report of `policy replay` (CLI and `POST /v1/policy/replay`). */
export interface ReplayReport extends Omit<ReplayTotals, 'changes'> {
  readonly policy_version: string
  readonly since: string
  readonly until: string | null
  readonly targets: readonly string[] | null
  /** How each action's facts were had: analyzed again, or as recorded. */
  readonly facts: { readonly analyzed: number; readonly recorded: number }
  readonly changes: readonly ReplayChangeView[]
}

/** What a replay reads: the store's history, the config's targets and agents, the analyzers. */
export interface ReplaySources {
  readonly store: Pick<Store, 'db'>
  readonly directory: Pick<Directory, 'target' | 'agent'>
  readonly analyzers: Pick<Analyzers, 'analyze'>
}

/** Distinct actions whose analysis is kept during one replay: repeats (the same query every hour) are analyzed once. */
const MAX_MEMOIZED = 50_000

/**
 * Replays the stored actions of a window under a candidate policy (`countersign policy replay`):
 * each is analyzed (or its recorded facts taken) and decided as the gateway decided it — same
 * target and agent from config, its submission time as `now` — and compared with the decision
 * recorded then. Reads the store a page at a time; changes nothing.
 *
 * @example
 * const report = await replayPolicy({ store, directory, analyzers }, candidate, { since: new Date(Date.now() - 30 * 86_400_000) })
 */
export async function replayPolicy(sources: ReplaySources, candidate: CompiledPolicy, options: ReplayOptions): Promise<ReplayReport> {
  const tally = new ReplayTally(candidate, { maxChanges: options.maxChanges })
  const facts = new FactSource(sources.analyzers, options.facts ?? 'current')
  const agents = new Map<string, PolicyAgent>()
  const window = { fromId: actionIdFloor(options.since), toId: options.until && actionIdFloor(options.until), targets: options.targets, impact: options.facts === 'recorded' || undefined }
  const texts = new ParsedTexts()
  for await (const page of actionHistory(sources.store.db, window)) {
    for (const row of page) {
      const action = texts.action(row)
      const target = row.kind === 'policy' && row.target === POLICY_TARGET.name ? POLICY_TARGET : sources.directory.target(row.target)
      const input = {
        id: row.id,
        action,
        target,
        agent: row.agent_id === null ? undefined : agentOf(row, sources.directory, agents),
        facts: facts.of(row, action, target),
        digest: row.digest,
        now: row.created_at,
        recorded: texts.recorded(row),
      }
      // Equal keys, equal inputs (time aside): the digest names kind, target and payload; recorded facts may differ per action.
      tally.add(input, `${row.digest}\n${row.agent_id ?? ''}\n${row.context}${facts.recordedFor(row) ? `\n${row.impact ?? ''}` : ''}`)
    }
  }
  const totals = tally.totals()
  const base = options.publicUrl?.replace(/\/+$/, '')
  return {
    policy_version: candidate.version,
    since: options.since.toISOString(),
    until: options.until?.toISOString() ?? null,
    targets: options.targets?.length ? [...options.targets] : null,
    replayed: totals.replayed,
    changed: totals.changed,
    effects: totals.effects,
    rules: totals.rules,
    facts: { analyzed: facts.analyzed, recorded: facts.recorded },
    changes: base ? totals.changes.map((change) => ({ ...change, link: `${base}/actions/${encodeURIComponent(change.id)}` })) : totals.changes,
    truncated: totals.truncated,
    shadow: totals.shadow,
  }
}

/**
 * The stored texts parsed, each distinct text once: histories repeat the same actions, contexts
 * and decisions, and parsing them again is most of what a replay would otherwise do. Parsed
 * values are shared, never changed (the policy only reads them).
 */
class ParsedTexts {
  readonly #actions = new Map<string, Action>()
  readonly #decisions = new Map<string, RecordedDecision>()

  action(row: HistoryRow): Action {
    const key = `${row.digest}\n${row.context}`
    let action = this.#actions.get(key)
    if (!action) {
      const stored = JSON.parse(row.action_json) as { kind: ActionKind; target: string; payload: Record<string, unknown> }
      action = { kind: stored.kind, target: stored.target, payload: stored.payload, context: JSON.parse(row.context) as Action['context'] }
      remember(this.#actions, key, action)
    }
    return action
  }

  recorded(row: HistoryRow): RecordedDecision {
    let recorded = this.#decisions.get(row.decided)
    if (!recorded) {
      const decision = JSON.parse(row.decided) as Partial<RecordedDecision>
      recorded = { effect: decision.effect ?? 'review', matched_rules: decision.matched_rules ?? [] }
      // Older actions carry their whole decision here: not worth keeping as a key.
      if (row.decided.length < 1024) remember(this.#decisions, row.decided, recorded)
    }
    return recorded
  }
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (map.size >= MAX_MEMOIZED) map.clear()
  map.set(key, value)
}

/** The agent as the policy saw it: from config; an agent no longer there (or a workload identity) keeps its id and recorded owner. */
function agentOf(row: HistoryRow, directory: ReplaySources['directory'], agents: Map<string, PolicyAgent>): PolicyAgent {
  const id = row.agent_id!
  let agent = agents.get(id)
  if (!agent) {
    const configured = directory.agent(id)
    agent = configured ? { id, owner: configured.owner, labels: configured.labels } : { id, owner: row.owner ?? '', labels: {} }
    agents.set(id, agent)
  }
  return agent
}

/** Facts for each replayed action: analyzed again (once per distinct action), or as recorded. */
class FactSource {
  readonly #analyzers: Pick<Analyzers, 'analyze'>
  readonly #mode: 'current' | 'recorded'
  readonly #memo = new Map<string, object | undefined>()
  readonly #recordedMemo = new Map<string, object | undefined>()
  analyzed = 0
  recorded = 0

  constructor(analyzers: Pick<Analyzers, 'analyze'>, mode: 'current' | 'recorded') {
    this.#analyzers = analyzers
    this.#mode = mode
  }

  /** Whether this row's facts are taken as recorded. */
  recordedFor(row: HistoryRow): boolean {
    return this.#mode === 'recorded' || dependsOnGateway(row)
  }

  of(row: HistoryRow, action: Action, target: ReturnType<ReplaySources['directory']['target']>): object | undefined {
    if (this.recordedFor(row)) {
      this.recorded++
      const text = row.impact ?? '{}'
      if (this.#recordedMemo.has(text)) return this.#recordedMemo.get(text)
      const facts = (JSON.parse(text) as { facts?: object | null }).facts ?? undefined
      remember(this.#recordedMemo, text, facts)
      return facts
    }
    this.analyzed++
    // The digest covers kind, target and payload: all the analysis reads besides the target's config.
    if (this.#memo.has(row.digest)) return this.#memo.get(row.digest)
    const facts = analyzeAction(this.#analyzers, action, target)?.facts
    remember(this.#memo, row.digest, facts)
    return facts
  }
}

/** Whether the recorded facts needed what only the live gateway had: a SQL target's catalog, the MCP tools' annotations, a policy change's replay. */
function dependsOnGateway(row: HistoryRow): boolean {
  return row.kind === 'mcp' || row.kind === 'policy' || (row.kind === 'sql' && row.catalog_checked)
}

/**
 * The start of a replay window: a duration back from `now` (`30d`, `12h`) or an ISO 8601 time;
 * `undefined` when `text` is neither.
 *
 * @example
 * windowStart('30d', new Date('2026-12-31T00:00:00Z')) // 2026-12-01T00:00:00.000Z
 */
export function windowStart(text: string, now: Date): Date | undefined {
  const ms = parseDuration(text)
  if (ms !== undefined) return new Date(now.getTime() - ms)
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(text)) return undefined
  const time = new Date(text)
  return Number.isNaN(time.getTime()) ? undefined : time
}

/** A replay asked for through the API: the candidate's text and the window, as strings. */
export interface ReplayRequest {
  readonly policy: string
  readonly since?: string | undefined
  readonly until?: string | undefined
  readonly targets?: readonly string[] | undefined
  readonly facts?: 'current' | 'recorded' | undefined
  readonly limit?: number | undefined
}

/**
 * Replays a candidate policy for an auditor or admin (`POST /v1/policy/replay`): the candidate is
 * compiled as the gateway compiles its own (an invalid one is refused with every located problem),
 * the window and targets checked, then {@link replayPolicy} runs over the gateway's store.
 */
export async function replayForPrincipal(gateway: Gateway, principal: Principal, request: ReplayRequest, publicUrl?: string): Promise<ReplayReport> {
  if (principal.type !== 'human' || !(principal.auditor || principal.admin)) throw new CountersignError('FORBIDDEN', 'only auditors and admins replay policies over the stored history')
  const now = gateway.now()
  const since = windowStart(request.since ?? '30d', now)
  if (!since) throw new CountersignError('INVALID', `since: expected a duration such as 30d or 12h, or an ISO 8601 time, got ${JSON.stringify(request.since)}`)
  const until = request.until === undefined ? undefined : windowStart(request.until, now)
  if (request.until !== undefined && !until) throw new CountersignError('INVALID', `until: expected a duration such as 1d, or an ISO 8601 time, got ${JSON.stringify(request.until)}`)
  const unknown = (request.targets ?? []).filter((target) => !gateway.directory.target(target))
  if (unknown.length > 0) throw new CountersignError('INVALID', `targets: unknown target ${unknown.map((target) => `"${target}"`).join(', ')}`)
  const candidate = compilePolicy(request.policy, { file: 'candidate policy', factKinds: gateway.analyzers.factKinds })
  return replayPolicy(gateway, candidate, { since, until, targets: request.targets, facts: request.facts, maxChanges: request.limit, publicUrl })
}

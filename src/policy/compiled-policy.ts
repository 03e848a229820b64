import type { ActionKind } from '../action/index.js'
import type { CelEnvironment } from './cel-environment.js'
import { compileGlob } from './glob.js'
import type { RuleOutcome } from './decide.js'
import { conditionsEvaluation, memoFull, memoNode, type ConditionsEvaluation, type MemoBudget, type MemoNode } from './decision-memo.js'
import type { Effect, MatchSpec } from './policy-schema.js'

/** One review requirement of a decision: who may approve, how many, and for how long. */
export interface ReviewRequirement {
  /** The rule that asked for it, or `default` when the policy's default applied. */
  readonly rule: string
  /** `group:NAME` or `user:EMAIL`; empty means any human may review (self-approval is still refused). */
  readonly approvers: readonly string[]
  readonly min_approvals: number
  readonly timeout_ms: number
  readonly execute_within_ms: number
  readonly reason_required: boolean
  readonly channels: readonly string[]
  /** Set when a reviewer may approve with a narrowing grant: its longest life (ms) and most uses. */
  readonly grants?: { readonly max_ttl_ms: number; readonly max_uses: number } | undefined
  /** `passkey`: an approval counts only as a WebAuthn assertion over the digest (made in the console). */
  readonly assurance?: 'passkey' | undefined
  /** `remind_after`: re-notify the approvers every this long while pending (absent: never). */
  readonly remind_after_ms?: number
  /** `escalate`: approvers added `after_ms` after submission, in order (absent: none). */
  readonly escalate?: readonly { readonly after_ms: number; readonly to: readonly string[] }[]
  /** How many reminders were sent so far (stored with the action; absent: none). */
  readonly reminders?: number
  /** How many `escalate` stages were applied so far; their approvers are in `approvers` (absent: none). */
  readonly escalated?: number
  /** Who each `oncall:VENDOR:SCHEDULE` approver resolved to when the request was submitted (their `user:` entries are in `approvers`). */
  readonly oncall?: Readonly<Record<string, { readonly emails: readonly string[]; readonly error?: string }>>
  /** `break_glass`: an approver may approve their own request, reviewed by others afterwards (absent: never). */
  readonly break_glass?: { readonly requires: 'reason'; readonly notify: readonly string[]; readonly review_within_ms: number }
}

/** What the match keys of a rule are tested against. */
export interface MatchKey {
  readonly kind: ActionKind
  readonly target: string
  readonly env: string
  readonly agent: string
}

/** A rule ready to evaluate. */
export interface CompiledRule {
  readonly id: string
  readonly description: string | undefined
  readonly effect: Effect
  readonly match: MatchSpec
  readonly when: string | undefined
  readonly message: string | undefined
  /** A shadow rule is evaluated and recorded with each decision, never enforced. */
  readonly shadow: boolean
  /** Set for review rules. */
  readonly review: ReviewRequirement | undefined
  /** What the condition reads: variable names (`sql`, `agent`…) and field names as `.name` (`.parse_error`). */
  readonly reads: ReadonlySet<string>
  /** The calendars its condition reads (`calendar.NAME`); `*` when it reads one by a computed name. */
  readonly calendars: readonly string[]
  /** The compiled `when`; absent means always. */
  readonly condition: ((variables: Record<string, unknown>) => unknown) | undefined
  /** The same, for variables where everything it reads is set: it skips the test for missing ones. */
  readonly unchecked: ((variables: Record<string, unknown>) => unknown) | undefined
  /** Why this rule's match keys exclude `key`, or `undefined` when they include it. */
  mismatch(key: MatchKey): string | undefined
  /** The outcomes that do not depend on an error message, built once so a decision allocates none. */
  readonly outcomes: { readonly always: RuleOutcome; readonly true: RuleOutcome; readonly false: RuleOutcome }
}

/** A validated, compiled policy. Immutable; evaluate it with `decide`. */
export interface CompiledPolicy {
  /** SHA-256 of the policy file's text: recorded with every decision. */
  readonly version: string
  readonly file: string | undefined
  readonly default: Effect
  readonly defaultReview: ReviewRequirement
  readonly timezone: string
  readonly rules: readonly CompiledRule[]
  readonly cel: CelEnvironment
  /** Whether any condition reads `time` / `action.digest` / `calendar` (computed only when read). */
  readonly reads: { readonly time: boolean; readonly digest: boolean; readonly calendar?: boolean }
  /** The rules whose match keys include `key`, in policy order. Memoized: evaluate nothing else. */
  candidates(key: MatchKey): readonly CompiledRule[]
  /** The candidates of `key` with what deciding over them needs, computed once per key. */
  plan(key: MatchKey): CandidatePlan
}

/** The candidate rules of one match key and what a decision over them needs; memoized per key. */
export interface CandidatePlan {
  /** The rules whose match keys include the key, in policy order. */
  readonly rules: readonly CompiledRule[]
  /** Per rule: an earlier rule with the same condition text, whose value it reuses (conditions are pure); -1 for none. */
  readonly same: Int32Array
  /** How many of the rules are enforced (not shadow rules): the length of a decision's `rules`. */
  readonly enforced: number
  /** Whether any rule here has the same condition as an earlier one. */
  readonly shares: boolean
  /**
   * The decisions made so far, by the values of the conditions a decision evaluates (the first
   * rule of each condition text, in order; decision-memo.ts). `evaluate` puts their values in
   * `values`, evaluating each rule's `unchecked` form (every variable they read is set);
   * `evaluateChecked` its `condition`. `values` is scratch space: decisions are synchronous.
   */
  readonly memo: MemoNode
  readonly values: Uint8Array
  readonly evaluate: ConditionsEvaluation
  readonly evaluateChecked: ConditionsEvaluation
  /** Per rule: the position of its condition's value in `values`; -1 for none. */
  readonly valueAt: Int32Array
  /** Shared by all plans of the policy: trie nodes held. */
  readonly budget: MemoBudget
  /** The variables the rules' conditions read: only these are built for a decision. */
  readonly reads: ReadonlySet<string>
  /** The calendars the rules read (`calendar.NAME`); `*` for all. */
  readonly calendars: ReadonlySet<string>
}

/**
 * Builds the match-key test of a rule. Each key given must hold; lists mean any of.
 * `factKinds` restricts an allow rule to the kinds whose facts its condition reads: another
 * kind's facts are empty, and `shell.programs.all(…)` over no programs must not allow a SQL action.
 */
export function compileMatch(match: MatchSpec, factKinds: readonly string[] = []): (key: MatchKey) => string | undefined {
  const tests: ((key: MatchKey) => string | undefined)[] = []
  if (factKinds.length > 0) {
    const read = new Set(factKinds)
    tests.push((key) => (read.has(key.kind) ? undefined : `kind is ${key.kind}, and this allow rule reads only ${factKinds.join(' and ')} facts`))
  }
  if (match.kind) {
    const kinds = new Set<string>(match.kind)
    tests.push((key) => (kinds.has(key.kind) ? undefined : `kind is ${key.kind}, rule matches ${match.kind?.join(' or ')}`))
  }
  const globTest = (field: 'target' | 'agent', patterns: readonly string[] | undefined): void => {
    if (!patterns) return
    const globs = patterns.map(compileGlob)
    tests.push((key) =>
      globs.some((glob) => glob(key[field])) ? undefined : `${field} is ${key[field] ? `"${key[field]}"` : 'empty'}, rule matches ${patterns.join(' or ')}`,
    )
  }
  globTest('target', match.target)
  if (match.env) {
    const envs = new Set(match.env)
    tests.push((key) => (envs.has(key.env) ? undefined : `env is ${key.env ? `"${key.env}"` : 'empty'}, rule matches ${match.env?.join(' or ')}`))
  }
  globTest('agent', match.agent)
  return (key) => {
    for (const test of tests) {
      const reason = test(key)
      if (reason) return reason
    }
    return undefined
  }
}

const MAX_MEMOIZED = 10_000

/** Memoizes the candidate rules per match key, so a decision only evaluates rules that can apply. */
export function candidateIndex(rules: readonly CompiledRule[]): (key: MatchKey) => CandidatePlan {
  // kind → target → env → agent → plan: four lookups and no allocation on the hot path.
  let memo = new Map<string, Map<string, Map<string, Map<string, CandidatePlan>>>>()
  let size = 0
  const budget: MemoBudget = { nodes: 0, decisions: 0 }
  return function candidates(key) {
    // The plans' remembered decisions are bounded together: when full, every plan starts afresh.
    if (memoFull(budget)) {
      memo = new Map()
      size = 0
      budget.nodes = 0
      budget.decisions = 0
    }
    let byTarget = memo.get(key.kind)
    if (!byTarget) memo.set(key.kind, (byTarget = new Map()))
    let byEnv = byTarget.get(key.target)
    if (!byEnv) byTarget.set(key.target, (byEnv = new Map()))
    let byAgent = byEnv.get(key.env)
    if (!byAgent) byEnv.set(key.env, (byAgent = new Map()))
    let found = byAgent.get(key.agent)
    if (!found) {
      found = candidatePlan(rules.filter((rule) => rule.mismatch(key) === undefined), budget)
      // Agents and targets come from config, so keys are few; the bound only guards against abuse.
      if (++size > MAX_MEMOIZED) {
        memo = new Map()
        size = 0
      }
      byAgent.set(key.agent, found)
    }
    return found
  }
}

function candidatePlan(rules: readonly CompiledRule[], budget: MemoBudget): CandidatePlan {
  const same = new Int32Array(rules.length).fill(-1)
  const evaluated: CompiledRule[] = []
  const valueAt = new Int32Array(rules.length).fill(-1)
  const first = new Map<string, number>()
  const reads = new Set<string>()
  const calendars = new Set<string>()
  rules.forEach((rule, index) => {
    if (!rule.condition || rule.when === undefined) return
    const earlier = first.get(rule.when)
    if (earlier === undefined) {
      first.set(rule.when, index)
      valueAt[index] = evaluated.push(rule) - 1
    } else {
      same[index] = earlier
      valueAt[index] = valueAt[earlier]!
    }
    for (const name of rule.reads) reads.add(name)
    for (const name of rule.calendars) calendars.add(name)
  })
  const values = new Uint8Array(evaluated.length)
  return Object.freeze({
    rules: Object.freeze(rules),
    same,
    enforced: rules.filter((rule) => !rule.shadow).length,
    shares: same.some((index) => index >= 0),
    memo: memoNode(),
    values,
    evaluate: conditionsEvaluation(evaluated.map((rule) => rule.unchecked ?? rule.condition!), values),
    evaluateChecked: conditionsEvaluation(evaluated.map((rule) => rule.condition!), values),
    valueAt,
    budget,
    reads,
    calendars,
  })
}

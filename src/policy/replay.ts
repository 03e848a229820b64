import type { CompiledPolicy } from './compiled-policy.js'
import { decide, reviewPolicyChanges, type Decision, type DecisionInput } from './decide.js'
import { EFFECTS, type Effect } from './policy-schema.js'

/** What was decided for a stored action when it was submitted. */
export interface RecordedDecision {
  readonly effect: Effect
  readonly matched_rules: readonly string[]
}

/** A stored action, ready to be decided again: the decision's inputs and what was decided then. */
export interface ReplayInput extends DecisionInput {
  readonly id: string
  readonly recorded: RecordedDecision
}

/** One action whose effect the candidate policy changes. */
export interface ReplayChange {
  readonly id: string
  /** When it was submitted (ISO 8601): the time it is decided as of again. */
  readonly at: string
  readonly kind: string
  readonly target: string
  readonly agent: string | null
  readonly before: { readonly effect: Effect; readonly rules: readonly string[] }
  readonly after: { readonly effect: Effect; readonly rules: readonly string[] }
  /** The rules that make the difference: those that apply under one policy and not the other, else the new deciding rules (`default` for the default). */
  readonly responsible: readonly string[]
}

/** What a replay found, in numbers and in the changed actions themselves. */
export interface ReplayTotals {
  readonly replayed: number
  readonly changed: number
  /** Each (recorded → candidate) effect pair that occurred, with how many actions; `changed` pairs first. */
  readonly effects: readonly { readonly from: Effect; readonly to: Effect; readonly actions: number }[]
  /** The rules responsible for changes, most changes first. */
  readonly rules: readonly { readonly rule: string; readonly actions: number }[]
  /** The changed actions in order, at most `maxChanges` of them. */
  readonly changes: readonly ReplayChange[]
  /** Whether more actions changed than `changes` lists. */
  readonly truncated: boolean
  /** The candidate's shadow rules that applied, with how many actions and how many of those they would have changed. */
  readonly shadow: readonly { readonly rule: string; readonly effect: Effect; readonly actions: number; readonly would_change: number }[]
}

/**
 * Decides stored actions again under a candidate policy and tallies what would change: counts by
 * (recorded → candidate) effect, the rules responsible, and the changed actions. Pure: the caller
 * reads the history and builds each input as the gateway built it (`analyzeAction`, the target and
 * agent from config, the submission time as `now`).
 *
 * @example
 * const tally = new ReplayTally(candidate)
 * for (const input of inputs) tally.add(input)
 * const { changed, effects } = tally.totals()
 */
export class ReplayTally {
  readonly policy: CompiledPolicy
  readonly #maxChanges: number
  readonly #pairs = new Map<string, number>()
  readonly #rules = new Map<string, number>()
  readonly #changes: ReplayChange[] = []
  readonly #memo = new Map<string, Decision>()
  readonly #shadow = new Map<string, { rule: string; effect: Effect; actions: number; would_change: number }>()
  #replayed = 0
  #changed = 0

  constructor(policy: CompiledPolicy, options: { readonly maxChanges?: number } = {}) {
    this.policy = policy
    this.#maxChanges = options.maxChanges ?? 1000
  }

  /**
   * Decides one stored action again; returns the candidate's decision. `sameAs`, when given, is a
   * key equal for inputs that decide alike whatever the time (the same action, agent, context and
   * facts): a history repeats itself, and a policy that does not read `time` decides a repeat
   * the same way, so it is decided once.
   */
  add(input: ReplayInput, sameAs?: string): Decision {
    let decision: Decision | undefined
    const memoize = sameAs !== undefined && !this.policy.reads.time
    if (memoize) decision = this.#memo.get(sameAs)
    if (!decision) {
      decision = reviewPolicyChanges(this.policy, input.action.kind, decide(this.policy, input))
      if (memoize) {
        if (this.#memo.size >= MAX_MEMOIZED) this.#memo.clear()
        this.#memo.set(sameAs, decision)
      }
    }
    this.#replayed++
    if (decision.shadow) this.#countShadow(decision)
    const from = input.recorded.effect
    const pair = `${from}>${decision.effect}`
    this.#pairs.set(pair, (this.#pairs.get(pair) ?? 0) + 1)
    if (from === decision.effect) return decision
    this.#changed++
    const responsible = responsibleRules(input.recorded, decision)
    for (const rule of responsible) this.#rules.set(rule, (this.#rules.get(rule) ?? 0) + 1)
    if (this.#changes.length < this.#maxChanges) {
      this.#changes.push({
        id: input.id,
        at: input.now.toISOString(),
        kind: input.action.kind,
        target: input.action.target,
        agent: input.agent?.id ?? null,
        before: { effect: from, rules: input.recorded.matched_rules },
        after: { effect: decision.effect, rules: decision.matched_rules },
        responsible,
      })
    }
    return decision
  }

  #countShadow(decision: Decision): void {
    const changes = decision.shadow!.effect !== decision.effect
    for (const outcome of decision.shadow!.rules) {
      if (!outcome.matched) continue
      let tally = this.#shadow.get(outcome.id)
      if (!tally) this.#shadow.set(outcome.id, (tally = { rule: outcome.id, effect: outcome.effect, actions: 0, would_change: 0 }))
      tally.actions++
      if (changes) tally.would_change++
    }
  }

  totals(): ReplayTotals {
    const effects = [...this.#pairs].map(([pair, actions]) => {
      const [from, to] = pair.split('>') as [Effect, Effect]
      return { from, to, actions }
    })
    const rank = (effect: Effect) => EFFECTS.indexOf(effect)
    effects.sort((a, b) => Number(a.from === a.to) - Number(b.from === b.to) || b.actions - a.actions || rank(a.from) - rank(b.from) || rank(a.to) - rank(b.to))
    const rules = [...this.#rules].map(([rule, actions]) => ({ rule, actions })).sort((a, b) => b.actions - a.actions || a.rule.localeCompare(b.rule))
    const shadow = [...this.#shadow.values()].map((entry) => ({ ...entry })).sort((a, b) => b.actions - a.actions || a.rule.localeCompare(b.rule))
    return { replayed: this.#replayed, changed: this.#changed, effects, rules, changes: [...this.#changes], truncated: this.#changed > this.#changes.length, shadow }
  }
}

/** Distinct decisions kept during one replay. */
const MAX_MEMOIZED = 50_000

/** The rules that apply under one policy and not the other; else the candidate's deciding rules. */
function responsibleRules(recorded: RecordedDecision, decision: Decision): readonly string[] {
  const before = new Set(recorded.matched_rules)
  const after = new Set(decision.matched_rules)
  const differ = [...decision.matched_rules.filter((rule) => !before.has(rule)), ...recorded.matched_rules.filter((rule) => !after.has(rule))]
  if (differ.length > 0) return differ
  if (decision.default_applied) return ['default']
  return decision.rules.filter((rule) => rule.matched && rule.effect === decision.effect).map((rule) => rule.id)
}

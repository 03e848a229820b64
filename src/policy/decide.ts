import { actionDigest, type Action } from '../action/index.js'
import { calendarStates, type Calendars } from './calendar.js'
import type { CandidatePlan, CompiledPolicy, CompiledRule, MatchKey, ReviewRequirement } from './compiled-policy.js'
import { memoLeaf, remember } from './decision-memo.js'
import type { Effect } from './policy-schema.js'

/** The target as the policy sees it (from config); absent for a dry run without a target. */
export interface PolicyTarget {
  readonly name: string
  readonly kind: string
  readonly labels: Readonly<Record<string, string>>
}

/** The agent as the policy sees it (from config or a verified workload identity). */
export interface PolicyAgent {
  readonly id: string
  readonly owner: string
  readonly labels: Readonly<Record<string, string>>
}

/** Everything a decision depends on. The clock is an input: decisions are reproducible. */
export interface DecisionInput {
  readonly action: Action
  readonly target?: PolicyTarget | undefined
  readonly agent?: PolicyAgent | undefined
  /** The analyzer's facts for the action's kind; `undefined` for a kind without an analyzer. */
  readonly facts?: object | undefined
  /** The action's digest when the caller has it already; computed on demand otherwise. */
  readonly digest?: string | undefined
  readonly now: Date
  /** The configured calendars (`calendar.NAME`); absent: none, and reading one is an error. */
  readonly calendars?: Calendars | undefined
}

/** How one evaluated rule came out. */
export interface RuleOutcome {
  readonly id: string
  readonly effect: Effect
  readonly matched: boolean
  /** Why it matched or not, in words. */
  readonly reason: string
  /** Set when the condition could not be evaluated (then deny/review rules match and allow rules do not). */
  readonly error?: string
}

/** The policy's verdict on one action, with its explanation. */
export interface Decision {
  readonly effect: Effect
  /** Ids of every rule that applied, in policy order, whatever the final effect. */
  readonly matched_rules: readonly string[]
  /** The rules that were evaluated (their match keys held), in policy order. */
  readonly rules: readonly RuleOutcome[]
  /** How many rules were excluded by their match keys before any condition ran. */
  readonly excluded_rules: number
  /** True when no rule applied and the policy's default decided. */
  readonly default_applied: boolean
  /** For `review`: every requirement that must be met (one per matched review rule). */
  readonly requirements: readonly ReviewRequirement[]
  /** For `deny`: the messages of the deny rules that applied. */
  readonly messages: readonly string[]
  /** One sentence: what was decided and why. */
  readonly explanation: string
  readonly policy_version: string
  /** Present when shadow rules were evaluated: what they would have done. Never part of the effect. */
  readonly shadow?: ShadowOutcome
  /**
   * The state of each calendar the evaluated rules read (`calendar.NAME`), when any: execution
   * checks it again and refuses an action whose window changed since.
   */
  readonly calendars?: Readonly<Record<string, boolean>>
}

/** What the shadow rules (`mode: shadow`) evaluated for a decision would have done, had they been enforced. */
export interface ShadowOutcome {
  /** The effect had the shadow rules been enforced along with the others. */
  readonly effect: Effect
  /** Ids of the shadow rules that applied, in policy order. */
  readonly matched_rules: readonly string[]
  /** The shadow rules evaluated (their match keys held), in policy order. */
  readonly rules: readonly RuleOutcome[]
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({})

/**
 * Decides an action (docs/policy.md): every rule whose match and condition hold applies; any deny
 * wins; otherwise every matching review rule is its own requirement; otherwise any allow allows;
 * otherwise the default. A condition that errors counts as matching for deny and review and as
 * not matching for allow: an error never opens a door.
 *
 * @example
 * decide(policy, { action, target, agent, facts: analyzers.analyze(action.kind, action.payload)?.facts, now: new Date() })
 */
export function decide(policy: CompiledPolicy, input: DecisionInput): Decision {
  const targetKind = input.target?.kind
  if (targetKind && targetKind !== input.action.kind) {
    // A shell command sent as `custom` to a shell target must not dodge the shell rules.
    const message = `target ${input.target?.name} takes ${targetKind} actions, not ${input.action.kind}`
    return result(policy, 'deny', NO_MESSAGES, NO_OUTCOMES, policy.rules.length, false, NO_REQUIREMENTS, [message], `denied: ${message}`)
  }
  const key = matchKeyOf(input)
  const plan = policy.plan(key)
  const calendars = plan.calendars.size > 0 ? calendarsRead(plan.calendars, input) : undefined
  const variables = plan.reads.size > 0 ? celVariables(policy, plan.reads, input, key, calendars) : NO_VARIABLES
  // Every variable the candidates read is set unless this kind's facts are missing and read.
  const own = policy.cel.factKind(input.action.kind)
  const complete = input.facts !== undefined || !own || !plan.reads.has(own.name)
  const decided = remembered(policy, plan, variables, complete)
  return calendars && Object.keys(calendars).length > 0 ? { ...decided, calendars } : decided
}

const NO_VARIABLES: Record<string, unknown> = Object.freeze(Object.create(null) as Record<string, unknown>)

/** The states of the calendars the candidate rules read, by name; names without a calendar are left out. */
function calendarsRead(names: ReadonlySet<string>, input: DecisionInput): Record<string, boolean> {
  const configured = input.calendars ?? {}
  return calendarStates(configured, input.now, names.has('*') ? Object.keys(configured) : names)
}

/**
 * The decision over `plan`'s candidates: their conditions are evaluated and the trie of
 * decisions already made is followed by their values (decision-memo.ts); a decision not made
 * before is made from those values, one where a condition errors afresh by `decideWith`.
 */
function remembered(policy: CompiledPolicy, plan: CandidatePlan, variables: Record<string, unknown>, complete: boolean): Decision {
  let valued = false
  try {
    valued = complete ? plan.evaluate(variables) : plan.evaluateChecked(variables)
  } catch {
    // The error's message goes into the decision: made afresh below, not remembered.
  }
  if (!valued) return decideWith(policy, plan, variables, complete)
  const leaf = memoLeaf(plan.memo, plan.values, plan.budget)
  if (!leaf) return decideWith(policy, plan, variables, complete, plan.values)
  return leaf.decision ?? remember(leaf, decideWith(policy, plan, variables, complete, plan.values), plan.budget)
}

/** The decision over `plan`'s candidates; `values`, when given, are their conditions' values (see `CandidatePlan.values`). */
function decideWith(policy: CompiledPolicy, plan: CandidatePlan, variables: Record<string, unknown>, complete: boolean, values?: Uint8Array): Decision {
  const candidates = plan.rules
  // Sized once: every enforced candidate has an outcome.
  const outcomes = new Array<RuleOutcome>(plan.enforced)
  let count = 0
  const matched: string[] = []
  // Allocated only when a rule of their effect applies.
  let denies: CompiledRule[] | undefined
  let reviews: CompiledRule[] | undefined
  let allows: CompiledRule[] | undefined
  let shadows: RuleOutcome[] | undefined
  // A rule whose condition text an earlier candidate had takes that value (conditions are pure).
  const evaluated: RuleOutcome[] | undefined = plan.shares ? new Array<RuleOutcome>(candidates.length) : undefined
  for (let i = 0; i < candidates.length; i++) {
    const rule = candidates[i]!
    const earlier = evaluated ? plan.same[i]! : -1
    const at = values ? plan.valueAt[i]! : -1
    const outcome =
      at >= 0
        ? values![at] === 1
          ? rule.outcomes.true
          : rule.outcomes.false
        : earlier >= 0
          ? reuse(rule, candidates[earlier]!, evaluated![earlier]!)
          : evaluateRule(rule, variables, complete)
    if (evaluated) evaluated[i] = outcome
    // A shadow rule is evaluated and recorded apart: nothing it says reaches the effect.
    if (rule.shadow) {
      ;(shadows ??= []).push(outcome)
      continue
    }
    outcomes[count++] = outcome
    if (!outcome.matched) continue
    matched.push(rule.id)
    if (rule.effect === 'deny') (denies ??= []).push(rule)
    else if (rule.effect === 'review') (reviews ??= []).push(rule)
    else (allows ??= []).push(rule)
  }
  const decision = enforced(policy, candidates.length, matched, outcomes, denies ?? NO_RULES, reviews ?? NO_RULES, allows ?? NO_RULES)
  return shadows ? { ...decision, shadow: shadowOutcome(policy, shadows, denies ?? NO_RULES, reviews ?? NO_RULES, allows ?? NO_RULES) } : decision
}

const NO_RULES: readonly CompiledRule[] = Object.freeze([])

/** `rule`'s outcome when its condition is the same text as `earlier`'s, which came out as `outcome`. */
function reuse(rule: CompiledRule, earlier: CompiledRule, outcome: RuleOutcome): RuleOutcome {
  if (outcome.error !== undefined) return conditionError(rule, outcome.error)
  if (outcome === earlier.outcomes.true) return rule.outcomes.true
  if (outcome === earlier.outcomes.false) return rule.outcomes.false
  // Not reached (a condition comes out true, false or with an error); were it, it would fail closed.
  return conditionError(rule, 'its condition was not evaluated')
}

/** The decision of the enforced rules that applied. */
function enforced(
  policy: CompiledPolicy,
  candidates: number,
  matched: readonly string[],
  outcomes: readonly RuleOutcome[],
  denies: readonly CompiledRule[],
  reviews: readonly CompiledRule[],
  allows: readonly CompiledRule[],
): Decision {
  const excluded = policy.rules.length - candidates
  if (denies.length > 0) {
    const messages = denies.map((rule) => rule.message ?? `denied by rule ${rule.id}`)
    return result(policy, 'deny', matched, outcomes, excluded, false, NO_REQUIREMENTS, messages, `denied by ${ids(denies)}: ${messages.join(' ')}`)
  }
  if (reviews.length > 0) {
    const requirements = reviews.map((rule) => rule.review!)
    return result(policy, 'review', matched, outcomes, excluded, false, requirements, NO_MESSAGES, `review required by ${ids(reviews)}: ${describeRequirements(requirements)}`)
  }
  if (allows.length > 0) return result(policy, 'allow', matched, outcomes, excluded, false, NO_REQUIREMENTS, NO_MESSAGES, `allowed by ${ids(allows)}`)
  const review = policy.default === 'review'
  const requirements = review ? [policy.defaultReview] : NO_REQUIREMENTS
  const explanation = `no rule applied; the policy's default is ${policy.default}${review ? `: ${describeRequirements(requirements)}` : ''}`
  return result(policy, policy.default, matched, outcomes, excluded, true, requirements, policy.default === 'deny' ? DEFAULT_DENY : NO_MESSAGES, explanation)
}

/** What the enforced rules and the shadow rules together would have decided (the same combination). */
function shadowOutcome(policy: CompiledPolicy, shadows: readonly RuleOutcome[], denies: readonly CompiledRule[], reviews: readonly CompiledRule[], allows: readonly CompiledRule[]): ShadowOutcome {
  const matched = shadows.filter((outcome) => outcome.matched)
  const says = (effect: Effect) => matched.some((outcome) => outcome.effect === effect)
  const effect: Effect =
    denies.length > 0 || says('deny') ? 'deny' : reviews.length > 0 || says('review') ? 'review' : allows.length > 0 || says('allow') ? 'allow' : policy.default
  return { effect, matched_rules: matched.map((outcome) => outcome.id), rules: shadows }
}

const NO_REQUIREMENTS: readonly ReviewRequirement[] = Object.freeze([])
const NO_MESSAGES: readonly string[] = Object.freeze([])
const NO_OUTCOMES: readonly RuleOutcome[] = Object.freeze([])
const DEFAULT_DENY: readonly string[] = Object.freeze(['no rule allows this action'])

function result(
  policy: CompiledPolicy,
  effect: Effect,
  matched: readonly string[],
  rules: readonly RuleOutcome[],
  excluded: number,
  defaultApplied: boolean,
  requirements: readonly ReviewRequirement[],
  messages: readonly string[],
  explanation: string,
): Decision {
  return {
    effect,
    matched_rules: matched,
    rules,
    excluded_rules: excluded,
    default_applied: defaultApplied,
    requirements,
    messages,
    explanation,
    policy_version: policy.version,
  }
}

/** What the rules' match keys are tested against for this input. */
export function matchKeyOf(input: DecisionInput): MatchKey {
  const labels = input.target?.labels ?? NO_LABELS
  return { kind: input.action.kind, target: input.target?.name ?? input.action.target, env: labels['env'] ?? '', agent: input.agent?.id ?? '' }
}

/** The rules a decision did not evaluate, each with why its match keys excluded it. */
export function excludedRules(policy: CompiledPolicy, input: DecisionInput): readonly { readonly id: string; readonly effect: Effect; readonly reason: string }[] {
  const key = matchKeyOf(input)
  return policy.rules.flatMap((rule) => {
    const reason = rule.mismatch(key)
    return reason ? [{ id: rule.id, effect: rule.effect, reason }] : []
  })
}

function evaluateRule(rule: CompiledRule, variables: Record<string, unknown>, complete: boolean): RuleOutcome {
  if (!rule.condition) return rule.outcomes.always
  let value: unknown
  try {
    value = complete && rule.unchecked ? rule.unchecked(variables) : rule.condition(variables)
  } catch (error) {
    return conditionError(rule, firstLine(error instanceof Error ? error.message : String(error)))
  }
  if (value === true) return rule.outcomes.true
  if (value === false) return rule.outcomes.false
  return conditionError(rule, `the condition gave ${typeof value}, not true or false`)
}

function conditionError(rule: CompiledRule, error: string): RuleOutcome {
  const matched = rule.effect !== 'allow'
  const reason = matched ? `its condition failed to evaluate, which counts as matching for a ${rule.effect} rule` : 'its condition failed to evaluate, which never allows'
  return { id: rule.id, effect: rule.effect, matched, reason, error }
}

/** The CEL variables of a decision: only those the candidate rules read are built. */
function celVariables(policy: CompiledPolicy, reads: ReadonlySet<string>, input: DecisionInput, key: MatchKey, calendars: Record<string, boolean> | undefined): Record<string, unknown> {
  const { cel } = policy
  const { action } = input
  // Other kinds' (empty) facts come from a shared prototype, so only this action's values are set here.
  const variables = Object.create(cel.emptyVariables) as Record<string, unknown>
  // Every variable is set, in one order, so the generated conditions see one object shape per kind;
  // those no candidate reads stay unbuilt (undefined: reading one would error, never allow).
  variables['action'] = reads.has('action')
    ? cel.convert('Action', { kind: action.kind, target: action.target, payload: action.payload, digest: policy.reads.digest ? (input.digest ?? actionDigest(action)) : '' })
    : undefined
  variables['target'] = !reads.has('target')
    ? undefined
    : input.target
      ? cel.convertOnce('Target', input.target, () => ({ ...input.target, env: key.env }))
      : cel.convert('Target', { name: key.target, kind: '', labels: NO_LABELS, env: '' })
  variables['agent'] = !reads.has('agent') ? undefined : input.agent ? cel.convertOnce('Agent', input.agent, () => input.agent) : cel.convert('Agent', {})
  variables['context'] = reads.has('context') ? cel.convert('Context', action.context) : undefined
  if (policy.reads.time) variables['time'] = reads.has('time') ? cel.convert('Time', clock(input.now, policy.timezone)) : undefined
  if (policy.reads.calendar) variables['calendar'] = calendars ?? {}
  const own = cel.factKind(action.kind)
  // The action's own kind without facts is shadowed as missing: reading it errors, and errors never allow.
  if (own) variables[own.name] = input.facts && reads.has(own.name) ? cel.convert(own.rootType, input.facts) : undefined
  return variables
}

const clocks = new Map<string, Intl.DateTimeFormat>()
const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 }

/** `time` in the policy's zone: the hour 0–23 and the weekday 0 (Sunday) – 6, CEL's convention. */
function clock(now: Date, timeZone: string): { now: Date; hour: number; weekday: number } {
  let format = clocks.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23', weekday: 'short' })
    clocks.set(timeZone, format)
  }
  let hour = 0
  let weekday = 0
  for (const part of format.formatToParts(now)) {
    if (part.type === 'hour') hour = Number(part.value)
    else if (part.type === 'weekday') weekday = WEEKDAYS[part.value] ?? 0
  }
  return { now, hour, weekday }
}

function describeRequirements(requirements: readonly ReviewRequirement[]): string {
  return requirements
    .map((requirement) => {
      const who = requirement.approvers.length > 0 ? requirement.approvers.join(', ') : 'any human'
      return `${requirement.min_approvals} approval${requirement.min_approvals === 1 ? '' : 's'} from ${who}`
    })
    .join(' and ')
}

function ids(rules: readonly CompiledRule[]): string {
  return rules.map((rule) => rule.id).join(', ')
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text
}

/**
 * A change of the policy itself (an action of kind `policy`) is never let through without a
 * human: an `allow` becomes `review` with the default requirement. Applied wherever such an action
 * is decided (the gateway, a replay).
 */
export function reviewPolicyChanges(policy: CompiledPolicy, kind: string, decision: Decision): Decision {
  if (kind !== 'policy' || decision.effect !== 'allow') return decision
  return { ...decision, effect: 'review', requirements: [policy.defaultReview], explanation: `a policy change always needs review (the policy would allow it: ${decision.explanation}); the default review applies` }
}

import { ACTION_KINDS } from '../action/index.js'
import type { CompiledPolicy, CompiledRule, MatchKey, ReviewRequirement } from './compiled-policy.js'

/** What `policy check` warns about; none makes a policy invalid. */
export const LINT_CODES = ['never-matches', 'shadowed-allow', 'no-eligible-approver', 'ignores-parse-error', 'kind-without-facts'] as const
export type LintCode = (typeof LINT_CODES)[number]

/** One warning: the rule (or `default`), what is wrong, and why it matters. */
export interface LintWarning {
  readonly code: LintCode
  readonly rule: string
  readonly message: string
}

/** What the config says about the world the policy decides in; each part optional (no config: structural checks only). */
export interface LintContext {
  readonly targets?: readonly { readonly name: string; readonly kind: string; readonly labels: Readonly<Record<string, string>> }[]
  readonly agents?: readonly { readonly id: string }[]
  readonly humans?: readonly { readonly email: string; readonly groups: readonly string[] }[]
}

/**
 * The facts a rule must check before it may allow on a kind's other facts: the analysis of a
 * payload that does not parse, or that bash evaluates as code at run time, is incomplete, so an
 * allow reading the rest must say it was complete. `sql.read_only` is false for unparsed SQL.
 */
const COMPLETENESS: Readonly<Record<string, { readonly any: readonly string[]; readonly all?: readonly string[]; readonly say: string }>> = {
  sql: { any: ['.parse_error', '.read_only'], say: 'sql.parse_error (or sql.read_only, false for SQL that does not parse)' },
  shell: { any: ['.parse_error'], all: ['.parse_error', '.dynamic'], say: 'shell.parse_error and shell.dynamic' },
  terraform: { any: ['.parse_error'], say: 'terraform.parse_error' },
  kubernetes: { any: ['.parse_error'], say: 'kubernetes.parse_error' },
  http: { any: ['.parse_error'], say: 'http.parse_error' },
}

/**
 * Warnings about a valid policy (`countersign policy check`): rules that can never match, allow
 * rules that a deny or review rule always overrides, review requirements nobody in the config can
 * meet, allow rules that do not check that the analysis was complete (`parse_error`, `dynamic`),
 * and allow rules on kinds whose facts they do not read. With a config (`context`), match keys are
 * checked against its targets and agents, and approvers against its humans.
 *
 * @example
 * for (const warning of lintPolicy(policy, { targets, agents, humans })) console.log(`${warning.rule}: ${warning.message}`)
 */
export function lintPolicy(policy: CompiledPolicy, context: LintContext = {}): readonly LintWarning[] {
  const warnings: LintWarning[] = []
  const factKinds = policy.cel.factKinds.map((kind) => kind.name)
  const keys = matchKeys(context)
  const never = new Set<string>()
  for (const rule of policy.rules) {
    const problem = neverMatches(rule, factKinds, keys)
    if (problem) {
      never.add(rule.id)
      warnings.push({ code: 'never-matches', rule: rule.id, message: `can never match: ${problem}` })
    }
  }
  for (const rule of policy.rules) {
    if (rule.effect !== 'allow' || rule.shadow || never.has(rule.id)) continue
    const cover = policy.rules.find((other) => other.effect !== 'allow' && !other.shadow && overrides(other, rule, factKinds, keys))
    if (cover) {
      const why = cover.when === undefined ? 'it has no condition' : 'its condition is the same'
      warnings.push({ code: 'shadowed-allow', rule: rule.id, message: `never allows anything: the ${cover.effect} rule ${cover.id} applies whenever it does (${why}, and its match keys are at least as broad), and ${cover.effect} wins over allow` })
    }
  }
  if (context.humans) {
    const requirements: ReviewRequirement[] = policy.rules.flatMap((rule) => (rule.review && !never.has(rule.id) ? [rule.review] : []))
    if (policy.default === 'review') requirements.push(policy.defaultReview)
    for (const requirement of requirements) {
      const problem = approverProblem(requirement, context.humans)
      if (problem) warnings.push({ code: 'no-eligible-approver', rule: requirement.rule, message: problem })
    }
  }
  for (const rule of policy.rules) {
    if (rule.effect !== 'allow' || never.has(rule.id)) continue
    const read = factKinds.filter((kind) => rule.reads.has(kind))
    for (const kind of read) {
      const needed = COMPLETENESS[kind]
      if (!needed) continue
      // Checked by the rule itself, or by deny and review rules that see every action it does.
      const guards = policy.rules.filter((other) => other.effect !== 'allow' && !other.shadow && other.reads.has(kind) && broader(other, rule, factKinds, keys))
      const reads = (field: string) => rule.reads.has(field) || guards.some((guard) => guard.reads.has(field))
      const checked = needed.any.some(reads) && (needed.all ?? []).every(reads)
      if (!checked) warnings.push({ code: 'ignores-parse-error', rule: rule.id, message: `allows on ${kind} facts without checking ${needed.say}, and no deny or review rule that sees the same actions does: a payload the analyzer could not read completely may pass it` })
    }
    const kinds = rule.match.kind ?? ACTION_KINDS.filter((kind) => factKinds.includes(kind))
    if (read.length === 0) {
      const blind = kinds.filter((kind) => factKinds.includes(kind))
      if (blind.length > 0) warnings.push({ code: 'kind-without-facts', rule: rule.id, message: `allows ${blind.join(', ')} actions without reading their facts: whatever they do` })
    } else if (rule.match.kind) {
      const unread = rule.match.kind.filter((kind) => !read.includes(kind) && factKinds.includes(kind))
      if (unread.length > 0 && unread.length < rule.match.kind.length) {
        warnings.push({ code: 'kind-without-facts', rule: rule.id, message: `never applies to ${unread.join(', ')} actions although its match names them: an allow rule applies only to the kinds whose facts it reads (${read.join(', ')})` })
      }
    }
  }
  return warnings
}

/** Every (target, agent) an action can come with, from the config: its targets, its agents and humans (no agent). */
function matchKeys(context: LintContext): readonly MatchKey[] | undefined {
  if (!context.targets) return undefined
  const agents = ['', ...(context.agents ?? []).map((agent) => agent.id)]
  const targets = context.targets.flatMap((target) =>
    ACTION_KINDS.includes(target.kind as never) ? agents.map((agent) => ({ kind: target.kind as MatchKey['kind'], target: target.name, env: target.labels['env'] ?? '', agent })) : [],
  )
  // Policy changes (policy.source: store) are proposed by humans on the built-in target `policy`.
  return [...targets, { kind: 'policy', target: 'policy', env: '', agent: '' }]
}

function neverMatches(rule: CompiledRule, factKinds: readonly string[], keys: readonly MatchKey[] | undefined): string | undefined {
  if (rule.when?.trim() === 'false') return 'its condition is false'
  const read = factKinds.filter((kind) => rule.reads.has(kind))
  if (rule.effect === 'allow' && read.length > 0 && rule.match.kind && rule.match.kind.every((kind) => !read.includes(kind))) {
    return `it matches ${rule.match.kind.join(', ')} actions, but an allow rule applies only to the kinds whose facts it reads (${read.join(', ')})`
  }
  if (keys && !keys.some((key) => rule.mismatch(key) === undefined)) {
    const sample = keys[0] && rule.mismatch(keys[0])
    return `no target and agent of the config pass its match keys${sample ? ` (e.g. ${sample})` : ' (the config has no targets)'}`
  }
  return undefined
}

/** Whether `cover` (deny or review) applies whenever `allow` does: no condition (or the same one), match keys at least as broad. */
function overrides(cover: CompiledRule, allow: CompiledRule, factKinds: readonly string[], keys: readonly MatchKey[] | undefined): boolean {
  if (cover.when !== undefined && cover.when.trim() !== allow.when?.trim()) return false
  return broader(cover, allow, factKinds, keys)
}

/** Whether `cover`'s match keys select every action `allow`'s do (on the config's targets and agents, when known). */
function broader(cover: CompiledRule, allow: CompiledRule, factKinds: readonly string[], keys: readonly MatchKey[] | undefined): boolean {
  if (keys) {
    const applies = keys.filter((key) => allow.mismatch(key) === undefined)
    return applies.length > 0 && applies.every((key) => cover.mismatch(key) === undefined)
  }
  const read = factKinds.filter((kind) => allow.reads.has(kind))
  const allowKinds = allow.match.kind ?? (read.length > 0 ? read : ACTION_KINDS)
  if (cover.match.kind && !allowKinds.every((kind) => (cover.match.kind as readonly string[]).includes(kind))) return false
  if (cover.match.env && !(allow.match.env && allow.match.env.every((env) => cover.match.env!.includes(env)))) return false
  for (const field of ['target', 'agent'] as const) {
    const patterns = cover.match[field]
    if (patterns && !patterns.includes('*') && !(allow.match[field] && allow.match[field]!.every((pattern) => patterns.includes(pattern)))) return false
  }
  return true
}

function approverProblem(requirement: ReviewRequirement, humans: NonNullable<LintContext['humans']>): string | undefined {
  if (requirement.approvers.length === 0) return undefined
  const eligible = humans.filter((human) =>
    requirement.approvers.some((approver) => (approver.startsWith('group:') ? human.groups.includes(approver.slice('group:'.length)) : approver === `user:${human.email}`)),
  )
  const who = requirement.approvers.join(', ')
  if (eligible.length === 0) return `no human in the config is an eligible approver (${who}): its requests can only expire, unless the identity provider adds members`
  if (eligible.length < requirement.min_approvals) {
    return `needs ${requirement.min_approvals} distinct approvers but only ${eligible.length} human${eligible.length === 1 ? ' in the config is' : 's in the config are'} eligible (${who})`
  }
  return undefined
}

import type { CompiledPolicy, CompiledRule } from './compiled-policy.js'
import type { Effect } from './policy-schema.js'

/** How one rule differs between two policies: which of its parts changed. */
export interface RuleChange {
  readonly id: string
  /** `effect`, `match`, `when`, `review`, `message`, `mode`. */
  readonly fields: readonly string[]
}

/** Two policies compared rule by rule (rules are matched by id; order does not decide anything). */
export interface PolicyDiff {
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly changed: readonly RuleChange[]
  readonly default: { readonly from: Effect; readonly to: Effect } | null
  /** Whether `default_review` (or the time zone) changed. */
  readonly settings: readonly string[]
}

/**
 * Compares two compiled policies rule by rule, by id.
 *
 * @example
 * const { added, removed, changed } = diffPolicies(inForce, candidate)
 */
export function diffPolicies(before: CompiledPolicy, after: CompiledPolicy): PolicyDiff {
  const old = new Map(before.rules.map((rule) => [rule.id, rule]))
  const next = new Map(after.rules.map((rule) => [rule.id, rule]))
  const changed: RuleChange[] = []
  for (const rule of after.rules) {
    const previous = old.get(rule.id)
    if (!previous) continue
    const fields = ruleFields(previous, rule)
    if (fields.length > 0) changed.push({ id: rule.id, fields })
  }
  const settings = [
    ...(JSON.stringify(before.defaultReview) !== JSON.stringify(after.defaultReview) ? ['default_review'] : []),
    ...(before.timezone !== after.timezone ? ['timezone'] : []),
  ]
  return {
    added: after.rules.filter((rule) => !old.has(rule.id)).map((rule) => rule.id),
    removed: before.rules.filter((rule) => !next.has(rule.id)).map((rule) => rule.id),
    changed,
    default: before.default === after.default ? null : { from: before.default, to: after.default },
    settings,
  }
}

function ruleFields(a: CompiledRule, b: CompiledRule): string[] {
  const fields: string[] = []
  if (a.effect !== b.effect) fields.push('effect')
  if (JSON.stringify(a.match) !== JSON.stringify(b.match)) fields.push('match')
  if ((a.when ?? '').trim() !== (b.when ?? '').trim()) fields.push('when')
  if (JSON.stringify(a.review ?? null) !== JSON.stringify(b.review ?? null)) fields.push('review')
  if ((a.message ?? '') !== (b.message ?? '')) fields.push('message')
  if (a.shadow !== b.shadow) fields.push('mode')
  return fields
}

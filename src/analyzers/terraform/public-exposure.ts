import { isObject } from './json-values.js'
import type { Finding, Rule, RuleInput } from './exposure-rule.js'
import { INGRESS_PATTERN_RULES, INGRESS_RULES } from './ingress-rules.js'
import type { PlannedChange } from './plan.js'
import { PUBLIC_ACCESS_PATTERN_RULES, PUBLIC_ACCESS_RULES } from './public-access-rules.js'

/** A resource the plan leaves open to the internet, and the sentence that tells an approver so. */
export interface Exposure {
  readonly address: string
  /**
   * `false` when nothing shown is public and only sources known after apply could be: the
   * resource goes to `unknown_exposure`, not `public_exposure`.
   */
  readonly public: boolean
  /** The source attributes known only after apply (`ingress[0].cidr_blocks`); `[]` when none. */
  readonly unknownAttributes: readonly string[]
  /**
   * The sentence, given how to name the resource (the address, shortened if need be):
   * `opens aws_security_group.web to 0.0.0.0/0`, `makes aws_s3_bucket_acl.site public (acl public-read)`.
   */
  readonly sentence: (name: string) => string
}

/** Deleting one of these takes a guard away rather than closing a door. */
const GUARDS: ReadonlySet<string> = new Set(['aws_s3_bucket_public_access_block', 'aws_s3_account_public_access_block'])

/**
 * Whether the change leaves the resource open to the internet (see `TerraformFacts.public_exposure`),
 * judged on the state after apply of whatever the plan creates, updates or replaces. Sources
 * known only after apply give an exposure that is not `public` (see `unknown_exposure`); sensitive
 * values are masked in the sentence.
 */
export function exposureOf(change: PlannedChange): Exposure | null {
  const { address, kind } = change
  if (change.mode === 'data' || kind === 'no-op' || kind === 'read' || kind === 'forget') return null
  if (GUARDS.has(change.type) && !isObject(change.after)) {
    return { address, public: true, unknownAttributes: [], sentence: (name) => `removes the public access block ${name}` }
  }
  if (!isObject(change.after)) return null
  const rules = rulesFor(change.type)
  if (rules.length === 0) return null
  const after = findAll(rules, { value: change.after, unknown: change.afterUnknown, sensitive: change.afterSensitive })
  if (after === null) return null
  const before = isObject(change.before) ? findAll(rules, { value: change.before, unknown: false, sensitive: change.beforeSensitive }) : null
  const known = after.sources.length > 0 || after.reasons.length > 0
  return { address, public: known, unknownAttributes: after.unknown, sentence: (name) => sentence(name, after, before) }
}

function rulesFor(type: string): Rule[] {
  const rules: Rule[] = []
  for (const exact of [INGRESS_RULES, PUBLIC_ACCESS_RULES]) {
    const rule = exact.get(type)
    if (rule !== undefined) rules.push(rule)
  }
  for (const [pattern, rule] of [...INGRESS_PATTERN_RULES, ...PUBLIC_ACCESS_PATTERN_RULES]) if (pattern.test(type)) rules.push(rule)
  return rules
}

/** What every applicable rule found, merged; `null` when none found anything. */
interface Found {
  readonly sources: readonly string[]
  readonly reasons: readonly string[]
  /** Source attributes known only after apply. */
  readonly unknown: readonly string[]
}

function findAll(rules: readonly Rule[], input: RuleInput): Found | null {
  const findings = rules.map((rule) => rule(input)).filter((finding): finding is Finding => finding !== null)
  if (findings.length === 0) return null
  return {
    sources: [...new Set(findings.flatMap((finding) => (finding.kind === 'ingress' ? finding.sources : [])))],
    reasons: [...new Set(findings.flatMap((finding) => (finding.kind === 'public' ? [finding.why] : [])))],
    unknown: [...new Set(findings.flatMap((finding) => (finding.kind === 'maybe' ? finding.attributes : [])))],
  }
}

/** `opens` what was not open before, `keeps … open` what already was: the approver sees which. */
function sentence(address: string, after: Found, before: Found | null): string {
  if (after.sources.length > 0) {
    const added = after.sources.filter((source) => !before?.sources.includes(source))
    return added.length > 0 ? `opens ${address} to ${added.join(', ')}` : `keeps ${address} open to ${after.sources.join(', ')}`
  }
  if (after.reasons.length > 0) {
    const added = after.reasons.filter((reason) => !before?.reasons.includes(reason))
    return added.length > 0 ? `makes ${address} public (${added.join('; ')})` : `keeps ${address} public (${after.reasons.join('; ')})`
  }
  return `may open ${address} to the internet: ${after.unknown.join(', ')} unknown until apply`
}

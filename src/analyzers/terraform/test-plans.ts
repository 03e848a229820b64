// Test helpers: the fixture plans, and small plans built in place for table-driven cases.
import { readFileSync } from 'node:fs'
import type { Analysis } from '../analyzer.js'
import { analyzePlan } from './analyze-plan.js'
import type { TerraformFacts, TerraformResourceChangeFacts } from './facts.js'

/** A fixture plan from `fixtures/NAME.json`, parsed. */
export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>
}

/** The analysis of a fixture plan. */
export function analyzeFixture(name: string): Analysis<TerraformFacts> {
  return analyzePlan(fixture(name))
}

/** The resource change at `address` in the facts (the first, if a deposed object shares it). */
export function changeAt(facts: TerraformFacts, address: string): TerraformResourceChangeFacts {
  const found = facts.resource_changes.find((change) => change.address === address)
  if (found === undefined) throw new Error(`no resource change ${address}`)
  return found
}

/** What a resource change in a built plan may set; the rest gets plausible defaults. */
export interface ChangeSpec {
  readonly type: string
  readonly actions: readonly string[]
  readonly name?: string
  readonly mode?: 'managed' | 'data'
  readonly before?: unknown
  readonly after?: unknown
  readonly after_unknown?: unknown
  readonly before_sensitive?: unknown
  readonly after_sensitive?: unknown
}

/** One `resource_changes` element as Terraform writes it. */
export function resourceChange(spec: ChangeSpec): Record<string, unknown> {
  const name = spec.name ?? 'this'
  const mode = spec.mode ?? 'managed'
  const provider = spec.type.split('_')[0] ?? 'null'
  const deletes = spec.actions.length === 1 && spec.actions[0] === 'delete'
  const creates = spec.actions.length === 1 && spec.actions[0] === 'create'
  const after = spec.after === undefined ? (deletes ? null : {}) : spec.after
  const before = spec.before === undefined ? (creates ? null : {}) : spec.before
  return {
    address: `${mode === 'data' ? 'data.' : ''}${spec.type}.${name}`,
    mode,
    type: spec.type,
    name,
    provider_name: `registry.terraform.io/hashicorp/${provider}`,
    change: {
      actions: spec.actions,
      before,
      after,
      after_unknown: spec.after_unknown ?? (after === null ? false : {}),
      before_sensitive: spec.before_sensitive ?? (before === null ? false : {}),
      after_sensitive: spec.after_sensitive ?? (after === null ? false : {}),
    },
  }
}

/** A plan with these resource changes. */
export function planOf(...specs: readonly ChangeSpec[]): Record<string, unknown> {
  return {
    format_version: '1.2',
    terraform_version: '1.9.5',
    planned_values: { root_module: {} },
    resource_changes: specs.map(resourceChange),
    configuration: { root_module: {} },
    applyable: true,
    complete: true,
    errored: false,
  }
}

/** The analysis of a plan with these resource changes. */
export function analyzeChanges(...specs: readonly ChangeSpec[]): Analysis<TerraformFacts> {
  return analyzePlan(planOf(...specs))
}

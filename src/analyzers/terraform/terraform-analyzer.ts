import type { Analyzer, FactTypes } from '../analyzer.js'
import { analyzePlan } from './analyze-plan.js'
import type { TerraformFacts } from './facts.js'

/** CEL declarations of every terraform fact; the names docs/facts.md promises, and those added beside them. */
export const TERRAFORM_FACT_TYPES: FactTypes = {
  TerraformFacts: {
    resource_changes: 'list<TerraformResourceChange>',
    creates: 'int',
    updates: 'int',
    deletes: 'int',
    replaces: 'int',
    no_ops: 'int',
    reads: 'int',
    forgets: 'int',
    types: 'list<string>',
    destroys_any: 'bool',
    iam_changes: 'list<string>',
    data_stores: 'list<string>',
    public_exposure: 'list<string>',
    unknown_exposure: 'list<TerraformUnknownExposure>',
    action_invocations: 'list<string>',
    parse_error: 'string',
  },
  TerraformUnknownExposure: {
    address: 'string',
    attributes: 'list<string>',
  },
  TerraformResourceChange: {
    address: 'string',
    type: 'string',
    actions: 'list<string>',
    mode: 'string',
    provider: 'string',
    changed_attributes: 'list<string>',
    replace: 'bool',
    destroy: 'bool',
  },
}

/**
 * Returns the `terraform` analyzer. Its `analyze({plan})` reads the JSON plan of
 * `terraform show -json PLANFILE` (format 0.1, 0.2 or 1.x), is synchronous and never throws; `plan_sha256`
 * binds the binary plan for execution and plays no part here. Nothing is loaded: async only so
 * every analyzer loads alike.
 *
 * @example
 * const terraform = await loadTerraformAnalyzer()
 * const { facts, summary } = terraform.analyze({ plan })
 * summary // 'Plan: 1 to add, 0 to change, 1 to destroy, 0 to replace.'
 * facts.data_stores // ['aws_db_instance.main']
 */
export async function loadTerraformAnalyzer(): Promise<Analyzer<TerraformFacts>> {
  return {
    kind: 'terraform',
    rootType: 'TerraformFacts',
    types: TERRAFORM_FACT_TYPES,
    analyze: function analyzeTerraform(payload) {
      return analyzePlan(payload.plan)
    },
  }
}

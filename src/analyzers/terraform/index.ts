// The `terraform` analyzer (docs/facts.md): what applying a JSON plan would do.
export { TERRAFORM_FACT_TYPES, loadTerraformAnalyzer } from './terraform-analyzer.js'
export type { TerraformFacts, TerraformResourceChangeFacts } from './facts.js'

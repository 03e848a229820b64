// The `terraform` analyzer (PRODUCT.md §4): what applying a JSON plan would do.
export { TERRAFORM_FACT_TYPES, loadTerraformAnalyzer } from './terraform-analyzer.js'
export type { TerraformFacts, TerraformResourceChangeFacts } from './facts.js'

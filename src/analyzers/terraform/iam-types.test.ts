import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { IAM_TYPES, isIamType } from './iam-types.js'
import { analyzePlan } from './analyze-plan.js'
import { analyzeChanges, analyzeFixture, planOf } from './test-plans.js'

// [type, is an IAM type] per provider: every pattern's intended catches, and its near misses.
const AWS: ReadonlyArray<readonly [string, boolean]> = [
  ['aws_iam_role', true],
  ['aws_iam_role_policy_attachment', true],
  ['aws_iam_user_login_profile', true],
  ['aws_iam_access_key', true],
  ['aws_iam_openid_connect_provider', true],
  ['aws_organizations_policy', true],
  ['aws_organizations_policy_attachment', true],
  ['aws_ssoadmin_account_assignment', true],
  ['aws_ssoadmin_permission_set_inline_policy', true],
  ['aws_identitystore_group_membership', true],
  ['aws_kms_key_policy', true],
  ['aws_kms_grant', true],
  ['aws_s3_bucket_policy', true],
  ['aws_s3control_bucket_policy', true],
  ['aws_s3_access_point_policy', true],
  ['aws_sqs_queue_policy', true],
  ['aws_sns_topic_policy', true],
  ['aws_ecr_repository_policy', true],
  ['aws_ecrpublic_repository_policy', true],
  ['aws_secretsmanager_secret_policy', true],
  ['aws_opensearch_domain_policy', true],
  ['aws_cloudwatch_log_resource_policy', true],
  ['aws_dynamodb_resource_policy', true],
  ['aws_lambda_permission', true],
  ['aws_lambda_layer_version_permission', true],
  ['aws_ami_launch_permission', true],
  ['aws_lakeformation_permissions', true],
  ['aws_ram_principal_association', true],
  ['aws_eks_access_policy_association', true],
  ['aws_codeartifact_domain_permissions_policy', true],
  ['aws_instance', false],
  ['aws_s3_bucket', false],
  ['aws_autoscaling_policy', false],
  ['aws_appautoscaling_policy', false],
  ['aws_ecr_lifecycle_policy', false],
  ['aws_cloudfront_cache_policy', false],
  ['aws_dlm_lifecycle_policy', false],
  ['aws_network_acl', false],
]

const GOOGLE: ReadonlyArray<readonly [string, boolean]> = [
  ['google_project_iam_member', true],
  ['google_project_iam_binding', true],
  ['google_project_iam_policy', true],
  ['google_project_iam_audit_config', true],
  ['google_project_iam_custom_role', true],
  ['google_organization_iam_member', true],
  ['google_organization_iam_custom_role', true],
  ['google_folder_iam_binding', true],
  ['google_storage_bucket_iam_member', true],
  ['google_kms_crypto_key_iam_binding', true],
  ['google_cloud_run_v2_service_iam_member', true],
  ['google_iam_deny_policy', true],
  ['google_iam_workload_identity_pool_provider', true],
  ['google_service_account', true],
  ['google_service_account_key', true],
  ['google_service_account_iam_member', true],
  ['google_organization_policy', true],
  ['google_project_organization_policy', true],
  ['google_org_policy_policy', true],
  ['google_storage_bucket_acl', true],
  ['google_storage_object_access_control', true],
  ['google_bigquery_dataset_access', true],
  ['google_cloud_identity_group_membership', true],
  ['google_access_context_manager_service_perimeter', true],
  ['google_compute_instance', false],
  ['google_storage_bucket', false],
  ['google_compute_resource_policy', false],
  ['google_compute_security_policy', false],
  ['google_dataproc_autoscaling_policy', false],
]

const AZURE: ReadonlyArray<readonly [string, boolean]> = [
  ['azurerm_role_assignment', true],
  ['azurerm_role_definition', true],
  ['azurerm_pim_eligible_role_assignment', true],
  ['azurerm_cosmosdb_sql_role_assignment', true],
  ['azurerm_role_management_policy', true],
  ['azurerm_user_assigned_identity', true],
  ['azurerm_federated_identity_credential', true],
  ['azurerm_key_vault_access_policy', true],
  ['azurerm_mssql_managed_instance_active_directory_administrator', true],
  ['azurerm_kusto_database_principal_assignment', true],
  ['azurerm_lighthouse_assignment', true],
  ['azurerm_policy_definition', true],
  ['azurerm_subscription_policy_assignment', true],
  ['azurerm_resource_group_policy_exemption', true],
  ['azuread_group_member', true],
  ['azuread_application_password', true],
  ['azuread_service_principal', true],
  ['azuread_directory_role_assignment', true],
  ['azurerm_resource_group', false],
  ['azurerm_key_vault', false],
  ['azurerm_firewall_policy', false],
  ['azurerm_storage_management_policy', false],
  ['azurerm_cdn_frontdoor_security_policy', false],
]

const KUBERNETES: ReadonlyArray<readonly [string, boolean]> = [
  ['kubernetes_cluster_role_binding_v1', true],
  ['kubernetes_role_binding', true],
  ['kubernetes_cluster_role', true],
  ['kubernetes_service_account_v1', true],
  ['kubernetes_deployment_v1', false],
  ['kubernetes_network_policy_v1', false],
]

describe('IAM type table', () => {
  for (const [provider, cases] of [['AWS', AWS], ['Google Cloud', GOOGLE], ['Azure', AZURE], ['Kubernetes', KUBERNETES]] as const) {
    it(`recognizes ${provider} identity and access types, and only those`, () => {
      for (const [type, expected] of cases) assert.equal(isIamType(type), expected, type)
    })
  }

  it('holds only lower-case type names and patterns', () => {
    for (const entry of IAM_TYPES) assert.match(entry, /^[a-z][a-z0-9_*]*$/, entry)
  })
})

describe('terraform iam_changes', () => {
  it('lists AWS IAM changes, resource policies and policy attributes, not scaling policies', () => {
    const { facts, highlights } = analyzeFixture('iam-aws')
    assert.deepEqual(facts.iam_changes, [
      'aws_iam_role.ci',
      'aws_iam_role_policy_attachment.ci_admin',
      'aws_s3_bucket_policy.artifacts',
      'aws_lambda_permission.from_sns',
      'aws_kms_key.artifacts', // its policy attribute changes
      'aws_sqs_queue.orders', // created with a policy
      'aws_sns_topic.deploys', // created with a policy known only after apply
      'aws_iam_user.departed',
    ])
    // aws_kms_key.logs is left out: its policy is unknown only because the provider computes the default.
    assert.ok(highlights.includes('changes IAM: aws_iam_role.ci, aws_iam_role_policy_attachment.ci_admin, aws_s3_bucket_policy.artifacts, aws_lambda_permission.from_sns, aws_kms_key.artifacts, +3 more'))
  })

  it('lists Google IAM members, bindings, custom roles and service account keys', () => {
    const { facts } = analyzeFixture('iam-google')
    assert.deepEqual(facts.iam_changes, [
      'google_project_iam_member.deployer_editor',
      'google_service_account_key.deployer',
      'google_project_iam_custom_role.deployer',
      'google_organization_iam_binding.auditors',
    ])
  })

  it('lists Azure role assignments and definitions, Entra ID changes and key vault access policies', () => {
    const { facts } = analyzeFixture('iam-azure')
    assert.deepEqual(facts.iam_changes, [
      'azurerm_role_assignment.ci_contributor',
      'azurerm_role_definition.deployer',
      'azuread_group_member.oncall_alice',
      'azurerm_key_vault.main', // an inline access_policy changes
      'azurerm_key_vault_access_policy.legacy_app',
    ])
  })

  it('leaves out no-ops and data sources of IAM types', () => {
    const { facts } = analyzeChanges({ type: 'aws_iam_role', actions: ['no-op'] }, { type: 'aws_iam_policy_document', mode: 'data', actions: ['read'] })
    assert.deepEqual(facts.iam_changes, [])
  })

  // [what, change, is an IAM change]
  const POLICY_ATTRIBUTE_CASES = [
    ['a queue created without a policy', { type: 'aws_sqs_queue', actions: ['create'], after: { name: 'q', policy: null } }, false],
    ['a queue created with a policy known only after apply', { type: 'aws_sqs_queue', actions: ['create'], after: { name: 'q' }, after_unknown: { policy: true } }, true],
    ['a queue whose name alone changes', { type: 'aws_sqs_queue', actions: ['update'], before: { name: 'a', policy: '{}' }, after: { name: 'b', policy: '{}' } }, false],
    ['a queue deleted with its policy', { type: 'aws_sqs_queue', actions: ['delete'], before: { name: 'q', policy: '{"Statement":[]}' } }, false],
    ['a role whose assume_role_policy changes', { type: 'aws_iam_role', actions: ['update'], before: { assume_role_policy: 'a' }, after: { assume_role_policy: 'b' } }, true],
    ['a resource with unrecognized actions that had a policy', { type: 'aws_sns_topic', actions: ['delete', 'update'], before: { policy: '{}' }, after: null }, true],
  ] as const
  for (const [what, change, expected] of POLICY_ATTRIBUTE_CASES) {
    it(`${expected ? 'counts' : 'does not count'} ${what}`, () => {
      assert.equal(analyzeChanges(change).facts.iam_changes.length > 0, expected)
    })
  }
})

describe('terraform iam_changes and the configuration', () => {
  /** A plan creating a KMS key in module.audit["eu"] whose policy is unknown, with this configuration of it. */
  function keyPlan(expressions: Record<string, unknown> | null): Record<string, unknown> {
    const plan = planOf({ type: 'aws_kms_key', name: 'audit', actions: ['create'], after: { description: 'audit' }, after_unknown: { arn: true, policy: true } })
    const change = (plan.resource_changes as Record<string, unknown>[])[0] as Record<string, unknown>
    change.address = 'module.audit["eu"].aws_kms_key.audit'
    change.module_address = 'module.audit["eu"]'
    const resources = expressions === null ? [] : [{ address: 'aws_kms_key.audit', mode: 'managed', type: 'aws_kms_key', name: 'audit', expressions }]
    return { ...plan, configuration: { root_module: { module_calls: { audit: { source: './audit', module: { resources } } } } } }
  }

  it('does not count a policy the provider computes because the configuration sets none', () => {
    assert.deepEqual(analyzePlan(keyPlan({ description: { constant_value: 'audit' } })).facts.iam_changes, [])
  })

  it('counts a policy the configuration sets to a value known only after apply', () => {
    const plan = keyPlan({ description: { constant_value: 'audit' }, policy: { references: ['data.aws_iam_policy_document.audit.json'] } })
    assert.deepEqual(analyzePlan(plan).facts.iam_changes, ['module.audit["eu"].aws_kms_key.audit'])
  })

  it('does not count a replaced key whose computed default policy is known only after apply', () => {
    const plan = keyPlan({ description: { constant_value: 'audit' } })
    const change = (plan.resource_changes as Record<string, Record<string, unknown>>[])[0]?.change as Record<string, unknown>
    Object.assign(change, { actions: ['delete', 'create'], before: { description: 'audit', policy: '{"Statement":[]}' } })
    assert.deepEqual(analyzePlan(plan).facts.iam_changes, [])
  })

  it('counts an unknown policy when the configuration does not describe the resource (fail closed)', () => {
    assert.deepEqual(analyzePlan(keyPlan(null)).facts.iam_changes, ['module.audit["eu"].aws_kms_key.audit'])
  })
})

import { typeMatcher } from './type-patterns.js'

// Resource types that grant, deny or shape access: who can do what. A change to one of them,
// in any direction, is an IAM change (`terraform.iam_changes`). Names are the providers' own;
// `*` stands for any run of characters (see type-patterns.ts). Keep the table sorted by provider,
// and say why for every pattern: a pattern that also catches an unrelated type costs a needless
// review, a missing one lets a privilege change through unnoticed, so lean towards catching.

/** AWS (hashicorp/aws). */
const AWS = [
  'aws_iam_*', // users, groups, roles, policies and attachments, access keys, login profiles, instance profiles, OIDC/SAML providers
  'aws_organizations_policy*', // service control, tag, backup and AI policies, and their attachments
  'aws_organizations_resource_policy',
  'aws_organizations_delegated_administrator',
  'aws_ssoadmin_*', // IAM Identity Center permission sets, their policies and account assignments
  'aws_identitystore_*', // Identity Center users, groups and group memberships
  'aws_kms_key_policy',
  'aws_kms_grant',
  // Resource policies: who may use a bucket, queue, topic, repository, secret, domain, vault…
  'aws_*_resource_policy', // cloudwatch_log, dynamodb, kinesis, glue, redshift, networkfirewall, vpclattice, xray…
  'aws_*_bucket_policy', // s3, s3control, s3tables_table
  'aws_*_access_point_policy', // s3, s3control (multi-region, object lambda)
  'aws_*_queue_policy',
  'aws_*_topic_policy',
  'aws_*_repository_policy', // ecr, ecrpublic
  'aws_*_registry_policy', // ecr, schemas
  'aws_*_secret_policy', // secretsmanager
  'aws_*_domain_policy', // opensearch, elasticsearch
  'aws_*_vault_policy', // backup
  'aws_*_permissions_policy', // codeartifact domain and repository
  'aws_s3tables_table_policy',
  'aws_efs_file_system_policy',
  'aws_api_gateway_rest_api_policy',
  'aws_cloudwatch_event_bus_policy',
  'aws_vpc_endpoint_policy',
  'aws_vpc_endpoint_service_allowed_principal',
  'aws_ses_identity_policy',
  'aws_glacier_vault_lock',
  'aws_iot_policy',
  'aws_iot_policy_attachment',
  // Permissions granted to other principals or accounts.
  'aws_*_permission', // lambda, lambda_layer_version, cloudwatch_event, ami_launch, ebs_snapshot_create_volume, acmpca, signer_signing_profile
  'aws_*_permissions', // lakeformation
  'aws_lakeformation_data_lake_settings', // data lake administrators
  'aws_ram_*', // sharing resources with other accounts
  'aws_s3control_access_grant*', // S3 Access Grants instances, locations and grants
  'aws_eks_access_entry',
  'aws_eks_access_policy_association',
  'aws_eks_pod_identity_association',
  'aws_cognito_identity_pool_roles_attachment',
  'aws_db_instance_role_association',
  'aws_rds_cluster_role_association',
  'aws_redshift_cluster_iam_roles',
] as const

/** Google Cloud (hashicorp/google and google-beta, which share type names). */
const GOOGLE = [
  'google_*_iam_*', // every resource's IAM: *_iam_member, *_iam_binding, *_iam_policy, *_iam_audit_config, *_iam_custom_role, *_iam_member_remove
  'google_iam_*', // deny and access boundary policies, policy bindings, workload and workforce identity pools
  'google_service_account*', // service accounts, their keys and their IAM
  'google_project_default_service_accounts',
  'google_*organization_policy', // organization, folder and project organization policies (v1)
  'google_org_policy_*', // organization policies (v2) and custom constraints
  'google_storage_*_acl', // bucket, object and default object ACLs
  'google_storage_*_access_control', // the same, one entity at a time
  'google_bigquery_dataset_access',
  'google_cloud_identity_group*', // groups and memberships, which carry IAM roles
  'google_access_context_manager_*', // VPC Service Controls perimeters and access levels
  'google_privileged_access_manager_*', // just-in-time elevation entitlements
] as const

/** Azure (hashicorp/azurerm and hashicorp/azuread). */
const AZURE = [
  'azurerm_*role_assignment', // role_assignment, pim_active/pim_eligible, marketplace, cosmosdb_sql, synapse, key_vault HSM…
  'azurerm_*role_definition',
  'azurerm_role_management_policy',
  'azurerm_user_assigned_identity',
  'azurerm_federated_identity_credential',
  'azurerm_key_vault_access_policy',
  'azurerm_*_active_directory_administrator', // SQL, MySQL and PostgreSQL Entra ID administrators
  'azurerm_*_principal_assignment', // kusto cluster and database
  'azurerm_redis_cache_access_policy',
  'azurerm_lighthouse_*', // delegated access for another tenant
  'azurerm_policy_*', // Azure Policy definitions and set definitions
  'azurerm_*policy_assignment', // Azure Policy at management group, subscription, resource group and resource scope; redis access policies
  'azurerm_*policy_exemption',
  'azurerm_management_group_subscription_association', // a subscription inherits the group's roles and policies
  'azurerm_kubernetes_cluster_trusted_access_role_binding',
  'azuread_*', // all of Entra ID: users, groups and members, applications, service principals, credentials, directory roles, conditional access
] as const

/** Kubernetes (hashicorp/kubernetes), often applied in the same plan as the cluster. */
const KUBERNETES = [
  'kubernetes_role',
  'kubernetes_role_v1',
  'kubernetes_cluster_role',
  'kubernetes_cluster_role_v1',
  'kubernetes_*role_binding', // role_binding, cluster_role_binding
  'kubernetes_*role_binding_v1',
  'kubernetes_service_account',
  'kubernetes_service_account_v1',
] as const

/** Every IAM type name and pattern, by provider. Exported for the tests. */
export const IAM_TYPES: readonly string[] = [...AWS, ...GOOGLE, ...AZURE, ...KUBERNETES]

/**
 * Attributes that hold an access policy inside a resource that is not itself an IAM type:
 * `aws_s3_bucket.policy` (provider v3), `aws_kms_key.policy`, `aws_sqs_queue.policy`,
 * `aws_sns_topic.policy`, `aws_opensearch_domain.access_policies`, `aws_glacier_vault.access_policy`,
 * `aws_iam_role`-like `assume_role_policy` and `inline_policy`, `azurerm_key_vault.access_policy`.
 * Setting or changing one is an IAM change.
 */
export const IAM_POLICY_ATTRIBUTES: readonly string[] = [
  'policy',
  'access_policy',
  'access_policies',
  'assume_role_policy',
  'inline_policy',
  'managed_policy_arns',
]

/**
 * Whether a resource type grants or shapes access (see the tables above).
 *
 * @example
 * isIamType('google_storage_bucket_iam_member') // true
 * isIamType('aws_autoscaling_policy') // false: a scaling policy, not an access policy
 */
export const isIamType: (type: string) => boolean = typeMatcher(IAM_TYPES)

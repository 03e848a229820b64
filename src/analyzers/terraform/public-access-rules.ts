import { elements, isObject, markedAt, own, strings } from './json-values.js'
import { type Finding, is, type Rule, type RuleInput, show, valueAt } from './exposure-rule.js'

// Resources made public by access settings rather than network rules: buckets and objects,
// databases, function endpoints, IAM grants to everyone, and resource policies for any principal.

const PUBLIC_S3_ACLS: ReadonlySet<string> = new Set(['public-read', 'public-read-write', 'authenticated-read'])
const PUBLIC_GCS_ACLS: ReadonlySet<string> = new Set(['publicread', 'publicreadwrite', 'authenticatedread'])
/** Google's principals for anyone, and anyone with a Google account. */
const EVERYONE: ReadonlySet<string> = new Set(['allusers', 'allauthenticatedusers'])
const S3_BLOCK_FLAGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'] as const

/** S3 public access blocks: any of the four flags off (they default to off) lets public ACLs or policies work. */
function s3PublicAccessBlock(input: RuleInput): Finding | null {
  const off = S3_BLOCK_FLAGS.filter((flag) => own(input.value, flag) !== true && !markedAt(input.unknown, [flag]))
  return off.length > 0 ? { kind: 'public', why: `${off.join(', ')} off` } : null
}

/** `acl` of S3 buckets (provider v3), bucket ACLs and objects; and grants to the AllUsers/AuthenticatedUsers groups. */
function s3Acl(input: RuleInput): Finding | null {
  const acl = own(input.value, 'acl')
  if (typeof acl === 'string' && PUBLIC_S3_ACLS.has(acl)) return { kind: 'public', why: `acl ${show(input, ['acl'], acl)}` }
  const grants = [...elements(own(input.value, 'grant')), ...elements(valueAt(input.value, ['access_control_policy', 0, 'grant']))]
  const uris = grants.flatMap((grant) => [own(grant, 'uri'), ...elements(own(grant, 'grantee')).map((grantee) => own(grantee, 'uri'))])
  const everyone = uris.some((uri) => typeof uri === 'string' && /\/global\/(AllUsers|AuthenticatedUsers)$/.test(uri))
  return everyone ? { kind: 'public', why: 'grants to all users' } : null
}

/** Cloud Storage ACLs: a public predefined ACL, or an entity for everyone. */
function gcsAcl(input: RuleInput): Finding | null {
  const predefined = own(input.value, 'predefined_acl')
  if (typeof predefined === 'string' && PUBLIC_GCS_ACLS.has(predefined.toLowerCase())) {
    return { kind: 'public', why: `predefined_acl ${show(input, ['predefined_acl'], predefined)}` }
  }
  const entities = [...strings(own(input.value, 'role_entity')).map((entry) => entry.split(':').pop() ?? ''), ...strings(own(input.value, 'entity'))]
  const everyone = entities.find((entity) => EVERYONE.has(entity.toLowerCase()))
  return everyone === undefined ? null : { kind: 'public', why: `grants to ${everyone}` }
}

/** Google IAM members, bindings and policies that grant a role to allUsers or allAuthenticatedUsers. */
function googleIam(input: RuleInput): Finding | null {
  const members = [...strings(own(input.value, 'member')), ...strings(own(input.value, 'members'))]
  const policy = own(input.value, 'policy_data')
  if (typeof policy === 'string') members.push(...policyMembers(policy))
  const everyone = members.find((member) => EVERYONE.has(member.toLowerCase()))
  if (everyone === undefined) return null
  const role = own(input.value, 'role')
  return { kind: 'public', why: typeof role === 'string' ? `grants ${show(input, ['role'], role)} to ${everyone}` : `grants to ${everyone}` }
}

/** The members of a Google IAM policy document; every word that could be one when it does not parse. */
function policyMembers(policy: string): string[] {
  try {
    const parsed: unknown = JSON.parse(policy)
    return elements(own(parsed, 'bindings')).flatMap((binding) => strings(own(binding, 'members')))
  } catch {
    return policy.match(/all(Authenticated)?Users/g) ?? []
  }
}

function publiclyAccessible(input: RuleInput): Finding | null {
  return own(input.value, 'publicly_accessible') === true ? { kind: 'public', why: 'publicly_accessible' } : null
}

function lambdaFunctionUrl(input: RuleInput): Finding | null {
  return is(own(input.value, 'authorization_type'), 'NONE') ? { kind: 'public', why: 'authorization_type NONE' } : null
}

/** `aws_lambda_permission` for principal `*` not narrowed to a source. */
function lambdaPermission(input: RuleInput): Finding | null {
  const { value } = input
  if (own(value, 'principal') !== '*') return null
  const narrowed = ['source_arn', 'source_account', 'principal_org_id'].some((name) => typeof own(value, name) === 'string' && own(value, name) !== '')
  return narrowed ? null : { kind: 'public', why: 'invocable by any principal' }
}

function azureContainer(input: RuleInput): Finding | null {
  const access = own(input.value, 'container_access_type')
  if (typeof access !== 'string' || !(is(access, 'blob') || is(access, 'container'))) return null
  return { kind: 'public', why: `container_access_type ${show(input, ['container_access_type'], access)}` }
}

/** Public access rules by exact resource type. */
export const PUBLIC_ACCESS_RULES: ReadonlyMap<string, Rule> = new Map([
  ['aws_s3_bucket_public_access_block', s3PublicAccessBlock],
  ['aws_s3_account_public_access_block', s3PublicAccessBlock],
  ['aws_s3_bucket_acl', s3Acl],
  ['aws_s3_bucket', s3Acl],
  ['aws_s3_object', s3Acl],
  ['aws_s3_bucket_object', s3Acl],
  ['google_storage_bucket_acl', gcsAcl],
  ['google_storage_object_acl', gcsAcl],
  ['google_storage_default_object_acl', gcsAcl],
  ['google_storage_bucket_access_control', gcsAcl],
  ['google_storage_object_access_control', gcsAcl],
  ['google_storage_default_object_access_control', gcsAcl],
  ['aws_db_instance', publiclyAccessible],
  ['aws_rds_cluster_instance', publiclyAccessible],
  ['aws_redshift_cluster', publiclyAccessible],
  ['aws_redshiftserverless_workgroup', publiclyAccessible],
  ['aws_dms_replication_instance', publiclyAccessible],
  ['aws_lambda_function_url', lambdaFunctionUrl],
  ['aws_lambda_permission', lambdaPermission],
  ['azurerm_storage_container', azureContainer],
])

/** Public access rules by type pattern. */
export const PUBLIC_ACCESS_PATTERN_RULES: readonly (readonly [RegExp, Rule])[] = [
  [/^google_\w+_iam_(member|binding|policy)$/, googleIam],
  [/^aws_/, awsResourcePolicy],
]

/** Attributes of AWS resources holding a resource policy (a JSON document with principals). */
const AWS_POLICY_ATTRIBUTES = ['policy', 'access_policy', 'access_policies', 'assume_role_policy'] as const

/**
 * An AWS resource policy with an unconditional `Allow` for any principal (`"*"`, `{"AWS": "*"}`)
 * or for everyone but some (`NotPrincipal`): a public bucket policy, a queue anyone can write to,
 * a role anyone can assume.
 */
function awsResourcePolicy(input: RuleInput): Finding | null {
  for (const attribute of AWS_POLICY_ATTRIBUTES) {
    const text = own(input.value, attribute)
    if (typeof text !== 'string' || !text.includes('*')) continue
    let document: unknown
    try {
      document = JSON.parse(text)
    } catch {
      continue
    }
    const statement = own(document, 'Statement')
    const statements = Array.isArray(statement) ? statement : [statement]
    if (statements.some(allowsAnyone)) return { kind: 'public', why: `${attribute} allows any principal` }
  }
  return null
}

function allowsAnyone(statement: unknown): boolean {
  if (own(statement, 'Effect') !== 'Allow' || own(statement, 'Condition') !== undefined) return false
  if (own(statement, 'NotPrincipal') !== undefined) return true
  const principal = own(statement, 'Principal')
  if (principal === '*') return true
  return isObject(principal) && Object.values(principal).some((value) => strings(value).includes('*'))
}

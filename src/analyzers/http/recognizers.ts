// The recognizer table: which API calls the `http` analyzer names (`service`, `operation`) and
// which of them administer identity, access, an organization or repository settings (`admin`).
// Data only; the matching is in recognize-*.ts, and recognizers.test.ts exercises every entry.

// ---------------------------------------------------------------------------------------------
// GitHub REST (api.github.com; GitHub Enterprise Server under /api/v3 on any host)
// ---------------------------------------------------------------------------------------------

/**
 * `[methods, path, operation, what it does]`: methods `PUT`, `PUT|DELETE`, or `*` for any method
 * that may change something; path patterns as in route-pattern.ts. The first match wins, so
 * specific routes come before the catch-alls below them. Operations follow GitHub's operation
 * ids (`repos/delete` → `repos.delete`), shortened where those are long. "What it does" completes
 * `administers GitHub <scope>: …`.
 */
export const GITHUB_ADMIN_ROUTES: readonly (readonly [string, string, string, string])[] = [
  // Repository administration
  ['DELETE', '/repos/{owner}/{repo}', 'repos.delete', 'deletes it'],
  ['PATCH', '/repos/{owner}/{repo}', 'repos.update', 'changes its settings'],
  ['POST', '/repos/{owner}/{repo}/transfer', 'repos.transfer', 'transfers it to another owner'],
  ['PUT', '/repos/{owner}/{repo}/collaborators/{user}', 'repos.add-collaborator', 'adds collaborator {user}'],
  ['DELETE', '/repos/{owner}/{repo}/collaborators/{user}', 'repos.remove-collaborator', 'removes collaborator {user}'],
  ['PATCH', '/repos/{owner}/{repo}/invitations/{id}', 'repos.update-invitation', 'changes collaborator invitation {id}'],
  ['DELETE', '/repos/{owner}/{repo}/invitations/{id}', 'repos.delete-invitation', 'deletes collaborator invitation {id}'],
  ['DELETE', '/repos/{owner}/{repo}/branches/{branch+}/protection', 'repos.delete-branch-protection', 'removes the protection of branch {branch}'],
  ['*', '/repos/{owner}/{repo}/branches/{branch+}/protection/**', 'repos.update-branch-protection', 'changes the protection of branch {branch}'],
  ['POST', '/repos/{owner}/{repo}/rulesets', 'repos.create-repo-ruleset', 'adds a ruleset'],
  ['PUT', '/repos/{owner}/{repo}/rulesets/{id}', 'repos.update-repo-ruleset', 'changes ruleset {id}'],
  ['DELETE', '/repos/{owner}/{repo}/rulesets/{id}', 'repos.delete-repo-ruleset', 'deletes ruleset {id}'],
  ['POST', '/repos/{owner}/{repo}/hooks', 'repos.create-webhook', 'adds a webhook'],
  ['DELETE', '/repos/{owner}/{repo}/hooks/{id}', 'repos.delete-webhook', 'deletes webhook {id}'],
  ['*', '/repos/{owner}/{repo}/hooks/{id}/**', 'repos.update-webhook', 'changes webhook {id}'],
  ['POST', '/repos/{owner}/{repo}/keys', 'repos.create-deploy-key', 'adds a deploy key'],
  ['DELETE', '/repos/{owner}/{repo}/keys/{id}', 'repos.delete-deploy-key', 'deletes deploy key {id}'],
  ['PUT', '/repos/{owner}/{repo}/actions/secrets/{name}', 'actions.create-or-update-repo-secret', 'sets Actions secret {name}'],
  ['DELETE', '/repos/{owner}/{repo}/actions/secrets/{name}', 'actions.delete-repo-secret', 'deletes Actions secret {name}'],
  ['*', '/repos/{owner}/{repo}/actions/permissions/**', 'actions.set-permissions-repository', 'changes its Actions permissions'],
  ['PUT', '/repos/{owner}/{repo}/dependabot/secrets/{name}', 'dependabot.create-or-update-repo-secret', 'sets Dependabot secret {name}'],
  ['DELETE', '/repos/{owner}/{repo}/dependabot/secrets/{name}', 'dependabot.delete-repo-secret', 'deletes Dependabot secret {name}'],
  ['PUT', '/repos/{owner}/{repo}/environments/{env}/secrets/{name}', 'actions.create-or-update-environment-secret', 'sets secret {name} of environment {env}'],
  ['DELETE', '/repos/{owner}/{repo}/environments/{env}/secrets/{name}', 'actions.delete-environment-secret', 'deletes secret {name} of environment {env}'],
  ['PUT', '/repos/{owner}/{repo}/environments/{env}', 'repos.create-or-update-environment', 'changes environment {env} and its protection rules'],
  ['DELETE', '/repos/{owner}/{repo}/environments/{env}', 'repos.delete-environment', 'deletes environment {env}'],

  // Organization administration
  ['DELETE', '/orgs/{org}', 'orgs.delete', 'deletes it'],
  ['PATCH', '/orgs/{org}', 'orgs.update', 'changes its settings'],
  ['PUT', '/orgs/{org}/memberships/{user}', 'orgs.set-membership', 'sets the membership of {user}'],
  ['DELETE', '/orgs/{org}/memberships/{user}', 'orgs.remove-membership', 'removes the membership of {user}'],
  ['DELETE', '/orgs/{org}/members/{user}', 'orgs.remove-member', 'removes member {user}'],
  ['PUT', '/orgs/{org}/outside_collaborators/{user}', 'orgs.convert-member-to-outside-collaborator', 'makes {user} an outside collaborator'],
  ['DELETE', '/orgs/{org}/outside_collaborators/{user}', 'orgs.remove-outside-collaborator', 'removes outside collaborator {user}'],
  ['POST', '/orgs/{org}/invitations', 'orgs.create-invitation', 'invites a member'],
  ['DELETE', '/orgs/{org}/invitations/{id}', 'orgs.cancel-invitation', 'cancels invitation {id}'],
  ['POST', '/orgs/{org}/teams', 'teams.create', 'creates a team'],
  ['DELETE', '/orgs/{org}/teams/{team}', 'teams.delete', 'deletes team {team}'],
  ['PATCH', '/orgs/{org}/teams/{team}', 'teams.update', 'changes team {team}'],
  ['PUT', '/orgs/{org}/teams/{team}/memberships/{user}', 'teams.add-or-update-membership', 'adds {user} to team {team}'],
  ['DELETE', '/orgs/{org}/teams/{team}/memberships/{user}', 'teams.remove-membership', 'removes {user} from team {team}'],
  ['PUT', '/orgs/{org}/teams/{team}/repos/{owner}/{repo}', 'teams.add-or-update-repo-permissions', 'grants team {team} access to {owner}/{repo}'],
  ['DELETE', '/orgs/{org}/teams/{team}/repos/{owner}/{repo}', 'teams.remove-repo', 'removes the access of team {team} to {owner}/{repo}'],
  ['*', '/orgs/{org}/teams/{team}/**', 'teams.update', 'changes team {team}'],
  ['PUT', '/orgs/{org}/actions/secrets/{name}', 'actions.create-or-update-org-secret', 'sets Actions secret {name}'],
  ['DELETE', '/orgs/{org}/actions/secrets/{name}', 'actions.delete-org-secret', 'deletes Actions secret {name}'],
  ['*', '/orgs/{org}/actions/secrets/{name}/repositories/**', 'actions.set-selected-repos-for-org-secret', 'changes which repositories may use Actions secret {name}'],
  ['*', '/orgs/{org}/actions/permissions/**', 'actions.set-permissions-organization', 'changes its Actions permissions'],
  ['POST', '/orgs/{org}/hooks', 'orgs.create-webhook', 'adds a webhook'],
  ['DELETE', '/orgs/{org}/hooks/{id}', 'orgs.delete-webhook', 'deletes webhook {id}'],
  ['*', '/orgs/{org}/hooks/{id}/**', 'orgs.update-webhook', 'changes webhook {id}'],
  ['POST', '/orgs/{org}/rulesets', 'repos.create-org-ruleset', 'adds a ruleset'],
  ['PUT', '/orgs/{org}/rulesets/{id}', 'repos.update-org-ruleset', 'changes ruleset {id}'],
  ['DELETE', '/orgs/{org}/rulesets/{id}', 'repos.delete-org-ruleset', 'deletes ruleset {id}'],

  // The account behind the token, and GitHub App credentials
  ['POST', '/user/keys', 'users.create-ssh-key', 'adds an SSH key'],
  ['DELETE', '/user/keys/{id}', 'users.delete-ssh-key', 'deletes SSH key {id}'],
  ['POST', '/user/gpg_keys', 'users.create-gpg-key', 'adds a GPG key'],
  ['POST', '/user/ssh_signing_keys', 'users.create-ssh-signing-key', 'adds an SSH signing key'],
  ['*', '/user/emails', 'users.update-emails', 'changes its email addresses'],
  ['PATCH', '/user/memberships/orgs/{org}', 'orgs.update-membership-for-authenticated-user', 'accepts membership of organization {org}'],
  ['POST', '/app/installations/{id}/access_tokens', 'apps.create-installation-access-token', 'mints an access token for installation {id}'],
]

/**
 * Organization, enterprise and site administration not listed above: every change under these
 * prefixes counts as administration (fail closed), with an empty operation. Routes listed in
 * GITHUB_ORDINARY_ROUTES are exempt.
 */
export const GITHUB_ADMIN_PREFIXES: readonly string[] = ['/orgs/{org}/**', '/enterprises/{enterprise}/**', '/admin/**']

/** Changes under an administrative prefix that are ordinary work, not administration: `[methods, path, operation]`. */
export const GITHUB_ORDINARY_ROUTES: readonly (readonly [string, string, string])[] = [['POST', '/orgs/{org}/repos', 'repos.create-in-org']]

/** Whom a route administers, by its first path segment: completes `administers GitHub …`. */
export const GITHUB_SCOPES: Readonly<Record<string, string>> = {
  repos: 'repository {owner}/{repo}',
  orgs: 'organization {org}',
  enterprises: 'enterprise {enterprise}',
  user: 'account of the token',
  admin: 'Enterprise Server site',
  app: 'App',
}

/**
 * GraphQL mutations that administer (`updateRepository`, `createBranchProtectionRule`,
 * `addEnterpriseAdmin`, `updateTeamsRepository`…): a mutation field name that matches one of these.
 * Broad on purpose: GraphQL is the side door to everything REST routes cover.
 */
export const GITHUB_GRAPHQL_ADMIN: readonly RegExp[] = [
  /^(update|delete|archive|unarchive|transfer)Repository/,
  /BranchProtection|Ruleset|Collaborator|Team|Enterprise|Organization|Member|Admin|Owner|IpAllowList|IdentityProvider|Invitation|DeployKey|Environment|Secret|Role|Permission|Visibility/,
]

// ---------------------------------------------------------------------------------------------
// AWS (Query API `Action=…` in the query or a form body; JSON protocol `X-Amz-Target: Prefix.Operation`)
// ---------------------------------------------------------------------------------------------

/** How a service's operations are judged: every change administers (`changes`), or those matching a pattern. */
export type AwsAdminRule = 'changes' | RegExp

/** One AWS API, by the first label of its endpoint host (`iam.amazonaws.com`, `sts.eu-west-1.amazonaws.com`). */
export interface AwsService {
  readonly endpoint: string
  readonly service: string
  /** As approvers know it, in highlights: `AWS IAM CreateAccessKey`. */
  readonly name: string
  readonly admin: AwsAdminRule | null
}

/** The AWS APIs named by endpoint; `admin: null` for those where only access changes (AWS_ACCESS_OPERATION) administer. */
export const AWS_SERVICES: readonly AwsService[] = [
  { endpoint: 'iam', service: 'aws.iam', name: 'IAM', admin: 'changes' },
  // Temporary credentials of another role or user are a change of identity.
  { endpoint: 'sts', service: 'aws.sts', name: 'STS', admin: /^(AssumeRole|AssumeRoot|GetFederationToken)/ },
  { endpoint: 'organizations', service: 'aws.organizations', name: 'Organizations', admin: 'changes' },
  { endpoint: 'sso', service: 'aws.sso-admin', name: 'IAM Identity Center', admin: 'changes' },
  { endpoint: 'identitystore', service: 'aws.identitystore', name: 'Identity Store', admin: 'changes' },
  { endpoint: 'kms', service: 'aws.kms', name: 'KMS', admin: null },
  { endpoint: 'secretsmanager', service: 'aws.secretsmanager', name: 'Secrets Manager', admin: null },
  { endpoint: 'sns', service: 'aws.sns', name: 'SNS', admin: null },
  { endpoint: 'sqs', service: 'aws.sqs', name: 'SQS', admin: null },
  { endpoint: 'ec2', service: 'aws.ec2', name: 'EC2', admin: null },
  { endpoint: 'dynamodb', service: 'aws.dynamodb', name: 'DynamoDB', admin: null },
]

/** Operations that only read, in every AWS API: `GetUser`, `ListRoles`, `DescribeAccount`, `SimulatePrincipalPolicy`. */
export const AWS_READ_OPERATION = /^(Get|List|Describe|Simulate|Generate|Search|Lookup|Is)[A-Z]/

/**
 * Operations of any AWS API that change who may do what: resource policies, grants, permissions,
 * ACLs (`PutKeyPolicy`, `CreateGrant`, `AddPermission`, `PutResourcePolicy`). A policy set through
 * a generic call (`SetQueueAttributes` with a `Policy` attribute) is not seen: that needs body values.
 */
export const AWS_ACCESS_OPERATION = /^(Put|Set|Delete|Attach|Detach|Add|Remove|Update|Create|Replace|Revoke|Retire)\w*(ResourcePolicy|KeyPolicy|BucketPolicy|AccessPolicy|TopicPolicy|QueuePolicy|Permission|Permissions|Grant|Grants|Acl)$/

/** S3 sub-resources (`PUT /?policy`) that set access, and the name their operations carry (`PutBucketPolicy`). */
export const S3_ACCESS_SUBRESOURCES: Readonly<Record<string, string>> = {
  policy: 'BucketPolicy',
  acl: 'Acl',
  publicAccessBlock: 'PublicAccessBlock',
  ownershipControls: 'BucketOwnershipControls',
}

/** S3 request headers that set access on what they create (`x-amz-acl: public-read`, `x-amz-grant-read`). */
export const S3_ACCESS_HEADER = /^x-amz-(acl|grant-[a-z-]+)$/

// ---------------------------------------------------------------------------------------------
// Google Cloud (*.googleapis.com)
// ---------------------------------------------------------------------------------------------

/**
 * `[methods, api, path, operation, what it does]`, after the generic rule that any
 * `…:setIamPolicy` (or a last segment `setIamPolicy`, as Compute writes it) sets an IAM policy.
 * `{verb}` in an operation is the method's verb (`POST` → insert, `PATCH` → patch…).
 */
export const GCP_ADMIN_ROUTES: readonly (readonly [string, string, string, string, string])[] = [
  ['PUT', 'storage', '/storage/v1/b/{bucket}/iam', 'setIamPolicy', 'sets an IAM policy on projects/_/buckets/{bucket}'],
  ['PUT', 'storage', '/storage/v1/b/{bucket}/managedFolders/{folder}/iam', 'setIamPolicy', 'sets an IAM policy on projects/_/buckets/{bucket}/managedFolders/{folder}'],
  ['*', 'storage', '/storage/v1/b/{bucket}/acl/**', 'bucketAccessControls.{verb}', 'changes the ACL of bucket {bucket}'],
  ['*', 'storage', '/storage/v1/b/{bucket}/defaultObjectAcl/**', 'defaultObjectAccessControls.{verb}', 'changes the default object ACL of bucket {bucket}'],
  ['*', 'storage', '/storage/v1/b/{bucket}/o/{object+}/acl/**', 'objectAccessControls.{verb}', 'changes the ACL of object {object} in bucket {bucket}'],
  ['POST', 'iam', '/v1/projects/{project}/serviceAccounts/{account}/keys', 'serviceAccounts.keys.create', 'creates a key for service account {account}'],
  ['POST', 'iam', '/v1/projects/{project}/serviceAccounts/{account}/keys:upload', 'serviceAccounts.keys.upload', 'uploads a key for service account {account}'],
  ['DELETE', 'iam', '/v1/projects/{project}/serviceAccounts/{account}/keys/{key}', 'serviceAccounts.keys.delete', 'deletes key {key} of service account {account}'],
  ['POST', 'iam', '/v1/projects/{project}/serviceAccounts', 'serviceAccounts.create', 'creates a service account in projects/{project}'],
  ['DELETE', 'iam', '/v1/projects/{project}/serviceAccounts/{account}', 'serviceAccounts.delete', 'deletes service account {account}'],
  ['PATCH', 'iam', '/v1/projects/{project}/serviceAccounts/{account}', 'serviceAccounts.patch', 'changes service account {account}'],
  ['POST', 'iam', '/v1/{parent}/{id}/roles', 'roles.create', 'creates an IAM role in {parent}/{id}'],
  ['PATCH', 'iam', '/v1/{parent}/{id}/roles/{role}', 'roles.patch', 'changes IAM role {parent}/{id}/roles/{role}'],
  ['DELETE', 'iam', '/v1/{parent}/{id}/roles/{role}', 'roles.delete', 'deletes IAM role {parent}/{id}/roles/{role}'],
  ['POST', 'iamcredentials', '/v1/projects/{project}/serviceAccounts/{account}:generateAccessToken', 'serviceAccounts.generateAccessToken', 'mints an access token for service account {account}'],
  ['POST', 'iamcredentials', '/v1/projects/{project}/serviceAccounts/{account}:generateIdToken', 'serviceAccounts.generateIdToken', 'mints an ID token for service account {account}'],
  ['POST', 'iamcredentials', '/v1/projects/{project}/serviceAccounts/{account}:signBlob', 'serviceAccounts.signBlob', 'signs data as service account {account}'],
  ['POST', 'iamcredentials', '/v1/projects/{project}/serviceAccounts/{account}:signJwt', 'serviceAccounts.signJwt', 'signs a JWT as service account {account}'],
  ['POST', 'sts', '/v1/token', 'token', 'exchanges a token for Google credentials'],
]

/** APIs where every change administers identity or access, with what an unlisted change does (fail closed). */
export const GCP_ADMIN_APIS: Readonly<Record<string, string>> = {
  iam: 'changes IAM configuration',
  iamcredentials: 'mints credentials for a service account',
  sts: 'exchanges a token for Google credentials',
  admin: 'changes the Google Workspace directory',
  cloudidentity: 'changes Cloud Identity groups or devices',
}

/** The verb of a GCP operation name for a method (`bucketAccessControls.insert`). */
export const GCP_VERBS: Readonly<Record<string, string>> = { GET: 'get', POST: 'insert', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }

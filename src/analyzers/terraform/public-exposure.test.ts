import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { analyzeChanges, analyzeFixture, type ChangeSpec } from './test-plans.js'

describe('terraform public_exposure', () => {
  const { facts, highlights } = analyzeFixture('public-exposure')

  it('lists every resource the plan leaves open to the internet, in plan order', () => {
    assert.deepEqual(facts.public_exposure, [
      'aws_security_group.web',
      'aws_security_group.split',
      'aws_security_group.lb',
      'aws_security_group_rule.ssh',
      'aws_vpc_security_group_ingress_rule.https_v4',
      'google_compute_firewall.allow_ssh',
      'azurerm_network_security_rule.rdp',
      'aws_s3_bucket_public_access_block.site',
      'aws_s3_bucket_public_access_block.legacy',
      'aws_s3_bucket_acl.site',
      'aws_s3_bucket_policy.site',
      'google_storage_bucket_iam_member.public_read',
      'aws_db_instance.reporting',
      'aws_lambda_function_url.webhook',
    ])
  })

  it('lists a group whose sources are known only after apply in unknown_exposure instead', () => {
    assert.deepEqual(facts.unknown_exposure, [{ address: 'aws_security_group.pending', attributes: ['ingress[0].cidr_blocks'] }])
  })

  it('leaves out private ranges, egress, deny rules, outbound rules and conditional policies', () => {
    for (const address of [
      'aws_security_group.internal',
      'aws_security_group_rule.egress_all',
      'google_compute_firewall.deny_telnet',
      'azurerm_network_security_rule.outbound_https',
      'aws_s3_bucket_policy.internal',
    ]) {
      assert.ok(!facts.public_exposure.includes(address), address)
    }
  })

  it('highlights the first exposures and counts the rest', () => {
    const exposures = highlights.filter((line) => /^(opens|keeps|may open|makes|removes)/.test(line))
    assert.deepEqual(exposures, [
      'opens aws_security_group.web to 0.0.0.0/0, ::/0',
      'opens aws_security_group.split to 0.0.0.0/1, 128.0.0.0/1',
      'may open aws_security_group.pending to the internet: ingress[0].cidr_blocks unknown until apply',
      'keeps aws_security_group.lb open to 0.0.0.0/0',
      'opens aws_security_group_rule.ssh to 0.0.0.0/0',
      'opens 10 more resources to the internet',
    ])
  })

  it('puts exposure after destruction and IAM in the highlights', () => {
    const iam = highlights.findIndex((line) => line.startsWith('changes IAM:'))
    const exposure = highlights.findIndex((line) => line.startsWith('opens '))
    assert.ok(iam !== -1 && iam < exposure)
  })
})

describe('terraform public exposure rules', () => {
  const sg = (cidrs: readonly string[], v6: readonly string[] = []): ChangeSpec => ({
    type: 'aws_security_group',
    actions: ['create'],
    after: { ingress: [{ from_port: 443, to_port: 443, protocol: 'tcp', cidr_blocks: cidrs, ipv6_cidr_blocks: v6, security_groups: [] }] },
  })
  // [what, change, sentence, or null when not exposed]
  const CASES: ReadonlyArray<readonly [string, ChangeSpec, string | null]> = [
    ['a security group open to ::/0', sg([], ['::/0']), 'opens aws_security_group.this to ::/0'],
    ['a security group open to a public /8', sg(['3.0.0.0/8']), 'opens aws_security_group.this to 3.0.0.0/8'],
    ['a security group open to a /24', sg(['203.0.113.0/24']), null],
    ['a security group open to 10.0.0.0/8', sg(['10.0.0.0/8']), null],
    ['a default security group open to 0.0.0.0/0', { ...sg(['0.0.0.0/0']), type: 'aws_default_security_group' }, 'opens aws_default_security_group.this to 0.0.0.0/0'],
    ['a classic RDS security group from 0.0.0.0/0', { type: 'aws_db_security_group', actions: ['create'], after: { name: 'db', ingress: [{ cidr: '0.0.0.0/0', security_group_name: '' }] } }, 'opens aws_db_security_group.this to 0.0.0.0/0'],
    ['a classic RDS security group from an office', { type: 'aws_db_security_group', actions: ['create'], after: { ingress: [{ cidr: '198.51.100.0/24' }] } }, null],
    ['a classic Redshift security group from 0.0.0.0/1', { type: 'aws_redshift_security_group', actions: ['update'], before: { ingress: [] }, after: { ingress: [{ cidr: '0.0.0.0/1' }] } }, 'opens aws_redshift_security_group.this to 0.0.0.0/1'],
    ['a network ACL allowing 0.0.0.0/0 in', { type: 'aws_network_acl', actions: ['create'], after: { ingress: [{ action: 'allow', cidr_block: '0.0.0.0/0', ipv6_cidr_block: '', rule_no: 100 }], egress: [] } }, 'opens aws_network_acl.this to 0.0.0.0/0'],
    ['a network ACL denying 0.0.0.0/0', { type: 'aws_network_acl', actions: ['create'], after: { ingress: [{ action: 'deny', cidr_block: '0.0.0.0/0', rule_no: 100 }] } }, null],
    ['a network ACL allowing ::/0 out only', { type: 'aws_network_acl', actions: ['create'], after: { ingress: [], egress: [{ action: 'allow', ipv6_cidr_block: '::/0' }] } }, null],
    ['a default network ACL allowing ::/0 in', { type: 'aws_default_network_acl', actions: ['create'], after: { ingress: [{ action: 'allow', cidr_block: '', ipv6_cidr_block: '::/0' }] } }, 'opens aws_default_network_acl.this to ::/0'],
    ['a network ACL rule allowing ::/0 in', { type: 'aws_network_acl_rule', actions: ['create'], after: { egress: false, rule_action: 'allow', ipv6_cidr_block: '::/0' } }, 'opens aws_network_acl_rule.this to ::/0'],
    ['an egress network ACL rule', { type: 'aws_network_acl_rule', actions: ['create'], after: { egress: true, rule_action: 'allow', cidr_block: '0.0.0.0/0' } }, null],
    ['a security group rule from ::/0', { type: 'aws_security_group_rule', actions: ['create'], after: { type: 'ingress', cidr_blocks: [], ipv6_cidr_blocks: ['::/0'] } }, 'opens aws_security_group_rule.this to ::/0'],
    ['an Azure SQL firewall rule (old provider) for the whole range', { type: 'azurerm_sql_firewall_rule', actions: ['create'], after: { start_ip_address: '0.0.0.0', end_ip_address: '255.255.255.255' } }, 'opens azurerm_sql_firewall_rule.this to 0.0.0.0-255.255.255.255'],
    ['an Azure PostgreSQL firewall rule for the whole range', { type: 'azurerm_postgresql_firewall_rule', actions: ['create'], after: { start_ip_address: '0.0.0.0', end_ip_address: '255.255.255.255' } }, 'opens azurerm_postgresql_firewall_rule.this to 0.0.0.0-255.255.255.255'],
    ['a security group rule of type egress', { type: 'aws_security_group_rule', actions: ['create'], after: { type: 'egress', cidr_blocks: ['0.0.0.0/0'] } }, null],
    ['a VPC ingress rule from ::/0', { type: 'aws_vpc_security_group_ingress_rule', actions: ['create'], after: { cidr_ipv6: '::/0' } }, 'opens aws_vpc_security_group_ingress_rule.this to ::/0'],
    ['a Google firewall without a direction (ingress by default)', { type: 'google_compute_firewall', actions: ['create'], after: { allow: [{ protocol: 'tcp' }], source_ranges: ['0.0.0.0/0'] } }, 'opens google_compute_firewall.this to 0.0.0.0/0'],
    ['a disabled Google firewall', { type: 'google_compute_firewall', actions: ['create'], after: { allow: [{ protocol: 'tcp' }], disabled: true, source_ranges: ['0.0.0.0/0'] } }, null],
    ['a Google egress firewall', { type: 'google_compute_firewall', actions: ['create'], after: { allow: [{ protocol: 'tcp' }], direction: 'EGRESS', source_ranges: ['0.0.0.0/0'] } }, null],
    ['a Google firewall policy rule allowing ingress', { type: 'google_compute_network_firewall_policy_rule', actions: ['create'], after: { action: 'allow', direction: 'INGRESS', match: [{ src_ip_ranges: ['0.0.0.0/0'] }] } }, 'opens google_compute_network_firewall_policy_rule.this to 0.0.0.0/0'],
    ['a Google firewall policy rule denying ingress', { type: 'google_compute_firewall_policy_rule', actions: ['create'], after: { action: 'deny', direction: 'INGRESS', match: [{ src_ip_ranges: ['0.0.0.0/0'] }] } }, null],
    ['a Cloud SQL instance with a public authorized network', { type: 'google_sql_database_instance', actions: ['update'], before: { settings: [{ ip_configuration: [{ ipv4_enabled: true, authorized_networks: [] }] }] }, after: { settings: [{ ip_configuration: [{ ipv4_enabled: true, authorized_networks: [{ name: 'all', value: '0.0.0.0/0' }] }] }] } }, 'opens google_sql_database_instance.this to 0.0.0.0/0'],
    ['a Cloud SQL instance without a public IP', { type: 'google_sql_database_instance', actions: ['create'], after: { settings: [{ ip_configuration: [{ ipv4_enabled: false, authorized_networks: [{ value: '0.0.0.0/0' }] }] }] } }, null],
    ['an Azure rule from *', { type: 'azurerm_network_security_rule', actions: ['create'], after: { direction: 'Inbound', access: 'Allow', source_address_prefix: '*' } }, 'opens azurerm_network_security_rule.this to *'],
    ['an Azure rule denying the internet', { type: 'azurerm_network_security_rule', actions: ['create'], after: { direction: 'Inbound', access: 'Deny', source_address_prefix: 'Internet' } }, null],
    ['an Azure rule from a list with 0.0.0.0/0', { type: 'azurerm_network_security_rule', actions: ['create'], after: { direction: 'Inbound', access: 'Allow', source_address_prefixes: ['10.1.0.0/16', '0.0.0.0/0'] } }, 'opens azurerm_network_security_rule.this to 0.0.0.0/0'],
    ['an Azure security group with an inline rule from Internet', { type: 'azurerm_network_security_group', actions: ['update'], before: { security_rule: [] }, after: { security_rule: [{ direction: 'Inbound', access: 'Allow', source_address_prefix: 'Internet' }] } }, 'opens azurerm_network_security_group.this to Internet'],
    ['an Azure SQL firewall rule for the whole IPv4 range', { type: 'azurerm_mssql_firewall_rule', actions: ['create'], after: { start_ip_address: '0.0.0.0', end_ip_address: '255.255.255.255' } }, 'opens azurerm_mssql_firewall_rule.this to 0.0.0.0-255.255.255.255'],
    ['an Azure firewall rule for every Azure service', { type: 'azurerm_postgresql_flexible_server_firewall_rule', actions: ['create'], after: { start_ip_address: '0.0.0.0', end_ip_address: '0.0.0.0' } }, 'makes azurerm_postgresql_flexible_server_firewall_rule.this public (allows every Azure service, of any tenant)'],
    ['an Azure firewall rule for one office', { type: 'azurerm_mssql_firewall_rule', actions: ['create'], after: { start_ip_address: '198.51.100.1', end_ip_address: '198.51.100.30' } }, null],
    ['an S3 account public access block with one flag on', { type: 'aws_s3_account_public_access_block', actions: ['create'], after: { block_public_acls: true } }, 'makes aws_s3_account_public_access_block.this public (block_public_policy, ignore_public_acls, restrict_public_buckets off)'],
    ['an S3 bucket ACL granting AllUsers', { type: 'aws_s3_bucket_acl', actions: ['create'], after: { access_control_policy: [{ grant: [{ permission: 'READ', grantee: [{ type: 'Group', uri: 'http://acs.amazonaws.com/groups/global/AllUsers' }] }] }] } }, 'makes aws_s3_bucket_acl.this public (grants to all users)'],
    ['an S3 object uploaded public-read', { type: 'aws_s3_object', actions: ['create'], after: { key: 'index.html', acl: 'public-read' } }, 'makes aws_s3_object.this public (acl public-read)'],
    ['an S3 bucket ACL private', { type: 'aws_s3_bucket_acl', actions: ['create'], after: { acl: 'private' } }, null],
    ['a Cloud Storage ACL with a public predefined ACL', { type: 'google_storage_bucket_acl', actions: ['create'], after: { predefined_acl: 'publicRead' } }, 'makes google_storage_bucket_acl.this public (predefined_acl publicRead)'],
    ['a Cloud Storage object ACL for allUsers', { type: 'google_storage_object_acl', actions: ['create'], after: { role_entity: ['READER:allUsers'] } }, 'makes google_storage_object_acl.this public (grants to allUsers)'],
    ['a Cloud Run service invocable by allUsers', { type: 'google_cloud_run_v2_service_iam_binding', actions: ['create'], after: { role: 'roles/run.invoker', members: ['allUsers'] } }, 'makes google_cloud_run_v2_service_iam_binding.this public (grants roles/run.invoker to allUsers)'],
    ['a Google IAM policy with allAuthenticatedUsers', { type: 'google_storage_bucket_iam_policy', actions: ['create'], after: { policy_data: JSON.stringify({ bindings: [{ role: 'roles/storage.objectViewer', members: ['allAuthenticatedUsers'] }] }) } }, 'makes google_storage_bucket_iam_policy.this public (grants to allAuthenticatedUsers)'],
    ['a Google IAM member for a user', { type: 'google_project_iam_member', actions: ['create'], after: { role: 'roles/viewer', member: 'user:alice@example.com' } }, null],
    ['a Redshift cluster made publicly accessible', { type: 'aws_redshift_cluster', actions: ['create'], after: { publicly_accessible: true } }, 'makes aws_redshift_cluster.this public (publicly_accessible)'],
    ['a Lambda permission for any principal', { type: 'aws_lambda_permission', actions: ['create'], after: { principal: '*', action: 'lambda:InvokeFunctionUrl' } }, 'makes aws_lambda_permission.this public (invocable by any principal)'],
    ['a Lambda permission for any principal of one account', { type: 'aws_lambda_permission', actions: ['create'], after: { principal: '*', source_account: '123456789012' } }, null],
    ['a role anyone can assume', { type: 'aws_iam_role', actions: ['create'], after: { assume_role_policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] }) } }, 'makes aws_iam_role.this public (assume_role_policy allows any principal)'],
    ['a queue policy allowing everyone but one principal', { type: 'aws_sqs_queue_policy', actions: ['create'], after: { policy: JSON.stringify({ Statement: { Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sqs:*' } }) } }, 'makes aws_sqs_queue_policy.this public (policy allows any principal)'],
    ['an Azure container with blob access', { type: 'azurerm_storage_container', actions: ['create'], after: { container_access_type: 'blob' } }, 'makes azurerm_storage_container.this public (container_access_type blob)'],
    ['an Azure container kept private', { type: 'azurerm_storage_container', actions: ['create'], after: { container_access_type: 'private' } }, null],
  ]
  for (const [what, change, sentence] of CASES) {
    it(`${sentence === null ? 'does not list' : 'lists'} ${what}`, () => {
      const { facts, highlights } = analyzeChanges(change)
      if (sentence === null) {
        assert.deepEqual(facts.public_exposure, [])
      } else {
        assert.equal(facts.public_exposure.length, 1)
        assert.ok(highlights.includes(sentence), `${sentence} in ${JSON.stringify(highlights)}`)
      }
    })
  }

  it('does not list a resource the plan leaves as it is, or only forgets', () => {
    for (const actions of [['no-op'], ['forget']]) {
      const open = { ...sg(['0.0.0.0/0']), actions, before: sg(['0.0.0.0/0']).after }
      assert.deepEqual(analyzeChanges(open).facts.public_exposure, [], actions.join())
    }
  })

  it('lists a resource replaced into an open state', () => {
    const { facts } = analyzeChanges({ ...sg(['0.0.0.0/0']), actions: ['delete', 'create'], before: { ingress: [] } })
    assert.deepEqual(facts.public_exposure, ['aws_security_group.this'])
  })

  it('names only the newly opened sources of an update', () => {
    const { highlights } = analyzeChanges({ ...sg(['0.0.0.0/0'], ['::/0']), actions: ['update'], before: sg(['0.0.0.0/0']).after })
    assert.ok(highlights.includes('opens aws_security_group.this to ::/0'))
  })
})

describe('terraform unknown_exposure', () => {
  // [what, change, attributes]
  const CASES: ReadonlyArray<readonly [string, ChangeSpec, readonly string[]]> = [
    ['a new security group whose ingress is unknown until apply', { type: 'aws_security_group', actions: ['create'], after: {}, after_unknown: { ingress: true } }, ['ingress']],
    ['a new security group whose cidr_blocks come from another new resource', { type: 'aws_security_group', actions: ['create'], after: { ingress: [{ from_port: 5432, ipv6_cidr_blocks: [] }] }, after_unknown: { ingress: [{ cidr_blocks: true }] } }, ['ingress[0].cidr_blocks']],
    ['a VPC ingress rule whose cidr is unknown', { type: 'aws_vpc_security_group_ingress_rule', actions: ['create'], after: {}, after_unknown: { cidr_ipv4: true } }, ['cidr_ipv4']],
    ['a Google firewall whose source_ranges are unknown', { type: 'google_compute_firewall', actions: ['create'], after: { allow: [{ protocol: 'tcp' }] }, after_unknown: { source_ranges: true } }, ['source_ranges']],
    ['an Azure firewall rule whose start address is unknown', { type: 'azurerm_mssql_firewall_rule', actions: ['create'], after: { end_ip_address: '10.0.0.255' }, after_unknown: { start_ip_address: true } }, ['start_ip_address']],
    ['a network ACL entry whose cidr is unknown', { type: 'aws_network_acl_rule', actions: ['create'], after: { rule_action: 'allow' }, after_unknown: { cidr_block: true } }, ['cidr_block']],
  ]
  for (const [what, change, attributes] of CASES) {
    it(`lists ${what} in unknown_exposure, not in public_exposure`, () => {
      const { facts, highlights } = analyzeChanges(change)
      const address = `${change.type}.this`
      assert.deepEqual(facts.public_exposure, [])
      assert.deepEqual(facts.unknown_exposure, [{ address, attributes }])
      assert.ok(highlights.includes(`may open ${address} to the internet: ${attributes.join(', ')} unknown until apply`), JSON.stringify(highlights))
    })
  }

  it('keeps a group in public_exposure when one source is public and another unknown', () => {
    const change: ChangeSpec = {
      type: 'aws_security_group',
      actions: ['create'],
      after: { ingress: [{ cidr_blocks: ['0.0.0.0/0'] }, {}] },
      after_unknown: { ingress: [{}, { cidr_blocks: true }] },
    }
    const { facts } = analyzeChanges(change)
    assert.deepEqual(facts.public_exposure, ['aws_security_group.this'])
    assert.deepEqual(facts.unknown_exposure, [])
  })

  it('is empty when every source is known and private', () => {
    assert.deepEqual(analyzeChanges({ type: 'aws_security_group', actions: ['create'], after: { ingress: [{ cidr_blocks: ['10.0.0.0/16'] }] } }).facts.unknown_exposure, [])
  })
})

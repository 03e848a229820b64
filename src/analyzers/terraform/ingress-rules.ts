import { elements, markedAt, own } from './json-values.js'
import { type Finding, ingressFinding, is, maybe, type Path, type Rule, type RuleInput, scanSources, show, valueAt } from './exposure-rule.js'
import { isPublicSpan } from './public-ranges.js'

// Network rules: what lets traffic in from the internet, per resource type. A rule whose
// sources are known only after apply is a `maybe`: the plan cannot show it is safe.

/**
 * The inline `ingress` blocks of a security group: each block's source attributes. A dynamic
 * block over values known only after apply leaves the whole list unknown.
 */
function ingressBlocks(input: RuleInput, attributes: readonly string[]): Finding | null {
  const blocks = elements(own(input.value, 'ingress'))
  const scans = blocks.flatMap((_, index) => attributes.map((attribute) => scanSources(input, ['ingress', index, attribute])))
  if (blocks.length === 0) scans.push({ sources: [], unknown: markedAt(input.unknown, ['ingress']), attribute: 'ingress' })
  return ingressFinding(scans)
}

/** `aws_security_group`, `aws_default_security_group`: any inline `ingress` block from a public range. */
function awsSecurityGroup(input: RuleInput): Finding | null {
  return ingressBlocks(input, ['cidr_blocks', 'ipv6_cidr_blocks'])
}

/** The EC2-Classic groups of RDS and Redshift (`aws_db_security_group`, `aws_redshift_security_group`): `ingress { cidr }`. */
function awsClassicSecurityGroup(input: RuleInput): Finding | null {
  return ingressBlocks(input, ['cidr'])
}

/** One network ACL entry at `path` (`aws_network_acl` block or `aws_network_acl_rule`) that allows traffic in. */
function awsAclEntryAt(input: RuleInput, path: Path, actionAttribute: string): Finding | null {
  const entry = valueAt(input.value, path)
  const action = own(entry, actionAttribute)
  const actionUnknown = markedAt(input.unknown, [...path, actionAttribute])
  if (!actionUnknown && !is(action, 'allow')) return null
  const found = ingressFinding([scanSources(input, [...path, 'cidr_block']), scanSources(input, [...path, 'ipv6_cidr_block'])])
  if (found?.kind === 'ingress' && actionUnknown) return maybe([...path, actionAttribute])
  return found
}

/** `aws_network_acl`: its inline `ingress` entries that allow. */
function awsNetworkAcl(input: RuleInput): Finding | null {
  const blocks = elements(own(input.value, 'ingress'))
  const findings = blocks.map((_, index) => awsAclEntryAt(input, ['ingress', index], 'action'))
  if (blocks.length === 0 && markedAt(input.unknown, ['ingress'])) return maybe(['ingress'])
  return mergeFindings(findings)
}

/** `aws_network_acl_rule`: an ingress entry (`egress = false`, the default) that allows. */
function awsNetworkAclRule(input: RuleInput): Finding | null {
  if (own(input.value, 'egress') === true) return null
  return awsAclEntryAt(input, [], 'rule_action')
}

/** Ingress from every source found, else every attribute known only after apply, else nothing. */
function mergeFindings(findings: readonly (Finding | null)[]): Finding | null {
  const sources = findings.flatMap((finding) => (finding?.kind === 'ingress' ? finding.sources : []))
  if (sources.length > 0) return { kind: 'ingress', sources: [...new Set(sources)] }
  const attributes = findings.flatMap((finding) => (finding?.kind === 'maybe' ? finding.attributes : []))
  return attributes.length > 0 ? { kind: 'maybe', attributes: [...new Set(attributes)] } : null
}

/** `aws_security_group_rule` of type `ingress`. */
function awsSecurityGroupRule(input: RuleInput): Finding | null {
  if (!is(own(input.value, 'type'), 'ingress')) return null
  return ingressFinding([scanSources(input, ['cidr_blocks']), scanSources(input, ['ipv6_cidr_blocks'])])
}

/** `aws_vpc_security_group_ingress_rule`: one source per rule. */
function awsIngressRule(input: RuleInput): Finding | null {
  return ingressFinding([scanSources(input, ['cidr_ipv4']), scanSources(input, ['cidr_ipv6'])])
}

/** `google_compute_firewall`: an enabled ingress rule (the default direction) that allows something. */
function googleFirewall(input: RuleInput): Finding | null {
  const { value } = input
  const direction = own(value, 'direction')
  if ((direction !== undefined && direction !== null && !is(direction, 'INGRESS')) || own(value, 'disabled') === true) return null
  const allows = elements(own(value, 'allow')).length > 0 || markedAt(input.unknown, ['allow'])
  if (!allows) return null // deny rules only shut traffic out
  return ingressFinding([scanSources(input, ['source_ranges'])])
}

/** `google_compute_*firewall_policy_rule`: an enabled ingress rule with action `allow`. */
function googleFirewallPolicyRule(input: RuleInput): Finding | null {
  const { value } = input
  if (!is(own(value, 'direction'), 'INGRESS') || !is(own(value, 'action'), 'allow') || own(value, 'disabled') === true) return null
  return ingressFinding([scanSources(input, ['match', 0, 'src_ip_ranges'])])
}

/** One Azure security rule (a resource, or a block of a security group) at `path`. */
function azureRuleAt(input: RuleInput, path: Path): Finding | null {
  const rule = valueAt(input.value, path)
  if (!is(own(rule, 'direction'), 'Inbound') || !is(own(rule, 'access'), 'Allow')) return null
  return ingressFinding([scanSources(input, [...path, 'source_address_prefix']), scanSources(input, [...path, 'source_address_prefixes'])])
}

/** `azurerm_network_security_group`: its inline `security_rule` blocks. */
function azureSecurityGroup(input: RuleInput): Finding | null {
  const blocks = elements(own(input.value, 'security_rule'))
  if (blocks.length === 0 && markedAt(input.unknown, ['security_rule'])) return maybe(['security_rule'])
  return mergeFindings(blocks.map((_, index) => azureRuleAt(input, ['security_rule', index])))
}

/** `google_sql_database_instance`: a public IP reachable from a public authorized network. */
function googleSqlInstance(input: RuleInput): Finding | null {
  const ip: Path = ['settings', 0, 'ip_configuration', 0]
  if (valueAt(input.value, [...ip, 'ipv4_enabled']) === false) return null
  const networks = elements(valueAt(input.value, [...ip, 'authorized_networks']))
  return ingressFinding(networks.map((_, index) => scanSources(input, [...ip, 'authorized_networks', index, 'value'])))
}

/**
 * `azurerm_*firewall_rule` (SQL, PostgreSQL, MySQL, Redis, Synapse…): an address span as wide as
 * a public /8, or 0.0.0.0–0.0.0.0, which Azure reads as "every Azure service", any tenant's included.
 */
function azureFirewallRule(input: RuleInput): Finding | null {
  const start = own(input.value, 'start_ip_address')
  const end = own(input.value, 'end_ip_address')
  if (typeof start !== 'string' || typeof end !== 'string') {
    const unknown = ['start_ip_address', 'end_ip_address'].filter((name) => markedAt(input.unknown, [name]))
    return unknown.length > 0 ? maybe(...unknown.map((name) => [name])) : null
  }
  if (start.trim() === '0.0.0.0' && end.trim() === '0.0.0.0') return { kind: 'public', why: 'allows every Azure service, of any tenant' }
  if (!isPublicSpan(start, end)) return null
  return { kind: 'ingress', sources: [`${show(input, ['start_ip_address'], start)}-${show(input, ['end_ip_address'], end)}`] }
}

/** Network rules by exact resource type. */
export const INGRESS_RULES: ReadonlyMap<string, Rule> = new Map([
  ['aws_security_group', awsSecurityGroup],
  ['aws_default_security_group', awsSecurityGroup],
  ['aws_db_security_group', awsClassicSecurityGroup],
  ['aws_redshift_security_group', awsClassicSecurityGroup],
  ['aws_network_acl', awsNetworkAcl],
  ['aws_default_network_acl', awsNetworkAcl],
  ['aws_network_acl_rule', awsNetworkAclRule],
  ['aws_security_group_rule', awsSecurityGroupRule],
  ['aws_vpc_security_group_ingress_rule', awsIngressRule],
  ['google_compute_firewall', googleFirewall],
  ['google_compute_firewall_policy_rule', googleFirewallPolicyRule],
  ['google_compute_network_firewall_policy_rule', googleFirewallPolicyRule],
  ['google_compute_region_network_firewall_policy_rule', googleFirewallPolicyRule],
  ['google_sql_database_instance', googleSqlInstance],
  ['azurerm_network_security_rule', (input) => azureRuleAt(input, [])],
  ['azurerm_network_security_group', azureSecurityGroup],
])

/** Network rules by type pattern, for families too many to list. */
export const INGRESS_PATTERN_RULES: readonly (readonly [RegExp, Rule])[] = [[/^azurerm_\w*firewall_rule$/, azureFirewallRule]]

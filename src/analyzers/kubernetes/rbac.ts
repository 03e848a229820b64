import { elements, isOn, isRecord, lowerStrings, member, text } from './json-values.js'
import { isSecretResource } from './resources.js'

/** Cluster roles that hand over a namespace or the cluster when bound. */
const POWERFUL_ROLES: ReadonlySet<string> = new Set(['cluster-admin', 'admin', 'edit'])
/** Subjects meaning "anyone": binding any role to them opens it to every caller. */
const EVERYONE: readonly (readonly [string, string])[] = [
  ['Group', 'system:authenticated'],
  ['Group', 'system:unauthenticated'],
  ['User', 'system:anonymous'],
]
const ESCALATING_VERBS = ['escalate', 'bind', 'impersonate'] as const
const RBAC_OBJECTS = ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'] as const
/** Admission webhooks see (validating) or rewrite (mutating) every object the API server admits. */
const WEBHOOK_OBJECTS = ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'] as const
const WRITE_VERBS = ['create', 'update', 'patch'] as const
const READ_VERBS = ['get', 'list', 'watch'] as const
/** Pod subresources that reach into a running container. */
const POD_ENTRY = ['pods/exec', 'pods/attach', 'pods/portforward'] as const

/**
 * One thing a role grants that amounts to escalation; `secrets` when it hands over secrets
 * (reading them, service account tokens included), which also sets `secrets_access`.
 */
export interface RoleGrant {
  readonly text: string
  readonly secrets: boolean
}

/** One escalation an RBAC object amounts to, as a highlight sentence; `secrets` as in `RoleGrant`. */
export interface RbacFinding {
  readonly text: string
  readonly secrets: boolean
}
const SUBJECTS_LISTED = 3

/** An RBAC object as written, or as much of it as a patch shows. */
export interface RbacObject {
  readonly kind: string
  readonly name: string
  readonly namespace: string
  readonly body: Readonly<Record<string, unknown>>
  /** A patch: fields it does not mention keep their (unknown) live values. */
  readonly partial: boolean
}

/** Finds the role a binding refers to among the objects of the same action, to say what it grants. */
export type RoleLookup = (kind: string, name: string, namespace: string) => readonly RoleGrant[] | undefined

/**
 * What a role grants that amounts to escalation: `*` verbs or resources, `escalate`/`bind`/
 * `impersonate`, writes on RBAC objects or admission webhooks, exec/attach/port-forward into
 * pods, reading secrets, minting tokens, the kubelet API, approving certificates; and cluster
 * roles aggregating others. `[]` when nothing.
 *
 * @example roleGrants({ rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }] }) // [{ text: 'create on pods/exec', secrets: false }]
 */
export function roleGrants(body: Readonly<Record<string, unknown>>): RoleGrant[] {
  const grants: RoleGrant[] = []
  if (body.rules !== undefined && body.rules !== null) {
    for (const rule of elements(body.rules)) grants.push(...ruleGrants(rule))
    if (!Array.isArray(body.rules) && !isRecord(body.rules)) grants.push(unreadable('rules this analyzer cannot read'))
  }
  if (isRecord(body.aggregationRule)) grants.push(unreadable('the rules of every role its aggregationRule selects'))
  const seen = new Set<string>()
  return grants.filter((grant) => !seen.has(grant.text) && seen.add(grant.text) !== undefined)
}

/** A grant the analysis cannot see into: it could hand over anything, secrets included. */
function unreadable(text: string): RoleGrant {
  return { text, secrets: true }
}

function grantsText(grants: readonly RoleGrant[]): string {
  return grants.map((grant) => grant.text).join('; ')
}

/**
 * The escalations an RBAC object amounts to, as highlight sentences: a role's grants, or a
 * binding of a powerful, system or escalating role, or of any role to everyone. A binding whose
 * role is not shown (a patch of its subjects) counts: its role could be anything.
 */
export function rbacEscalations(object: RbacObject, lookup: RoleLookup): RbacFinding[] {
  const { kind, name, body } = object
  if (kind === 'Role' || kind === 'ClusterRole') {
    const grants = roleGrants(body)
    return grants.length === 0 ? [] : [{ text: `${kind} ${name} grants ${grantsText(grants)}`, secrets: grants.some((grant) => grant.secrets) }]
  }
  const where = kind === 'RoleBinding' && object.namespace !== '' ? ` in ${object.namespace}` : ''
  const subjects = elements(body.subjects).filter(isRecord)
  const whom = describeSubjects(subjects, object.namespace)
  const roleRef = body.roleRef
  if (!isRecord(roleRef) || text(roleRef, 'name') === '') {
    if (object.partial && body.subjects === undefined) return []
    return [{ text: `${kind} ${name} binds a role not shown to ${whom}${where}`, secrets: false }]
  }
  const roleName = text(roleRef, 'name')
  const roleKind = text(roleRef, 'kind') || 'ClusterRole'
  const found: RbacFinding[] = []
  if (roleKind === 'ClusterRole' && (POWERFUL_ROLES.has(roleName) || roleName.startsWith('system:'))) {
    // cluster-admin, admin and edit all read secrets.
    found.push({ text: `binds ${roleName} to ${whom}${where}`, secrets: POWERFUL_ROLES.has(roleName) })
  }
  const public_ = subjects.filter((s) => EVERYONE.some(([k, n]) => text(s, 'kind') === k && text(s, 'name') === n))
  if (public_.length > 0) found.push({ text: `binds ${roleName} to ${describeSubjects(public_, object.namespace)} (everyone)${where}`, secrets: false })
  const grants = lookup(roleKind, roleName, roleKind === 'Role' ? object.namespace : '')
  if (grants !== undefined && grants.length > 0) {
    found.push({ text: `binds ${roleKind} ${roleName}, which grants ${grantsText(grants)}, to ${whom}${where}`, secrets: grants.some((grant) => grant.secrets) })
  }
  return found
}

function ruleGrants(rule: unknown): RoleGrant[] {
  if (!isRecord(rule) || !Array.isArray(rule.verbs)) return [unreadable('a rule this analyzer cannot read')]
  const verbs = lowerStrings(rule.verbs)
  const resources = lowerStrings(rule.resources)
  const on = resources.length > 0 ? resources.join(', ') : lowerStrings(rule.nonResourceURLs).join(', ') || 'nothing named'
  // `*` verbs or resources hand over secrets too, wherever the rule applies.
  if (verbs.includes('*')) return [{ text: `all verbs (*) on ${on}`, secrets: resources.length > 0 }]
  const grants: RoleGrant[] = []
  const grant = (text: string, secrets = false): void => {
    grants.push({ text, secrets })
  }
  if (resources.includes('*')) grant(`${verbs.join(', ')} on all resources (*)`, verbs.some((verb) => (READ_VERBS as readonly string[]).includes(verb)))
  for (const verb of ESCALATING_VERBS) if (verbs.includes(verb)) grant(`${verb} on ${on}`)
  const can = (wanted: readonly string[], resource: string): string[] =>
    resources.some((pattern) => matches(pattern, resource)) ? verbs.filter((verb) => wanted.includes(verb)) : []
  for (const target of POD_ENTRY) {
    if (can(['create', 'get'], target).length > 0) grant(`${target} (runs commands in or connects to containers)`)
  }
  if (can(['update', 'patch'], 'pods/ephemeralcontainers').length > 0) grant('adding ephemeral containers to running pods (pods/ephemeralcontainers)')
  for (const target of RBAC_OBJECTS) {
    const hit = can(WRITE_VERBS, target)
    if (hit.length > 0) grant(`${hit.join(', ')} on ${target}`)
  }
  for (const target of WEBHOOK_OBJECTS) {
    const hit = can(WRITE_VERBS, target)
    if (hit.length > 0) grant(`${hit.join(', ')} on ${target} (sees or rewrites every admitted object)`, true)
  }
  // Secrets and anything named like them (sealedsecrets, externalsecrets): reading hands over credentials.
  const secretReads = [...new Set(resources.filter((pattern) => pattern !== '*' && isSecretResource(pattern)).flatMap((pattern) => verbs.filter((verb) => (READ_VERBS as readonly string[]).includes(verb))))]
  if (secretReads.length > 0) grant(`${secretReads.join(', ')} on ${resources.filter((pattern) => isSecretResource(pattern)).join(', ')} (reads credentials)`, true)
  if (can(['create'], 'serviceaccounts/token').length > 0) grant('create on serviceaccounts/token (mints tokens)', true)
  if (can(['get', 'create', 'update', 'patch', 'delete'], 'nodes/proxy').length > 0) grant('nodes/proxy (the kubelet API)', true)
  if (can(['update', 'patch'], 'certificatesigningrequests/approval').length > 0) grant('approving certificate signing requests')
  if (verbs.includes('approve') && resources.some((pattern) => matches(pattern, 'signers'))) grant('approve on signers')
  return grants
}

// RBAC resource matching: `*`, exact, `pods/*` (every subresource of pods), and `*` + `/exec` (that subresource of everything).
function matches(pattern: string, resource: string): boolean {
  if (pattern === '*' || pattern === resource) return true
  if (pattern.endsWith('/*')) return resource.startsWith(pattern.slice(0, -1))
  if (pattern.startsWith('*/')) return resource.endsWith(pattern.slice(1))
  return false
}

function describeSubjects(subjects: readonly Record<string, unknown>[], bindingNamespace: string): string {
  if (subjects.length === 0) return 'no subjects shown'
  const labels = subjects.map((subject) => {
    const kind = text(subject, 'kind')
    const name = text(subject, 'name') || '?'
    if (kind === 'ServiceAccount') return `serviceaccount ${text(subject, 'namespace') || bindingNamespace || '?'}/${name}`
    return `${kind.toLowerCase() || 'subject'} ${name}`
  })
  const more = labels.length > SUBJECTS_LISTED ? ` and ${labels.length - SUBJECTS_LISTED} more` : ''
  return labels.slice(0, SUBJECTS_LISTED).join(', ') + more
}

/** Whether an object's labels feed a cluster role into another one (`aggregate-to-admin`). Used by `kubectl label`. */
export function aggregationLabel(key: string, value: unknown): boolean {
  return key.startsWith('rbac.authorization.k8s.io/aggregate-to-') && (value === undefined || isOn(value))
}

/** The metadata labels of an object, `{}` when none. */
export function labelsOf(body: unknown): Record<string, unknown> {
  const labels = member(member(body, 'metadata'), 'labels')
  return isRecord(labels) ? labels : {}
}

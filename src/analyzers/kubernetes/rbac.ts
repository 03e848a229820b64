import { elements, isOn, isRecord, lowerStrings, member, text } from './json-values.js'

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
export type RoleLookup = (kind: string, name: string, namespace: string) => readonly string[] | undefined

/**
 * What a role grants that amounts to escalation: `*` verbs or resources, `escalate`/`bind`/
 * `impersonate`, writes on RBAC objects, exec/attach into pods, minting tokens, the kubelet API,
 * approving certificates; and cluster roles aggregating others. `[]` when nothing.
 *
 * @example roleGrants({ rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }] }) // ['create on pods/exec']
 */
export function roleGrants(body: Readonly<Record<string, unknown>>): string[] {
  const grants: string[] = []
  if (body.rules !== undefined && body.rules !== null) {
    for (const rule of elements(body.rules)) grants.push(...ruleGrants(rule))
    if (!Array.isArray(body.rules) && !isRecord(body.rules)) grants.push('rules this analyzer cannot read')
  }
  if (isRecord(body.aggregationRule)) grants.push('the rules of every role its aggregationRule selects')
  return [...new Set(grants)]
}

/**
 * The escalations an RBAC object amounts to, as highlight sentences: a role's grants, or a
 * binding of a powerful, system or escalating role, or of any role to everyone. A binding whose
 * role is not shown (a patch of its subjects) counts: its role could be anything.
 */
export function rbacEscalations(object: RbacObject, lookup: RoleLookup): string[] {
  const { kind, name, body } = object
  if (kind === 'Role' || kind === 'ClusterRole') {
    const grants = roleGrants(body)
    return grants.length === 0 ? [] : [`${kind} ${name} grants ${grants.join('; ')}`]
  }
  const where = kind === 'RoleBinding' && object.namespace !== '' ? ` in ${object.namespace}` : ''
  const subjects = elements(body.subjects).filter(isRecord)
  const whom = describeSubjects(subjects, object.namespace)
  const roleRef = body.roleRef
  if (!isRecord(roleRef) || text(roleRef, 'name') === '') {
    if (object.partial && body.subjects === undefined) return []
    return [`${kind} ${name} binds a role not shown to ${whom}${where}`]
  }
  const roleName = text(roleRef, 'name')
  const roleKind = text(roleRef, 'kind') || 'ClusterRole'
  const found: string[] = []
  if (roleKind === 'ClusterRole' && (POWERFUL_ROLES.has(roleName) || roleName.startsWith('system:'))) {
    found.push(`binds ${roleName} to ${whom}${where}`)
  }
  const public_ = subjects.filter((s) => EVERYONE.some(([k, n]) => text(s, 'kind') === k && text(s, 'name') === n))
  if (public_.length > 0) found.push(`binds ${roleName} to ${describeSubjects(public_, object.namespace)} (everyone)${where}`)
  const grants = lookup(roleKind, roleName, roleKind === 'Role' ? object.namespace : '')
  if (grants !== undefined && grants.length > 0) found.push(`binds ${roleKind} ${roleName}, which grants ${grants.join('; ')}, to ${whom}${where}`)
  return found
}

function ruleGrants(rule: unknown): string[] {
  if (!isRecord(rule) || !Array.isArray(rule.verbs)) return ['a rule this analyzer cannot read']
  const verbs = lowerStrings(rule.verbs)
  const resources = lowerStrings(rule.resources)
  const on = resources.length > 0 ? resources.join(', ') : lowerStrings(rule.nonResourceURLs).join(', ') || 'nothing named'
  if (verbs.includes('*')) return [`all verbs (*) on ${on}`]
  if (resources.includes('*')) return [`${verbs.join(', ')} on all resources (*)`]
  const grants: string[] = []
  for (const verb of ESCALATING_VERBS) if (verbs.includes(verb)) grants.push(`${verb} on ${on}`)
  const can = (wanted: readonly string[], resource: string): string[] =>
    resources.some((pattern) => matches(pattern, resource)) ? verbs.filter((verb) => wanted.includes(verb)) : []
  for (const target of ['pods/exec', 'pods/attach']) {
    if (can(['create'], target).length > 0) grants.push(`create on ${target}`)
  }
  for (const target of RBAC_OBJECTS) {
    const hit = can(['create', 'update', 'patch'], target)
    if (hit.length > 0) grants.push(`${hit.join(', ')} on ${target}`)
  }
  if (can(['create'], 'serviceaccounts/token').length > 0) grants.push('create on serviceaccounts/token (mints tokens)')
  if (can(['get', 'create', 'update', 'patch', 'delete'], 'nodes/proxy').length > 0) grants.push('nodes/proxy (the kubelet API)')
  if (can(['update', 'patch'], 'certificatesigningrequests/approval').length > 0) grants.push('approving certificate signing requests')
  if (verbs.includes('approve') && resources.some((pattern) => matches(pattern, 'signers'))) grants.push('approve on signers')
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

import { type Assessment, RANK } from './assessment.js'
import { type KubectlArgs, flagList, flagValue } from './kubectl-args.js'
import { reviewWrites } from './object-review.js'
import { resolveResource } from './resources.js'
import { flagVerbEffects } from './verb-effects.js'

/** `kubectl create <generator>` aliases and the resource each creates. */
const GENERATORS: Readonly<Record<string, string>> = {
  clusterrole: 'clusterroles', clusterrolebinding: 'clusterrolebindings', configmap: 'configmaps', cm: 'configmaps',
  cronjob: 'cronjobs', cj: 'cronjobs', deployment: 'deployments', deploy: 'deployments', ingress: 'ingresses',
  ing: 'ingresses', job: 'jobs', namespace: 'namespaces', ns: 'namespaces', poddisruptionbudget: 'poddisruptionbudgets',
  pdb: 'poddisruptionbudgets', priorityclass: 'priorityclasses', pc: 'priorityclasses', quota: 'resourcequotas',
  resourcequota: 'resourcequotas', role: 'roles', rolebinding: 'rolebindings', secret: 'secrets', service: 'services',
  svc: 'services', serviceaccount: 'serviceaccounts', sa: 'serviceaccounts', token: 'serviceaccounts',
}

/**
 * `kubectl create <generator> NAME …`. Roles and bindings are built from their flags into the
 * objects kubectl would send, and checked like a manifest's.
 */
export function handleCreate(a: Assessment, k: KubectlArgs): void {
  const generator = k.command[1] ?? ''
  const resource = GENERATORS[generator]
  const [name] = k.args
  if (resource === undefined) return a.fail(`unsupported create ${generator}`)
  if (name === undefined) return a.fail(`create ${generator} needs a name`)
  a.useVerb('create')
  a.action = 'create'
  const target = a.addTarget({ resource, name })
  if (generator === 'token') {
    a.action = 'create token for'
    a.flagSecrets(`mints a token for serviceaccount ${target.namespace || '(current namespace)'}/${name}`)
    return
  }
  flagVerbEffects(a)
  if (generator === 'role' || generator === 'clusterrole') {
    reviewWrites(a, [{ target, body: roleFromFlags(k), partial: false }])
  } else if (generator === 'rolebinding' || generator === 'clusterrolebinding') {
    const clusterRole = flagValue(k, 'clusterrole')
    const role = flagValue(k, 'role')
    const roleRef = clusterRole !== undefined ? { kind: 'ClusterRole', name: clusterRole } : role !== undefined ? { kind: 'Role', name: role } : undefined
    const subjects = subjectsFromFlags(k, target.namespace)
    reviewWrites(a, [{ target, body: { roleRef, subjects }, partial: false }])
  }
}

/**
 * OpenShift's `oc adm policy`: `add-(cluster-)role-to-(user|group)` creates a binding, checked
 * like any; `add-scc-to-*` lets the subjects run pods under a SecurityContextConstraints, which
 * for anything but `restricted` means host or root access.
 */
export function handleOcAdmPolicy(a: Assessment, k: KubectlArgs): void {
  const sub = k.command[2] ?? ''
  const [role = '', ...names] = k.args
  a.summaryLine = `adm policy ${sub} ${k.args.join(' ')}`.trim()
  if (sub === 'who-can') {
    a.useVerb('create')
    a.addTarget({ resource: 'resourceaccessreviews' })
    return
  }
  const toGroup = sub.endsWith('-group')
  const subjects = [
    ...names.map((name) => ({ kind: toGroup ? 'Group' : 'User', name })),
    ...subjectsFromFlags({ ...k, flags: new Map([['serviceaccount', k.flags.get('serviceaccount') ?? []]]) }, a.namespace),
  ]
  if (sub.startsWith('remove-')) {
    a.useVerb('patch')
    a.addTarget({ resource: sub.includes('cluster') || sub.includes('scc') ? 'clusterrolebindings' : 'rolebindings' })
    return
  }
  a.useVerb('create')
  if (sub.includes('scc')) {
    a.addTarget({ resource: 'clusterrolebindings', name: `system:openshift:scc:${role}` })
    a.subject = `SCC ${role}`
    if (role !== 'restricted' && role !== 'restricted-v2') a.flagPrivileged(`lets ${describe(subjects)} run pods under SecurityContextConstraints ${role}`)
    return
  }
  const cluster = sub.includes('cluster')
  const roleNamespace = flagValue(k, 'role-namespace')
  const roleRef = { kind: roleNamespace === undefined ? 'ClusterRole' : 'Role', name: role }
  const target = a.addTarget({ resource: cluster ? 'clusterrolebindings' : 'rolebindings', name: flagValue(k, 'rolebinding-name') ?? role })
  reviewWrites(a, [{ target, body: { roleRef, subjects }, partial: false }])
  if (subjects.length === 0) a.note(RANK.note, 'names no subjects')
}

function roleFromFlags(k: KubectlArgs): Record<string, unknown> {
  const verbs = flagList(k, 'verb')
  const rules: Record<string, unknown>[] = []
  const resources = flagList(k, 'resource').map((written) => {
    // `deployments.apps/scale`: the type resolves like kubectl's (`deploy` → deployments), the subresource stays.
    const slash = written.indexOf('/')
    const type = resolveResource(slash === -1 ? written : written.slice(0, slash))
    return { resource: type.resource + (slash === -1 ? '' : written.slice(slash)), group: type.group }
  })
  if (resources.length > 0) {
    rules.push({ verbs, resources: resources.map((r) => r.resource), apiGroups: [...new Set(resources.map((r) => r.group))], resourceNames: flagList(k, 'resource-name') })
  }
  const urls = flagList(k, 'non-resource-url')
  if (urls.length > 0) rules.push({ verbs, nonResourceURLs: urls })
  const aggregation = flagList(k, 'aggregation-rule')
  if (aggregation.length === 0) return { rules }
  const matchLabels = Object.fromEntries(aggregation.map((pair) => [pair.split('=')[0] ?? '', pair.split('=').slice(1).join('=')]))
  return { rules, aggregationRule: { clusterRoleSelectors: [{ matchLabels }] } }
}

function subjectsFromFlags(k: KubectlArgs, namespace: string): Record<string, string>[] {
  return [
    ...flagList(k, 'user').map((name) => ({ kind: 'User', name })),
    ...flagList(k, 'group').map((name) => ({ kind: 'Group', name })),
    ...flagList(k, 'serviceaccount').map((written) => {
      const colon = written.indexOf(':')
      return colon === -1 ? { kind: 'ServiceAccount', namespace, name: written } : { kind: 'ServiceAccount', namespace: written.slice(0, colon), name: written.slice(colon + 1) }
    }),
  ]
}

function describe(subjects: readonly Record<string, string>[]): string {
  if (subjects.length === 0) return 'its subjects'
  return subjects.map((s) => (s.kind === 'ServiceAccount' ? `serviceaccount ${s.namespace || '?'}/${s.name}` : `${(s.kind ?? '').toLowerCase()} ${s.name}`)).join(', ')
}

/**
 * Names of Kubernetes resources: kubectl short names and singulars, kinds, and which resources
 * are cluster-scoped. kubectl resolves names through the cluster's discovery API; this is the
 * built-in part of that table, which is what policies are written against.
 */

interface ResourceEntry {
  readonly resource: string
  readonly kind: string
  readonly short: readonly string[]
  readonly clusterScoped: boolean
}

// [resource, kind, short names, cluster-scoped]
const ENTRIES: readonly (readonly [string, string, readonly string[], boolean])[] = [
  ['pods', 'Pod', ['po'], false],
  ['services', 'Service', ['svc'], false],
  ['deployments', 'Deployment', ['deploy'], false],
  ['replicasets', 'ReplicaSet', ['rs'], false],
  ['statefulsets', 'StatefulSet', ['sts'], false],
  ['daemonsets', 'DaemonSet', ['ds'], false],
  ['jobs', 'Job', [], false],
  ['cronjobs', 'CronJob', ['cj'], false],
  ['replicationcontrollers', 'ReplicationController', ['rc'], false],
  ['podtemplates', 'PodTemplate', [], false],
  ['controllerrevisions', 'ControllerRevision', [], false],
  ['configmaps', 'ConfigMap', ['cm'], false],
  ['secrets', 'Secret', [], false],
  ['serviceaccounts', 'ServiceAccount', ['sa'], false],
  ['namespaces', 'Namespace', ['ns'], true],
  ['nodes', 'Node', ['no'], true],
  ['persistentvolumes', 'PersistentVolume', ['pv'], true],
  ['persistentvolumeclaims', 'PersistentVolumeClaim', ['pvc'], false],
  ['endpoints', 'Endpoints', ['ep'], false],
  ['endpointslices', 'EndpointSlice', [], false],
  ['events', 'Event', ['ev'], false],
  ['ingresses', 'Ingress', ['ing'], false],
  ['ingressclasses', 'IngressClass', [], true],
  ['networkpolicies', 'NetworkPolicy', ['netpol'], false],
  ['roles', 'Role', [], false],
  ['rolebindings', 'RoleBinding', ['rb'], false],
  ['clusterroles', 'ClusterRole', [], true],
  ['clusterrolebindings', 'ClusterRoleBinding', ['crb'], true],
  ['horizontalpodautoscalers', 'HorizontalPodAutoscaler', ['hpa'], false],
  ['poddisruptionbudgets', 'PodDisruptionBudget', ['pdb'], false],
  ['priorityclasses', 'PriorityClass', ['pc'], true],
  ['storageclasses', 'StorageClass', ['sc'], true],
  ['customresourcedefinitions', 'CustomResourceDefinition', ['crd', 'crds'], true],
  ['limitranges', 'LimitRange', ['limits'], false],
  ['resourcequotas', 'ResourceQuota', ['quota'], false],
  ['leases', 'Lease', [], false],
  ['certificatesigningrequests', 'CertificateSigningRequest', ['csr'], true],
  ['mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', [], true],
  ['validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', [], true],
  ['validatingadmissionpolicies', 'ValidatingAdmissionPolicy', [], true],
  ['validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding', [], true],
  ['apiservices', 'APIService', [], true],
  ['runtimeclasses', 'RuntimeClass', [], true],
  ['csidrivers', 'CSIDriver', [], true],
  ['csinodes', 'CSINode', [], true],
  ['volumeattachments', 'VolumeAttachment', [], true],
  ['componentstatuses', 'ComponentStatus', ['cs'], true],
  ['podsecuritypolicies', 'PodSecurityPolicy', ['psp'], true],
  ['flowschemas', 'FlowSchema', [], true],
  ['prioritylevelconfigurations', 'PriorityLevelConfiguration', [], true],
  ['selfsubjectaccessreviews', 'SelfSubjectAccessReview', [], true],
  ['selfsubjectrulesreviews', 'SelfSubjectRulesReview', [], true],
  ['selfsubjectreviews', 'SelfSubjectReview', [], true],
  ['subjectaccessreviews', 'SubjectAccessReview', [], true],
  ['localsubjectaccessreviews', 'LocalSubjectAccessReview', [], false],
  ['tokenreviews', 'TokenReview', [], true],
  ['bindings', 'Binding', [], false],
]

const BY_RESOURCE = new Map<string, ResourceEntry>()
const BY_NAME = new Map<string, ResourceEntry>()
const BY_KIND = new Map<string, ResourceEntry>()
for (const [resource, kind, short, clusterScoped] of ENTRIES) {
  const entry: ResourceEntry = { resource, kind, short, clusterScoped }
  BY_RESOURCE.set(resource, entry)
  BY_KIND.set(kind, entry)
  for (const name of [resource, kind.toLowerCase(), ...short]) BY_NAME.set(name, entry)
}

/** The RBAC resources whose writes can grant permissions. */
const RBAC: ReadonlySet<string> = new Set(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'])

/**
 * Built-in resources that cannot carry a pod spec, host access or a Pod Security level, so a
 * write of unseen content to them cannot make anything privileged. Everything else, custom
 * resources included (they often embed pod templates), can.
 */
const CANNOT_PRIVILEGE: ReadonlySet<string> = new Set([
  'services', 'configmaps', 'secrets', 'serviceaccounts', 'persistentvolumeclaims', 'endpoints', 'endpointslices',
  'events', 'ingresses', 'ingressclasses', 'networkpolicies', 'roles', 'rolebindings', 'clusterroles',
  'clusterrolebindings', 'horizontalpodautoscalers', 'poddisruptionbudgets', 'priorityclasses', 'storageclasses',
  'limitranges', 'resourcequotas', 'leases', 'certificatesigningrequests', 'nodes', 'controllerrevisions',
  'selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews', 'subjectaccessreviews',
  'localsubjectaccessreviews', 'tokenreviews', 'bindings', 'flowschemas', 'prioritylevelconfigurations', 'csinodes',
])

/** A resource type as written on a kubectl line, resolved. */
export interface ResolvedResource {
  /** Plural, lower-case: `deploy` → `deployments`; an unknown name is kept lower-cased (`widgets`). */
  readonly resource: string
  /** The API group when written (`deployments.apps` → `apps`, `cronjobs.v1.batch` → `batch`), `""` otherwise. */
  readonly group: string
  /** `Deployment`; `""` for a resource this table does not know. */
  readonly kind: string
}

/**
 * Resolves a kubectl resource type: short names, singulars, kinds and `resource.version.group`.
 *
 * @example resolveResource('deploy.v1.apps') // { resource: 'deployments', group: 'apps', kind: 'Deployment' }
 */
export function resolveResource(written: string): ResolvedResource {
  const lower = written.toLowerCase()
  const dot = lower.indexOf('.')
  const base = dot === -1 ? lower : lower.slice(0, dot)
  let group = dot === -1 ? '' : lower.slice(dot + 1)
  // `deployments.v1.apps`: the first part after the name is a version when it looks like one.
  const version = /^v\d+((alpha|beta)\d+)?(\.|$)/.exec(group)
  if (version) group = group.slice(version[0].length)
  const entry = BY_NAME.get(base)
  return { resource: entry?.resource ?? base, group, kind: entry?.kind ?? '' }
}

/** The resource of a kind: the table's, or kubectl's guess for kinds it does not know (`Rollout` → `rollouts`, `Policy` → `policies`). */
export function resourceOfKind(kind: string): string {
  const entry = BY_KIND.get(kind) ?? BY_NAME.get(kind.toLowerCase())
  if (entry) return entry.resource
  const lower = kind.toLowerCase()
  if (lower === '') return ''
  if (lower.endsWith('s')) return `${lower}es`
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`
  return `${lower}s`
}

/** The kind of a resource, `""` when not in the table. */
export function kindOfResource(resource: string): string {
  return BY_RESOURCE.get(resource)?.kind ?? ''
}

/** Whether a resource is cluster-scoped; unknown resources are taken as namespaced. */
export function isClusterScoped(resource: string): boolean {
  return BY_RESOURCE.get(resource)?.clusterScoped ?? false
}

/** Roles, cluster roles and their bindings. */
export function isRbacResource(resource: string): boolean {
  return RBAC.has(resource)
}

/** Whether unseen content written to this resource could make something privileged (fail closed for custom resources). */
export function mayCarryPrivilege(resource: string): boolean {
  return !CANNOT_PRIVILEGE.has(resource)
}

/**
 * Whether a resource holds secrets: `secrets`, and, failing closed, any resource named like one
 * (`sealedsecrets`, `externalsecrets`, `secretproviderclasses`).
 */
export function isSecretResource(resource: string): boolean {
  return resource.includes('secret')
}

/** What `kubectl get all` lists (the `all` category): no secrets, no RBAC. */
export const ALL_CATEGORY: readonly string[] = [
  'pods', 'services', 'daemonsets', 'deployments', 'replicasets', 'statefulsets', 'replicationcontrollers',
  'horizontalpodautoscalers', 'jobs', 'cronjobs',
]

import { isRecord, text } from './json-values.js'

/** Deeper than this, an object is not inspected; what lies below is reported as an unknown reference. */
const MAX_DEPTH = 64
/** Written for a reference whose secret the object does not name (or hides too deep). */
export const UNNAMED = '?'

/**
 * The secrets a workload (or any object embedding a pod template: Deployments, CronJobs, custom
 * resources) hands to its containers, as `secret/NAME`: `volumes[].secret.secretName`, projected
 * `sources[].secret.name`, `env[].valueFrom.secretKeyRef.name`, `envFrom[].secretRef.name`, and
 * the `secretRef`/`nodePublishSecretRef` of CSI and other volume plugins; and the Secrets Store
 * CSI driver's classes as `secretproviderclass/NAME`. Keys are matched wherever they appear,
 * which also covers patches and unknown shapes. Image pull secrets are left out: the kubelet
 * uses them, the containers never see them. Distinct, in first-seen order.
 *
 * @example
 * secretRefs({ spec: { containers: [{ envFrom: [{ secretRef: { name: 'db' } }] }] } }) // ['secret/db']
 */
export function secretRefs(body: unknown): string[] {
  const found: string[] = []
  walk(body, 0, found)
  return [...new Set(found)]
}

function walk(node: unknown, depth: number, found: string[]): void {
  if (depth > MAX_DEPTH) {
    found.push(`secret/${UNNAMED}`)
    return
  }
  if (Array.isArray(node)) {
    for (const item of node) walk(item, depth + 1, found)
    return
  }
  if (!isRecord(node)) return
  for (const [key, value] of Object.entries(node)) {
    const name = referenceName(key, node, value)
    if (name !== null) found.push(name)
    walk(value, depth + 1, found)
  }
}

/** The reference `key: value` makes inside `parent`, or `null` when it makes none. */
function referenceName(key: string, parent: Record<string, unknown>, value: unknown): string | null {
  if (!isRecord(value)) return null
  switch (key) {
    case 'secret':
      // A volume (`secretName`) or a projected source (`name`).
      return `secret/${text(value, 'secretName') || text(value, 'name') || UNNAMED}`
    case 'secretKeyRef':
    case 'secretRef':
    case 'nodePublishSecretRef':
    case 'nodeStageSecretRef':
    case 'controllerPublishSecretRef':
    case 'nodeExpandSecretRef':
      return `secret/${text(value, 'name') || UNNAMED}`
    case 'volumeAttributes': {
      const providerClass = text(value, 'secretProviderClass')
      return providerClass !== '' || text(parent, 'driver') === 'secrets-store.csi.k8s.io' ? `secretproviderclass/${providerClass || UNNAMED}` : null
    }
    default:
      return null
  }
}

import { GCP_ADMIN_APIS, GCP_ADMIN_ROUTES, GCP_VERBS } from './recognizers.js'
import type { Recognition, RequestView } from './recognition.js'
import { SAFE_METHODS, compileRoute, fill, type Route } from './route-pattern.js'

interface GcpRoute {
  readonly api: string
  readonly route: Route
  readonly operation: string
  readonly does: string
}

const ROUTES: readonly GcpRoute[] = GCP_ADMIN_ROUTES.map(([methods, api, path, operation, does]) => ({ api, route: compileRoute(methods, path), operation, does }))

/**
 * A Google API host: `iam.googleapis.com`, regional `us-central1-aiplatform.googleapis.com` and
 * `run.us-central1.rep.googleapis.com`, mTLS `iam.mtls.googleapis.com`.
 */
const GCP_HOST = /^(?<label>[a-z0-9-]+)\.(?:[a-z0-9-]+\.rep\.|mtls\.)?googleapis\.com$/

/** A regional endpoint's prefix: `us-central1-`, `europe-west4-`, `northamerica-northeast1-`. */
const REGION_PREFIX = /^[a-z]+-[a-z]+\d+-/

/** Hosts that serve many APIs, named by the first path segment (`www.googleapis.com/storage/v1/…`). */
const SHARED_HOSTS: ReadonlySet<string> = new Set(['www', 'content', 'private', 'restricted'])

/** An API version segment: `v1`, `v3`, `v1beta1`, `v2alpha`, `v1p1beta1`. */
const VERSION = /^v\d+((p\d+)?(alpha|beta)\d*)?$/i

/** `…/projects/x:setIamPolicy`, and Compute's `…/instances/i/setIamPolicy`. */
const IAM_METHOD = /(?::|^)(setIamPolicy|getIamPolicy|testIamPermissions)$/i

/**
 * Recognizes Google Cloud API calls on `*.googleapis.com`: `setIamPolicy` on any resource of any
 * API, the IAM routes of GCP_ADMIN_ROUTES, and any change to the APIs of GCP_ADMIN_APIS.
 */
export function recognizeGcp(request: RequestView): Recognition | null {
  const label = GCP_HOST.exec(request.host)?.groups?.label
  if (label === undefined) return null
  const firstPath = request.paths[0] ?? '/'
  const api = SHARED_HOSTS.has(label) ? (firstPath.split('/').find((segment) => segment !== '' && segment !== 'upload') ?? '').toLowerCase() : label.replace(REGION_PREFIX, '')
  const service = `gcp.${api}`
  const changing = request.method === '*' || !SAFE_METHODS.has(request.method)

  for (const path of request.paths) {
    for (const route of ROUTES) {
      if (route.api !== api) continue
      const params = route.route.matches(request.method, path)
      if (params === null) continue
      const operation = route.operation.replace('{verb}', GCP_VERBS[request.method] ?? 'update')
      return { service, operation, admin: true, changes: true, highlight: fill(route.does, decodeAll(params)) }
    }
  }
  for (const path of request.paths) {
    const last = path.split('/').pop() ?? ''
    const iamMethod = IAM_METHOD.exec(last)?.[1]
    if (iamMethod === undefined) continue
    if (iamMethod.toLowerCase() !== 'setiampolicy') return { service, operation: iamMethod, admin: false, changes: false, highlight: '' }
    // Whatever the method: a GET that an override or a lenient front end turns into the POST.
    return { service, operation: 'setIamPolicy', admin: true, changes: true, highlight: `sets an IAM policy on ${resourceOf(path)}` }
  }
  const adminApi = GCP_ADMIN_APIS[api]
  if (adminApi !== undefined && changing) return { service, operation: '', admin: true, changes: true, highlight: adminApi }
  return { service, operation: '', admin: false, changes: false, highlight: '' }
}

/** The resource name of an IAM method's path: what follows the version, without the method (`projects/x`). */
function resourceOf(path: string): string {
  const segments = path.split('/').filter((segment) => segment !== '')
  const version = segments.findIndex((segment) => VERSION.test(segment))
  const resource = segments.slice(version + 1)
  const last = resource.pop() ?? ''
  const colon = last.lastIndexOf(':')
  if (colon > 0) resource.push(last.slice(0, colon))
  return decode(resource.join('/')) || '(unnamed resource)'
}

function decodeAll(params: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, decode(value)]))
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

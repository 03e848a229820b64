import { type Assessment, RANK, type Target } from './assessment.js'
import { elements, isRecord, member, text } from './json-values.js'
import { parseYamlValue } from './manifest.js'
import { nameOf, reviewWrites, unseenWrite } from './object-review.js'
import { readPatch } from './patch-body.js'
import { describeExec } from './exec-command.js'
import { isClusterScoped, kindOfResource, mayCarryPrivilege } from './resources.js'
import { flagVerbEffects, where } from './verb-effects.js'

/** A Kubernetes API request as the payload gives it. */
export interface ApiRequest {
  readonly method: string
  readonly path: string
  readonly body?: unknown
}

/** Paths outside `/api` and `/apis` a client may read: version, health, metrics, OpenAPI, OIDC discovery. */
const NON_RESOURCE = /^\/(version|healthz|livez|readyz|metrics|openapi|\.well-known|openid)(\/|$)/
const METHODS: Readonly<Record<string, string>> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }

/**
 * Analyzes an API request: `DELETE /apis/apps/v1/namespaces/prod/deployments/api`,
 * `POST /api/v1/namespaces/x/pods/y/exec?command=sh&stdin=true&tty=true`, `GET /api/v1/secrets`.
 * Paths the API server would not route (`..`, empty or encoded-slash segments, unknown
 * prefixes) are parse errors.
 */
export function analyzeRequest(a: Assessment, request: ApiRequest): void {
  const method = request.method.toUpperCase()
  const baseVerb = METHODS[method]
  if (baseVerb === undefined) return a.fail(`unsupported HTTP method ${JSON.stringify(request.method).slice(0, 20)}`)
  const [pathname = '', query = ''] = splitOnce(request.path, '?')
  if (!pathname.startsWith('/') || pathname.includes('#')) return a.fail('the API path must start with / and have no fragment')
  const segments = pathname.slice(1).split('/')
  if (segments.length > 1 && segments.at(-1) === '') segments.pop()
  const decoded: string[] = []
  for (const segment of segments) {
    let value: string
    try {
      value = decodeURIComponent(segment)
    } catch {
      return a.fail('the API path has invalid percent-encoding')
    }
    if (value === '' || value === '.' || value === '..' || value.includes('/')) return a.fail('the API path has an empty, dot or encoded-slash segment')
    decoded.push(value)
  }
  const params = new URLSearchParams(query)
  if (params.getAll('dryRun').includes('All')) a.dryRun = true
  let body = request.body
  if (typeof body === 'string') {
    const parsed = parseYamlValue(body)
    if ('error' in parsed) return a.fail(`the request body is not valid YAML or JSON (${parsed.error})`)
    body = parsed.value
  }

  if (NON_RESOURCE.test(pathname)) return readOnlyPath(a, baseVerb, pathname)
  const [root, ...afterRoot] = decoded
  let apiVersion: string
  let rest: string[]
  if (root === 'api') {
    if (afterRoot.length < 2) return readOnlyPath(a, baseVerb, pathname)
    apiVersion = afterRoot[0] as string
    rest = afterRoot.slice(1)
  } else if (root === 'apis') {
    if (afterRoot.length < 3) return readOnlyPath(a, baseVerb, pathname)
    apiVersion = `${afterRoot[0] as string}/${afterRoot[1] as string}`
    rest = afterRoot.slice(2)
  } else return a.fail('unknown API path (not under /api or /apis)')

  let watch = params.get('watch') === 'true' || params.get('watch') === '1'
  if (rest[0] === 'watch') {
    watch = true
    rest = rest.slice(1)
  }
  let namespace = ''
  const namespaceSubresource = rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize')
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresource) {
    namespace = rest[1] as string
    rest = rest.slice(2)
  }
  const [resource = '', pathName = '', subresource = '', ...more] = rest
  if (resource === '') return a.fail('the API path names no resource')
  if (more.length > 0 && subresource !== 'proxy') return a.fail('the API path has segments after its subresource')
  if (pathName === '' && !isClusterScoped(resource) && namespace === '') a.allNamespaces = true
  // A create names its object in the body.
  const name = pathName === '' && baseVerb === 'create' ? nameOf(body) : pathName
  const target = a.addTarget({ resource, name, namespace, apiVersion, kind: kindOfResource(resource) })

  if (subresource !== '') return analyzeSubresource(a, target, subresource, method, baseVerb, params, body, more)
  let verb = baseVerb
  if (verb === 'get' && (pathName === '' || watch)) verb = watch ? 'watch' : 'list'
  if (verb === 'delete' && pathName === '') verb = 'deletecollection'
  a.useVerb(verb)
  a.action = verb === 'deletecollection' ? 'delete' : verb
  a.selector = params.get('labelSelector') ?? ''
  flagVerbEffects(a)
  if (verb === 'create' || verb === 'update' || verb === 'patch') reviewBody(a, target, body, verb === 'patch')
}

function analyzeSubresource(
  a: Assessment, target: Target, subresource: string, method: string, baseVerb: string, params: URLSearchParams, body: unknown, more: readonly string[],
): void {
  const label = target.resource === 'pods' ? `pod ${target.name}` : `${target.resource}/${target.name}`
  const at = `${label}${where(a, target)}`
  switch (subresource) {
    case 'exec':
    case 'attach': {
      a.useVerb(subresource)
      a.action = `${subresource} into`
      a.subject = label
      const command = params.getAll('command')
      const interactive = params.get('stdin') === 'true' && params.get('tty') === 'true'
      describeExec(a, `${subresource} into ${at}`, command, interactive)
      return
    }
    case 'portforward':
      a.useVerb('portforward')
      a.action = 'port-forward to'
      a.note(RANK.access, `opens a tunnel to ${at}${params.has('ports') ? ` (ports ${params.getAll('ports').join(', ')})` : ''}`)
      return
    case 'proxy':
      a.useVerb('proxy')
      a.action = `proxy ${method} to`
      if (target.resource === 'nodes') {
        // The kubelet API behind nodes/proxy runs commands in any pod of the node.
        a.flagPrivileged(`reaches the kubelet API of node ${target.name} (nodes/proxy${more.length > 0 ? ` /${more.join('/')}` : ''})`)
        a.interactiveAccess = true
      } else a.note(RANK.access, `proxies ${method} to ${at}${more.length > 0 ? ` path /${more.join('/')}` : ''}`)
      return
    case 'eviction':
      a.useVerb('evict')
      a.action = 'evict'
      a.flagDestructive(`evicts ${at}`)
      return
    case 'token':
      a.useVerb(baseVerb)
      a.action = 'request a token for'
      a.flagSecrets(`mints a token for ${at}`)
      return
    case 'approval': {
      a.useVerb(baseVerb === 'get' ? 'get' : baseVerb)
      a.action = `${baseVerb} approval of`
      if (baseVerb === 'get') return
      const conditions = elements(member(member(body, 'status'), 'conditions'))
      const approves = conditions.some((condition) => text(condition, 'type') === 'Approved')
      const denies = conditions.length > 0 && conditions.every((condition) => text(condition, 'type') === 'Denied')
      if (approves || !denies) a.flagEscalation(`approves certificate signing request ${target.name} (can mint credentials for any identity)`)
      return
    }
    case 'finalize':
      a.useVerb(baseVerb)
      a.action = 'finalize'
      if (baseVerb !== 'get') a.flagDestructive(`rewrites the finalizers of ${at}`)
      return
    default: {
      const verb = baseVerb === 'get' ? 'get' : baseVerb
      a.useVerb(verb)
      a.action = `${verb} ${subresource} of`
      flagVerbEffects(a)
      // A status write cannot change what runs; other subresources (scale, ephemeralcontainers,
      // resize) can, and are read like the object.
      if (subresource !== 'status' && (verb === 'create' || verb === 'update' || verb === 'patch')) reviewBody(a, target, body, verb === 'patch')
    }
  }
}

/** Reviews the body of a create/update/patch; a missing one fails closed. */
function reviewBody(a: Assessment, target: Target, body: unknown, patch: boolean): void {
  const what = `${a.verb} of ${target.name === '' ? target.resource : `${target.resource}/${target.name}`}`
  if (body === undefined || body === null) return unseenWrite(a, target.resource, what)
  if (patch) {
    const read = readPatch(body)
    if ('error' in read) return a.fail(read.error)
    if (read.opaque) unseenWrite(a, target.resource, `a JSON patch copying values within ${target.resource}/${target.name}`)
    if (read.removesSecurity && mayCarryPrivilege(target.resource)) a.flagPrivileged(`removes security settings of ${target.resource}/${target.name}`)
    return reviewWrites(a, [{ target, body: read.body, partial: true }])
  }
  // The API server takes kind and apiVersion from the path when the body leaves them out.
  if (!isRecord(body)) return a.fail('the request body is not an object')
  reviewWrites(a, [{ target, body, partial: false }])
}

function readOnlyPath(a: Assessment, verb: string, pathname: string): void {
  if (verb !== 'get') return a.fail(`${verb} of a non-resource path`)
  a.useVerb('get')
  a.action = 'get'
  a.subject = pathname.length > 80 ? `${pathname.slice(0, 79)}…` : pathname
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator)
  return at === -1 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)]
}

import { AWS_ACCESS_OPERATION, AWS_READ_OPERATION, AWS_SERVICES, S3_ACCESS_HEADER, S3_ACCESS_SUBRESOURCES, type AwsService } from './recognizers.js'
import type { Recognition, RequestView } from './recognition.js'
import { SAFE_METHODS } from './route-pattern.js'

/**
 * An AWS API endpoint: `iam.amazonaws.com`, `sts.eu-west-1.amazonaws.com`,
 * `sts-fips.us-east-1.amazonaws.com`, `iam.us-gov.amazonaws.com`, `sts.us-east-1.api.aws`,
 * `…amazonaws.com.cn`. Bucket hosts (`b.s3.amazonaws.com`) do not match: their second label is no region.
 */
const AWS_HOST = /^(?<endpoint>[a-z0-9-]+?)(?:-fips)?(?:\.(?:[a-z]{2}(?:-[a-z]+)+-\d+|us-gov))?\.(?:amazonaws\.com(?:\.cn)?|api\.aws)$/

const BY_ENDPOINT: ReadonlyMap<string, AwsService> = new Map(AWS_SERVICES.map((service) => [service.endpoint, service]))

/** Longest operation name kept; AWS's are far shorter, so a longer one is not AWS's and is cut. */
const MAX_OPERATION = 128

/**
 * Recognizes AWS API calls by endpoint host, naming the operation from the Query API's `Action`
 * (in the query, a form body or a JSON body) or the JSON protocol's `X-Amz-Target`. Unlisted AWS
 * endpoints are named `aws.<endpoint>` when the request names an operation. S3 is recognized for
 * the sub-resources and headers that set access.
 */
export function recognizeAws(request: RequestView): Recognition | null {
  if (isS3Host(request.host)) return recognizeS3(request)
  const endpoint = AWS_HOST.exec(request.host)?.groups?.endpoint
  if (endpoint === undefined) return null
  const operations = operationsOf(request)
  const known = BY_ENDPOINT.get(endpoint)
  if (known === undefined && operations.length === 0) return null
  const service: AwsService = known ?? { endpoint, service: `aws.${endpoint}`, name: endpoint, admin: null }
  // Several operations named (a query Action and a body Action): which one AWS runs is not
  // ours to guess, so the most serious one is reported.
  const judged = (operations.length > 0 ? operations : ['']).map((operation) => ({ operation, ...judge(service, operation) }))
  const chosen = judged.find((item) => item.admin) ?? judged.find((item) => item.changes) ?? (judged[0] as (typeof judged)[number])
  const others = operations.filter((operation) => operation !== chosen.operation)
  const also = others.length > 0 ? ` (the request also names ${others.join(', ')})` : ''
  const highlight = chosen.admin ? `AWS ${service.name} ${chosen.operation || 'call without an operation, counted as administration'}${also}` : ''
  return { service: service.service, operation: chosen.operation, admin: chosen.admin, changes: chosen.changes, highlight }
}

/** An operation of a service: whether it administers and whether it changes anything. An unnamed one is judged the worst it could be. */
function judge(service: AwsService, operation: string): { admin: boolean; changes: boolean } {
  const changes = operation === '' || !AWS_READ_OPERATION.test(operation)
  const rule = service.admin
  const byRule = rule === 'changes' ? changes : rule !== null && operation !== '' && rule.test(operation)
  return { admin: byRule || AWS_ACCESS_OPERATION.test(operation), changes }
}

/** Every operation the request names, in order, each once: `Action` parameters (any case), then `X-Amz-Target` suffixes. */
function operationsOf(request: RequestView): string[] {
  const found: string[] = []
  const fromParams = (params: URLSearchParams): void => {
    for (const [name, value] of params) if (name.toLowerCase() === 'action') found.push(value)
  }
  fromParams(request.params)
  fromParams(request.body.form)
  const { json } = request.body
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    for (const [name, value] of Object.entries(json)) if (name.toLowerCase() === 'action' && typeof value === 'string') found.push(value)
  }
  // `AWSOrganizationsV20161128.CreateAccount` → `CreateAccount`. The prefix is not checked
  // against the endpoint: a mismatched one is refused by AWS, and a guess must not hide the name.
  for (const target of request.amzTargets) found.push(target.slice(target.lastIndexOf('.') + 1))
  return [...new Set(found.map(operationName))]
}

/**
 * An operation name fit for facts: AWS's are letters and digits, so any other character (a space,
 * an invisible or direction-changing one) becomes `?`. The result names no real operation, and is
 * judged as a change, which is what an unknown operation is.
 */
function operationName(raw: string): string {
  return raw.trim().slice(0, MAX_OPERATION).replace(/[^A-Za-z0-9_.:-]/g, '?')
}

/** `s3.amazonaws.com`, `bucket.s3.us-east-1.amazonaws.com`, `s3-fips.…`, `bucket.s3-accelerate.…`, `s3.dualstack.…`. */
function isS3Host(host: string): boolean {
  if (!/\.amazonaws\.com(\.cn)?$/.test(host)) return false
  return host.split('.').some((label) => label === 's3' || label.startsWith('s3-'))
}

const S3_VERBS: Readonly<Record<string, string>> = { GET: 'Get', HEAD: 'Get', PUT: 'Put', POST: 'Put', DELETE: 'Delete' }

function recognizeS3(request: RequestView): Recognition {
  const { host, method, params, headerNames } = request
  const path = request.paths[0] ?? '/'
  // Virtual-hosted style names the bucket in the host; path style in the first segment.
  const pathStyle = /^s3[.-]/.test(host)
  const onObject = pathStyle ? path.split('/').filter(Boolean).length > 1 : path !== '/'
  for (const [subresource, name] of Object.entries(S3_ACCESS_SUBRESOURCES)) {
    if (!params.has(subresource)) continue
    const verb = S3_VERBS[method] ?? 'Put'
    const what = name === 'Acl' ? (onObject ? 'ObjectAcl' : 'BucketAcl') : name
    const operation = `${verb}${what}`
    const admin = verb !== 'Get'
    return { service: 'aws.s3', operation, admin, changes: admin, highlight: admin ? `AWS S3 ${operation}` : '' }
  }
  const grants = [...headerNames].filter((name) => S3_ACCESS_HEADER.test(name))
  if (grants.length > 0 && !SAFE_METHODS.has(method)) {
    const operation = method === 'PUT' ? (onObject ? 'PutObject' : 'CreateBucket') : ''
    return { service: 'aws.s3', operation, admin: true, changes: true, highlight: `AWS S3 sets access through ${grants.join(', ')}` }
  }
  return { service: 'aws.s3', operation: '', admin: false, changes: false, highlight: '' }
}

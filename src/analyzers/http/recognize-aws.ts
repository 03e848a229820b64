import { AWS_ACCESS_OPERATION, AWS_READ_OPERATION, AWS_SERVICES, S3_ACCESS_HEADER, S3_ACCESS_SUBRESOURCES, type AwsService } from './recognizers.js'
import type { Recognition, RequestView } from './recognition.js'
import { SAFE_METHODS } from './route-pattern.js'

/**
 * The domains AWS serves its APIs under, in every partition: commercial (`amazonaws.com`, and
 * `api.aws` for dualstack and global endpoints), China (`amazonaws.com.cn`,
 * `api.amazonwebservices.com.cn`), the ISO partitions, and the European Sovereign Cloud.
 * Longest first, so `api.amazonwebservices.com.cn` is not read as `….com.cn`.
 */
const AWS_DOMAINS: readonly string[] = [
  'api.amazonwebservices.com.cn',
  'amazonaws.com.cn',
  'amazonaws.com',
  'api.aws',
  'amazonaws.eu',
  'csp.hci.ic.gov',
  'c2s.ic.gov',
  'sc2s.sgov.gov',
  'cloud.adc-e.uk',
]

/** A region (`us-east-1`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`, `eusc-de-east-1`) or a zone of one (`us-east-1a`). */
const REGION_LABEL = /^[a-z]{2,4}(?:-[a-z]+)+-\d+[a-z]?$/

/** Labels of an endpoint host that name where, not what: partition and variant words, VPC endpoint ids. */
function isPlacementLabel(label: string): boolean {
  return REGION_LABEL.test(label) || ['us-gov', 'global', 'dualstack', 'fips', 'vpce'].includes(label) || /^vpce-[0-9a-z-]+$/.test(label)
}

/**
 * The endpoint (`ec2`, `iam`, `sts`) an AWS API host serves, in any of its forms: global
 * (`iam.amazonaws.com`, `iam.global.api.aws`), regional, FIPS (`ec2-fips.…`, `fips.ec2.…`),
 * dualstack (`ec2.us-east-1.api.aws`, `ec2.dualstack.us-east-1.amazonaws.com`), VPC endpoint
 * (`vpce-0a1b-c2d3.ec2.us-east-1.vpce.amazonaws.com`), China, GovCloud and ISO partitions. Labels
 * left once the placement is dropped are the endpoint: a listed one when any is, else all of
 * them joined (`api.ecr`). `undefined` for hosts outside AWS's domains.
 */
export function awsEndpoint(host: string): string | undefined {
  const domain = AWS_DOMAINS.find((suffix) => host.endsWith(`.${suffix}`))
  if (domain === undefined) return undefined
  const labels = host
    .slice(0, -domain.length - 1)
    .split('.')
    .filter((label) => label !== '' && !isPlacementLabel(label))
    .map((label) => label.replace(/-fips$/, ''))
  if (labels.length === 0) return undefined
  return labels.find((label) => BY_ENDPOINT.has(label)) ?? labels.join('.')
}

const BY_ENDPOINT: ReadonlyMap<string, AwsService> = new Map(AWS_SERVICES.map((service) => [service.endpoint, service]))

/** Longest operation name kept; AWS's are far shorter, so a longer one is not AWS's and is cut. */
const MAX_OPERATION = 128

/**
 * Recognizes AWS API calls by endpoint host (every form {@link awsEndpoint} reads), naming the
 * operation from the Query API's `Action` (in the query, a form body or a JSON body) or the JSON
 * protocol's `X-Amz-Target`. Unlisted AWS endpoints are named `aws.<endpoint>` when the request
 * names an operation, and judged by it: a `GET ?Action=RunInstances` to any AWS host changes things. S3 is recognized for
 * the sub-resources and headers that set access.
 */
export function recognizeAws(request: RequestView): Recognition | null {
  if (isS3Host(request.host)) return recognizeS3(request)
  const endpoint = awsEndpoint(request.host)
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

/** `s3.amazonaws.com`, `bucket.s3.us-east-1.amazonaws.com`, `s3-fips.…`, `bucket.s3-accelerate.…`, `s3.dualstack.…`, in every partition. */
function isS3Host(host: string): boolean {
  if (!AWS_DOMAINS.some((suffix) => host.endsWith(`.${suffix}`))) return false
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

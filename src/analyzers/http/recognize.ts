import { removeDotSegments } from './normalize-url.js'
import { recognizeAws } from './recognize-aws.js'
import { recognizeGcp } from './recognize-gcp.js'
import { recognizeGitHub } from './recognize-github.js'
import { UNKNOWN, type Recognition, type Recognizer, type RequestView } from './recognition.js'
import type { RequestBody } from './request-body.js'

/** Tried in order; GitHub last, because it also claims `/api/v3` paths on any host. */
const RECOGNIZERS: readonly Recognizer[] = [recognizeAws, recognizeGcp, recognizeGitHub]

/** Methods servers agree on. Any other one (`PROPFIND`, `FOO`) may be routed like any of these, so recognizers treat it as unknown. */
const STANDARD_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'])

/** Headers that can send a request to another service than the URL's host (a shared front end routes on them). */
const ROUTING_HEADERS: ReadonlySet<string> = new Set(['host', ':authority', 'x-forwarded-host', 'x-original-url', 'x-rewrite-url'])

/** Headers that ask a server to act as if another method had been sent. */
const METHOD_OVERRIDE_HEADERS: ReadonlySet<string> = new Set(['x-http-method-override', 'x-http-method', 'x-method-override'])

/** What recognition needs of a request; see RequestView. */
export interface RecognitionInput {
  readonly method: string
  readonly host: string
  readonly path: string
  readonly params: URLSearchParams
  /** Header names as sent, any case, with the values of `X-Amz-Target` headers only. */
  readonly headerNames: readonly string[]
  readonly amzTargets: readonly string[]
  readonly body: RequestBody
}

/**
 * Recognition, and what keeps it from vouching for the request. A routing header makes the
 * request administering whatever was recognized, since the service it reaches is not known.
 */
export interface RecognitionResult extends Recognition {
  /** How the request overrides its method (`x-http-method-override header`, `_method parameter`); `""` when it does not. */
  readonly override: string
  /** The routing headers sent (`host`, `x-forwarded-host`…), lower-case. */
  readonly rerouted: readonly string[]
}

/** Names the API call a request makes (`github repos.delete`, `aws.iam CreateUser`), or UNKNOWN. */
export function recognize(input: RecognitionInput): RecognitionResult {
  const headerNames = new Set(input.headerNames.map((name) => name.toLowerCase()))
  const override = methodOverride(headerNames, input)
  const method = override !== '' || !STANDARD_METHODS.has(input.method) ? '*' : input.method
  const view: RequestView = {
    method,
    host: input.host,
    paths: pathForms(input.path),
    params: input.params,
    headerNames,
    amzTargets: input.amzTargets,
    body: input.body,
  }
  const rerouted = [...headerNames].filter((name) => ROUTING_HEADERS.has(name))
  const found = RECOGNIZERS.reduce<Recognition | null>((result, recognizer) => result ?? recognizer(view), null) ?? UNKNOWN
  return { ...found, admin: found.admin || rerouted.length > 0, override, rerouted }
}

/** A method override header, or a `_method` parameter (Rails and Laravel read it from forms; the query is checked too). */
function methodOverride(headerNames: ReadonlySet<string>, input: RecognitionInput): string {
  const header = [...headerNames].find((name) => METHOD_OVERRIDE_HEADERS.has(name))
  if (header !== undefined) return `${header} header`
  if (input.params.has('_method') || input.body.keys.includes('_method')) return '_method parameter'
  return ''
}

/**
 * The forms of a path a server may route on, without repeats: as normalized, and fully decoded
 * (`%2F` and `%5C` become separators, `;parameters` dropped, dot segments resolved again), both
 * without empty segments. A route that matches either form is the request's route, so
 * `/repos/acme%2Fapi` cannot hide `DELETE /repos/acme/api`.
 */
export function pathForms(path: string): string[] {
  const literal = withoutEmptySegments(path)
  const decoded = decodeLeniently(path)
    .replace(/\\/g, '/')
    .split('/')
    .map((segment) => segment.split(';')[0] ?? '')
    .join('/')
  const resolved = withoutEmptySegments(removeDotSegments(decoded.startsWith('/') ? decoded : `/${decoded}`))
  return resolved === literal ? [literal] : [literal, resolved]
}

function withoutEmptySegments(path: string): string {
  return `/${path.split('/').filter((segment) => segment !== '').join('/')}`
}

/** Decodes every run of valid escapes; an invalid one stays as written. */
function decodeLeniently(text: string): string {
  return text.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })
}

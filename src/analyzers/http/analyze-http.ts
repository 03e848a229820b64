import type { Analysis } from '../analyzer.js'
import type { HttpFacts } from './facts.js'
import { isUrlError, normalizeUrl } from './normalize-url.js'
import { recognize, type RecognitionResult } from './recognize.js'
import { highlight, summarize } from './report.js'
import { mediaType, readBody } from './request-body.js'
import { SAFE_METHODS } from './route-pattern.js'

/**
 * Analyzes an `http` payload `{method, url, headers?, body?}` (already schema-checked). Never
 * throws: a URL that cannot be analyzed, or a failure of the analysis itself, sets `parse_error`
 * and reports the request as changing and administering.
 */
export function analyzeHttp(payload: Readonly<Record<string, unknown>>): Analysis<HttpFacts> {
  const method = typeof payload.method === 'string' ? payload.method.toUpperCase() : ''
  try {
    return analyzeRequest(method, payload)
  } catch (error) {
    // A bug here must not let a request through unexamined.
    return unanalyzable(method, `analysis failed: ${error instanceof Error ? error.message : String(error)}`, '')
  }
}

function analyzeRequest(method: string, payload: Readonly<Record<string, unknown>>): Analysis<HttpFacts> {
  const headers = headerEntries(payload.headers)
  const headerNames = headers.map(([name]) => name)
  const contentType = headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1]
  const content_type = mediaType(contentType)
  const body = readBody(payload.body, content_type, contentType)
  const normalized = normalizeUrl(typeof payload.url === 'string' ? payload.url : '')
  if (isUrlError(normalized)) return unanalyzable(method, normalized.error, normalized.scheme, { headerNames, content_type, body_keys: body.keys })

  const recognition = recognize({
    method,
    host: normalized.host,
    path: normalized.path,
    params: normalized.params,
    headerNames,
    // The one header value read: an AWS operation name, not a secret.
    amzTargets: headers.filter(([name]) => name.toLowerCase() === 'x-amz-target').map(([, value]) => value),
    body,
  })
  const facts: HttpFacts = {
    method,
    host: normalized.host,
    path: normalized.path,
    query: normalized.query,
    content_type,
    mutating: !SAFE_METHODS.has(method) || recognition.changes || recognition.override !== '',
    port: normalized.port,
    scheme: normalized.scheme,
    url: normalized.url,
    service: recognition.service,
    operation: recognition.operation,
    admin: recognition.admin,
    headers: uniqueLowerCase(headerNames),
    body_keys: body.keys,
    parse_error: '',
  }
  const report = { facts, recognition, headerNames, urlHadCredentials: normalized.hadCredentials }
  return { facts, summary: summarize(report), highlights: highlight(report) }
}

/** The facts of a request whose URL cannot be analyzed: changing and administering, nothing that looks safe. */
function unanalyzable(
  method: string,
  error: string,
  scheme: string,
  known: { headerNames: readonly string[]; content_type: string; body_keys: readonly string[] } = { headerNames: [], content_type: '', body_keys: [] },
): Analysis<HttpFacts> {
  const facts: HttpFacts = {
    method,
    host: '',
    path: '',
    query: {},
    content_type: known.content_type,
    mutating: true,
    port: 0,
    scheme,
    url: '',
    service: '',
    operation: '',
    admin: true,
    headers: uniqueLowerCase(known.headerNames),
    body_keys: known.body_keys,
    parse_error: error,
  }
  const recognition: RecognitionResult = { service: '', operation: '', admin: true, changes: true, highlight: '', override: '', rerouted: [] }
  const report = { facts, recognition, headerNames: known.headerNames, urlHadCredentials: false }
  return { facts, summary: summarize(report), highlights: highlight(report) }
}

function headerEntries(headers: unknown): [string, string][] {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) return []
  return Object.entries(headers).map(([name, value]) => [name, typeof value === 'string' ? value : String(value)])
}

function uniqueLowerCase(names: readonly string[]): string[] {
  return [...new Set(names.map((name) => name.toLowerCase()))]
}

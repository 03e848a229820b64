import type { Analyzer, FactTypes } from '../analyzer.js'
import { analyzeHttp } from './analyze-http.js'
import type { HttpFacts } from './facts.js'

/** CEL declarations of the `http` facts; every field of `HttpFacts`. */
export const HTTP_FACT_TYPES: FactTypes = {
  HttpFacts: {
    method: 'string',
    host: 'string',
    path: 'string',
    query: 'map<string, dyn>',
    content_type: 'string',
    mutating: 'bool',
    port: 'int',
    scheme: 'string',
    url: 'string',
    service: 'string',
    operation: 'string',
    admin: 'bool',
    headers: 'list<string>',
    body_keys: 'list<string>',
    parse_error: 'string',
  },
}

/**
 * Returns the `http` analyzer (nothing to load; async like the others). Its `analyze` takes
 * `{method, url, headers?, body?}`, is synchronous and never throws.
 *
 * @example
 * const http = await loadHttpAnalyzer()
 * http.analyze({ method: 'DELETE', url: 'https://api.github.com/repos/acme/api' }).summary
 * // 'DELETE api.github.com /repos/acme/api (github repos.delete)'
 */
export async function loadHttpAnalyzer(): Promise<Analyzer<HttpFacts>> {
  return {
    kind: 'http',
    rootType: 'HttpFacts',
    types: HTTP_FACT_TYPES,
    analyze: function analyzeHttpPayload(payload) {
      return analyzeHttp(payload)
    },
  }
}

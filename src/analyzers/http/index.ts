// The `http` analyzer (docs/facts.md): what an HTTP request would do, and to which API.
export { HTTP_FACT_TYPES, loadHttpAnalyzer } from './http-analyzer.js'
export type { HttpFacts, HttpQuery } from './facts.js'

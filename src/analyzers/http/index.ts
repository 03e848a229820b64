// The `http` analyzer (PRODUCT.md §4): what an HTTP request would do, and to which API.
export { HTTP_FACT_TYPES, loadHttpAnalyzer } from './http-analyzer.js'
export type { HttpFacts, HttpQuery } from './facts.js'

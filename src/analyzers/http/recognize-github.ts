import { GITHUB_ADMIN_PREFIXES, GITHUB_ADMIN_ROUTES, GITHUB_GRAPHQL_ADMIN, GITHUB_ORDINARY_ROUTES, GITHUB_SCOPES } from './recognizers.js'
import type { Recognition, RequestView } from './recognition.js'
import { compileRoute, fill, type Route } from './route-pattern.js'

interface GitHubRoute {
  readonly route: Route
  readonly operation: string
  readonly does: string
  readonly scope: string
  readonly admin: boolean
}

function scopeOf(pattern: string): string {
  const first = pattern.split('/')[1] ?? ''
  const scope = GITHUB_SCOPES[first]
  if (scope === undefined) throw new Error(`no GitHub scope for route ${pattern}`)
  return scope
}

/** In match order: the administering routes, the ordinary ones they would otherwise catch, the fail-closed prefixes. */
const ROUTES: readonly GitHubRoute[] = [
  ...GITHUB_ADMIN_ROUTES.map(([methods, path, operation, does]) => ({ route: compileRoute(methods, path), operation, does, scope: scopeOf(path), admin: true })),
  ...GITHUB_ORDINARY_ROUTES.map(([methods, path, operation]) => ({ route: compileRoute(methods, path), operation, does: '', scope: '', admin: false })),
  ...GITHUB_ADMIN_PREFIXES.map((path) => ({
    route: compileRoute('*', path),
    operation: '',
    does: 'a change not recognized, counted as administration',
    scope: scopeOf(path),
    admin: true,
  })),
]

/** Hosts of GitHub's REST API: github.com's, and GitHub Enterprise Cloud with data residency (`api.acme.ghe.com`). */
const API_HOST = /^api\.(github\.com|[a-z0-9-]+\.ghe\.com)$/

/** GitHub Enterprise Server serves the REST API under this prefix of its own host. */
const GHES_PREFIX = /^\/api\/v3(?=\/|$)/i

/**
 * Recognizes GitHub REST and GraphQL calls: on `api.github.com` (and `api.*.ghe.com`), and on
 * any host under `/api/v3` (Enterprise Server, whose host names are the customer's own), with
 * GraphQL at `/graphql` and `/api/graphql`.
 */
export function recognizeGitHub(request: RequestView): Recognition | null {
  const onApiHost = API_HOST.test(request.host)
  const paths = onApiHost ? request.paths : request.paths.filter((path) => GHES_PREFIX.test(path)).map((path) => path.replace(GHES_PREFIX, '') || '/')
  const graphql = request.paths.some((path) => (onApiHost && /^\/graphql$/i.test(path)) || /^\/api\/graphql$/i.test(path))
  if (graphql) return recognizeGraphql(request)
  if (paths.length === 0) return null
  const found = paths.map((path) => matchRoute(request.method, path)).filter((route) => route !== null)
  const chosen = found.find((match) => match.route.admin) ?? found[0]
  if (chosen === undefined) return { service: 'github', operation: '', admin: false, changes: false, highlight: '' }
  const { route, params } = chosen
  const highlight = route.admin ? `administers GitHub ${fill(route.scope, params)}: ${fill(route.does, params)}` : ''
  return { service: 'github', operation: route.operation, admin: route.admin, changes: false, highlight }
}

function matchRoute(method: string, path: string): { route: GitHubRoute; params: Record<string, string> } | null {
  for (const route of ROUTES) {
    const params = route.route.matches(method, path)
    if (params !== null) return { route, params: decodeParams(params) }
  }
  return null
}

/** Path parameters as an approver should read them: `feature%2Fx` → `feature/x`. */
function decodeParams(params: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(params)) {
    try {
      out[name] = decodeURIComponent(value)
    } catch {
      out[name] = value
    }
  }
  return out
}

/**
 * A GraphQL call: a mutation whenever the word `mutation` appears (fail closed), administering when
 * a name in it matches GITHUB_GRAPHQL_ADMIN. Strings and comments are dropped first, so a title
 * that says "Team" does not count.
 */
function recognizeGraphql(request: RequestView): Recognition {
  const text = graphqlDocuments(request).map(stripStringsAndComments).join('\n')
  if (text.trim() === '' && request.method !== 'GET') {
    return { service: 'github', operation: 'graphql.mutation', admin: true, changes: true, highlight: 'sends GitHub GraphQL that cannot be read, counted as administration' }
  }
  const mutation = /\bmutation\b/.test(text)
  const names = mutation ? [...new Set(text.match(/[A-Za-z_]\w*/g) ?? [])].filter((name) => GITHUB_GRAPHQL_ADMIN.some((pattern) => pattern.test(name))) : []
  const operation = mutation ? 'graphql.mutation' : 'graphql.query'
  if (names.length === 0) return { service: 'github', operation, admin: false, changes: mutation, highlight: '' }
  const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')}, +${names.length - 3} more` : names.join(', ')
  return { service: 'github', operation, admin: true, changes: true, highlight: `administers GitHub through GraphQL: ${shown}` }
}

/** The GraphQL documents of a request: `query` of a JSON body (or of each element of a batch), or of the URL. */
function graphqlDocuments(request: RequestView): string[] {
  const { json } = request.body
  const items = Array.isArray(json) ? json : [json]
  const documents = items.map((item) => (item !== null && typeof item === 'object' ? (item as Record<string, unknown>).query : undefined))
  documents.push(...request.params.getAll('query'))
  return documents.filter((document): document is string => typeof document === 'string')
}

function stripStringsAndComments(document: string): string {
  return document.replace(/"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n\r]*/g, ' ')
}

import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { Logger } from 'pino'
import { MAX_JSON_DEPTH, protoKeyPath } from '../action/index.js'
import { CountersignError } from '../errors/index.js'
import type { Authenticator, Gateway, AuditLog, Receipts } from '../service/index.js'
import type { Human } from '../lifecycle/index.js'
import type { AppEnv } from './env.js'
import type { Metrics } from './metrics.js'
import { clientAddress, trustedProxies, type ClientInfo } from './client-address.js'
import { problemOf, problemResponse, statusProblem } from './problem.js'
import { actionRoutes } from './routes/actions.js'
import { auditRoutes } from './routes/audit.js'
import { inboxRoutes } from './routes/inbox.js'
import { policyRoutes } from './routes/policy.js'
import { receiptRoutes } from './routes/receipts.js'
import { systemRoutes } from './routes/system.js'
import { tokenRoutes } from './routes/tokens.js'
import { grantRoutes } from './routes/grants.js'
import { passkeyRoutes } from './routes/passkeys.js'
import { delegationRoutes } from './routes/delegations.js'
import { WhoAmI } from './schemas.js'

/** What the HTTP API is built from. */
export interface AppOptions {
  readonly gateway: Gateway
  readonly authenticator: Authenticator
  readonly auditLog: AuditLog
  readonly receipts: Receipts
  readonly metrics: Metrics
  readonly logger?: Logger | undefined
  /** Base URL for links sent to people (the console). */
  readonly publicUrl?: string | undefined
  /** Largest request body accepted, in bytes. */
  readonly bodyLimit?: number | undefined
  /** Whether the store answers, for `/readyz`. */
  readonly ready?: () => Promise<boolean>
  /**
   * Authenticates a request without a bearer token by the web console's session cookie: the
   * human, or `undefined` when there is no live session. It refuses (throws) a state-changing
   * request without the session's CSRF token. Such requests are recorded on the `console` channel.
   */
  readonly session?: ((c: Context) => Promise<Human | undefined>) | undefined
  /** `server.trust_proxy`: the reverse proxies whose forwarded headers name the client. */
  readonly trustProxy?: boolean | readonly string[] | undefined
}

/**
 * The HTTP API (docs/api.md): thin routes that parse with zod, authenticate the bearer token,
 * call the gateway service and render. Every error is RFC 9457 problem+json; the OpenAPI 3.1
 * document is at `/openapi.json`.
 */
export function createApp(options: AppOptions): OpenAPIHono<AppEnv> {
  const { gateway, authenticator, metrics, logger } = options
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return
      const details = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }))
      metrics.refusals.inc({ code: 'INVALID' })
      return problemResponse(c, problemOf(new CountersignError('INVALID', `invalid ${result.target === 'json' ? 'body' : result.target}: ${details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ')}`, { details })))
    },
  })

  app.onError((error, c) => {
    const problem = problemOf(error)
    metrics.refusals.inc({ code: problem.code })
    if (problem.code === 'INTERNAL') logger?.error({ err: error, method: c.req.method, path: c.req.path, client: clientFields(c.get('client')) }, 'request failed')
    return problemResponse(c, problem)
  })
  app.notFound((c) => problemResponse(c, problemOf(new CountersignError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`))))

  app.use(clientAddress(trustedProxies(options.trustProxy ?? false)))
  app.use(async function timing(c, next) {
    const started = process.hrtime.bigint()
    await next()
    const route = c.req.routePath || 'unmatched'
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    metrics.requests.observe({ method: c.req.method, route, status: String(c.res.status) }, seconds)
    logger?.debug({ method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1000), client: clientFields(c.get('client')) }, 'request')
  })

  const maxBody = options.bodyLimit ?? 2 * 1024 * 1024
  app.use('/v1/*', async function limitBody(c, next) {
    // Decided from the headers alone: touching the body stream here would cost every request a
    // web stream. Node's HTTP parser reads exactly Content-Length bytes, so the length is the size.
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    const length = c.req.header('content-length')
    if (c.req.header('transfer-encoding') !== undefined || (length === undefined && c.req.header('content-type') !== undefined)) {
      return problemResponse(c, statusProblem(411, 'send the body with a Content-Length header (chunked request bodies are not accepted)'))
    }
    if (length !== undefined && !(Number(length) <= maxBody)) return problemResponse(c, statusProblem(413, `the request body is larger than ${maxBody} bytes`))
    return next()
  })
  app.use('/v1/*', async function authenticate(c, next) {
    const header = c.req.header('authorization') ?? ''
    // No bearer token: the console's session cookie may stand in for one.
    const human = header === '' && options.session ? await options.session(c) : undefined
    if (human) c.set('channel', 'console')
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    c.set('principal', human ?? (await authenticator.authenticate(match?.[1])))
    await next()
  })
  app.use('/v1/*', async function refuseProtoKeys(c, next) {
    // JSON.parse keeps "__proto__" as a key, but the schemas copy objects and it becomes the
    // prototype: the key would vanish from what is decided and digested. Refused, never dropped.
    // The parse is cached by the request, so the route's validator reads the same value.
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || !/^application\/(.+\+)?json\b/i.test(c.req.header('content-type') ?? '')) return next()
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      return next() // the route's validator answers malformed JSON
    }
    const path = protoKeyPath(body)
    if (path !== undefined) {
      const message = path.endsWith('…') ? `nests deeper than ${MAX_JSON_DEPTH} levels` : 'a "__proto__" key is not accepted anywhere in a request (it would be dropped from what is decided); rename or remove it'
      const details = [{ path: path.replace(/…$/, ''), message }]
      metrics.refusals.inc({ code: 'INVALID' })
      return problemResponse(c, problemOf(new CountersignError('INVALID', `invalid body: ${details[0]!.path}: ${message}`, { details })))
    }
    return next()
  })

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'A Countersign token: cs_agent_… for agents, cs_user_… for humans' })

  actionRoutes(app, gateway, metrics, options.publicUrl)
  auditRoutes(app, options.auditLog)
  inboxRoutes(app, gateway, options.publicUrl)
  receiptRoutes(app, gateway, options.receipts, options.publicUrl, options.auditLog)
  tokenRoutes(app, gateway, (sha256) => authenticator.forget(sha256))
  grantRoutes(app, gateway)
  passkeyRoutes(app, gateway)
  policyRoutes(app, gateway, options.publicUrl)
  delegationRoutes(app, gateway)
  systemRoutes(app, metrics, options.ready ?? (async () => true))

  app.openapi(
    createRoute({ method: 'get', path: '/v1/me', operationId: 'whoAmI', tags: ['identity'], summary: 'Who the token belongs to', security: [{ bearer: [] }], responses: { 200: { content: { 'application/json': { schema: WhoAmI } }, description: 'The principal' } } }),
    (c) => {
      const principal = c.get('principal')
      const body: z.infer<typeof WhoAmI> =
        principal.type === 'agent'
          ? { type: 'agent', id: principal.id, owner: principal.owner }
          : { type: 'human', id: principal.email, groups: [...principal.groups], admin: principal.admin, auditor: principal.auditor }
      return c.json(body, 200)
    },
  )

  // Every operation needs a token unless it says otherwise (`security: []`: health, metrics, keys).
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Countersign', version: '1', description: 'Action-level approval gateway for AI-controlled infrastructure.', license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' } },
    servers: [{ url: options.publicUrl ?? '/', description: 'This gateway' }],
    security: [{ bearer: [] }],
    tags: [
      { name: 'actions', description: 'Submit, decide, review and follow actions' },
      { name: 'reviews', description: 'What a human may review' },
      { name: 'receipts', description: 'Approval receipts for actions the agent runs itself' },
      { name: 'audit', description: 'The hash-chained audit log' },
      { name: 'policy', description: 'Candidate policies replayed over the stored history' },
      { name: 'tokens', description: 'Agent and user tokens (admins)' },
      { name: 'grants', description: 'Narrowing grants made with approvals (review.grants)' },
      { name: 'passkeys', description: 'Passkeys for approvals that need them (review.assurance: passkey)' },
      { name: 'delegations', description: 'Review rights lent from one human to another for a period' },
      { name: 'identity', description: 'Who a token belongs to' },
      { name: 'system', description: 'Health, readiness and metrics' },
    ],
  })
  return app
}

/** A request's client as log fields: its address, and the proxy it came through. */
function clientFields(client: ClientInfo | undefined): Record<string, string> | undefined {
  if (!client?.address) return undefined
  return { address: client.address, proto: client.proto, ...(client.via && { via: client.via }) }
}

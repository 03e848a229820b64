import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { CountersignError } from '../../errors/index.js'
import { issueToken, revokeToken, type Gateway } from '../../service/index.js'
import type { TokenRecord } from '../../store/index.js'
import type { AppEnv } from '../env.js'
import { ProblemSchema, Sha256Param, TokenInput, TokenView } from '../schemas.js'

const problem = (description: string) => ({ content: { 'application/problem+json': { schema: ProblemSchema } }, description })
const security = [{ bearer: [] }]

const createTokenRoute = createRoute({
  method: 'post',
  path: '/v1/tokens',
  operationId: 'createToken',
  tags: ['tokens'],
  summary: 'Issue a token for an agent or a human (admins); the token is shown once',
  security,
  request: { body: { content: { 'application/json': { schema: TokenInput } }, required: true } },
  responses: {
    201: { content: { 'application/json': { schema: TokenView.extend({ token: z.string() }) } }, description: 'The new token and its record' },
    400: problem('Invalid request'),
    401: problem('No valid token'),
    403: problem('Not an admin'),
  },
})

const listTokensRoute = createRoute({
  method: 'get',
  path: '/v1/tokens',
  operationId: 'listTokens',
  tags: ['tokens'],
  summary: 'Tokens issued at run time (admins); hashes only',
  security,
  responses: { 200: { content: { 'application/json': { schema: z.object({ tokens: z.array(TokenView) }) } }, description: 'Tokens' }, 401: problem('No valid token'), 403: problem('Not an admin') },
})

const revokeTokenRoute = createRoute({
  method: 'delete',
  path: '/v1/tokens/{sha256}',
  operationId: 'revokeToken',
  tags: ['tokens'],
  summary: 'Revoke a run-time token (admins)',
  security,
  request: { params: Sha256Param },
  responses: { 204: { description: 'Revoked' }, 401: problem('No valid token'), 403: problem('Not an admin'), 404: problem('No such live token') },
})

function tokenView(record: TokenRecord): z.infer<typeof TokenView> {
  return {
    token_sha256: record.sha256,
    type: record.principalType,
    subject: record.subject,
    name: record.name,
    created_at: record.createdAt.toISOString(),
    created_by: record.createdBy,
    expires_at: record.expiresAt?.toISOString() ?? null,
    revoked_at: record.revokedAt?.toISOString() ?? null,
  }
}

/** Run-time token administration (docs/configuration.md: tokens may be issued and revoked through the API). */
export function tokenRoutes(app: OpenAPIHono<AppEnv>, gateway: Gateway, forget: (sha256: string) => void): void {
  app.openapi(createTokenRoute, async (c) => {
    const input = c.req.valid('json')
    const { token, record } = await issueToken(gateway.store, gateway.directory, c.get('principal'), { agent: input.agent, user: input.user, name: input.name, expiresInSeconds: input.expires_in }, gateway.now())
    return c.json({ token, ...tokenView(record) }, 201)
  })

  app.openapi(listTokensRoute, async (c) => {
    const principal = c.get('principal')
    if (principal.type !== 'human' || !principal.admin) forbidden()
    return c.json({ tokens: (await gateway.store.listTokens()).map(tokenView) }, 200)
  })

  app.openapi(revokeTokenRoute, async (c) => {
    const { sha256 } = c.req.valid('param')
    await revokeToken(gateway.store, c.get('principal'), sha256, gateway.now())
    forget(sha256)
    return c.body(null, 204)
  })
}

function forbidden(): never {
  throw new CountersignError('FORBIDDEN', 'only admins list tokens')
}

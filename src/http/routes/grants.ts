import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { CountersignError } from '../../errors/index.js'
import type { Grant } from '../../grants/index.js'
import type { Gateway } from '../../service/index.js'
import type { AppEnv } from '../env.js'
import { channelOf } from './channel.js'
import { CancelInput, GrantIdParam, GrantView, ProblemSchema } from '../schemas.js'

const problem = (description: string) => ({ content: { 'application/problem+json': { schema: ProblemSchema } }, description })
const security = [{ bearer: [] }]

const listGrantsRoute = createRoute({
  method: 'get',
  path: '/v1/grants',
  operationId: 'listGrants',
  tags: ['grants'],
  summary: 'Narrowing grants, newest first (humans); `live=true` for those still usable',
  security,
  request: { query: z.object({ live: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }) },
  responses: { 200: { content: { 'application/json': { schema: z.object({ grants: z.array(GrantView) }) } }, description: 'Grants' }, 401: problem('No valid token'), 403: problem('Not a human') },
})

const revokeGrantRoute = createRoute({
  method: 'delete',
  path: '/v1/grants/{id}',
  operationId: 'revokeGrant',
  tags: ['grants'],
  summary: 'Revoke a grant at once (an admin or a human who granted it)',
  security,
  request: { params: GrantIdParam, body: { content: { 'application/json': { schema: CancelInput } }, required: false } },
  responses: {
    200: { content: { 'application/json': { schema: GrantView } }, description: 'The revoked grant' },
    401: problem('No valid token'),
    403: problem('Not allowed'),
    404: problem('No such grant'),
    409: problem('Already revoked'),
  },
})

/** The API's view of a grant. */
export function grantView(grant: Grant, now: Date): z.infer<typeof GrantView> {
  return {
    id: grant.id,
    action_id: grant.actionId,
    submitted_by: grant.submittedBy,
    target: grant.target,
    kind: grant.kind,
    shape: { ...grant.shape },
    rules: [...grant.rules],
    policy_version: grant.policyVersion,
    reviewers: grant.reviewers.map((reviewer) => ({ email: reviewer.email, requirements: [...reviewer.requirements] })),
    created_at: grant.createdAt.toISOString(),
    expires_at: grant.expiresAt.toISOString(),
    max_uses: grant.maxUses,
    uses: grant.uses,
    revoked_at: grant.revokedAt?.toISOString() ?? null,
    revoked_by: grant.revokedBy,
    live: grant.revokedAt === null && now < grant.expiresAt && grant.uses < grant.maxUses,
  }
}

/** Narrowing grants (`review.grants`): listed and revoked. */
export function grantRoutes(app: OpenAPIHono<AppEnv>, gateway: Gateway): void {
  app.openapi(listGrantsRoute, async (c) => {
    const query = c.req.valid('query')
    const grants = await gateway.grants(c.get('principal'), { live: query.live === 'true', limit: query.limit })
    const now = gateway.now()
    return c.json({ grants: grants.map((grant) => grantView(grant, now)) }, 200)
  })

  app.openapi(revokeGrantRoute, async (c) => {
    const { id } = c.req.valid('param')
    const input = (await c.req.json().catch(() => ({}))) as unknown
    const parsed = CancelInput.safeParse(input ?? {})
    if (!parsed.success) throw new CountersignError('INVALID', `invalid body: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`)
    const grant = await gateway.revokeGrant(c.get('principal'), id, parsed.data.reason, channelOf(c))
    return c.json(grantView(grant, gateway.now()), 200)
  })
}

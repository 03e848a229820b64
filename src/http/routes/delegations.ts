import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { createDelegation, listDelegations, revokeDelegation, type Gateway } from '../../service/index.js'
import type { DelegationRecord } from '../../store/index.js'
import type { AppEnv } from '../env.js'
import { DelegationInput, DelegationView, ProblemSchema } from '../schemas.js'
import { channelOf } from './channel.js'

const problem = (description: string) => ({ content: { 'application/problem+json': { schema: ProblemSchema } }, description })
const security = [{ bearer: [] }]
const IdParam = z.object({ id: z.string().regex(/^dlg_[0-9a-f]{20}$/).openapi({ param: { name: 'id', in: 'path' }, example: 'dlg_0123456789abcdef0123' }) })

const createDelegationRoute = createRoute({
  method: 'post',
  path: '/v1/delegations',
  operationId: 'createDelegation',
  tags: ['delegations'],
  summary: 'Lend your review rights to another human for a period (never to an agent); the review rules apply to the delegate',
  security,
  request: { body: { content: { 'application/json': { schema: DelegationInput } }, required: true } },
  responses: {
    201: { content: { 'application/json': { schema: DelegationView } }, description: 'The delegation' },
    400: problem('Invalid request (unknown delegate, oneself, a bad period)'),
    401: problem('No valid token'),
    403: problem('An agent, or someone else\'s rights without being an admin'),
  },
})

const listDelegationsRoute = createRoute({
  method: 'get',
  path: '/v1/delegations',
  operationId: 'listDelegations',
  tags: ['delegations'],
  summary: 'The delegations in force (humans)',
  security,
  responses: { 200: { content: { 'application/json': { schema: z.object({ delegations: z.array(DelegationView) }) } }, description: 'Delegations' }, 401: problem('No valid token'), 403: problem('An agent') },
})

const revokeDelegationRoute = createRoute({
  method: 'delete',
  path: '/v1/delegations/{id}',
  operationId: 'revokeDelegation',
  tags: ['delegations'],
  summary: 'End a delegation early (its delegator, its delegate or an admin)',
  security,
  request: { params: IdParam },
  responses: { 204: { description: 'Revoked' }, 401: problem('No valid token'), 403: problem('Not yours'), 404: problem('No such live delegation') },
})

function delegationView(record: DelegationRecord): z.infer<typeof DelegationView> {
  return { id: record.id, from: record.from, to: record.to, starts_at: record.startsAt.toISOString(), ends_at: record.endsAt.toISOString(), reason: record.reason, created_at: record.createdAt.toISOString(), revoked_at: record.revokedAt?.toISOString() ?? null }
}

/** Delegations of review rights: create, list, revoke. */
export function delegationRoutes(app: OpenAPIHono<AppEnv>, gateway: Gateway): void {
  app.openapi(createDelegationRoute, async (c) => {
    const input = c.req.valid('json')
    const delegation = await createDelegation(
      gateway,
      c.get('principal'),
      { to: input.to, until: new Date(input.until), from: input.from === undefined ? undefined : new Date(input.from), delegator: input.delegator, reason: input.reason },
      channelOf(c),
    )
    return c.json(delegationView(delegation), 201)
  })
  app.openapi(listDelegationsRoute, async (c) => c.json({ delegations: (await listDelegations(gateway, c.get('principal'))).map(delegationView) }, 200))
  app.openapi(revokeDelegationRoute, async (c) => {
    await revokeDelegation(gateway, c.get('principal'), c.req.valid('param').id, channelOf(c))
    return c.body(null, 204)
  })
}

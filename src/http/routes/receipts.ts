import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { ActionSchema, actionDigest } from '../../action/index.js'
import { CountersignError } from '../../errors/index.js'
import type { AuditLog, Gateway, Receipts } from '../../service/index.js'
import { actionView } from '../action-view.js'
import type { AppEnv } from '../env.js'
import { ActionIdParam, ActionView, ProblemSchema, ReceiptView, RedeemInput } from '../schemas.js'
import { channelOf } from './channel.js'

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description })
const problem = (description: string) => ({ content: { 'application/problem+json': { schema: ProblemSchema } }, description })
const security = [{ bearer: [] }]

const receiptRoute = createRoute({
  method: 'get',
  path: '/v1/actions/{id}/receipt',
  operationId: 'getReceipt',
  tags: ['receipts'],
  summary: 'A signed single-use receipt for an allowed or approved action the agent executes itself (targets without a connector)',
  security,
  request: { params: ActionIdParam },
  responses: { 200: json(ReceiptView, 'The receipt'), 403: problem('Not the action\'s agent'), 404: problem('No such action'), 409: problem('Not allowed or approved, or brokered') },
})

const redeemRoute = createRoute({
  method: 'post',
  path: '/v1/receipts/redeem',
  operationId: 'redeemReceipt',
  tags: ['receipts'],
  summary: 'Redeem a receipt once, just before running the action: the action becomes executing; report its outcome after',
  security,
  request: { body: { content: { 'application/json': { schema: RedeemInput } }, required: true } },
  responses: { 200: json(ActionView, 'The action, now executing'), 400: problem('Invalid or expired receipt'), 403: problem('Another target, a changed action, or not yours'), 409: problem('Already redeemed, or no longer runnable') },
})

const jwksRoute = createRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  operationId: 'getJwks',
  tags: ['receipts'],
  summary: 'The public keys receipts are signed with (JWK Set)',
  security: [],
  responses: { 200: json(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), 'The JWK Set') },
})

/** Approval receipts: issue, redeem once, and the keys to check them with. */
export function receiptRoutes(app: OpenAPIHono<AppEnv>, gateway: Gateway, receipts: Receipts, publicUrl: string | undefined, auditLog?: AuditLog): void {
  app.openapi(receiptRoute, async (c) => {
    const { id } = c.req.valid('param')
    const principal = c.get('principal')
    const { record, reviews } = await gateway.get(principal, id)
    if (principal.type === 'agent' ? record.agentId !== principal.id : record.submittedBy !== `human:${principal.email}`) {
      throw new CountersignError('FORBIDDEN', 'only the submitter of an action gets its receipt')
    }
    // The deciding events' inclusion proofs ride along, so the receipt can be checked against the log offline.
    const mayRun = (record.status === 'allowed' || record.status === 'approved') && !record.brokered
    const audit = mayRun && auditLog ? await auditLog.receiptProof(record.id, record.status as 'allowed' | 'approved') : undefined
    const { receipt, claims } = await receipts.issue(record, reviews, gateway.now(), audit && { checkpoint: audit.checkpoint, events: audit.events.map((event) => ({ ...event, proof: [...event.proof] })) })
    return c.json({ receipt, action_id: record.id, jti: claims.jti, digest: claims.digest, target: claims.target, expires_at: new Date(claims.exp * 1000).toISOString() }, 200)
  })

  app.openapi(redeemRoute, async (c) => {
    const input = c.req.valid('json')
    const claims = await receipts.verify(input.receipt, gateway.now())
    let digest = input.digest
    if (input.action) {
      const parsed = ActionSchema.safeParse(input.action)
      if (!parsed.success) throw new CountersignError('INVALID', `invalid action: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`)
      digest = actionDigest(parsed.data)
    }
    const state = await gateway.redeemReceipt(c.get('principal'), claims, { target: input.target, digest: digest! }, channelOf(c))
    return c.json(actionView(state, { publicUrl }), 200)
  })

  app.openapi(jwksRoute, (c) => {
    c.header('cache-control', 'public, max-age=300')
    return c.json(receipts.jwks(), 200)
  })
}

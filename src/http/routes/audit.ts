import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import type { AuditLog } from '../../service/index.js'
import type { AppEnv } from '../env.js'
import { AuditPage, AuditQuery, CheckpointList, CheckpointsQuery, ConsistencyProof, ConsistencyQuery, CosignatureAccepted, CosignatureInput, InclusionProof, InclusionQuery, ProblemSchema, VerifyView } from '../schemas.js'

const problem = (description: string) => ({ content: { 'application/problem+json': { schema: ProblemSchema } }, description })
const security = [{ bearer: [] }]

const auditRoute = createRoute({
  method: 'get',
  path: '/v1/audit',
  operationId: 'listAuditEvents',
  tags: ['audit'],
  summary: 'Audit events after a sequence number (auditors, admins)',
  security,
  request: { query: AuditQuery },
  responses: { 200: { content: { 'application/json': { schema: AuditPage } }, description: 'Events in order and the chain head' }, 400: problem('Invalid request'), 401: problem('No valid token'), 403: problem('Not an auditor or admin') },
})

const verifyRoute = createRoute({
  method: 'get',
  path: '/v1/audit/verify',
  operationId: 'verifyAudit',
  tags: ['audit'],
  summary: 'Verify the whole chain and its signed checkpoints (auditors, admins)',
  security,
  responses: { 200: { content: { 'application/json': { schema: VerifyView } }, description: 'The verification report; `ok` is false when any event was modified, deleted, inserted or reordered' }, 401: problem('No valid token'), 403: problem('Not an auditor or admin') },
})

/** The audit routes (docs/api.md). */
export function auditRoutes(app: OpenAPIHono<AppEnv>, auditLog: AuditLog): void {
  app.openapi(auditRoute, async (c) => {
    const { since, limit } = c.req.valid('query')
    const { events, head } = await auditLog.page(c.get('principal'), since, limit)
    return c.json({ events: events.map((event) => ({ seq: event.seq, prev_hash: event.prev_hash, hash: event.hash, event: JSON.parse(event.event) as Record<string, unknown> })), head }, 200)
  })

  app.openapi(verifyRoute, async (c) => {
    const report = await auditLog.verify(c.get('principal'))
    return c.json({ ...report, problems: [...report.problems], warnings: [...report.warnings] }, 200)
  })
  auditTreeRoutes(app, auditLog)
}

const checkpointsRoute = createRoute({
  method: 'get',
  path: '/v1/audit/checkpoints',
  operationId: 'listAuditCheckpoints',
  tags: ['audit'],
  summary: 'The newest signed tree heads, with witnesses\' cosignatures (any token)',
  security,
  request: { query: CheckpointsQuery },
  responses: { 200: { content: { 'application/json': { schema: CheckpointList } }, description: 'Checkpoints, oldest first; the last is the newest' }, 400: problem('Invalid request'), 401: problem('No valid token') },
})

const inclusionRoute = createRoute({
  method: 'get',
  path: '/v1/audit/proofs/inclusion',
  operationId: 'getAuditInclusionProof',
  tags: ['audit'],
  summary: 'RFC 9162 inclusion proof of an event in a tree of the log (any token)',
  security,
  request: { query: InclusionQuery },
  responses: { 200: { content: { 'application/json': { schema: InclusionProof } }, description: 'The proof' }, 400: problem('A size or event beyond the log, or archived (audit archive --prune)'), 401: problem('No valid token') },
})

const consistencyRoute = createRoute({
  method: 'get',
  path: '/v1/audit/proofs/consistency',
  operationId: 'getAuditConsistencyProof',
  tags: ['audit'],
  summary: 'RFC 9162 consistency proof between two trees of the log (any token)',
  security,
  request: { query: ConsistencyQuery },
  responses: { 200: { content: { 'application/json': { schema: ConsistencyProof } }, description: 'The proof' }, 400: problem('Sizes out of order, beyond the log, or from a tree of archived events only'), 401: problem('No valid token') },
})

const cosignRoute = createRoute({
  method: 'post',
  path: '/v1/audit/checkpoints/cosignatures',
  operationId: 'addAuditCosignature',
  tags: ['audit'],
  summary: 'A witness posts its cosignature of a signed tree head (any token; the cosignature must verify with a key in audit.witnesses)',
  security,
  request: { body: { content: { 'application/json': { schema: CosignatureInput } }, required: true } },
  responses: {
    200: { content: { 'application/json': { schema: CosignatureAccepted } }, description: 'Stored' },
    400: problem('Not a cosignature line'),
    401: problem('No valid token'),
    403: problem('Not a listed witness, or the cosignature does not verify'),
    404: problem('No signed tree head of that size'),
  },
})

/** The transparency-log routes: signed tree heads, proofs, cosignatures. */
export function auditTreeRoutes(app: OpenAPIHono<AppEnv>, auditLog: AuditLog): void {
  app.openapi(checkpointsRoute, async (c) => {
    const [checkpoints, status] = await Promise.all([auditLog.checkpoints(c.req.valid('query').limit), auditLog.witnessStatus()])
    const witnesses = status.witnesses.map((witness) => ({ name: witness.name, tree_size: witness.treeSize, lag: Math.max(0, status.treeSize - witness.treeSize), cosigned_at: witness.cosignedAt?.toISOString() ?? null }))
    return c.json({ checkpoints, witnesses }, 200)
  })
  app.openapi(inclusionRoute, async (c) => {
    const { seq, tree_size } = c.req.valid('query')
    return c.json(await auditLog.inclusionProof(seq, tree_size), 200)
  })
  app.openapi(consistencyRoute, async (c) => {
    const { from, to } = c.req.valid('query')
    return c.json(await auditLog.consistencyProof(from, to), 200)
  })
  app.openapi(cosignRoute, async (c) => {
    const { tree_size, cosignature } = c.req.valid('json')
    return c.json(await auditLog.addCosignature(tree_size, cosignature), 200)
  })
}

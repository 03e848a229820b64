import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import type { AuditLog } from '../../service/index.js'
import type { AppEnv } from '../env.js'
import { AuditPage, AuditQuery, ProblemSchema, VerifyView } from '../schemas.js'

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

/** The audit routes of PRODUCT.md §6. */
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
}

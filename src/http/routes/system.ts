import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env.js'
import type { Metrics } from '../metrics.js'

const Status = z.object({ status: z.string() })

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'getHealth',
  tags: ['system'],
  summary: 'Liveness: the process serves HTTP',
  security: [],
  responses: { 200: { content: { 'application/json': { schema: Status } }, description: '`{"status":"ok"}`' } },
})

const readyRoute = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'getReadiness',
  tags: ['system'],
  summary: 'Readiness: the store answers',
  security: [],
  responses: {
    200: { content: { 'application/json': { schema: Status } }, description: '`{"status":"ready"}`' },
    503: { content: { 'application/json': { schema: Status } }, description: '`{"status":"unavailable"}`: the store does not answer' },
  },
})

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  tags: ['system'],
  summary: 'Prometheus metrics (text exposition format)',
  security: [],
  responses: { 200: { content: { 'text/plain': { schema: z.string() } }, description: 'The metrics' } },
})

/** Liveness, readiness and Prometheus metrics: open to anyone, no secrets in them. */
export function systemRoutes(app: OpenAPIHono<AppEnv>, metrics: Metrics, ready: () => Promise<boolean>): void {
  app.openapi(healthRoute, (c) => c.json({ status: 'ok' }, 200))
  app.openapi(readyRoute, async (c) => {
    const ok = await ready().catch(() => false)
    return ok ? c.json({ status: 'ready' }, 200) : c.json({ status: 'unavailable' }, 503)
  })
  app.openapi(metricsRoute, async (c) => c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }))
}

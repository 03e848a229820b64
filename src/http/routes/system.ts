import type { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env.js'
import type { Metrics } from '../metrics.js'

/** Liveness, readiness and Prometheus metrics: open to anyone, no secrets in them. */
export function systemRoutes(app: OpenAPIHono<AppEnv>, metrics: Metrics, ready: () => Promise<boolean>): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const ok = await ready().catch(() => false)
    return c.json({ status: ok ? 'ready' : 'unavailable' }, ok ? 200 : 503)
  })
  app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }))
}

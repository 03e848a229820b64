import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { streamSSE } from 'hono/streaming'
import { CountersignError } from '../../errors/index.js'
import { ACTION_STATUSES, isTerminal, type ActionStatus } from '../../lifecycle/index.js'
import { parseDuration } from '../../policy/index.js'
import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import type { StoredAuditEvent } from '../../audit/index.js'
import type { ActionState, Gateway } from '../../service/index.js'
import { actionView } from '../action-view.js'
import type { AppEnv } from '../env.js'
import type { Metrics } from '../metrics.js'
import { channelOf } from './channel.js'
import { isTraceparent } from '../../telemetry/index.js'
import {
  ActionIdParam,
  ActionInput,
  ActionList,
  ActionView,
  CancelInput,
  DecisionView,
  ListQuery,
  OutcomeInput,
  ProblemSchema,
  ReviewInput,
  WaitQuery,
  BreakGlassInput,
  BreakGlassReviewInput,
} from '../schemas.js'

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description })
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } })
const problems = {
  400: { content: { 'application/problem+json': { schema: ProblemSchema } }, description: 'Invalid request' },
  401: { content: { 'application/problem+json': { schema: ProblemSchema } }, description: 'No valid token' },
  403: { content: { 'application/problem+json': { schema: ProblemSchema } }, description: 'Not allowed' },
  404: { content: { 'application/problem+json': { schema: ProblemSchema } }, description: 'No such action (or not yours)' },
  409: { content: { 'application/problem+json': { schema: ProblemSchema } }, description: 'Already decided or already reviewed' },
} as const
const security = [{ bearer: [] }]

const submitRoute = createRoute({
  method: 'post',
  path: '/v1/actions',
  operationId: 'submitAction',
  tags: ['actions'],
  summary: 'Submit an action; with ?wait, hold the response until it leaves pending',
  security,
  request: { query: WaitQuery, ...body(ActionInput) },
  responses: { 201: json(ActionView, 'The recorded action with its decision'), ...problems },
})

const getRoute = createRoute({
  method: 'get',
  path: '/v1/actions/{id}',
  operationId: 'getAction',
  tags: ['actions'],
  summary: 'An action with its decision, reviews, timeline and result; with ?wait, hold until its status changes (from pending, or from ?from=)',
  security,
  request: { params: ActionIdParam, query: WaitQuery.extend({ from: z.enum(ACTION_STATUSES).optional().openapi({ description: 'With wait: hold while the action has this status (the one the caller last saw). Default: pending.' }) }) },
  responses: { 200: json(ActionView, 'The action'), ...problems },
})

const listRoute = createRoute({
  method: 'get',
  path: '/v1/actions',
  operationId: 'listActions',
  tags: ['actions'],
  summary: 'Actions, newest first (humans)',
  security,
  request: { query: ListQuery },
  responses: { 200: json(ActionList, 'A page of actions'), ...problems },
})

const reviewRoute = createRoute({
  method: 'post',
  path: '/v1/actions/{id}/reviews',
  operationId: 'reviewAction',
  tags: ['reviews'],
  summary: 'Approve or deny (humans; never your own request)',
  security,
  request: { params: ActionIdParam, ...body(ReviewInput) },
  responses: { 200: json(ActionView, 'The action after the review'), ...problems },
})

const breakGlassRoute = createRoute({
  method: 'post',
  path: '/v1/actions/{id}/break-glass',
  operationId: 'breakGlass',
  tags: ['reviews'],
  summary: 'Approve at once, even your own request, where the rules allow break-glass (listed approvers only; never agents); reviewed by others afterwards',
  security,
  request: { params: ActionIdParam, ...body(BreakGlassInput) },
  responses: { 200: json(ActionView, 'The approved action'), ...problems },
})

const breakGlassReviewRoute = createRoute({
  method: 'post',
  path: '/v1/actions/{id}/break-glass/review',
  operationId: 'reviewBreakGlass',
  tags: ['reviews'],
  summary: 'The after-the-fact review of a break-glass approval (someone else: an approver or an admin)',
  security,
  request: { params: ActionIdParam, ...body(BreakGlassReviewInput) },
  responses: { 200: json(ActionView, 'The action with the review recorded'), ...problems },
})

const cancelRoute = createRoute({
  method: 'post',
  path: '/v1/actions/{id}/cancel',
  operationId: 'cancelAction',
  tags: ['actions'],
  summary: 'Cancel a pending action, or an allowed or approved one not yet run (its agent, its submitter, an admin)',
  security,
  request: { params: ActionIdParam, body: { content: { 'application/json': { schema: CancelInput } }, required: false } },
  responses: { 200: json(ActionView, 'The cancelled action'), ...problems },
})

const outcomeRoute = createRoute({
  method: 'post',
  path: '/v1/actions/{id}/outcome',
  operationId: 'reportOutcome',
  tags: ['actions'],
  summary: 'Report how an action the agent executed itself went (allowed or approved actions, once)',
  security,
  request: { params: ActionIdParam, ...body(OutcomeInput) },
  responses: { 200: json(ActionView, 'The action with its result'), ...problems },
})

const decideRoute = createRoute({
  method: 'post',
  path: '/v1/decide',
  operationId: 'decide',
  tags: ['actions'],
  summary: 'Dry run: the decision for an action; nothing is stored',
  security,
  request: body(ActionInput),
  responses: { 200: json(DecisionView, 'The decision and the impact'), ...problems },
})

/**
 * The action as submitted, with the agent's W3C `traceparent` header as its `context.trace_id`
 * when it names no trace itself: the action's trace then continues the agent's (its spans, the
 * execution's identity, the `traceparent` sent to the target). An invalid header is ignored.
 */
function withTraceparent<T extends { context?: { trace_id?: string | undefined } | undefined }>(input: T, traceparent: string | undefined): T {
  if (traceparent === undefined || input.context?.trace_id !== undefined || !isTraceparent(traceparent)) return input
  return { ...input, context: { ...input.context, trace_id: traceparent.trim().toLowerCase() } }
}

/** The action routes (docs/api.md). */
export function actionRoutes(app: OpenAPIHono<AppEnv>, gateway: Gateway, metrics: Metrics, publicUrl: string | undefined): void {
  const view = (state: ActionState, timeline?: readonly StoredAuditEvent[]) => actionView(state, { publicUrl, now: gateway.now(), ...(timeline && { timeline }) })
  const brief = (state: ActionState) => actionView(state, { publicUrl, brief: true, now: gateway.now() })
  /** A long-poll, counted in the waiters gauge while it holds. */
  const waiting = async <T>(hold: () => Promise<T>): Promise<T> => {
    metrics.waiters.inc()
    try {
      return await hold()
    } finally {
      metrics.waiters.dec()
    }
  }

  app.openapi(submitRoute, async (c) => {
    const { wait } = c.req.valid('query')
    const input = withTraceparent(c.req.valid('json'), c.req.header('traceparent'))
    const principal = c.get('principal')
    // The request's abort signal only matters to a caller that waits (making one costs every request).
    const state = await gateway.submit(principal, input, { channel: channelOf(c), waitMs: (wait ?? 0) * 1000, ...(wait ? { signal: c.req.raw.signal } : {}) })
    metrics.decisions.inc({ effect: String(state.record.decision['effect']), kind: state.record.kind })
    return c.json(view(state), 201, { location: `/v1/actions/${state.record.id}` })
  })

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param')
    const { wait, from } = c.req.valid('query')
    const principal = c.get('principal')
    if (wait) {
      const state = await waiting(() => gateway.waitForChange(principal, id, from, wait * 1000, c.req.raw.signal))
      return c.json(view(state, state.events), 200)
    }
    return c.json(view(await gateway.get(principal, id), await gateway.store.actionEvents(id)), 200)
  })

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid('query')
    const status = query.status?.split(',').map((s) => s.trim()).filter(Boolean)
    const records = await gateway.list(c.get('principal'), { status, target: query.target, agent: query.agent, kind: query.kind, before: query.cursor, limit: query.limit + 1 })
    const page = records.slice(0, query.limit)
    const reviews = await Promise.all(page.map((record) => gateway.store.getReviews(record.id)))
    return c.json({ actions: page.map((record, index) => brief({ record, reviews: reviews[index]! })), next_cursor: records.length > query.limit ? page[page.length - 1]!.id : null }, 200)
  })

  app.openapi(reviewRoute, async (c) => {
    const { id } = c.req.valid('param')
    const input = c.req.valid('json')
    const channel = channelOf(c)
    const grant = input.grant && { ttl_ms: parseDuration(input.grant.ttl) ?? 0, max_uses: input.grant.max_uses }
    const state = await gateway.review(c.get('principal'), id, { decision: input.decision, reason: input.reason, grant, passkey: input.passkey as AuthenticationResponseJSON | undefined }, channel)
    metrics.reviews.inc({ decision: input.decision, channel })
    return c.json(view(state), 200)
  })

  app.openapi(breakGlassRoute, async (c) => {
    const { id } = c.req.valid('param')
    const channel = channelOf(c)
    const state = await gateway.breakGlass(c.get('principal'), id, c.req.valid('json'), channel)
    metrics.breakGlass.inc({ channel })
    return c.json(view(state), 200)
  })

  app.openapi(breakGlassReviewRoute, async (c) => {
    const { id } = c.req.valid('param')
    return c.json(view(await gateway.reviewBreakGlass(c.get('principal'), id, c.req.valid('json'), channelOf(c))), 200)
  })

  app.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid('param')
    const input = (await c.req.json().catch(() => ({}))) as { reason?: unknown }
    const parsed = CancelInput.safeParse(input ?? {})
    if (!parsed.success) throw new CountersignError('INVALID', `invalid body: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`)
    return c.json(view(await gateway.cancel(c.get('principal'), id, parsed.data.reason, channelOf(c))), 200)
  })

  app.openapi(outcomeRoute, async (c) => {
    const { id } = c.req.valid('param')
    return c.json(view(await gateway.reportOutcome(c.get('principal'), id, c.req.valid('json'), channelOf(c))), 200)
  })

  app.openapi(decideRoute, async (c) => {
    const result = await gateway.dryRun(c.get('principal'), c.req.valid('json'))
    // The decision is plain JSON data; its readonly arrays are what the JSON type check trips on.
    const decision = JSON.parse(JSON.stringify(result.decision)) as Record<string, never>
    return c.json({ digest: result.digest, decision, impact: result.impact as z.infer<typeof DecisionView>['impact'] }, 200)
  })

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/actions/{id}/events',
    operationId: 'streamActionEvents',
    tags: ['actions'],
    summary: 'Server-sent events: `transition` for each audit event of the action (in order, none skipped), then `action` with the action as it is; again at every change until it is final',
    security,
    request: { params: ActionIdParam },
    responses: { 200: { description: 'An event stream: `transition` events carry one audit event each (its canonical JSON; the SSE id is its sequence number); `action` events carry the action as JSON', content: { 'text/event-stream': { schema: z.string() } } }, ...problems },
  })
  app.get('/v1/actions/:id/events', async (c) => {
    const parsed = ActionIdParam.safeParse({ id: c.req.param('id') })
    if (!parsed.success) throw new CountersignError('INVALID', `invalid path: ${parsed.error.issues[0]?.message ?? 'not an action id'}`)
    const { id } = parsed.data
    const principal = c.get('principal')
    let state = await gateway.watched(principal, id)
    metrics.waiters.inc()
    return streamSSE(c, async (stream) => {
      try {
        const signal = c.req.raw.signal
        let sent = -1
        let lastSeq = 0
        while (!signal.aborted) {
          if (state.record.version !== sent) {
            // Every transition in order (two may land between reads), then the action as it is now.
            for (const event of state.events) {
              if (event.seq <= lastSeq) continue
              lastSeq = event.seq
              await stream.writeSSE({ event: 'transition', id: String(event.seq), data: event.event })
            }
            await stream.writeSSE({ event: 'action', data: JSON.stringify(view(state)) })
            sent = state.record.version
            if (isTerminal(state.record.status as ActionStatus)) return
          } else {
            // Nothing changed for a while: a comment keeps proxies from closing the stream.
            await stream.write(': keep-alive\n\n')
          }
          state = await gateway.waitFor(principal, id, (next) => next.record.version !== sent, 25_000, signal)
        }
      } finally {
        metrics.waiters.dec()
      }
    })
  })
}

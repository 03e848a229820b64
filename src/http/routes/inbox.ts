import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { reviewEligibility, withDelegatedRights, type Human, type Principal } from '../../lifecycle/index.js'
import { conflictedOf, requestersOf, requirementsOf, type ActionState, type Gateway } from '../../service/index.js'
import type { ActionRecord } from '../../store/index.js'
import { actionView } from '../action-view.js'
import type { AppEnv } from '../env.js'
import { ActionIdParam, ActionView, ProblemSchema } from '../schemas.js'

const notificationsRoute = createRoute({
  method: 'get',
  path: '/v1/actions/{id}/notifications',
  operationId: 'actionNotifications',
  tags: ['actions'],
  summary: 'Where the channels announced an action (humans): each channel and destination, and whether it was posted',
  security: [{ bearer: [] }],
  request: { params: ActionIdParam },
  responses: {
    200: { content: { 'application/json': { schema: z.object({ notifications: z.array(z.object({ channel: z.string(), destination: z.string(), posted: z.boolean(), error: z.string().nullable() })) }) } }, description: 'Notifications' },
    401: { content: { 'application/problem+json': { schema: ProblemSchema } }, description: 'No valid token' },
    403: { content: { 'application/problem+json': { schema: ProblemSchema } }, description: 'Not a human' },
  },
})

/** Most pending actions an inbox lists: a queue longer than this needs a filter, not a longer page. */
const MAX_INBOX = 500
const PAGE = 200

const Eligibility = z
  .object({
    eligible: z.boolean(),
    requirements: z.array(z.string()).openapi({ description: 'When eligible: the rules of the requirements the caller\'s approval counts for.' }),
    code: z.string().nullable().openapi({ description: 'When not: FORBIDDEN (agent, requester, not an approver), ALREADY_DECIDED (decided or expired) or CONFLICT (already reviewed).' }),
    reason: z.string().nullable().openapi({ description: 'When not: why, written for the caller.' }),
  })
  .openapi('ReviewEligibility')

const InboxView = z
  .object({
    actions: z.array(ActionView.extend({ review: Eligibility })),
    counts: z.object({ reviewable: z.number().int(), waiting: z.number().int() }),
    truncated: z.boolean(),
  })
  .openapi('Inbox', { description: 'Pending actions, the one expiring first first, each with whether the caller may review it. Listed actions are brief, as in GET /v1/actions, but carry their facts (`impact.facts`).' })

const problems = {
  401: { content: { 'application/problem+json': { schema: ProblemSchema } }, description: 'No valid token' },
  403: { content: { 'application/problem+json': { schema: ProblemSchema } }, description: 'Not a human' },
  404: { content: { 'application/problem+json': { schema: ProblemSchema } }, description: 'No such action' },
} as const

const inboxRoute = createRoute({
  method: 'get',
  path: '/v1/inbox',
  operationId: 'getInbox',
  tags: ['reviews'],
  summary: 'Pending actions, most urgent first, each saying whether you may review it and why not (humans)',
  security: [{ bearer: [] }],
  responses: { 200: { content: { 'application/json': { schema: InboxView } }, description: 'The inbox' }, ...problems },
})

const eligibilityRoute = createRoute({
  method: 'get',
  path: '/v1/actions/{id}/eligibility',
  operationId: 'getEligibility',
  tags: ['reviews'],
  summary: 'Whether you may review this action now, and if not, why (the review rules themselves, not a guess)',
  security: [{ bearer: [] }],
  request: { params: ActionIdParam },
  responses: { 200: { content: { 'application/json': { schema: Eligibility } }, description: 'The verdict' }, ...problems },
})

/** `GET /v1/inbox` and `GET /v1/actions/{id}/eligibility`: what a reviewer may act on, by the review rules of the lifecycle core. */
export function inboxRoutes(app: OpenAPIHono<AppEnv>, gateway: Gateway, publicUrl: string | undefined): void {
  app.openapi(inboxRoute, async (c) => {
    const principal = c.get('principal')
    const { records, truncated } = await pendingActions(gateway, principal)
    const now = gateway.now()
    const delegators = await gateway.delegatorsOf(principal)
    const states = await Promise.all(records.map(async (record): Promise<ActionState> => ({ record, reviews: await gateway.store.getReviews(record.id) })))
    const actions = states
      // Brief, but with the facts: the inbox shows every warning of each action (its risk flags).
      .map((state) => ({ ...actionView(state, { publicUrl, brief: true }), impact: actionView(state).impact, review: eligibilityOf(state, principal, now, delegators) }))
      .sort((a, b) => (a.expires_at ?? '\uffff').localeCompare(b.expires_at ?? '\uffff') || a.id.localeCompare(b.id))
    const reviewable = actions.filter((action) => action.review.eligible).length
    return c.json({ actions, counts: { reviewable, waiting: actions.length - reviewable }, truncated }, 200)
  })

  app.openapi(notificationsRoute, async (c) => c.json({ notifications: [...(await gateway.notifications(c.get('principal'), c.req.valid('param').id))] }, 200))

  app.openapi(eligibilityRoute, async (c) => {
    const principal = c.get('principal')
    const state = await gateway.get(principal, c.req.valid('param').id)
    return c.json(eligibilityOf(state, principal, gateway.now(), await gateway.delegatorsOf(principal)), 200)
  })
}

async function pendingActions(gateway: Gateway, principal: Principal): Promise<{ records: ActionRecord[]; truncated: boolean }> {
  const records: ActionRecord[] = []
  let before: string | undefined
  for (;;) {
    const page = await gateway.list(principal, { status: ['pending'], before, limit: PAGE })
    records.push(...page)
    if (page.length < PAGE) return { records, truncated: false }
    if (records.length >= MAX_INBOX) return { records: records.slice(0, MAX_INBOX), truncated: true }
    before = page[page.length - 1]!.id
  }
}

/** Whether `principal` may review, counting the review rights lent to them (the same rules as `Gateway.review`). */
function eligibilityOf(state: ActionState, principal: Principal, now: Date, delegators: readonly Human[]): z.infer<typeof Eligibility> {
  const { record, reviews } = state
  const requirements = principal.type === 'human' ? withDelegatedRights(requirementsOf(record), principal, delegators, conflictedOf(record), reviews).requirements : requirementsOf(record)
  const verdict = reviewEligibility(
    { status: record.status as 'pending', expiresAt: record.expiresAt ?? new Date(0), requirements, reviews, conflicted: conflictedOf(record), requesters: requestersOf(record) },
    principal,
    now,
  )
  return verdict.eligible ? { eligible: true, requirements: [...verdict.requirements], code: null, reason: null } : { eligible: false, requirements: [], code: verdict.code, reason: verdict.reason }
}

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { CountersignError } from '../../errors/index.js'
import { EFFECTS } from '../../policy/index.js'
import { replayForPrincipal, type Gateway } from '../../service/index.js'
import type { AppEnv } from '../env.js'
import { ProblemSchema } from '../schemas.js'

const problem = (description: string) => ({ content: { 'application/problem+json': { schema: ProblemSchema } }, description })
const Effect = z.enum(EFFECTS)

const ReplayInput = z
  .strictObject({
    policy: z.string().min(1).max(1_000_000).openapi({ description: 'The candidate policy: the YAML text of a policy file.' }),
    since: z.string().max(64).optional().openapi({ description: 'Start of the window: a duration back from now (`30d`, `12h`) or an ISO 8601 time. Default `30d`.', example: '30d' }),
    until: z.string().max(64).optional().openapi({ description: 'End of the window (exclusive), in the same forms. Default: now.' }),
    targets: z.array(z.string().min(1).max(200)).max(100).optional().openapi({ description: 'Only actions on these targets.' }),
    facts: z.enum(['current', 'recorded']).optional().openapi({ description: '`current` (default): analyze each payload again; `recorded`: decide on the facts recorded at submission.' }),
    limit: z.int().min(1).max(100_000).optional().openapi({ description: 'List at most this many changed actions (all are counted). Default 1000.' }),
  })
  .openapi('ReplayInput')

const Side = z.object({ effect: Effect, rules: z.array(z.string()) })
const ReplayView = z
  .object({
    policy_version: z.string().openapi({ description: "SHA-256 of the candidate's text." }),
    since: z.string(),
    until: z.string().nullable(),
    targets: z.array(z.string()).nullable(),
    replayed: z.int(),
    changed: z.int().openapi({ description: 'Actions whose effect the candidate changes.' }),
    effects: z.array(z.object({ from: Effect, to: Effect, actions: z.int() })).openapi({ description: 'Each (recorded → candidate) effect pair that occurred; changed pairs first.' }),
    rules: z.array(z.object({ rule: z.string(), actions: z.int() })).openapi({ description: 'The rules responsible for the changes, most changes first.' }),
    facts: z.object({ analyzed: z.int(), recorded: z.int() }),
    changes: z.array(
      z.object({ id: z.string(), at: z.string(), kind: z.string(), target: z.string(), agent: z.string().nullable(), before: Side, after: Side, responsible: z.array(z.string()), link: z.string().optional() }),
    ),
    truncated: z.boolean(),
    shadow: z
      .array(z.object({ rule: z.string(), effect: Effect, actions: z.int(), would_change: z.int() }))
      .openapi({ description: "The candidate's shadow rules (`mode: shadow`) that applied: on how many actions, and on how many they would have changed the effect." }),
  })
  .openapi('ReplayReport')

const replayRoute = createRoute({
  method: 'post',
  path: '/v1/policy/replay',
  operationId: 'replayPolicy',
  tags: ['policy'],
  summary: 'Decide the stored actions of a window again under a candidate policy; nothing is stored (auditors, admins)',
  security: [{ bearer: [] }],
  request: { body: { content: { 'application/json': { schema: ReplayInput } }, required: true } },
  responses: {
    200: { content: { 'application/json': { schema: ReplayView } }, description: 'What would change: counts by effect, the rules responsible, the changed actions with links' },
    400: problem('Invalid request or invalid candidate policy (its located problems in `details`)'),
    401: problem('No valid token'),
    403: problem('Not an auditor or admin'),
  },
})

const PolicyView = z
  .object({
    version: z.string().openapi({ description: 'SHA-256 of the text in force: the `base` of a proposed change.' }),
    source: z.enum(['file', 'store']).openapi({ description: '`store`: changed by approved actions of kind `policy` on target `policy`; `file`: by editing the file.' }),
    rules: z.int(),
    default: Effect,
  })
  .openapi('PolicyInForce')

const policyRoute = createRoute({
  method: 'get',
  path: '/v1/policy',
  operationId: 'getPolicy',
  tags: ['policy'],
  summary: 'The policy in force: its version (the base of a change) and where it comes from (humans)',
  security: [{ bearer: [] }],
  responses: { 200: { content: { 'application/json': { schema: PolicyView } }, description: 'The policy in force' }, 401: problem('No valid token'), 403: problem('Not a human') },
})

/** The policy routes: the policy in force, and replay of a candidate over the stored history. */
export function policyRoutes(app: OpenAPIHono<AppEnv>, gateway: Gateway, publicUrl: string | undefined): void {
  app.openapi(policyRoute, (c) => {
    if (c.get('principal').type !== 'human') throw new CountersignError('FORBIDDEN', 'agents cannot read the policy in force')
    const policy = gateway.policy
    return c.json({ version: policy.version, source: gateway.policySource, rules: policy.rules.length, default: policy.default }, 200)
  })

  app.openapi(replayRoute, async (c) => {
    const report = await replayForPrincipal(gateway, c.get('principal'), c.req.valid('json'), publicUrl)
    return c.json(JSON.parse(JSON.stringify(report)) as z.infer<typeof ReplayView>, 200)
  })
}

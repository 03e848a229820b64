import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { RegistrationResponseJSON } from '@simplewebauthn/server'
import { CountersignError } from '../../errors/index.js'
import type { Human } from '../../lifecycle/index.js'
import type { Gateway } from '../../service/index.js'
import type { AppEnv } from '../env.js'
import { ActionIdParam, ProblemSchema } from '../schemas.js'

const problem = (description: string) => ({ content: { 'application/problem+json': { schema: ProblemSchema } }, description })
const security = [{ bearer: [] }]
const Options = z.record(z.string(), z.unknown()).openapi('WebAuthnOptions', { description: 'PublicKeyCredential options as JSON (for @simplewebauthn/browser or navigator.credentials).' })
const PasskeyView = z.object({ credential_id: z.string(), name: z.string(), created_at: z.string(), last_used_at: z.string().nullable(), revoked_at: z.string().nullable() }).openapi('Passkey')
const RegisterInput = z
  .object({ name: z.string().max(100).default(''), response: z.object({ id: z.string().max(1024), rawId: z.string().max(1024), type: z.literal('public-key'), response: z.record(z.string(), z.unknown()) }).passthrough() })
  .strict()
  .openapi('PasskeyRegistration')
const CredentialParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{16,1024}$/, 'not a credential id').openapi({ param: { name: 'id', in: 'path' } }) })

const registrationOptionsRoute = createRoute({
  method: 'post',
  path: '/v1/passkeys/registration-options',
  operationId: 'passkeyRegistrationOptions',
  tags: ['passkeys'],
  summary: 'Options to register a new passkey for yourself (humans)',
  security,
  responses: { 200: { content: { 'application/json': { schema: Options } }, description: 'Creation options' }, 401: problem('No valid token'), 403: problem('Not a human') },
})
const registerRoute = createRoute({
  method: 'post',
  path: '/v1/passkeys',
  operationId: 'registerPasskey',
  tags: ['passkeys'],
  summary: 'Register a passkey from the authenticator\'s response (audited with its public key)',
  security,
  request: { body: { content: { 'application/json': { schema: RegisterInput } }, required: true } },
  responses: { 201: { content: { 'application/json': { schema: PasskeyView } }, description: 'Registered' }, 400: problem('Invalid registration'), 401: problem('No valid token'), 403: problem('Not a human, or the challenge is unknown or used') },
})
const listRoute = createRoute({
  method: 'get',
  path: '/v1/passkeys',
  operationId: 'listPasskeys',
  tags: ['passkeys'],
  summary: 'Your passkeys',
  security,
  responses: { 200: { content: { 'application/json': { schema: z.object({ passkeys: z.array(PasskeyView) }) } }, description: 'Passkeys' }, 401: problem('No valid token'), 403: problem('Not a human') },
})
const revokeRoute = createRoute({
  method: 'delete',
  path: '/v1/passkeys/{id}',
  operationId: 'revokePasskey',
  tags: ['passkeys'],
  summary: 'Revoke one of your passkeys (admins: anyone\'s)',
  security,
  request: { params: CredentialParam },
  responses: { 204: { description: 'Revoked' }, 401: problem('No valid token'), 403: problem('Not a human'), 404: problem('No such live passkey') },
})
const approvalOptionsRoute = createRoute({
  method: 'post',
  path: '/v1/actions/{id}/passkey-options',
  operationId: 'passkeyApprovalOptions',
  tags: ['passkeys'],
  summary: 'Options to approve an action with a passkey: the challenge binds its digest, requirements, policy version and an expiry',
  security,
  request: { params: ActionIdParam },
  responses: { 200: { content: { 'application/json': { schema: Options } }, description: 'Request options' }, 401: problem('No valid token'), 403: problem('Not allowed to review it, or no passkey'), 404: problem('No such action'), 409: problem('Already decided') },
})

/** Passkeys (`review.assurance: passkey`): registration, listing, revocation, and approval options. */
export function passkeyRoutes(app: OpenAPIHono<AppEnv>, gateway: Gateway): void {
  const service = () => {
    if (!gateway.passkeys) throw new CountersignError('INVALID', 'this gateway does not take passkeys')
    return gateway.passkeys
  }
  app.openapi(registrationOptionsRoute, async (c) => c.json((await service().registrationOptions(humanOf(c.get('principal')))) as unknown as Record<string, unknown>, 200))
  app.openapi(registerRoute, async (c) => {
    const input = c.req.valid('json')
    return c.json(await service().register(humanOf(c.get('principal')), input.response as unknown as RegistrationResponseJSON, input.name), 201)
  })
  app.openapi(listRoute, async (c) => c.json({ passkeys: [...(await service().list(humanOf(c.get('principal'))))] }, 200))
  app.openapi(revokeRoute, async (c) => {
    await service().revoke(humanOf(c.get('principal')), c.req.valid('param').id)
    return c.body(null, 204)
  })
  app.openapi(approvalOptionsRoute, async (c) => c.json((await gateway.passkeyOptions(c.get('principal'), c.req.valid('param').id)) as unknown as Record<string, unknown>, 200))
}

function humanOf(principal: AppEnv['Variables']['principal']): Human {
  if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'only humans have passkeys')
  return principal
}

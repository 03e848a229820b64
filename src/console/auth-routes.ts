import type { Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { Logger } from 'pino'
import type { Config, Directory } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import { canonicalEmail } from '../lifecycle/index.js'
import { sameOrigin } from './csrf.js'
import { admitClaims, type Admission } from './identity.js'
import type { OidcSignIn, PendingSignIn } from './oidc.js'
import type { ConsoleSessions } from './sessions.js'

/** How long a sign-in may take at the provider before its state is forgotten. */
const SIGN_IN_SECONDS = 600
const DEFAULT_PAGE = '/inbox'

/** What the console's sign-in and session endpoints are built from. */
export interface AuthRoutesOptions {
  readonly config: Config
  readonly directory: Directory
  readonly admission: Admission
  readonly sessions: ConsoleSessions
  /** Present when `console.oidc` is configured. */
  readonly oidc?: OidcSignIn | undefined
  readonly logger?: Logger | undefined
}

/**
 * The console's sign-in: `GET /auth/login` sends the browser to the OIDC provider and
 * `GET /auth/callback` completes it; `POST /auth/dev` is the quickstart's development sign-in;
 * `POST /auth/logout` ends the session; `GET /auth/session` tells the page who is signed in and
 * how one signs in; `GET /console/directory` lists targets and agents for its filters.
 * Failures of a sign-in return to the sign-in page with a code it explains.
 */
export function authRoutes(app: Hono<any>, options: AuthRoutesOptions): void {
  const { sessions, oidc, config, directory, logger } = options
  const devLogin = config.console.dev_login && oidc === undefined
  const pendingCookie = sessions.secure ? '__Host-cs_signin' : 'cs_signin'
  const noStore = { 'cache-control': 'no-store' }

  app.get('/auth/session', async (c) => {
    const user = await sessions.current(c)
    return c.json(
      {
        user: user ? { email: user.human.email, groups: user.human.groups, admin: user.human.admin, auditor: user.human.auditor, method: user.session.method, expires_at: user.session.expiresAt.toISOString() } : null,
        csrf_token: user?.csrf ?? null,
        sign_in: {
          oidc: oidc ? { issuer: oidc.issuerHost } : null,
          dev: devLogin ? { humans: configuredHumans(config, directory) } : null,
        },
      },
      200,
      noStore,
    )
  })

  app.get('/console/directory', async (c) => {
    if (!(await sessions.current(c))) throw new CountersignError('UNAUTHENTICATED', 'sign in to the console first')
    return c.json(
      {
        targets: config.targets.map((target) => ({ name: target.name, kind: target.kind, labels: target.labels, description: target.description ?? null, brokered: target.connector !== undefined })),
        agents: config.identities.agents.map((agent) => ({ id: agent.id, owner: agent.owner, labels: agent.labels, description: agent.description ?? null })),
        // Who is in each approver group, as the config says (an OIDC provider may add members at sign-in).
        groups: groupMembers(config),
      },
      200,
      noStore,
    )
  })

  app.get('/auth/login', async (c) => {
    if (!oidc) throw new CountersignError('NOT_FOUND', 'no OIDC provider is configured (console.oidc)')
    let started: Awaited<ReturnType<OidcSignIn['begin']>>
    try {
      started = await oidc.begin(safeReturnTo(c.req.query('return_to')))
    } catch (error) {
      logger?.error({ err: error, issuer: oidc.issuerHost }, 'console sign-in: the OIDC provider cannot be reached')
      return c.redirect('/login?error=unavailable', 303)
    }
    setCookie(c, pendingCookie, Buffer.from(JSON.stringify(started.pending)).toString('base64url'), { path: '/', httpOnly: true, secure: sessions.secure, sameSite: 'Lax', maxAge: SIGN_IN_SECONDS })
    return c.redirect(started.url.href, 302)
  })

  app.get('/auth/callback', async (c) => {
    if (!oidc) throw new CountersignError('NOT_FOUND', 'no OIDC provider is configured (console.oidc)')
    const pending = readPending(getCookie(c, pendingCookie))
    deleteCookie(c, pendingCookie, { path: '/', secure: sessions.secure })
    const query = new URL(c.req.url).searchParams
    if (!pending) return c.redirect('/login?error=expired', 303)
    if (query.has('error')) {
      logger?.warn({ error: query.get('error')?.slice(0, 100) }, 'console sign-in: the OIDC provider refused')
      return c.redirect('/login?error=refused', 303)
    }
    let claims: Record<string, unknown>
    try {
      claims = await oidc.finish(query, pending)
    } catch (error) {
      logger?.warn({ err: error instanceof Error ? error.message : error }, 'console sign-in: the response could not be verified')
      return c.redirect('/login?error=failed', 303)
    }
    const identity = admitClaims(claims, options.admission, config.console.oidc?.groups_claim)
    if (!identity.ok) {
      logger?.warn({ code: identity.code, email: typeof claims['email'] === 'string' ? canonicalEmail(claims['email']) : null }, 'console sign-in refused')
      return c.redirect(`/login?error=${identity.code}`, 303)
    }
    await sessions.start(c, { email: identity.email, groups: identity.groups, method: 'oidc' })
    logger?.info({ email: identity.email, method: 'oidc' }, 'console sign-in')
    return c.redirect(pending.returnTo, 303)
  })

  app.post('/auth/dev', async (c) => {
    if (!devLogin) throw new CountersignError('NOT_FOUND', 'the development sign-in is off (console.dev_login)')
    if (!sameOrigin(c, sessions.publicOrigin)) throw new CountersignError('FORBIDDEN', 'cross-site sign-in refused')
    if (!(Number(c.req.header('content-length') ?? Number.NaN) <= 4096)) throw new CountersignError('INVALID', 'send the form with a Content-Length of at most 4096 bytes')
    const form = await c.req.parseBody()
    const human = typeof form['email'] === 'string' ? directory.human(canonicalEmail(form['email'])) : undefined
    if (!human) throw new CountersignError('INVALID', 'the development sign-in takes a human the config names')
    await sessions.start(c, { email: human.email, groups: [], method: 'dev' })
    logger?.info({ email: human.email, method: 'dev' }, 'console sign-in')
    return c.redirect(safeReturnTo(typeof form['return_to'] === 'string' ? form['return_to'] : undefined), 303)
  })

  app.post('/auth/logout', async (c) => {
    const user = await sessions.current(c)
    if (user) sessions.requireCsrf(c)
    await sessions.end(c)
    if (user) logger?.info({ email: user.human.email }, 'console sign-out')
    return c.body(null, 204, noStore)
  })
}

/** A path of this site to go to after signing in: anything else (another site, `//host`, the sign-in itself) goes to the inbox. */
export function safeReturnTo(value: string | undefined): string {
  if (value === undefined || value.length > 500) return DEFAULT_PAGE
  if (!/^\/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/.test(value) || value.startsWith('/auth/') || value.startsWith('/login')) return DEFAULT_PAGE
  return value
}

function readPending(cookie: string | undefined): PendingSignIn | undefined {
  if (cookie === undefined || cookie.length > 2000) return undefined
  try {
    const value = JSON.parse(Buffer.from(cookie, 'base64url').toString('utf8')) as Record<string, unknown>
    const { state, nonce, verifier, returnTo } = value
    if (typeof state !== 'string' || typeof nonce !== 'string' || typeof verifier !== 'string' || typeof returnTo !== 'string') return undefined
    return { state, nonce, verifier, returnTo: safeReturnTo(returnTo) }
  } catch {
    return undefined
  }
}

/** Every human the config names, for the development sign-in's list. */
function configuredHumans(config: Config, directory: Directory): { email: string; name: string | null; groups: readonly string[]; admin: boolean; auditor: boolean }[] {
  const { identities } = config
  const emails = new Set([...identities.humans.map((human) => human.email), ...Object.values(identities.groups).flat(), ...identities.admins, ...identities.auditors])
  return [...emails]
    .sort()
    .flatMap((email) => {
      const human = directory.human(email)
      return human ? [{ email: human.email, name: human.name ?? null, groups: human.groups, admin: human.admin, auditor: human.auditor }] : []
    })
}


/** The members of each group the config names, by group, emails sorted. */
function groupMembers(config: Config): Record<string, string[]> {
  const groups: Record<string, string[]> = {}
  for (const human of config.identities.humans) for (const group of human.groups) (groups[group.toLowerCase()] ??= []).push(human.email)
  for (const members of Object.values(groups)) members.sort()
  return groups
}

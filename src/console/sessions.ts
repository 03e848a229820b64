import { createHash, randomBytes } from 'node:crypto'
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { CountersignError } from '../errors/index.js'
import type { Human } from '../lifecycle/index.js'
import type { SessionRecord, SessionStore } from '../store/index.js'
import { CSRF_HEADER, changesState, csrfToken, sameOrigin, validCsrf } from './csrf.js'
import { sessionHuman, type Admission } from './identity.js'

/** A signed-in console user, as one request sees them. */
export interface ConsoleUser {
  readonly human: Human
  readonly session: SessionRecord
  /** The token the page must send in `x-csrf-token` with every state-changing request. */
  readonly csrf: string
}

/** What console sessions are built from. */
export interface ConsoleSessionsOptions {
  readonly store: SessionStore
  readonly admission: Admission
  /** How long a session lasts from sign-in, in ms. */
  readonly ttlMs: number
  /** The console's public base URL: an `https:` one makes the cookies `Secure` and `__Host-` prefixed. */
  readonly publicUrl: string
  readonly clock?: () => Date
}

/**
 * The console's sessions: a random id in an HttpOnly, SameSite=Lax cookie (Secure and
 * `__Host-` prefixed over HTTPS), its SHA-256 in the store. The human behind a session is
 * decided again at every request from the current config, so removing someone from the config
 * signs them out everywhere.
 */
export class ConsoleSessions {
  readonly cookieName: string
  readonly secure: boolean
  readonly publicOrigin: string
  readonly #options: ConsoleSessionsOptions
  readonly #clock: () => Date

  constructor(options: ConsoleSessionsOptions) {
    this.#options = options
    this.#clock = options.clock ?? (() => new Date())
    const url = new URL(options.publicUrl)
    this.secure = url.protocol === 'https:'
    this.publicOrigin = url.origin
    this.cookieName = this.secure ? '__Host-cs_session' : 'cs_session'
  }

  /** Starts a session for a human who just signed in, and sets its cookie on the response. */
  async start(c: Context, identity: { readonly email: string; readonly groups: readonly string[]; readonly method: 'oidc' | 'dev' }): Promise<void> {
    // A sign-in never continues a session this browser had (or was given): that one ends.
    const previous = getCookie(c, this.cookieName)
    if (previous !== undefined) await this.#options.store.delete(sessionSha256(previous))
    const id = randomBytes(32).toString('base64url')
    const now = this.#clock()
    const expiresAt = new Date(now.getTime() + this.#options.ttlMs)
    await this.#options.store.create({ idSha256: sessionSha256(id), email: identity.email, groups: identity.groups, method: identity.method, createdAt: now, expiresAt })
    setCookie(c, this.cookieName, id, { path: '/', httpOnly: true, secure: this.secure, sameSite: 'Lax', maxAge: Math.floor(this.#options.ttlMs / 1000) })
  }

  /** The signed-in user of this request, or `undefined` (no cookie, unknown or expired session, or a human no longer allowed in). */
  async current(c: Context): Promise<ConsoleUser | undefined> {
    const id = getCookie(c, this.cookieName)
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined
    const session = await this.#options.store.find(sessionSha256(id), this.#clock())
    if (!session) return undefined
    const human = sessionHuman(session, this.#options.admission)
    return human && { human, session, csrf: csrfToken(id) }
  }

  /**
   * Authenticates an API request by its session cookie (for `createApp`'s `session` option):
   * the human, or `undefined` without a live session. A state-changing request must also come
   * from this origin and carry the session's CSRF token, or it is refused.
   */
  readonly authenticate = async (c: Context): Promise<Human | undefined> => {
    const user = await this.current(c)
    if (!user) return undefined
    if (changesState(c.req.method)) this.requireCsrf(c)
    return user.human
  }

  /** Refuses a state-changing request that did not come from a console page of this session. */
  requireCsrf(c: Context): void {
    if (!sameOrigin(c, this.publicOrigin)) throw new CountersignError('FORBIDDEN', 'cross-site request refused: a signed-in console session acts only from its own pages')
    if (!validCsrf(getCookie(c, this.cookieName) ?? '', c.req.header(CSRF_HEADER))) {
      throw new CountersignError('FORBIDDEN', `missing or wrong CSRF token: a request authenticated by the console's session cookie must send the ${CSRF_HEADER} header`)
    }
  }

  /** Ends this request's session (in the store, for every replica) and clears its cookie. */
  async end(c: Context): Promise<void> {
    const id = getCookie(c, this.cookieName)
    if (id !== undefined) await this.#options.store.delete(sessionSha256(id))
    deleteCookie(c, this.cookieName, { path: '/', secure: this.secure, httpOnly: true, sameSite: 'Lax' })
  }
}

/** The stored form of a session id. */
function sessionSha256(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex')
}

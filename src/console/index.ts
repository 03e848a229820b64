import type { Hono } from 'hono'
import type { Logger } from 'pino'
import type { Config, Directory } from '../config/index.js'
import { SessionStore, type Store } from '../store/index.js'
import { serveConsoleAssets } from './assets.js'
import { authRoutes } from './auth-routes.js'
import { CONSOLE_DIST } from './build.js'
import { OidcSignIn } from './oidc.js'
import { ConsoleSessions } from './sessions.js'

export { CONSOLE_DIR, CONSOLE_DIST, ensureConsoleBuilt } from './build.js'
export { CONTENT_SECURITY_POLICY } from './assets.js'
export { CSRF_HEADER } from './csrf.js'
export { admitClaims, sessionHuman } from './identity.js'
export type { Admission, SignInIdentity } from './identity.js'
export { ConsoleSessions } from './sessions.js'
export type { ConsoleUser } from './sessions.js'

/** What the web console is built from. */
export interface ConsoleParts {
  readonly config: Config
  readonly directory: Directory
  readonly store: Store
  /** The base URL browsers reach the gateway at (cookies, redirect URI). */
  readonly publicUrl: string
  readonly logger?: Logger | undefined
  readonly clock?: () => Date
  /** The built assets (default: `console/dist`). */
  readonly assetsDir?: string | undefined
}

/** The web console: its sessions (which the API accepts in place of a bearer token) and its routes. */
export interface WebConsole {
  readonly sessions: ConsoleSessions
  /** Adds the sign-in endpoints and the pages to the gateway's app. */
  mount(app: Hono<any>): void
}

/**
 * The web console of issue 8: sign-in with OIDC (or the quickstart's development sign-in),
 * sessions shared by every replica through the store, and the single-page app served from this
 * origin. The pages use the HTTP API itself, authenticated by the session.
 *
 * @example
 * const web = createConsole({ config, directory, store, publicUrl })
 * const app = createApp({ …, session: web.sessions.authenticate })
 * web.mount(app)
 */
export function createConsole(parts: ConsoleParts): WebConsole {
  const admission = { directory: parts.directory, allowedDomains: parts.config.identities.allowed_domains }
  const sessions = new ConsoleSessions({
    store: new SessionStore(parts.store.db),
    admission,
    ttlMs: parts.config.console.session_ttl_ms,
    publicUrl: parts.publicUrl,
    ...(parts.clock && { clock: parts.clock }),
  })
  const oidcConfig = parts.config.console.oidc
  const oidc = oidcConfig ? new OidcSignIn(oidcConfig, `${parts.publicUrl}/auth/callback`) : undefined
  if (parts.config.console.dev_login) parts.logger?.warn({ url: parts.publicUrl }, 'the console\'s development sign-in is on: anyone who reaches it can sign in as anyone (console.dev_login)')
  return {
    sessions,
    mount(app) {
      authRoutes(app, { config: parts.config, directory: parts.directory, admission, sessions, oidc, logger: parts.logger })
      serveConsoleAssets(app, { dir: parts.assetsDir ?? CONSOLE_DIST, secure: sessions.secure })
    },
  }
}

import { z } from 'zod'
import { duration, httpUrl, secret } from './config-values.js'

/** A claim name as IdPs spell them: `groups`, `roles`, `https://example.com/groups`, `cognito:groups`. */
const ClaimName = z.string('expected a claim name such as groups').regex(/^[A-Za-z0-9_.:/-]{1,200}$/, 'expected a claim name such as groups or https://example.com/groups')

const Scope = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, 'expected an OAuth scope such as openid, email or groups')

function oidcSchema(baseDir: string) {
  return z.strictObject({
    issuer: httpUrl().refine((url) => {
      const { protocol, hostname } = new URL(url)
      return protocol === 'https:' || ['127.0.0.1', '[::1]', 'localhost'].includes(hostname)
    }, 'expected an https:// issuer (plain http only on this machine: 127.0.0.1, [::1] or localhost)'),
    client_id: z.string('expected the client id registered at the issuer').min(1).max(500),
    // Absent: a public client, protected by PKCE alone.
    client_secret: secret(baseDir).optional(),
    scopes: z
      .array(Scope)
      .min(1)
      .default(['openid', 'email', 'profile'])
      .refine((scopes) => scopes.includes('openid'), 'the scopes must include openid'),
    groups_claim: ClaimName.optional(),
  })
}

/** `console` (the web console): how humans sign in, and for how long. */
export function consoleSchema(baseDir: string) {
  return z
    .strictObject({
      oidc: oidcSchema(baseDir).optional(),
      dev_login: z.boolean().default(false),
      session_ttl: duration({ min: 60_000, max: 30 * 86_400_000, minText: '1m', maxText: '30d' }).prefault('12h'),
    })
    .superRefine(
      (value, ctx) => {
        // The development sign-in lets anyone who reaches the gateway be anyone: never beside a real issuer.
        if (value.dev_login === true && value.oidc !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['dev_login'], message: 'dev_login (anyone can sign in as anyone) cannot be combined with oidc: remove it' })
        }
      },
      { when: () => true },
    )
    .transform(({ oidc, dev_login, session_ttl }) => ({ ...(oidc && { oidc }), dev_login, session_ttl_ms: session_ttl }))
    .prefault({})
}

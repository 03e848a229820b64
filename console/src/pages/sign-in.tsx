import { useLocation } from '../router'
import type { SessionInfo } from '../types'

const ERRORS: Record<string, string> = {
  not_allowed: 'Your account is not allowed in this Countersign: it is neither in the configuration nor of an allowed domain. Ask an administrator to add you.',
  email_unverified: 'Your identity provider has not verified your email address, and the email is who you are here.',
  no_email: 'Your identity provider did not tell us your email address (the email scope or claim is missing).',
  expired: 'The sign-in took too long or was started in another browser. Please sign in again.',
  refused: 'The identity provider did not sign you in.',
  failed: 'The identity provider\'s answer could not be verified. Please try again; if it persists, tell an administrator.',
  unavailable: 'The identity provider cannot be reached right now. Please try again in a moment.',
}

/** The sign-in page: the OIDC provider's button, or the quickstart's development sign-in. */
export function SignInPage({ session }: { session: SessionInfo }) {
  const { path, search } = useLocation()
  const params = new URLSearchParams(search)
  const error = params.get('error')
  const returnTo = path === '/login' || path === '/' ? params.get('return_to') ?? '/inbox' : path + search
  const { oidc, dev } = session.sign_in
  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card">
        <p className="brand">
          <span className="brand-mark" aria-hidden="true">
            ✓
          </span>
          Countersign
        </p>
        <h1>Sign in</h1>
        <p className="muted">Review the actions your agents ask to run, watch what they do, and look back at what happened.</p>
        {error && (
          <p className="alert alert-bad" role="alert">
            {ERRORS[error] ?? 'The sign-in did not complete. Please try again.'}
          </p>
        )}
        {oidc && (
          <a className="button primary wide" href={`/auth/login?return_to=${encodeURIComponent(returnTo)}`}>
            Sign in with {oidc.issuer}
          </a>
        )}
        {dev && (
          <section className="dev-sign-in" aria-labelledby="dev-title">
            <h2 id="dev-title">Development sign-in</h2>
            <p className="alert alert-warn">
              For the quickstart only: pick anyone, no password. Identities are not verified, so this is disabled as soon as an OIDC provider is configured (<code>console.oidc</code>).
            </p>
            <ul className="people">
              {dev.humans.map((human) => (
                <li key={human.email}>
                  <form method="post" action="/auth/dev">
                    <input type="hidden" name="email" value={human.email} />
                    <input type="hidden" name="return_to" value={returnTo} />
                    <button type="submit" className="person">
                      <span className="person-email">{human.email}</span>
                      <span className="muted">
                        {[...human.groups, human.admin ? 'admin' : '', human.auditor ? 'auditor' : ''].filter(Boolean).join(' · ') || 'no groups'}
                      </span>
                    </button>
                  </form>
                </li>
              ))}
            </ul>
          </section>
        )}
        {!oidc && !dev && (
          <p className="alert alert-warn">
            No sign-in is configured. Set <code>console.oidc</code> (issuer, client_id) in countersign.yaml. The HTTP API works with tokens meanwhile.
          </p>
        )}
      </div>
    </main>
  )
}

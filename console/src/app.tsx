import { useEffect, useState } from 'react'
import { api, setCsrfToken } from './api'
import { Shell } from './shell'
import { SignInPage } from './pages/sign-in'
import { navigate, useLocation } from './router'
import type { SessionInfo } from './types'

/** The console: the sign-in page until there is a session, then the shell with its pages. */
export function App() {
  const [session, setSession] = useState<SessionInfo | undefined>()
  const [error, setError] = useState<string | undefined>()
  const { path } = useLocation()

  useEffect(() => {
    api<SessionInfo>('/auth/session')
      .then((info) => {
        setCsrfToken(info.csrf_token)
        setSession(info)
      })
      .catch((reason: Error) => setError(reason.message))
  }, [])

  useEffect(() => {
    if (session?.user && (path === '/' || path === '/login')) navigate('/inbox', { replace: true })
  }, [session, path])

  if (error) return <p className="boot-error">The gateway did not answer: {error}. Reload to try again.</p>
  if (!session) return <p className="boot">Loading…</p>
  if (!session.user) return <SignInPage session={session} />
  return <Shell user={session.user} onSignedOut={() => setSession({ ...session, user: null, csrf_token: null })} />
}

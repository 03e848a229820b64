import { useEffect, useMemo, useRef, useState } from 'react'
import { api, setCsrfToken } from './api'
import { isTyping, usePoll } from './hooks'
import { AuditPage } from './pages/audit'
import { GrantsPage } from './pages/grants'
import { PasskeysPage } from './pages/passkeys'
import { InboxPage } from './pages/inbox'
import { MonitorPage } from './pages/monitor'
import { RequestPage } from './pages/request'
import { Link, navigate, useLocation } from './router'
import { Console, type ConsoleContext } from './session'
import type { Directory, Inbox, User } from './types'

const SHORTCUTS: [string, string][] = [
  ['g then i / m / a', 'go to the inbox, the monitor, the audit log'],
  ['j / k', 'next / previous row'],
  ['Enter', 'open the focused row'],
  ['/', 'focus the search or first filter'],
  ['a / d', 'on a request you may review: type the reason, then Tab to Approve or Deny'],
  ['Esc', 'back to the inbox'],
  ['?', 'show or hide these shortcuts'],
]

/** The signed-in console: the header with its navigation, the page, and the keyboard shortcuts. */
export function Shell({ user, onSignedOut }: { user: User; onSignedOut: () => void }) {
  const { path } = useLocation()
  const [directory, setDirectory] = useState<Directory | undefined>()
  const [help, setHelp] = useState(false)
  const inbox = usePoll((signal) => api<Inbox>('/v1/inbox', { signal }), 2000, 'inbox')
  const main = useRef<HTMLElement>(null)

  useEffect(() => {
    api<Directory>('/console/directory').then(setDirectory, () => undefined)
  }, [])

  useEffect(() => {
    // "g" then a letter: the pages; "?" the help. Single keys never fire while typing.
    let pending = false
    const onKey = (event: KeyboardEvent) => {
      if (event.metaKey || event.ctrlKey || event.altKey || isTyping(event)) return
      if (pending) {
        pending = false
        const to = { i: '/inbox', m: '/monitor', a: '/audit' }[event.key]
        if (to) {
          event.preventDefault()
          navigate(to)
        }
        return
      }
      if (event.key === 'g') pending = true
      else if (event.key === '?') setHelp((shown) => !shown)
      else if (event.key === 'Escape') setHelp(false)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  useEffect(() => {
    // A new page: its heading takes the focus, so screen readers and the keyboard start there.
    main.current?.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true })
  }, [path])

  const context = useMemo<ConsoleContext>(() => ({ user, directory, inbox: inbox.data, inboxError: inbox.error, reloadInbox: inbox.reload }), [user, directory, inbox.data, inbox.error, inbox.reload])
  const reviewable = inbox.data?.counts.reviewable ?? 0
  const auditor = user.auditor || user.admin

  useEffect(() => {
    const page = path.startsWith('/actions/') ? 'Request' : path === '/monitor' ? 'Monitor' : path === '/audit' ? 'Audit log' : path === '/grants' ? 'Grants' : path === '/passkeys' ? 'Passkeys' : 'Inbox'
    document.title = `${reviewable > 0 ? `(${reviewable}) ` : ''}${page} · Countersign`
  }, [path, reviewable])

  const signOut = async () => {
    await api('/auth/logout', { method: 'POST' }).catch(() => undefined)
    setCsrfToken(null)
    navigate('/login', { replace: true })
    onSignedOut()
  }

  const match = /^\/actions\/(act_[0-9a-z]{26})$/.exec(path)
  let page
  if (match) page = <RequestPage key={match[1]} id={match[1]!} />
  else if (path === '/monitor') page = <MonitorPage />
  else if (path === '/audit') page = <AuditPage />
  else if (path === '/grants') page = <GrantsPage />
  else if (path === '/passkeys') page = <PasskeysPage />
  else if (path === '/inbox' || path === '/' || path === '/login') page = <InboxPage />
  else page = <NotFound />

  return (
    <Console.Provider value={context}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      {user.method === 'dev' && (
        <div className="dev-banner" role="note">
          Development sign-in: identities are not verified. Anyone who reaches this gateway can act as anyone. Configure <code>console.oidc</code> for real use.
        </div>
      )}
      <header className="top">
        <Link to="/inbox" className="brand" aria-label="Countersign, inbox">
          <span className="brand-mark" aria-hidden="true">
            ✓
          </span>
          Countersign
        </Link>
        <nav aria-label="Console">
          <Link to="/inbox" aria-current={path === '/inbox' || path.startsWith('/actions/') ? 'page' : undefined}>
            Inbox
            {reviewable > 0 && (
              <span className="count" aria-label={`${reviewable} waiting for your review`}>
                {reviewable}
              </span>
            )}
          </Link>
          <Link to="/monitor" aria-current={path === '/monitor' ? 'page' : undefined}>
            Monitor
          </Link>
          <Link to="/grants" aria-current={path === '/grants' ? 'page' : undefined}>
            Grants
          </Link>
          <Link to="/passkeys" aria-current={path === '/passkeys' ? 'page' : undefined}>
            Passkeys
          </Link>
          {auditor && (
            <Link to="/audit" aria-current={path === '/audit' ? 'page' : undefined}>
              Audit
            </Link>
          )}
        </nav>
        <div className="who">
          <span className="who-email" title={`groups: ${user.groups.join(', ') || 'none'}${user.admin ? ' · admin' : ''}${user.auditor ? ' · auditor' : ''}`}>
            {user.email}
          </span>
          <button type="button" className="quiet" onClick={() => setHelp((shown) => !shown)} aria-expanded={help} aria-controls="shortcuts">
            Shortcuts
          </button>
          <button type="button" className="quiet" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      {help && (
        <aside id="shortcuts" className="shortcuts" aria-label="Keyboard shortcuts">
          <dl>
            {SHORTCUTS.map(([keys, what]) => (
              <div key={keys}>
                <dt>
                  <kbd>{keys}</kbd>
                </dt>
                <dd>{what}</dd>
              </div>
            ))}
          </dl>
        </aside>
      )}
      <main id="main" ref={main}>
        {page}
      </main>
    </Console.Provider>
  )
}

function NotFound() {
  return (
    <section>
      <h1 tabIndex={-1}>Not found</h1>
      <p>
        There is no such page. <Link to="/inbox">Go to the inbox</Link>.
      </p>
    </section>
  )
}

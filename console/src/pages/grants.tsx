import { useState } from 'react'
import { api } from '../api'
import { Visible } from '../components/visible'
import { clock, relative } from '../format'
import { usePoll } from '../hooks'
import { Link } from '../router'
import { useConsole } from '../session'
import type { Grant } from '../types'

/**
 * Narrowing grants: approvals that also cover later actions of the same agent, target and shape
 * until they expire or are used up. Each shows what it admits, who granted it, its uses and its
 * end; a human who granted it, or an admin, can revoke it here at once.
 */
export function GrantsPage() {
  const { user } = useConsole()
  const [all, setAll] = useState(false)
  const grants = usePoll((signal) => api<{ grants: Grant[] }>(`/v1/grants${all ? '' : '?live=true'}`, { signal }), 5000, `grants-${all}`)
  const [error, setError] = useState<string | undefined>()
  const now = Date.now()

  const revoke = async (grant: Grant) => {
    setError(undefined)
    try {
      await api(`/v1/grants/${grant.id}`, { method: 'DELETE', body: { reason: 'revoked in the console' } })
      grants.reload()
    } catch (reason) {
      setError((reason as Error).message)
    }
  }

  const list = grants.data?.grants ?? []
  return (
    <section className="page grants">
      <header className="page-head">
        <h1 tabIndex={-1}>Grants</h1>
        <p className="muted">Approvals that also cover later actions of the same agent, target and shape, until they end. A rule allows them with review.grants.</p>
        <label className="check">
          <input type="checkbox" checked={all} onChange={(event) => setAll(event.target.checked)} /> Show ended and revoked grants
        </label>
      </header>
      {error && (
        <p className="alert alert-bad" role="alert">
          {error}
        </p>
      )}
      {grants.data && list.length === 0 && <p className="empty">{all ? 'No grants yet.' : 'No live grants.'}</p>}
      <ul className="grant-list">
        {list.map((grant) => {
          const mine = grant.reviewers.some((reviewer) => reviewer.email === user.email)
          return (
            <li key={grant.id} className={`panel grant ${grant.live ? 'grant-live' : 'grant-ended'}`}>
              <div className="grant-head">
                <strong className="mono">{grant.id}</strong>
                <span className={grant.live ? 'ok-text' : 'muted'}>{grant.revoked_at ? `revoked by ${grant.revoked_by ?? '?'}` : grant.live ? 'live' : 'ended'}</span>
                <span>
                  {grant.uses}/{grant.max_uses} used
                </span>
              </div>
              <dl className="pairs">
                <div>
                  <dt>covers</dt>
                  <dd>
                    {grant.kind} on <span className="mono">{grant.target}</span> by <span className="mono">{grant.submitted_by}</span>
                  </dd>
                </div>
                <div>
                  <dt>shape</dt>
                  <dd>
                    <Visible text={shapeText(grant.shape)} />
                  </dd>
                </div>
                <div>
                  <dt>granted by</dt>
                  <dd>
                    {grant.reviewers.map((reviewer) => reviewer.email).join(', ')} (rule {grant.rules.join(', ')}) with <Link to={`/actions/${grant.action_id}`}>{grant.action_id}</Link>
                  </dd>
                </div>
                <div>
                  <dt>{grant.live ? 'ends' : 'ended'}</dt>
                  <dd>
                    {clock(grant.revoked_at ?? grant.expires_at)} <span className="muted">({relative(grant.revoked_at ?? grant.expires_at, now)})</span>
                  </dd>
                </div>
              </dl>
              {grant.live && (mine || user.admin) && (
                <button type="button" className="deny" onClick={() => void revoke(grant)}>
                  Revoke
                </button>
              )}
            </li>
          )
        })}
      </ul>
    </section>
  )
}

/** A grant's shape in words: `statement_types: update · tables: users · max_estimated_rows: 1`. */
export function shapeText(shape: Record<string, unknown>): string {
  return Object.entries(shape)
    .filter(([key]) => key !== 'kind')
    .map(([key, value]) => `${key.replace(/_/g, ' ')}: ${Array.isArray(value) ? value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(', ') || 'none' : value === -1 ? 'not estimated' : String(value)}`)
    .join(' · ')
}

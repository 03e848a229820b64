import { KindTag } from '../components/status'
import { Visible } from '../components/visible'
import { relative, span } from '../format'
import { useNow, useRowKeys } from '../hooks'
import { Link } from '../router'
import { useConsole } from '../session'
import type { InboxEntry } from '../types'

/** Expiring sooner than this is urgent. */
const URGENT_MS = 5 * 60_000

/**
 * The approver's inbox: pending requests they may review, the one expiring first on top; then
 * the pending requests they cannot review, each saying why (the gateway's review rules decide
 * this, not the page). Refreshed every two seconds.
 */
export function InboxPage() {
  const { inbox, inboxError } = useConsole()
  const now = useNow()
  useRowKeys()
  const reviewable = inbox?.actions.filter((action) => action.review.eligible) ?? []
  const waiting = inbox?.actions.filter((action) => !action.review.eligible) ?? []
  return (
    <section className="page">
      <header className="page-head">
        <h1 tabIndex={-1}>Inbox</h1>
        <p className="muted" aria-live="polite">
          {inbox ? `${reviewable.length} for you · ${waiting.length} waiting on others` : 'Loading…'}
        </p>
      </header>
      {inboxError && (
        <p className="alert alert-bad" role="alert">
          The inbox could not be refreshed: {inboxError.message}
        </p>
      )}
      {inbox?.truncated && <p className="alert alert-warn">More pending requests than shown: the {inbox.actions.length} expiring first are listed.</p>}

      <h2 id="mine">
        Needs your review <span className={reviewable.length > 0 ? 'count' : 'count count-quiet'}>{reviewable.length}</span>
      </h2>
      {inbox && reviewable.length === 0 ? (
        <p className="empty">Nothing needs your review. New requests appear here as they arrive.</p>
      ) : (
        <InboxTable actions={reviewable} now={now} labelledBy="mine" />
      )}

      <h2 id="others">
        Waiting on others <span className="count count-quiet">{waiting.length}</span>
      </h2>
      {inbox && waiting.length === 0 ? <p className="empty">No other pending requests.</p> : <InboxTable actions={waiting} now={now} labelledBy="others" />}
    </section>
  )
}

function InboxTable({ actions, now, labelledBy }: { actions: readonly InboxEntry[]; now: number; labelledBy: string }) {
  return (
    <table className="list" aria-labelledby={labelledBy}>
      <thead>
        <tr>
          <th scope="col">expires</th>
          <th scope="col">kind</th>
          <th scope="col">target</th>
          <th scope="col">what</th>
          <th scope="col">from</th>
          <th scope="col">approvals</th>
        </tr>
      </thead>
      <tbody>
        {actions.map((action) => {
          const left = action.expires_at ? new Date(action.expires_at).getTime() - now : Number.POSITIVE_INFINITY
          const needed = action.decision.requirements.reduce((sum, requirement) => sum + requirement.min_approvals, 0)
          const got = action.decision.requirements.reduce((sum, requirement) => sum + Math.min(requirement.min_approvals, requirement.approved_by.length), 0)
          return (
            <tr key={action.id} className={action.review.eligible ? undefined : 'inactive'}>
              <td className={left < URGENT_MS ? 'urgent' : undefined}>{action.expires_at ? (left > 0 ? span(left) : 'expired') : '—'}</td>
              <td>
                <KindTag kind={action.kind} />
              </td>
              <td>
                <Visible text={action.target} />
              </td>
              <td className="what">
                <Link to={`/actions/${action.id}`} data-row="" className="row-link">
                  <Visible text={action.impact.summary || `${action.kind} on ${action.target}`} />
                </Link>
                {action.impact.highlights.length > 0 && (
                  <span className="row-highlight">
                    <Visible text={action.impact.highlights[0]!} />
                  </span>
                )}
                {typeof action.context['reason'] === 'string' && (
                  <span className="stated">
                    “<Visible text={action.context['reason']} />”
                  </span>
                )}
                {!action.review.eligible && action.review.reason && (
                  <span className="why">
                    <Visible text={action.review.reason} />
                  </span>
                )}
              </td>
              <td>
                <Visible text={action.agent ?? action.submitted_by} />
                {action.owner && (
                  <span className="muted">
                    {' '}
                    · <Visible text={action.owner} />
                  </span>
                )}
                <span className="muted sub" title={action.created_at}>
                  {relative(action.created_at, now)}
                </span>
              </td>
              <td className="num">
                {got}/{needed}
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

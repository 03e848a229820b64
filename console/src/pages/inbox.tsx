import { startAuthentication } from '@simplewebauthn/browser'
import { useEffect, useState } from 'react'
import { api } from '../api'
import { KindTag } from '../components/status'
import { Visible } from '../components/visible'
import { clock, relative, span } from '../format'
import { useNow, useRowKeys } from '../hooks'
import { Link } from '../router'
import { useConsole } from '../session'
import type { Action, InboxEntry } from '../types'
import { riskFlags, type RiskFlag } from '../warnings'

/** Expiring sooner than this is urgent. */
const URGENT_MS = 5 * 60_000

/**
 * The approver's inbox: pending requests they may review, the one expiring first on top; then
 * the pending requests they cannot review, each saying why (the gateway's review rules decide
 * this, not the page). Refreshed every two seconds.
 */
export function InboxPage() {
  const { inbox, inboxError, reloadInbox } = useConsole()
  const now = useNow()
  useRowKeys()
  const reviewable = inbox?.actions.filter((action) => action.review.eligible) ?? []
  const waiting = inbox?.actions.filter((action) => !action.review.eligible) ?? []
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set())
  const [results, setResults] = useState<readonly BulkResult[]>([])
  const chosen = reviewable.filter((action) => selected.has(action.id))
  const toggle = (id: string) => setSelected((current) => {
    const next = new Set(current)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    return next
  })
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
        <>
          <InboxTable actions={reviewable} now={now} labelledBy="mine" selected={selected} onToggle={toggle} />
          {chosen.length > 0 && <BulkReview actions={chosen} onResults={setResults} onDone={() => (setSelected(new Set()), reloadInbox())} />}
        </>
      )}

      {results.length > 0 && (
        <ul className="bulk-results" aria-live="polite">
          {results.map((result) => (
            <li key={result.id} className={result.ok ? 'ok-text' : 'bad-text'}>
              <Link to={`/actions/${result.id}`} className="mono">
                {result.id}
              </Link>
              : {result.text}
            </li>
          ))}
        </ul>
      )}

      <h2 id="others">
        Waiting on others <span className="count count-quiet">{waiting.length}</span>
      </h2>
      {inbox && waiting.length === 0 ? <p className="empty">No other pending requests.</p> : <InboxTable actions={waiting} now={now} labelledBy="others" />}
    </section>
  )
}

/**
 * Approve or deny several selected requests with one reason: each is still one review, sent and
 * checked by the gateway one by one and audited on its own; a requirement that needs a passkey
 * asks the passkey to sign each digest. Says how each one went.
 */
/** How one review of a bulk review went. */
interface BulkResult {
  readonly id: string
  readonly ok: boolean
  readonly text: string
}

function BulkReview({ actions, onResults, onDone }: { actions: readonly InboxEntry[]; onResults: (results: readonly BulkResult[]) => void; onDone: () => void }) {
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const run = async (decision: 'approve' | 'deny') => {
    setBusy(true)
    const done: BulkResult[] = []
    for (const action of actions) {
      try {
        let passkey: unknown
        const needsPasskey = action.decision.requirements.some((requirement) => requirement.assurance === 'passkey' && action.review.requirements.includes(requirement.rule))
        if (decision === 'approve' && needsPasskey) {
          const optionsJSON = await api<Parameters<typeof startAuthentication>[0]['optionsJSON']>(`/v1/actions/${action.id}/passkey-options`, { method: 'POST' })
          passkey = await startAuthentication({ optionsJSON })
        }
        const after = await api<{ status: string }>(`/v1/actions/${action.id}/reviews`, { method: 'POST', body: { decision, ...(reason.trim() && { reason: reason.trim() }), ...(passkey !== undefined && { passkey }) } })
        done.push({ id: action.id, ok: true, text: `${decision === 'approve' ? 'approved' : 'denied'}: now ${after.status}` })
      } catch (error) {
        done.push({ id: action.id, ok: false, text: (error as Error).message })
      }
      onResults([...done])
    }
    setBusy(false)
    setReason('')
    onDone()
  }
  return (
    <section className="panel bulk" aria-labelledby="bulk-title">
      <h2 id="bulk-title">Review {actions.length} selected</h2>
      <label htmlFor="bulk-reason">Reason, for each of them</label>
      <textarea id="bulk-reason" value={reason} onChange={(event) => setReason(event.target.value)} rows={2} maxLength={2000} placeholder="What you checked, or why not" />
      <div className="buttons">
        <button type="button" className="approve" disabled={busy} onClick={() => void run('approve')}>
          Approve {actions.length}
        </button>
        <button type="button" className="deny" disabled={busy || !reason.trim()} onClick={() => void run('deny')}>
          Deny {actions.length}
        </button>
      </div>
      <p className="muted small">Each is reviewed on its own: the gateway checks and audits every one, and may refuse some.</p>
    </section>
  )
}

/**
 * The risk flags of each listed action. The inbox lists actions briefly (without their facts), so
 * each action's facts are read once, one action at a time; an action's facts never change, so
 * what was read is kept while it is listed. Until then (or if reading fails) its row shows its
 * highlights alone.
 */
const flagsRead = new Map<string, readonly RiskFlag[]>()

function useRiskFlags(actions: readonly InboxEntry[]): ReadonlyMap<string, readonly RiskFlag[]> {
  const [, setRead] = useState(0)
  // The inbox carries each action's facts; an older gateway's does not, and then each is read once.
  for (const action of actions) if (action.impact.facts && !flagsRead.has(action.id)) flagsRead.set(action.id, riskFlags(action.kind, action.impact.facts))
  const ids = actions.map((action) => action.id).join(' ')
  useEffect(() => {
    const listed = new Set(ids.split(' '))
    // Both tables share what was read; a long session starts over now and then.
    if (flagsRead.size > 2000) flagsRead.clear()
    let current = true
    void (async () => {
      for (const id of listed) {
        if (!current) return
        if (!id || flagsRead.has(id)) continue
        try {
          const action = await api<Action>(`/v1/actions/${id}`)
          flagsRead.set(id, riskFlags(action.kind, action.impact.facts))
          setRead((count) => count + 1)
        } catch {
          // Shown with its highlights alone; read again when the list changes.
        }
      }
    })()
    return () => {
      current = false
    }
  }, [ids])
  return flagsRead
}

function InboxTable({ actions, now, labelledBy, selected, onToggle }: { actions: readonly InboxEntry[]; now: number; labelledBy: string; selected?: ReadonlySet<string>; onToggle?: (id: string) => void }) {
  const flags = useRiskFlags(actions)
  return (
    <table className="list inbox" aria-labelledby={labelledBy}>
      <thead>
        <tr>
          {onToggle && (
            <th scope="col">
              <span className="sr-only">select</span>
            </th>
          )}
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
              {onToggle && (
                <td>
                  <input type="checkbox" checked={selected?.has(action.id) ?? false} onChange={() => onToggle(action.id)} aria-label={`select ${action.id}`} />
                </td>
              )}
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
                <RowWarnings action={action} flags={flags.get(action.id) ?? []} />
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
                <span className="muted sub" title={clock(action.created_at)}>
                  {clock(action.created_at)} ({relative(action.created_at, now)})
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

/**
 * Every warning of a request, compactly: the analyzer's risk flags as chips, then each of its
 * highlights on a line of its own (all of them: the first alone hid the rest).
 */
function RowWarnings({ action, flags }: { action: InboxEntry; flags: readonly RiskFlag[] }) {
  const highlights = action.impact.highlights
  if (flags.length === 0 && highlights.length === 0) return null
  return (
    <div className="row-warnings" aria-label={`${flags.length + highlights.length} warning${flags.length + highlights.length === 1 ? '' : 's'}`}>
      {flags.length > 0 && (
        <span className="row-flags">
          {flags.map((flag) => (
            <span key={flag.name} className="row-flag" title={`fact: ${flag.fact}`}>
              {flag.name}
            </span>
          ))}
        </span>
      )}
      {highlights.length > 0 && (
        <ul className="row-highlights">
          {highlights.map((highlight, index) => (
            <li key={index} className="row-highlight">
              <Visible text={highlight} />
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

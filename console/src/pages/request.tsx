import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react'
import { api, ApiError } from '../api'
import { Impact } from '../components/impact'
import { Payload } from '../components/payload'
import { Result } from '../components/result'
import { EffectBadge, KindTag, StatusBadge } from '../components/status'
import { Timeline } from '../components/timeline'
import { Visible } from '../components/visible'
import { clock, policySpan, relative } from '../format'
import { useKeys, useNow } from '../hooks'
import { Link, navigate } from '../router'
import { useConsole } from '../session'
import type { Action, Eligibility } from '../types'

const TERMINAL = new Set(['denied', 'expired', 'cancelled', 'succeeded', 'failed'])

/**
 * One request, everything a reviewer must see before deciding (PRODUCT.md §1, invariant 7): the
 * payload exactly as it will run, the origin, the impact, the policy's reasons and what it still
 * needs, the reviews, the timeline and the result; and the review form when this human may
 * review it. Live: the action's event stream refreshes it when anything happens.
 */
export function RequestPage({ id }: { id: string }) {
  const { directory, reloadInbox } = useConsole()
  const [action, setAction] = useState<Action | undefined>()
  const [eligibility, setEligibility] = useState<Eligibility | undefined>()
  const [error, setError] = useState<string | undefined>()
  const now = useNow()

  const load = useCallback(async () => {
    try {
      const [next, verdict] = await Promise.all([api<Action>(`/v1/actions/${id}`), api<Eligibility>(`/v1/actions/${id}/eligibility`)])
      setAction(next)
      setEligibility(verdict)
      setError(undefined)
    } catch (reason) {
      setError(reason instanceof ApiError && reason.status === 404 ? 'There is no such action.' : (reason as Error).message)
    }
  }, [id])

  useEffect(() => {
    void load()
    // The gateway streams every transition; each one reloads the whole picture (reviews, eligibility, timeline).
    const events = new EventSource(`/v1/actions/${id}/events`)
    events.addEventListener('action', (event) => {
      void load()
      const status = (JSON.parse((event as MessageEvent<string>).data) as { status: string }).status
      if (TERMINAL.has(status)) events.close()
    })
    return () => events.close()
  }, [id, load])

  useKeys({ Escape: () => navigate('/inbox') })

  if (error && !action) {
    return (
      <section className="page">
        <h1 tabIndex={-1}>Request</h1>
        <p className="alert alert-bad" role="alert">
          {error}
        </p>
        <Link to="/inbox">Back to the inbox</Link>
      </section>
    )
  }
  if (!action) return <p className="boot">Loading…</p>

  const target = directory?.targets.find((candidate) => candidate.name === action.target)
  const env = target?.labels['env']
  const context = action.context
  return (
    <section className="page request">
      <header className="page-head request-head">
        <p className="crumbs">
          <Link to="/inbox">Inbox</Link> / <span className="mono">{action.id}</span>
        </p>
        <h1 tabIndex={-1}>
          <KindTag kind={action.kind} /> <Visible text={action.impact.summary || `${action.kind} on ${action.target}`} />
        </h1>
        <div className="head-facts">
          <StatusBadge status={action.status} />
          <span>
            on <strong className="mono">{action.target}</strong>
            {env && <span className={`env env-${env === 'prod' || env === 'production' ? 'prod' : 'other'}`}>{env}</span>}
            {target?.brokered && <span className="muted"> · run by Countersign</span>}
          </span>
          <span className="muted" title={clock(action.created_at)}>
            submitted {relative(action.created_at, now)}
          </span>
          {action.status === 'pending' && action.expires_at && (
            <span className={new Date(action.expires_at).getTime() - now < 5 * 60_000 ? 'urgent' : 'muted'} title={clock(action.expires_at)}>
              expires {relative(action.expires_at, now)}
            </span>
          )}
          {action.status === 'approved' && action.execute_by && (
            <span className="muted" title={clock(action.execute_by)}>
              must run {relative(action.execute_by, now)}
            </span>
          )}
        </div>
        {error && (
          <p className="alert alert-warn" role="status">
            Could not refresh: {error}
          </p>
        )}
        {action.break_glass && (
          <p className={`alert ${action.break_glass.overdue ? 'alert-bad' : 'alert-warn'} break-glass`} role="status">
            <strong>Break-glass</strong>: approved at once by <Visible text={action.break_glass.by} />: “<Visible text={action.break_glass.reason} />”.{' '}
            {action.break_glass.review ? (
              <>
                After-the-fact review: {action.break_glass.review.verdict === 'confirm' ? 'confirmed' : 'disputed'} by <Visible text={action.break_glass.review.reviewer} />: “<Visible text={action.break_glass.review.reason} />”.
              </>
            ) : action.break_glass.overdue ? (
              <>Its after-the-fact review is overdue (due {clock(action.break_glass.review_by)}): an approver or an admin must review it (`countersign break-glass ID --review confirm|dispute`).</>
            ) : (
              <>Someone else must review it by {clock(action.break_glass.review_by)}.</>
            )}
          </p>
        )}
      </header>

      <div className="columns">
        <div className="column-main">
          <section aria-labelledby="payload-title" className="panel">
            <h2 id="payload-title">What will run</h2>
            <Payload kind={action.kind} payload={action.payload} />
            <p className="digest muted">
              digest <span className="mono">{action.digest}</span>: an approval is for exactly this text
            </p>
          </section>
          <section aria-labelledby="impact-title" className="panel">
            <h2 id="impact-title">Impact</h2>
            <Impact kind={action.kind} impact={action.impact} />
          </section>
          {action.result && (
            <section aria-labelledby="result-title" className="panel">
              <h2 id="result-title">Result</h2>
              <Result result={action.result} />
            </section>
          )}
          <section aria-labelledby="timeline-title" className="panel">
            <h2 id="timeline-title">Timeline</h2>
            <Timeline entries={action.timeline ?? []} />
          </section>
        </div>

        <aside className="column-side">
          <ReviewPanel action={action} eligibility={eligibility} onReviewed={() => (void load(), reloadInbox())} />
          <section aria-labelledby="origin-title" className="panel">
            <h2 id="origin-title">Origin</h2>
            <dl className="pairs">
              <Pair name="agent" value={action.agent ?? '(none: a human submitted it)'} />
              <Pair name="owner" value={action.owner} />
              <Pair name="on behalf of" value={action.on_behalf_of ?? '(nobody)'} />
              <Pair name="submitted by" value={action.submitted_by} />
              <Pair name="model" value={context['model']} />
              <Pair name="session" value={context['session']} />
              <Pair name="trace id" value={context['trace_id']} />
              <Pair name="stated reason" value={context['reason'] ?? '(none given)'} wide />
            </dl>
          </section>
          <section aria-labelledby="policy-title" className="panel">
            <h2 id="policy-title">Policy</h2>
            <p>
              <EffectBadge effect={action.decision.effect} /> <Visible text={action.decision.explanation} />
            </p>
            {action.decision.messages.map((message, index) => (
              <p key={index} className="bad-text">
                <Visible text={message} />
              </p>
            ))}
            {action.decision.requirements.length > 0 && (
              <ul className="requirements">
                {action.decision.requirements.map((requirement) => (
                  <li key={requirement.rule} className={requirement.met ? 'met' : undefined}>
                    <div>
                      <strong className="mono">{requirement.rule}</strong>: {requirement.min_approvals} of {requirement.approvers.join(', ') || 'any human'}
                      {requirement.reason_required && <span className="muted"> · reason required</span>}
                    </div>
                    <div className="muted">
                      {requirement.approved_by.length}/{requirement.min_approvals} approved{requirement.approved_by.length > 0 && `: ${requirement.approved_by.join(', ')}`} · times out after {policySpan(requirement.timeout_ms)}
                    </div>
                  </li>
                ))}
              </ul>
            )}
            {action.decision.rules.length > 0 && (
              <details className="rules">
                <summary>
                  {action.decision.rules.length} rule{action.decision.rules.length === 1 ? '' : 's'} evaluated{action.decision.default_applied && ' · the default applied'}
                </summary>
                <ul>
                  {action.decision.rules.map((rule) => (
                    <li key={rule.id} className={rule.matched ? 'matched' : 'unmatched'}>
                      <span className="mono">{rule.id}</span> <EffectBadge effect={rule.effect} /> <span className="muted">{rule.matched ? 'matched' : 'did not match'}</span>
                      <div className="muted">
                        <Visible text={rule.error ? `${rule.reason} (${rule.error})` : rule.reason} />
                      </div>
                    </li>
                  ))}
                </ul>
              </details>
            )}
            <p className="muted small">policy version {action.decision.policy_version.slice(0, 12)}</p>
          </section>
        </aside>
      </div>
    </section>
  )
}

function Pair({ name, value, wide = false }: { name: string; value: unknown; wide?: boolean }) {
  if (value === undefined || value === null || value === '') return null
  return (
    <div className={wide ? 'wide' : undefined}>
      <dt>{name}</dt>
      <dd>
        <Visible text={typeof value === 'string' ? value : JSON.stringify(value)} />
      </dd>
    </div>
  )
}

/** Approve or deny with a reason, when the review rules allow this human to; otherwise why not, and the reviews so far. */
function ReviewPanel({ action, eligibility, onReviewed }: { action: Action; eligibility: Eligibility | undefined; onReviewed: () => void }) {
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()
  const reasonRef = useRef<HTMLTextAreaElement>(null)
  const eligible = eligibility?.eligible === true
  const reasonRequired = action.decision.requirements.some((requirement) => requirement.reason_required && eligibility?.requirements.includes(requirement.rule))

  const submit = async (decision: 'approve' | 'deny') => {
    setBusy(true)
    setError(undefined)
    try {
      await api(`/v1/actions/${action.id}/reviews`, { method: 'POST', body: { decision, ...(reason.trim() && { reason: reason.trim() }) } })
      setReason('')
      onReviewed()
    } catch (reason) {
      setError((reason as Error).message)
    } finally {
      setBusy(false)
    }
  }

  useKeys(
    eligible
      ? {
          a: () => reasonRef.current?.focus(),
          d: () => reasonRef.current?.focus(),
        }
      : {},
  )

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null
    void submit(submitter?.value === 'deny' ? 'deny' : 'approve')
  }

  return (
    <section aria-labelledby="review-title" className={`panel review ${eligible ? 'review-open' : ''}`}>
      <h2 id="review-title">Review</h2>
      {eligible ? (
        <form onSubmit={onSubmit}>
          <label htmlFor="reason">
            Reason {reasonRequired ? <span className="muted">(required)</span> : <span className="muted">(required to deny)</span>}
          </label>
          <textarea id="reason" ref={reasonRef} value={reason} onChange={(event) => setReason(event.target.value)} rows={3} maxLength={2000} placeholder="What you checked, or why not" />
          <div className="buttons">
            <button type="submit" name="decision" value="approve" className="approve" disabled={busy || (reasonRequired && !reason.trim())}>
              Approve
            </button>
            <button type="submit" name="decision" value="deny" className="deny" disabled={busy || !reason.trim()}>
              Deny
            </button>
          </div>
          <p className="muted small">Counts for {eligibility.requirements.join(', ')}. A review cannot be changed; one deny ends the request.</p>
        </form>
      ) : (
        eligibility && (
          <p className={`not-actionable ${eligibility.code === 'ALREADY_DECIDED' ? '' : 'alert alert-info'}`} role="status">
            <Visible text={eligibility.reason ?? 'You cannot review this action.'} />
          </p>
        )
      )}
      {error && (
        <p className="alert alert-bad" role="alert">
          {error}
        </p>
      )}
      {action.reviews.length > 0 && (
        <ul className="reviews">
          {action.reviews.map((review) => (
            <li key={review.reviewer}>
              <span className={review.decision === 'approve' ? 'ok-text' : 'bad-text'}>{review.decision === 'approve' ? 'approved' : 'denied'}</span> by <strong>{review.reviewer}</strong>{' '}
              <span className="muted">
                via {review.channel} · {clock(review.at)}
              </span>
              {review.reason && (
                <div className="tl-reason">
                  “<Visible text={review.reason} />”
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

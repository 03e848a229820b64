import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react'
import { startAuthentication } from '@simplewebauthn/browser'
import { api, ApiError } from '../api'
import { Impact } from '../components/impact'
import { Payload } from '../components/payload'
import { Result } from '../components/result'
import { EffectBadge, KindTag, StatusBadge } from '../components/status'
import { Timeline } from '../components/timeline'
import { Visible } from '../components/visible'
import { clock, policySpan, relative } from '../format'
import { useKeys, useNow, usePoll } from '../hooks'
import { Link, navigate } from '../router'
import { useConsole } from '../session'
import type { Action, Eligibility } from '../types'

const TERMINAL = new Set(['denied', 'expired', 'cancelled', 'succeeded', 'failed'])

/**
 * One request, everything a reviewer must see before deciding (docs/security.md, the review invariants): the
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
          </span>
          <span className="muted">
            submitted <time dateTime={action.created_at}>{clock(action.created_at)}</time> ({relative(action.created_at, now)})
          </span>
          {action.status === 'pending' && action.expires_at && (
            <span className={new Date(action.expires_at).getTime() - now < 5 * 60_000 ? 'urgent' : 'muted'}>
              expires <time dateTime={action.expires_at}>{clock(action.expires_at)}</time> ({relative(action.expires_at, now)})
            </span>
          )}
          {action.status === 'approved' && action.execute_by && (
            <span className="muted">
              must run by <time dateTime={action.execute_by}>{clock(action.execute_by)}</time> ({relative(action.execute_by, now)})
            </span>
          )}
          <span className="runs-by">{action.brokered ? 'Once approved, Countersign runs it with the target\'s connector' : `Once approved, ${action.agent ?? action.submitted_by} runs it itself, with a single-use receipt`}</span>
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
          <Notified id={action.id} />
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
            {action.decision.grant && (
              <p className="grant-cited" role="note">
                Allowed by grant <Link to="/grants">{action.decision.grant.id}</Link> from <strong>{action.decision.grant.reviewers.map((reviewer) => reviewer.email).join(', ')}</strong>, made with <Link to={`/actions/${action.decision.grant.action_id}`}>{action.decision.grant.action_id}</Link>: use {action.decision.grant.uses} of {action.decision.grant.max_uses}, until {clock(action.decision.grant.expires_at)}.
              </p>
            )}
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
                      {requirement.assurance === 'passkey' && ' · passkey required'}
                    </div>
                    <ul className="members">
                      {requirement.approvers.map((approver) => (
                        <li key={approver}>
                          <span className="mono">{approver}</span>
                          {approver.startsWith('group:') && `: ${(directory?.groups?.[approver.slice('group:'.length).toLowerCase()] ?? []).join(', ') || 'no members in the config'}`}
                        </li>
                      ))}
                    </ul>
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

/** Where the channels announced the request: each channel and destination, posted or not. */
function Notified({ id }: { id: string }) {
  const notified = usePoll((signal) => api<{ notifications: { channel: string; destination: string; posted: boolean; error: string | null }[] }>(`/v1/actions/${id}/notifications`, { signal }), 10_000, `notified-${id}`)
  const list = notified.data?.notifications ?? []
  return (
    <section aria-labelledby="notified-title" className="panel">
      <h2 id="notified-title">Notified</h2>
      {notified.data && list.length === 0 && <p className="muted">No channel announced it: reviewers find it in the console and the CLI.</p>}
      <ul className="notified">
        {list.map((entry) => (
          <li key={`${entry.channel}:${entry.destination}`}>
            <strong>{entry.channel}</strong> <span className="mono">{entry.destination}</span> <span className={entry.posted ? 'ok-text' : 'muted'}>{entry.posted ? 'posted' : entry.error ? `not posted: ${entry.error}` : 'sending'}</span>
          </li>
        ))}
      </ul>
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
  const needsPasskey = action.decision.requirements.some((requirement) => requirement.assurance === 'passkey' && eligibility?.requirements.includes(requirement.rule))
  // A grant is offered only where every requirement allows one, within the smallest limits.
  const grantable = action.decision.requirements.length > 0 && action.decision.requirements.every((requirement) => requirement.grants)
  const maxTtl = grantable ? Math.min(...action.decision.requirements.map((requirement) => requirement.grants!.max_ttl_ms)) : 0
  const maxUses = grantable ? Math.min(...action.decision.requirements.map((requirement) => requirement.grants!.max_uses)) : 0
  const ttlChoices = [15 * 60_000, 30 * 60_000, 60 * 60_000, 4 * 60 * 60_000, 24 * 60 * 60_000].filter((ms) => ms <= maxTtl)
  const [grant, setGrant] = useState(false)
  const [grantTtl, setGrantTtl] = useState(0)
  const [grantUses, setGrantUses] = useState(1)
  const ttl = grantTtl || ttlChoices.at(-1) || maxTtl

  const submit = async (decision: 'approve' | 'deny') => {
    setBusy(true)
    setError(undefined)
    try {
      const grantBody = grant && decision === 'approve' ? { grant: { ttl: `${Math.round(ttl / 60_000)}m`, max_uses: grantUses } } : {}
      // Where a requirement says assurance: passkey, the approval is a WebAuthn assertion whose
      // challenge binds this action's digest, the requirements and the policy version.
      let passkey: unknown
      if (decision === 'approve' && needsPasskey) {
        const optionsJSON = await api<Parameters<typeof startAuthentication>[0]['optionsJSON']>(`/v1/actions/${action.id}/passkey-options`, { method: 'POST' })
        passkey = await startAuthentication({ optionsJSON })
      }
      await api(`/v1/actions/${action.id}/reviews`, { method: 'POST', body: { decision, ...(reason.trim() && { reason: reason.trim() }), ...grantBody, ...(passkey !== undefined && { passkey }) } })
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
          {grantable && (
            <fieldset className="grant-ask">
              <label className="check">
                <input type="checkbox" checked={grant} onChange={(event) => setGrant(event.target.checked)} /> Also approve the same kind
              </label>
              {grant && (
                <div className="grant-limits">
                  <label>
                    for{' '}
                    <select value={ttl} onChange={(event) => setGrantTtl(Number(event.target.value))} aria-label="grant duration">
                      {(ttlChoices.length > 0 ? ttlChoices : [maxTtl]).map((ms) => (
                        <option key={ms} value={ms}>
                          {policySpan(ms)}
                        </option>
                      ))}
                    </select>
                  </label>
                  <label>
                    up to{' '}
                    <input type="number" min={1} max={maxUses} value={grantUses} onChange={(event) => setGrantUses(Math.max(1, Math.min(maxUses, Number(event.target.value) || 1)))} aria-label="grant uses" /> more
                  </label>
                  <p className="muted small">Later {action.kind} actions of {action.agent ?? action.submitted_by} on {action.target} of this shape run without review, citing you. Another rule's deny still wins.</p>
                </div>
              )}
            </fieldset>
          )}
          <div className="buttons">
            <button type="submit" name="decision" value="approve" className="approve" disabled={busy || (reasonRequired && !reason.trim())}>
              {needsPasskey ? 'Approve with passkey' : 'Approve'}
            </button>
            <button type="submit" name="decision" value="deny" className="deny" disabled={busy || !reason.trim()}>
              Deny
            </button>
          </div>
          {needsPasskey && (
            <p className="passkey-note small" role="note">
              This approval is signed with your passkey, for exactly this action (digest {action.digest.slice(0, 12)}…). No passkey yet? <Link to="/passkeys">Register one</Link>.
            </p>
          )}
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
                {review.grant && ` · granted the same kind for ${policySpan(review.grant.ttl_ms)}, ${review.grant.max_uses} use${review.grant.max_uses === 1 ? '' : 's'}`}
                {review.passkey && ' · signed with a passkey'}
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

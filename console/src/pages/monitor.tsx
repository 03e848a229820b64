import { useMemo, useRef, useState } from 'react'
import { api } from '../api'
import { StackedBars, type Bucket, type Series } from '../components/chart'
import { EffectBadge, KindTag, StatusBadge } from '../components/status'
import { Visible } from '../components/visible'
import { clock, latency, span, timeOfDay } from '../format'
import { useKeys, useNow, usePoll, useRowKeys } from '../hooks'
import { Link, navigate, useLocation } from '../router'
import { useConsole } from '../session'
import { KINDS, STATUSES, type Action } from '../types'

/** The most actions the API lists at once; the monitor says when a window holds more. */
const LIMIT = 200

const WINDOWS = [
  { key: '15m', label: 'last 15 minutes', ms: 15 * 60_000, bucket: 60_000, per: 'minute' },
  { key: '1h', label: 'last hour', ms: 60 * 60_000, bucket: 60_000, per: 'minute' },
  { key: '6h', label: 'last 6 hours', ms: 6 * 60 * 60_000, bucket: 5 * 60_000, per: '5 minutes' },
  { key: '24h', label: 'last 24 hours', ms: 24 * 60 * 60_000, bucket: 15 * 60_000, per: '15 minutes' },
] as const

const SERIES: readonly Series[] = [
  { key: 'allowed', label: 'allowed', className: 'fill-ok' },
  { key: 'approved', label: 'approved', className: 'fill-approved' },
  { key: 'pending', label: 'pending', className: 'fill-wait' },
  { key: 'denied', label: 'denied', className: 'fill-bad' },
  { key: 'failed', label: 'failed', className: 'fill-failed' },
  { key: 'lapsed', label: 'expired or cancelled', className: 'fill-off' },
]

/** The outcome an action counts under in the chart. */
function outcome(action: Action): string {
  if (action.status === 'pending' || action.status === 'denied' || action.status === 'failed') return action.status
  if (action.status === 'expired' || action.status === 'cancelled') return 'lapsed'
  return action.decision.effect === 'allow' ? 'allowed' : 'approved'
}

/**
 * What the agents are doing right now: every action as it arrives (status, agent, target, kind,
 * summary, decision, latency), filtered by status, agent, target, kind and time, with actions per
 * minute by outcome. The list API is polled every two seconds; filters live in the URL.
 */
export function MonitorPage() {
  const { directory } = useConsole()
  const { search } = useLocation()
  const params = new URLSearchParams(search)
  const filters = { status: params.get('status') ?? '', agent: params.get('agent') ?? '', target: params.get('target') ?? '', kind: params.get('kind') ?? '', window: params.get('window') ?? '1h' }
  const range = WINDOWS.find((candidate) => candidate.key === filters.window) ?? WINDOWS[1]
  const [paused, setPaused] = useState(false)
  const now = useNow(paused ? 60_000 : 1000)
  useRowKeys()
  useKeys({
    '/': () => document.getElementById('filter-status')?.focus(),
    p: () => setPaused((value) => !value),
  })

  const query = new URLSearchParams({ limit: String(LIMIT) })
  for (const key of ['status', 'agent', 'target', 'kind'] as const) if (filters[key]) query.set(key, filters[key])
  const list = usePoll((signal) => api<{ actions: Action[] }>(`/v1/actions?${query}`, { signal }), paused ? 0 : 2000, query.toString())

  // Rows seen before the latest poll: the new ones are marked as they arrive.
  const seen = useRef<Set<string> | undefined>(undefined)
  const fresh = useMemo(() => {
    const previous = seen.current
    const ids = new Set(list.data?.actions.map((action) => action.id) ?? [])
    if (list.data) seen.current = new Set([...(previous ?? []), ...ids])
    return previous ? new Set([...ids].filter((id) => !previous.has(id))) : new Set<string>()
  }, [list.data])

  const since = now - range.ms
  const actions = (list.data?.actions ?? []).filter((action) => new Date(action.created_at).getTime() >= since)
  const incomplete = (list.data?.actions.length ?? 0) >= LIMIT && actions.length === list.data?.actions.length

  const buckets = useMemo<Bucket[]>(() => {
    const count = Math.ceil(range.ms / range.bucket)
    const end = Math.floor(now / range.bucket) * range.bucket + range.bucket
    const list: { start: number; counts: Record<string, number> }[] = Array.from({ length: count }, (_, index) => ({ start: end - (count - index) * range.bucket, counts: {} }))
    for (const action of actions) {
      const index = Math.floor((new Date(action.created_at).getTime() - list[0]!.start) / range.bucket)
      const bucket = list[index]
      if (bucket) bucket.counts[outcome(action)] = (bucket.counts[outcome(action)] ?? 0) + 1
    }
    return list
  }, [actions, now, range])

  const decided = actions.filter((action) => action.decision.effect === 'review' && action.status !== 'pending')
  // A wait that ends before it began was timed across a clock set back: not a wait at all.
  const waits = decided.map((action) => new Date(action.updated_at).getTime() - new Date(action.created_at).getTime()).filter((ms) => ms >= 0).sort((a, b) => a - b)
  const median = waits.length > 0 ? waits[Math.floor(waits.length / 2)]! : undefined

  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(search)
    if (value) next.set(key, value)
    else next.delete(key)
    navigate(`/monitor${next.toString() ? `?${next}` : ''}`, { replace: true })
  }

  return (
    <section className="page">
      <header className="page-head">
        <h1 tabIndex={-1}>Monitor</h1>
        <p className="live muted" aria-live="off">
          <span className={paused ? 'dot dot-paused' : 'dot'} aria-hidden="true" />
          {paused ? 'paused' : list.at ? `live · updated ${span(now - list.at)} ago` : 'connecting…'}
          <button type="button" className="quiet" onClick={() => setPaused((value) => !value)}>
            {paused ? 'Resume' : 'Pause'}
          </button>
        </p>
      </header>

      <form className="filters" onSubmit={(event) => event.preventDefault()} aria-label="Filters">
        <Select id="filter-status" label="status" value={filters.status} onChange={(value) => setFilter('status', value)} options={STATUSES} />
        <Select id="filter-agent" label="agent" value={filters.agent} onChange={(value) => setFilter('agent', value)} options={directory?.agents.map((agent) => agent.id) ?? []} />
        <Select id="filter-target" label="target" value={filters.target} onChange={(value) => setFilter('target', value)} options={directory?.targets.map((target) => target.name) ?? []} />
        <Select id="filter-kind" label="kind" value={filters.kind} onChange={(value) => setFilter('kind', value)} options={KINDS} />
        <label>
          <span>time</span>
          <select value={range.key} onChange={(event) => setFilter('window', event.target.value === '1h' ? '' : event.target.value)}>
            {WINDOWS.map((option) => (
              <option key={option.key} value={option.key}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
      </form>

      <div className="tiles">
        <Tile label="actions" value={String(actions.length)} />
        <Tile label="pending now" value={String(actions.filter((action) => action.status === 'pending').length)} tone="wait" />
        <Tile label="denied" value={String(actions.filter((action) => action.status === 'denied').length)} tone="bad" />
        <Tile label="failed" value={String(actions.filter((action) => action.status === 'failed').length)} tone="bad" />
        <Tile label="median review time" value={median === undefined ? '—' : latency(median)} />
        <Tile label="shadow hits" value={String(actions.filter((action) => (action.decision.shadow?.matched_rules.length ?? 0) > 0).length)} />
      </div>
      <StackedBars title={`Actions per ${range.per} by outcome, ${range.label}`} buckets={buckets} series={SERIES} />
      {incomplete && <p className="alert alert-info">The {LIMIT} latest actions are shown; this window holds more. Narrow it with the filters.</p>}
      {list.error && (
        <p className="alert alert-bad" role="alert">
          Could not refresh: {list.error.message}
        </p>
      )}

      <table className="list monitor" aria-label="Actions, newest first">
        <thead>
          <tr>
            <th scope="col">time</th>
            <th scope="col">status</th>
            <th scope="col">agent</th>
            <th scope="col">target</th>
            <th scope="col">kind</th>
            <th scope="col">what</th>
            <th scope="col">decision</th>
            <th scope="col" className="num">
              latency
            </th>
          </tr>
        </thead>
        <tbody>
          {actions.map((action) => {
            const took = new Date(action.updated_at).getTime() - new Date(action.created_at).getTime()
            return (
              <tr key={action.id} className={fresh.has(action.id) ? 'fresh' : undefined}>
                <td className="mono" title={clock(action.created_at)}>
                  {timeOfDay(action.created_at)}
                </td>
                <td>
                  <StatusBadge status={action.status} />
                </td>
                <td>
                  <Visible text={action.agent ?? action.submitted_by} />
                </td>
                <td>
                  <Visible text={action.target} />
                </td>
                <td>
                  <KindTag kind={action.kind} />
                </td>
                <td className="what">
                  <Link to={`/actions/${action.id}`} data-row="" className="row-link">
                    <Visible text={action.impact.summary || `${action.kind} on ${action.target}`} />
                  </Link>
                </td>
                <td>
                  <EffectBadge effect={action.decision.effect} />{' '}
                  <span className="muted">
                    <Visible text={action.decision.matched_rules.join(', ') || 'default'} />
                  </span>
                  {action.decision.shadow && action.decision.shadow.matched_rules.length > 0 && (
                    <span className="muted shadow-hit" title="shadow rules: evaluated and recorded, never enforced">
                      {' '}· shadow: <Visible text={action.decision.shadow.matched_rules.join(', ')} /> → {action.decision.shadow.effect}
                    </span>
                  )}
                </td>
                <td className="num">{action.status === 'pending' ? <span className="wait-text">waiting {span(now - new Date(action.created_at).getTime())}</span> : latency(took)}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
      {list.data && actions.length === 0 && <p className="empty">No actions match in the {range.label}.</p>}
    </section>
  )
}

function Select({ id, label, value, onChange, options }: { id: string; label: string; value: string; onChange: (value: string) => void; options: readonly string[] }) {
  return (
    <label>
      <span>{label}</span>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">any</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </label>
  )
}

function Tile({ label, value, tone }: { label: string; value: string; tone?: 'wait' | 'bad' }) {
  return (
    <div className={`tile ${tone ? `tile-${tone}` : ''}`}>
      <div className="tile-value">{value}</div>
      <div className="tile-label">{label}</div>
    </div>
  )
}

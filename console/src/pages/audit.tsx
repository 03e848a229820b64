import { useEffect, useState } from 'react'
import { api } from '../api'
import { Visible } from '../components/visible'
import { actorName, clock } from '../format'
import { useKeys, usePoll, useRowKeys } from '../hooks'
import { Link } from '../router'
import { useConsole } from '../session'
import type { AuditEvent, Checkpoints, AuditPage as Page, Verification } from '../types'

/** Events loaded per page of the table, and per request while exporting (the API allows 5000). */
const PAGE = 500
const EXPORT_PAGE = 5000
/** The columns of `countersign audit export --format csv`: an export from here reads the same. */
const CSV_COLUMNS = ['seq', 'at', 'type', 'action_id', 'actor', 'channel', 'digest', 'policy_version', 'hash', 'data'] as const

/**
 * The audit log for auditors and admins: whether the chain and its signed checkpoints verify,
 * the latest events searchable (older pages on demand), and the whole log exported as JSON lines
 * or CSV, as `countersign audit export` writes them.
 */
export function AuditPage() {
  const { user } = useConsole()
  const [events, setEvents] = useState<AuditEvent[]>([])
  const [head, setHead] = useState<Page['head'] | undefined>()
  const [error, setError] = useState<string | undefined>()
  const [query, setQuery] = useState('')
  const [type, setType] = useState('')
  const [exporting, setExporting] = useState<string | undefined>()
  const allowed = user.auditor || user.admin
  const verification = usePoll((signal) => (allowed ? api<Verification>('/v1/audit/verify', { signal }) : Promise.resolve(undefined)), 0, 'verify')
  const tree = usePoll((signal) => (allowed ? api<Checkpoints>('/v1/audit/checkpoints?limit=1', { signal }) : Promise.resolve(undefined)), 60_000, 'checkpoints')
  useRowKeys()
  useKeys({ '/': () => document.getElementById('audit-search')?.focus() })

  useEffect(() => {
    if (!allowed) return
    api<Page>('/v1/audit?since=0&limit=1')
      .then(async (first) => {
        const page = await api<Page>(`/v1/audit?since=${Math.max(0, first.head.seq - PAGE)}&limit=${PAGE}`)
        setHead(page.head)
        setEvents([...page.events].reverse())
      })
      .catch((reason: Error) => setError(reason.message))
  }, [allowed])

  const older = async () => {
    const oldest = events[events.length - 1]?.seq ?? 1
    const since = Math.max(0, oldest - 1 - PAGE)
    const page = await api<Page>(`/v1/audit?since=${since}&limit=${oldest - 1 - since}`)
    setEvents((current) => [...current, ...[...page.events].reverse()])
  }

  const download = async (format: 'jsonl' | 'csv') => {
    setExporting(format)
    try {
      const lines: string[] = format === 'csv' ? [CSV_COLUMNS.join(',')] : []
      let since = 0
      for (;;) {
        const page = await api<Page>(`/v1/audit?since=${since}&limit=${EXPORT_PAGE}`)
        for (const event of page.events) lines.push(format === 'csv' ? csvRow(event) : JSON.stringify(event))
        if (page.events.length === 0 || page.events[page.events.length - 1]!.seq >= page.head.seq) break
        since = page.events[page.events.length - 1]!.seq
      }
      const blob = new Blob([`${lines.join('\n')}\n`], { type: format === 'csv' ? 'text/csv' : 'application/x-ndjson' })
      const link = document.createElement('a')
      link.href = URL.createObjectURL(blob)
      link.download = `countersign-audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.${format}`
      link.click()
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
    } catch (reason) {
      setError((reason as Error).message)
    } finally {
      setExporting(undefined)
    }
  }

  if (!allowed) {
    return (
      <section className="page">
        <h1 tabIndex={-1}>Audit log</h1>
        <p className="alert alert-info">Only auditors and admins read the audit log.</p>
      </section>
    )
  }

  const needle = query.trim().toLowerCase()
  const shown = events.filter((stored) => (!type || stored.event.type.startsWith(type)) && (!needle || JSON.stringify(stored.event).toLowerCase().includes(needle)))
  const report = verification.data
  return (
    <section className="page">
      <header className="page-head">
        <h1 tabIndex={-1}>Audit log</h1>
        <div className="buttons">
          <button type="button" onClick={() => void download('jsonl')} disabled={exporting !== undefined}>
            {exporting === 'jsonl' ? 'Exporting…' : 'Export JSONL'}
          </button>
          <button type="button" onClick={() => void download('csv')} disabled={exporting !== undefined}>
            {exporting === 'csv' ? 'Exporting…' : 'Export CSV'}
          </button>
        </div>
      </header>

      <div className={`verify ${report ? (report.ok ? 'verify-ok' : 'verify-bad') : ''}`} role="status">
        {!report && !verification.error && 'Verifying the chain…'}
        {verification.error && `The chain could not be verified: ${verification.error.message}`}
        {report?.ok && (
          <>
            <strong>Chain verified.</strong> {report.events} events, {report.checkpoints} signed checkpoint{report.checkpoints === 1 ? '' : 's'}
            {report.head && (
              <>
                , head #{report.head.seq} <span className="mono">{report.head.hash.slice(0, 16)}…</span>
              </>
            )}
          </>
        )}
        {report && !report.ok && (
          <>
            <strong>The chain does NOT verify: {report.problems.length} problem{report.problems.length === 1 ? '' : 's'}.</strong>
            <ul>
              {report.problems.slice(0, 20).map((problem, index) => (
                <li key={index}>
                  #{problem.seq} {problem.kind}: <Visible text={problem.message} />
                </li>
              ))}
            </ul>
          </>
        )}
        <button type="button" className="quiet" onClick={verification.reload}>
          Verify again
        </button>
      </div>

      <Witnesses data={tree.data} />

      <form className="filters" onSubmit={(event) => event.preventDefault()} aria-label="Search the audit log">
        <label className="grow">
          <span>search</span>
          <input id="audit-search" type="search" value={query} onChange={(event) => setQuery(event.target.value)} placeholder="actor, action id, reason, digest…" />
        </label>
        <label>
          <span>type</span>
          <select value={type} onChange={(event) => setType(event.target.value)}>
            <option value="">any</option>
            <option value="action.">action.*</option>
            <option value="review.">review.*</option>
            <option value="token.">token.*</option>
            <option value="policy.">policy.*</option>
          </select>
        </label>
      </form>
      {error && (
        <p className="alert alert-bad" role="alert">
          {error}
        </p>
      )}
      <p className="muted small">
        {shown.length} of {events.length} loaded events{head ? ` (the log has ${head.seq})` : ''}
      </p>

      <table className="list audit" aria-label="Audit events, newest first">
        <thead>
          <tr>
            <th scope="col" className="num">
              seq
            </th>
            <th scope="col">time</th>
            <th scope="col">type</th>
            <th scope="col">actor</th>
            <th scope="col">channel</th>
            <th scope="col">action</th>
            <th scope="col">details</th>
            <th scope="col">hash</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((stored) => (
            <tr key={stored.seq}>
              <td className="num mono">{stored.seq}</td>
              <td className="mono">{clock(stored.event.at)}</td>
              <td>
                <span className="mono">{stored.event.type}</span>
              </td>
              <td>
                <Visible text={actorName(stored.event.actor)} />
              </td>
              <td>{stored.event.channel}</td>
              <td>
                {stored.event.action_id ? (
                  <Link to={`/actions/${stored.event.action_id}`} className="mono" data-row="">
                    {stored.event.action_id.slice(0, 14)}…
                  </Link>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td className="details">
                <Visible text={details(stored.event.data)} />
              </td>
              <td className="mono muted" title={stored.hash}>
                {stored.hash.slice(0, 10)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {events.length > 0 && (events[events.length - 1]?.seq ?? 1) > 1 && (
        <button type="button" onClick={() => void older().catch((reason: Error) => setError(reason.message))}>
          Load older events
        </button>
      )}
    </section>
  )
}

/** The event's data in one line: the interesting keys first. */
function details(data: Record<string, unknown>): string {
  const parts: string[] = []
  for (const [key, value] of Object.entries(data)) {
    if (value === null || value === undefined || value === '') continue
    const text = typeof value === 'string' ? value : JSON.stringify(value)
    parts.push(`${key}: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`)
  }
  return parts.join(' · ')
}

function csvRow(stored: AuditEvent): string {
  const event = stored.event
  return [stored.seq, event.at, event.type, event.action_id, event.actor, event.channel, event.digest, event.policy_version, stored.hash, JSON.stringify(event.data ?? {})].map(csvField).join(',')
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled; null is empty. */
function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * What the log's outside witnesses cosigned: the newest signed tree head and, per witness of
 * `audit.witnesses`, how far behind it is. Without witnesses a rewritten log is caught only by a
 * checkpoint saved elsewhere.
 */
function Witnesses({ data }: { data: Checkpoints | undefined }) {
  if (!data) return null
  const newest = data.checkpoints[data.checkpoints.length - 1]
  return (
    <div className="witnesses" role="status" aria-label="Witnesses">
      <strong>Signed tree head:</strong> {newest ? `${newest.tree_size} events at ${clock(newest.at)}` : 'none yet'}.{' '}
      {data.witnesses.length === 0 && 'No witness is configured (audit.witnesses): nobody outside this gateway would notice a rewritten log.'}
      {data.witnesses.length > 0 && (
        <ul>
          {data.witnesses.map((witness) => (
            <li key={witness.name} className={witness.lag === 0 && witness.tree_size > 0 ? 'witness-ok' : 'witness-behind'}>
              <span className="mono">{witness.name}</span>:{' '}
              {witness.tree_size === 0 ? 'has never cosigned' : `cosigned ${witness.tree_size} events${witness.lag === 0 ? ' (up to date)' : `, ${witness.lag} behind`}${witness.cosigned_at ? ` at ${clock(witness.cosigned_at)}` : ''}`}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

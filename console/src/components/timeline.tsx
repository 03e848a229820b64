import { actorName, clock, dateOnly, timeOfDay } from '../format'
import type { TimelineEntry } from '../types'
import { Visible } from './visible'

const WORDS: Record<string, string> = {
  'action.submitted': 'submitted',
  'action.allowed': 'allowed by policy',
  'action.denied': 'denied',
  'action.pending': 'waiting for review',
  'review.approve': 'approved',
  'review.deny': 'denied',
  'action.approved': 'approval complete',
  'action.expired': 'expired',
  'action.cancelled': 'cancelled',
  'action.executing': 'executing',
  'action.succeeded': 'succeeded',
  'action.failed': 'failed',
  'grant.created': 'grant made',
  'grant.revoked': 'grant revoked',
}

/** Every audit event of the action, oldest first: who did what, through which channel, when. */
export function Timeline({ entries }: { entries: readonly TimelineEntry[] }) {
  return (
    <ol className="timeline">
      {entries.map((entry) => {
        const reason = typeof entry.data['reason'] === 'string' ? entry.data['reason'] : typeof entry.data['error'] === 'string' ? entry.data['error'] : ''
        return (
          <li key={entry.seq} className={`tl tl-${entry.type.replace('.', '-')}`}>
            <time dateTime={entry.at} title={clock(entry.at)}>
              <span className="tl-date">{dateOnly(entry.at)}</span> {timeOfDay(entry.at)}
            </time>
            <div>
              <strong>{WORDS[entry.type] ?? entry.type}</strong>{' '}
              <span className="muted">
                by <Visible text={actorName(entry.actor)} /> via {entry.channel}
              </span>
              {reason && (
                <div className="tl-reason">
                  “<Visible text={reason} />”
                </div>
              )}
            </div>
            <span className="seq" title="sequence number in the audit log">
              #{entry.seq}
            </span>
          </li>
        )
      })}
    </ol>
  )
}

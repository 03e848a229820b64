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
  'request.reminded': 'reminder sent',
  'request.escalated': 'escalated',
}

/** Who a reminder asked, or whom an escalation added (`review.remind_after`, `review.escalate`). */
function routed(entry: TimelineEntry): string {
  const list = entry.type === 'request.escalated' ? entry.data['added'] : entry.type === 'request.reminded' ? entry.data['approvers'] : undefined
  return Array.isArray(list) && list.length > 0 ? `to ${list.map(String).join(', ')} (rule ${String(entry.data['rule'] ?? '')})` : ''
}

/** Every audit event of the action, oldest first: who did what, through which channel, when. */
export function Timeline({ entries }: { entries: readonly TimelineEntry[] }) {
  return (
    <ol className="timeline">
      {entries.map((entry) => {
        const reason = typeof entry.data['reason'] === 'string' ? entry.data['reason'] : typeof entry.data['error'] === 'string' ? entry.data['error'] : routed(entry)
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

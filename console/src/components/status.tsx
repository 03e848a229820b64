import type { Status } from '../types'

const LABELS: Record<string, string> = {
  pending: 'pending',
  allowed: 'allowed',
  approved: 'approved',
  executing: 'executing',
  succeeded: 'succeeded',
  denied: 'denied',
  failed: 'failed',
  expired: 'expired',
  cancelled: 'cancelled',
}

/** The tone of a status: what the eye should do with it. */
export function tone(status: string): 'wait' | 'ok' | 'bad' | 'off' | 'run' {
  if (status === 'pending') return 'wait'
  if (status === 'allowed' || status === 'approved' || status === 'succeeded') return 'ok'
  if (status === 'denied' || status === 'failed') return 'bad'
  if (status === 'executing') return 'run'
  return 'off'
}

/** A status as a badge; color is never the only signal (the word is always there). */
export function StatusBadge({ status }: { status: Status | string }) {
  return <span className={`badge badge-${tone(status)}`}>{LABELS[status] ?? status}</span>
}

/** The policy's effect (allow, deny, review). */
export function EffectBadge({ effect }: { effect: string }) {
  return <span className={`effect effect-${effect}`}>{effect}</span>
}

/** The kind of an action, in a fixed-width tag. */
export function KindTag({ kind }: { kind: string }) {
  return <span className="kind">{kind}</span>
}

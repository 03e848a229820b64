/** "12s", "4m", "2h 5m", "3d": a span of time for a dense table. */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${s % 60 && m < 10 ? ` ${s % 60}s` : ''}`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`
  return `${Math.floor(h / 24)}d${h % 24 ? ` ${h % 24}h` : ''}`
}

/** "3m ago" or "in 3m". */
export function relative(iso: string, now: number): string {
  const delta = new Date(iso).getTime() - now
  return delta >= 0 ? `in ${span(delta)}` : `${span(-delta)} ago`
}

/** Milliseconds as a latency: "0 ms", "240 ms", "1.2 s", "3m 5s". */
export function latency(ms: number): string {
  // Two wall-clock times across a clock set back: no latency to show, rather than a negative one.
  if (!(ms >= 0)) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`
  return span(ms)
}

/** Local date and time to the second, for tooltips and the timeline. */
export function clock(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })
}

/** Local time of day, for dense rows. */
export function timeOfDay(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
}

/** A duration from the policy (ms) in words: "30m", "1h". */
export function policySpan(ms: number): string {
  return span(ms).replace(' ', '')
}

/** The actor of an audit event or submitter, without its prefix: `agent:deploy-bot` → `deploy-bot`. */
export function actorName(actor: string): string {
  return actor.replace(/^(agent|human):/, '')
}

/** Local date, for dense rows where the time is shown apart: "Dec 7, 2026". */
export function dateOnly(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
}

import { createHash } from 'node:crypto'

const TRACE_ID = /^[0-9a-f]{32}$/
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/

/** Where an action's trace comes from: the trace id, and the agent's span its submission continues (absent: the submission is the trace's root). */
export interface TraceOrigin {
  readonly traceId: string
  readonly parentSpanId?: string | undefined
}

/**
 * The trace an action belongs to. An action whose `context.trace_id` names a W3C trace (a bare
 * 32-hex trace id, or a whole `traceparent`, whose span becomes the parent of the submission)
 * continues it; any other action gets a trace id derived from its id, so that every replica
 * names the same trace for it without storing anything more.
 *
 * @example
 * traceOrigin('act_01…', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
 * // { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentSpanId: '00f067aa0ba902b7' }
 */
export function traceOrigin(actionId: string, traceContext: unknown): TraceOrigin {
  if (typeof traceContext === 'string') {
    const text = traceContext.trim().toLowerCase()
    const parent = TRACEPARENT.exec(text)
    if (parent && !isZero(parent[1]!)) return { traceId: parent[1]!, ...(!isZero(parent[2]!) && { parentSpanId: parent[2]! }) }
    if (TRACE_ID.test(text) && !isZero(text)) return { traceId: text }
  }
  return { traceId: derived(`countersign/trace/${actionId}`, 32) }
}

/** The span id of an action's submission, derived from its id: later spans (reviews, the wait, the execution) are its children on any replica. */
export function submitSpanId(actionId: string): string {
  return derived(`countersign/submit/${actionId}`, 16)
}

/** True when `value` is a valid `traceparent` header (version 00 layout, ids not all zeros). */
export function isTraceparent(value: string): boolean {
  const parent = TRACEPARENT.exec(value.trim().toLowerCase())
  return parent !== null && !isZero(parent[1]!) && !isZero(parent[2]!)
}

function derived(seed: string, length: number): string {
  const id = createHash('sha256').update(seed, 'utf8').digest('hex').slice(0, length)
  // All zeros is invalid in W3C trace context; 1 in 2^64 at worst, but never emit it.
  return isZero(id) ? `${id.slice(0, -1)}1` : id
}

function isZero(id: string): boolean {
  return /^0+$/.test(id)
}

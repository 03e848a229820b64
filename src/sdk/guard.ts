import type { Countersign } from './client.js'
import type { ActionContext, ActionKind, ActionResult } from './types.js'

/** What {@link guard} asks Countersign about each call. */
export interface GuardOptions<A extends readonly unknown[]> {
  readonly client: Countersign
  /** The target, as named in the gateway's config. */
  readonly target: string
  readonly kind: ActionKind
  /** The payload a reviewer sees and approves, from the call's arguments (e.g. `({ sql }) => ({ sql })`). */
  readonly toPayload: (...args: A) => Record<string, unknown>
  /** Context for reviewers: fixed, or from the call's arguments. */
  readonly context?: ActionContext | ((...args: A) => ActionContext | undefined)
  /** How long one call may wait for a decision (default: until decided or expired). */
  readonly timeoutMs?: number
}

/** What a guarded call returns for a brokered target: Countersign ran the action, `fn` did not. */
export interface BrokeredRun {
  readonly brokered: true
  readonly action_id: string
  readonly result: ActionResult | null
}

/** How much of a guarded function's return value is reported as the action's output. */
const REPORTED_OUTPUT = 64 * 1024

/**
 * Wraps an async function (a tool's `execute`) so that it runs only once Countersign allows or a
 * human approves it. Each call submits `{kind, target, payload: toPayload(...args)}` and waits
 * (`client.run`); denied, expired, cancelled or still pending at `timeoutMs` throw `Denied`,
 * `Expired`, `Cancelled` or `StillPending` with the reason, which tool frameworks hand to the
 * model as the tool's error. Once it may run: for a target without a connector, the receipt is
 * redeemed (single use, bound to the approved payload), `fn` runs, and its outcome is reported;
 * for a brokered target, `fn` never runs and the call returns Countersign's result instead.
 *
 * `toPayload` must describe exactly what `fn` does with those arguments: the approval is for
 * that payload.
 *
 * @example
 * const runSql = guard(async ({ sql }: { sql: string }) => db.query(sql), {
 *   client: cs, target: 'analytics-db', kind: 'sql', toPayload: ({ sql }) => ({ sql }),
 * })
 */
export function guard<A extends readonly unknown[], R>(fn: (...args: A) => Promise<R> | R, options: GuardOptions<A>): (...args: A) => Promise<R | BrokeredRun> {
  const { client, target, kind } = options
  return async function guarded(...args: A): Promise<R | BrokeredRun> {
    const payload = options.toPayload(...args)
    const context = typeof options.context === 'function' ? options.context(...args) : options.context
    const action = await client.run({ kind, target, payload, ...(context && { context }) }, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })
    if (action.brokered) return { brokered: true, action_id: action.id, result: action.result }
    const { receipt } = await client.receipt(action.id)
    // The gateway checks the payload presented against the approved digest: the stored one, as approved.
    await client.redeem({ receipt, target, action: { kind, target, payload: action.payload } })
    let value: R
    try {
      value = await fn(...args)
    } catch (error) {
      await report(client, action.id, { status: 'failed', error: error instanceof Error ? error.message : String(error) })
      throw error
    }
    await report(client, action.id, { status: 'succeeded', output: outputOf(value) })
    return value
  }
}

/**
 * Reports the outcome; a report that cannot be delivered must not turn a run into an error the
 * model would retry (running it twice). The gateway then fails the action as "result unknown".
 */
async function report(client: Countersign, id: string, outcome: { status: 'succeeded' | 'failed'; output?: string; error?: string }): Promise<void> {
  await client.reportOutcome(id, outcome).catch(() => undefined)
}

function outputOf(value: unknown): string {
  let text: string
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '')
  } catch {
    text = String(value)
  }
  return text.length > REPORTED_OUTPUT ? text.slice(0, REPORTED_OUTPUT) : text
}

import { reasonOf } from './results.js'
import { timerDelay } from '../time/index.js'

/** How long a cancelled statement has to end before its connection is dropped. */
const DROP_AFTER_MS = 5000

/**
 * Ends a running SQL execution when its time is up or its signal aborts: first the server is asked
 * to cancel the statement, then, if that does not end it, the connection is dropped.
 */
export class SqlDeadline {
  /** Why the execution was stopped, once it was. */
  reason: string | undefined
  readonly #signal: AbortSignal
  readonly #timer: NodeJS.Timeout
  #dropTimer: NodeJS.Timeout | undefined
  readonly #onAbort: () => void

  constructor(timeoutMs: number, signal: AbortSignal, stop: { readonly cancel: () => Promise<void>; readonly drop: () => void }) {
    const halt = (why: string) => {
      if (this.reason !== undefined) return
      this.reason = why
      void stop.cancel()
      this.#dropTimer = setTimeout(stop.drop, DROP_AFTER_MS)
    }
    this.#signal = signal
    this.#timer = setTimeout(() => halt(`the SQL did not finish within ${timeoutMs / 1000}s`), timerDelay(timeoutMs))
    this.#onAbort = () => halt(`stopped: ${reasonOf(signal)}`)
    signal.addEventListener('abort', this.#onAbort, { once: true })
  }

  /** The execution ended: no more stopping. */
  clear(): void {
    clearTimeout(this.#timer)
    clearTimeout(this.#dropTimer)
    this.#signal.removeEventListener('abort', this.#onAbort)
  }
}

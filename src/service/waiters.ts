import { ACTIONS_CHANNEL, type Store } from '../store/index.js'

type Listener = () => void

/**
 * Wakes whoever waits on an action (a long-poll, an SSE stream) when it changes, on any replica:
 * the store NOTIFYs the action's id on commit and every replica LISTENs. A slow poll backs the
 * notifications up, so a lost one (a reconnecting listener) delays a waiter, never strands it.
 */
export class Waiters {
  readonly #byId = new Map<string, Set<Listener>>()
  readonly #pollMs: number
  #unlisten: (() => Promise<void>) | undefined

  private constructor(pollMs: number) {
    this.#pollMs = pollMs
  }

  /** Starts listening on the store's notification channel. */
  static async start(store: Store, options: { pollMs?: number } = {}): Promise<Waiters> {
    const waiters = new Waiters(options.pollMs ?? 2000)
    waiters.#unlisten = await store.connection.listen(ACTIONS_CHANNEL, (payload) => waiters.#notify(payload))
    return waiters
  }

  #notify(id: string): void {
    for (const listener of this.#byId.get(id) ?? []) listener()
  }

  /**
   * Resolves with the first value of `read()` that `done` accepts, re-reading on every change of
   * action `id`, or with the last value read when `timeoutMs` passes or `signal` aborts.
   */
  async waitFor<T>(id: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    let wake: () => void = () => {}
    // Set by a notification that may have come after a read started: read again before waiting.
    let dirty = false
    const listener: Listener = () => {
      dirty = true
      wake()
    }
    const set = this.#byId.get(id) ?? new Set<Listener>()
    this.#byId.set(id, set)
    set.add(listener)
    // Monotonic: a clock set back or forward during a hold neither ends it nor makes it last for years.
    const deadline = performance.now() + timeoutMs
    try {
      // Subscribed before the first read: a change between the read and the wait still wakes us.
      let value = await read()
      while (!done(value) && performance.now() < deadline && !signal?.aborted) {
        if (!dirty) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(finish, Math.min(this.#pollMs, Math.max(0, deadline - performance.now())))
            signal?.addEventListener('abort', finish, { once: true })
            wake = finish
            function finish(): void {
              clearTimeout(timer)
              signal?.removeEventListener('abort', finish)
              resolve()
            }
          })
          wake = () => {}
        }
        dirty = false
        value = await read()
      }
      return value
    } finally {
      set.delete(listener)
      if (set.size === 0) this.#byId.delete(id)
    }
  }

  async stop(): Promise<void> {
    await this.#unlisten?.()
  }
}

import { ACTIONS_CHANNEL, type Store } from '../store/index.js'

type Listener = () => void

/**
 * Wakes whoever waits on an action (a long-poll, an SSE stream) when it changes, on any replica:
 * the store NOTIFYs the action's id on commit and every replica LISTENs. A lost notification (a
 * reconnecting listener) delays a waiter, never strands it: one sweep reads the versions of every
 * waited action in a single query and wakes those that changed, so ten thousand waiters cost one
 * query per sweep, not ten thousand.
 */
export class Waiters {
  readonly #byId = new Map<string, Set<Listener>>()
  /** The version each waited action had at the last sweep. */
  readonly #swept = new Map<string, number>()
  readonly #store: Store
  readonly #pollMs: number
  #unlisten: (() => Promise<void>) | undefined
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  private constructor(store: Store, pollMs: number) {
    this.#store = store
    this.#pollMs = pollMs
  }

  /** Starts listening on the store's notification channel, and sweeping every `pollMs` (2 s). */
  static async start(store: Store, options: { pollMs?: number } = {}): Promise<Waiters> {
    const waiters = new Waiters(store, options.pollMs ?? 2000)
    waiters.#unlisten = await store.connection.listen(ACTIONS_CHANNEL, (payload) => waiters.#notify(payload))
    waiters.#schedule()
    return waiters
  }

  #notify(id: string): void {
    for (const listener of this.#byId.get(id) ?? []) listener()
  }

  /** Wakes this replica's waiters of action `id` now, for a change this replica committed (its notification still follows). */
  wake(id: string): void {
    this.#notify(id)
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => void this.#sweep().finally(() => this.#schedule()), this.#pollMs)
    this.#timer.unref()
  }

  /**
   * Wakes the waiters of every action whose version moved since the last sweep, and those of
   * actions this sweep sees for the first time (their change may have come between their first
   * read and now, its notification lost).
   */
  async #sweep(): Promise<void> {
    for (const id of this.#swept.keys()) if (!this.#byId.has(id)) this.#swept.delete(id)
    if (this.#byId.size === 0) return
    let versions: Map<string, number>
    try {
      versions = await this.#store.actionVersions([...this.#byId.keys()])
    } catch {
      return // the store is away: the next sweep tries again, and notifications still wake
    }
    for (const [id, version] of versions) {
      if (this.#swept.get(id) === version) continue
      this.#swept.set(id, version)
      this.#notify(id)
    }
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
            const timer = setTimeout(finish, Math.max(0, deadline - performance.now()))
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
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#unlisten?.()
  }
}

import { ACTIONS_CHANNEL, type Store, type WatchedAction } from '../store/index.js'

type Listener = () => void

/** The most ids one batched read asks for. */
const MAX_BATCH = 1000

/** What this replica knows of one waited (or lately waited) action. */
interface Watch {
  readonly listeners: Set<Listener>
  /** The last read, while no change of the action has been announced since it was sent. */
  current: WatchedAction | undefined
  /** A read waiting for the next batch: anyone who asks before it is sent shares it. */
  queued: Read | undefined
  /** The read sent last, and the `changes` count when it was sent. */
  sent: { read: Read; changes: number } | undefined
  /** Changes announced (notified, or found by a sweep): a read sent before the last one is not current. */
  changes: number
  /** Read since the last sweep: an entry nobody waits on or reads is dropped at the sweep after. */
  used: boolean
}

interface Read {
  readonly promise: Promise<WatchedAction | undefined>
  resolve(action: WatchedAction | undefined): void
  reject(error: unknown): void
}

function newRead(): Read {
  let resolve!: Read['resolve']
  let reject!: Read['reject']
  const promise = new Promise<WatchedAction | undefined>((ok, fail) => ((resolve = ok), (reject = fail)))
  // A read nobody awaits any more (its waiter left) must not become an unhandled rejection.
  promise.catch(() => {})
  return { promise, resolve, reject }
}

/**
 * Wakes whoever waits on an action (a long-poll, an SSE stream) when it changes, on any replica,
 * and reads the actions they wait on at the least cost to the store:
 * - the store NOTIFYs the action's id on commit and every replica LISTENs: a notification wakes
 *   the action's waiters at once;
 * - the waiters of one action share one read, and the reads asked for in the same turn of the
 *   event loop are one batched read (`Store.watchedActions`: three queries for any number of ids),
 *   one batch at a time;
 * - the last read of an action stays current until a change of it is announced, and is kept a
 *   sweep longer than its last waiter: a long-poll asked again when its hold ends starts from it,
 *   with no store read;
 * - a lost notification (a reconnecting listener) delays a waiter, never strands it: one sweep
 *   every `pollMs` reads the actions changed since the last sweep from the audit chain (one
 *   query, whose cost is the number of changes, not of waiters), and wakes the waiters of those
 *   whose version is not the one last read.
 */
export class Waiters {
  readonly #byId = new Map<string, Watch>()
  /** Ids whose queued read goes in the next batch, in order of asking. */
  readonly #queue = new Set<string>()
  readonly #store: Store
  readonly #pollMs: number
  #reading = false
  #flushScheduled = false
  /** The last audit event the sweeps have read. */
  #swept = 0
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
    waiters.#unlisten = await store.connection.listen(ACTIONS_CHANNEL, (payload) => waiters.#changed(payload))
    // Listening first: a change committed after this read of the head is either notified or swept.
    waiters.#swept = (await store.auditHead()).seq
    waiters.#schedule()
    return waiters
  }

  #watch(id: string): Watch {
    let watch = this.#byId.get(id)
    if (!watch) this.#byId.set(id, (watch = { listeners: new Set(), current: undefined, queued: undefined, sent: undefined, changes: 0, used: true }))
    return watch
  }

  /** A change of action `id` was announced: what was read of it is stale, and its waiters wake. */
  #changed(id: string): void {
    const watch = this.#byId.get(id)
    if (!watch) return
    watch.changes++
    watch.current = undefined
    for (const listener of watch.listeners) listener()
  }

  /**
   * Action `id` as read from the store, `undefined` when there is no such action. `fresh`: by a
   * read sent after this call; otherwise the last read while no change has been announced since,
   * or a read sent since the last announced change.
   */
  read(id: string, options: { fresh?: boolean } = {}): Promise<WatchedAction | undefined> {
    const watch = this.#watch(id)
    watch.used = true
    if (!options.fresh) {
      if (watch.current) return Promise.resolve(watch.current)
      if (watch.sent && watch.sent.changes === watch.changes) return watch.sent.read.promise
    }
    if (!watch.queued) {
      watch.queued = newRead()
      this.#queue.add(id)
      this.#scheduleFlush()
    }
    return watch.queued.promise
  }

  /** The last read of `id` while no change has been announced since, if there is one: no store read. */
  current(id: string): WatchedAction | undefined {
    return this.#byId.get(id)?.current
  }

  /** Sends the queued reads once the current turn has asked for all of its own. */
  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#reading) return
    this.#flushScheduled = true
    setImmediate(() => {
      this.#flushScheduled = false
      void this.#flush()
    })
  }

  async #flush(): Promise<void> {
    if (this.#reading || this.#queue.size === 0) return
    this.#reading = true
    const batch: Array<{ id: string; watch: Watch; read: Read; changes: number }> = []
    for (const id of this.#queue) {
      this.#queue.delete(id)
      const watch = this.#byId.get(id)!
      const read = watch.queued!
      watch.queued = undefined
      watch.sent = { read, changes: watch.changes }
      batch.push({ id, watch, read, changes: watch.changes })
      if (batch.length === MAX_BATCH) break
    }
    try {
      const found = await this.#store.watchedActions(batch.map((item) => item.id))
      for (const { id, watch, read, changes } of batch) {
        const action = found.get(id)
        if (action && watch.changes === changes) watch.current = action
        if (watch.sent?.read === read) watch.sent = undefined
        read.resolve(action)
      }
    } catch (error) {
      for (const { watch, read } of batch) {
        if (watch.sent?.read === read) watch.sent = undefined
        read.reject(error)
      }
    } finally {
      this.#reading = false
      this.#scheduleFlush()
    }
  }

  /** Wakes this replica's waiters of action `id` now, for a change this replica committed (its notification still follows). */
  wake(id: string): void {
    this.#changed(id)
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => void this.#sweep().finally(() => this.#schedule()), this.#pollMs)
    this.#timer.unref()
  }

  /**
   * Drops what nobody waited on or read since the last sweep, and announces a change of every
   * known action changed since the last sweep whose version is not the one last read of it (its
   * notification was lost, or came while its read was under way).
   */
  async #sweep(): Promise<void> {
    for (const [id, watch] of this.#byId) {
      if (watch.listeners.size === 0 && !watch.used && !watch.queued && !watch.sent) this.#byId.delete(id)
      else watch.used = false
    }
    let changed: { seq: number; versions: Map<string, number> }
    try {
      changed = await this.#store.actionsChangedSince(this.#swept)
    } catch {
      return // the store is away: the next sweep tries again from the same event, and notifications still wake
    }
    this.#swept = changed.seq
    for (const [id, version] of changed.versions) {
      if (this.#byId.has(id) && this.#byId.get(id)!.current?.record.version !== version) this.#changed(id)
    }
  }

  /**
   * Resolves with the first value `view` makes of action `id` that `done` accepts, reading it again
   * at every announced change of it, or with the last value when `timeoutMs` passes or `signal`
   * aborts. The wait starts from the last read of the action when nothing announced a change since
   * (no store read); a value accepted at once is read again, so what a waiter returns as done was
   * read after it arrived. `view` may throw (e.g. the action is not the caller's): the wait ends with it.
   */
  async waitFor<T>(id: string, view: (action: WatchedAction | undefined) => T | Promise<T>, done: (value: T) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    let wake: () => void = () => {}
    // Set by a change announced after the read in hand was sent: read again before waiting.
    let dirty = false
    const listener: Listener = () => {
      dirty = true
      wake()
    }
    const watch = this.#watch(id)
    watch.listeners.add(listener)
    // Monotonic: a clock set back or forward during a hold neither ends it nor makes it last for years.
    const deadline = performance.now() + timeoutMs
    try {
      // Subscribed before the first read: a change announced after it is sent still wakes us.
      const known = watch.current
      let value = await view(known ?? (await this.read(id, { fresh: true })))
      if (known && done(value)) value = await view(await this.read(id, { fresh: true }))
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
          // Timed out or aborted with no change announced: the value in hand is still the action as it is.
          if (!dirty) break
        }
        dirty = false
        value = await view(await this.read(id))
      }
      return value
    } finally {
      watch.listeners.delete(listener)
      watch.used = true
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#unlisten?.()
  }
}

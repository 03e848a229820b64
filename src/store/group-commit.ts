/**
 * Collects work submitted concurrently and hands it to `flush` in batches: while one batch is
 * being written, new items queue up and go together in the next. One transaction with
 * multi-row inserts per batch instead of one per item is what keeps the store from being the
 * bottleneck (ARCHITECTURE.md, performance design). An item is acknowledged once committed; when
 * a batch fails, its items are retried one by one, so each fails or succeeds on its own.
 */
export class GroupCommit<T> {
  readonly #flush: (items: readonly T[]) => Promise<void>
  readonly #maxBatch: number
  #queue: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = []
  #running = false
  #idle: Promise<void> = Promise.resolve()

  constructor(flush: (items: readonly T[]) => Promise<void>, options: { maxBatch?: number } = {}) {
    this.#flush = flush
    this.#maxBatch = options.maxBatch ?? 500
  }

  /** Queues `item`; resolves once the batch holding it is committed. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject })
      if (!this.#running) this.#idle = this.#drain()
    })
  }

  /** Resolves when everything queued so far is written (or failed). */
  settled(): Promise<void> {
    return this.#idle
  }

  async #drain(): Promise<void> {
    this.#running = true
    try {
      // Let the requests that arrived in the same turn of the event loop join the first batch.
      await new Promise<void>((resolve) => setImmediate(resolve))
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch)
        try {
          await this.#flush(batch.map((entry) => entry.item))
          for (const entry of batch) entry.resolve()
        } catch (error) {
          if (batch.length === 1) batch[0]!.reject(error)
          // One bad item must not fail the others: write them one by one.
          else for (const entry of batch) await this.#flush([entry.item]).then(entry.resolve, entry.reject)
        }
      }
    } finally {
      this.#running = false
    }
  }
}

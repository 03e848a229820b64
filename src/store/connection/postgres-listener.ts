import pg from 'pg'
import { CountersignError } from '../../errors/index.js'
import { quoteChannel } from './store-connection.js'
import { timerDelay } from '../../time/index.js'

const MAX_BACKOFF_MS = 5_000

function closedError(): CountersignError {
  return new CountersignError('INTERNAL', 'the store connection is closed')
}

/**
 * LISTEN on PostgreSQL over one dedicated `pg.Client` (a pooled client cannot stay subscribed).
 * When that connection fails it reconnects with exponential backoff and re-issues LISTEN for
 * every subscribed channel; it connects only once someone listens.
 */
export class PostgresListener {
  readonly #config: pg.ClientConfig
  readonly #subscribers = new Map<string, Set<(payload: string) => void>>()
  /** The connection being established or established, with every channel listened. */
  #connection: Promise<pg.Client> | undefined
  #current: pg.Client | undefined
  #closed = false
  #wakeSleeper: (() => void) | undefined

  constructor(config: pg.ClientConfig) {
    this.#config = config
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const quoted = quoteChannel(channel)
    // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const subscriber = (payload: string): void => onNotify(payload)
    let subscribers = this.#subscribers.get(channel)
    if (!subscribers) this.#subscribers.set(channel, (subscribers = new Set()))
    subscribers.add(subscriber)
    try {
      await this.#run(`LISTEN ${quoted}`)
    } catch (error) {
      this.#unsubscribe(channel, subscriber)
      throw error
    }
    let subscribed = true
    return async () => {
      if (!subscribed) return
      subscribed = false
      if (this.#unsubscribe(channel, subscriber) && !this.#closed) {
        await this.#run(`UNLISTEN ${quoted}`).catch(() => {}) // best effort: no subscriber is left to notify
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#wakeSleeper?.()
    const client = this.#current
    this.#current = undefined
    this.#connection = undefined
    await client?.end().catch(() => {})
  }

  /** Removes a subscriber; true when it was its channel's last one. */
  #unsubscribe(channel: string, subscriber: (payload: string) => void): boolean {
    const subscribers = this.#subscribers.get(channel)
    if (!subscribers?.delete(subscriber) || subscribers.size > 0) return false
    this.#subscribers.delete(channel)
    return true
  }

  async #run(statement: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#connected()
      try {
        await client.query(statement)
        return
      } catch (error) {
        // Whatever failed, a fresh connection re-listens every channel; give up only if that
        // keeps failing (LISTEN of a valid name has no other way to fail).
        this.#lost(client)
        if (this.#closed || attempt === 3) throw error
      }
    }
  }

  #connected(): Promise<pg.Client> {
    if (this.#closed) return Promise.reject(closedError())
    this.#connection ??= this.#connect()
    return this.#connection
  }

  async #connect(): Promise<pg.Client> {
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw closedError()
      const client = new pg.Client(this.#config)
      // Without an 'error' listener a dropped connection would crash the process.
      client.on('error', () => this.#lost(client))
      client.on('end', () => this.#lost(client))
      client.on('notification', ({ channel, payload }) => this.#deliver(channel, payload ?? ''))
      try {
        await client.connect()
        for (const channel of [...this.#subscribers.keys()]) await client.query(`LISTEN ${quoteChannel(channel)}`)
        if (this.#closed) throw closedError()
        this.#current = client
        return client
      } catch (error) {
        void client.end().catch(() => {})
        if (this.#closed) throw error
      }
      await this.#sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt) * (0.5 + Math.random() / 2))
    }
  }

  #lost(client: pg.Client): void {
    if (this.#current !== client) return
    this.#current = undefined
    this.#connection = undefined
    void client.end().catch(() => {})
    // Reconnect now rather than on the next listen(), so notifications resume by themselves.
    if (!this.#closed && this.#subscribers.size > 0) void this.#connected().catch(() => {})
  }

  #deliver(channel: string, payload: string): void {
    for (const subscriber of this.#subscribers.get(channel) ?? []) {
      // Off pg's socket handler, so a throwing subscriber cannot break the connection's parser.
      queueMicrotask(() => subscriber(payload))
    }
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timerDelay(ms))
      this.#wakeSleeper = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    this.#wakeSleeper = undefined
  }
}

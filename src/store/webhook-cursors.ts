import { createHash } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { StoreConnection } from './connection/index.js'
import type { Database } from './schema.js'

/** A webhook endpoint's place in the audit log, claimed by one sender. */
export interface WebhookCursor {
  /** The last event delivered (or skipped by the endpoint's filter). */
  readonly seq: number
  /** Failed attempts at the next event. */
  readonly attempts: number
}

/**
 * Where each outgoing webhook endpoint is in the audit log. Events are delivered in order, one
 * at a time per endpoint: a sender claims the endpoint's cursor with a lease, sends the events
 * after it, and moves it past each delivered one, so a failed event is retried before any later
 * one, and an event delivered is never sent again (a crash between the send and the move aside:
 * receivers dedupe by the `webhook-id`, the event's sequence number).
 */
export class WebhookCursorStore {
  readonly #db: Kysely<Database>
  readonly #clock: () => Date

  constructor(connection: StoreConnection<Database>, clock: () => Date = () => new Date()) {
    this.#db = connection.db
    this.#clock = clock
  }

  /** Creates the endpoint's cursor at the chain's head if it has none: a new endpoint gets events from now on. */
  async open(endpoint: string): Promise<void> {
    await sql`insert into webhook_cursors (endpoint, seq, next_attempt_at)
              select ${endpoint}, seq, ${this.#clock()} from audit_head where id = 1
              on conflict (endpoint) do nothing`.execute(this.#db)
  }

  /** Claims the endpoint until `now + leaseMs` when it is due and nobody holds it. */
  async claim(endpoint: string, owner: string, leaseMs: number): Promise<WebhookCursor | undefined> {
    const now = this.#clock()
    const row = await this.#db
      .updateTable('webhook_cursors')
      .set({ lease_owner: owner, lease_until: new Date(now.getTime() + leaseMs) })
      .where('endpoint', '=', endpoint)
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]))
      .returning(['seq', 'attempts'])
      .executeTakeFirst()
    return row && { seq: Number(row.seq), attempts: row.attempts }
  }

  /** Moves the cursor past `seq` (delivered or filtered out); false when the lease was lost. */
  async advance(endpoint: string, owner: string, seq: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('webhook_cursors')
      .set({ seq, attempts: 0, last_error: null })
      .where('endpoint', '=', endpoint)
      .where('lease_owner', '=', owner)
      .where('seq', '<', seq)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  /** Records a failed attempt and when to try again, and lets go of the endpoint. */
  async failed(endpoint: string, owner: string, retryAt: Date, error: string): Promise<void> {
    await this.#db
      .updateTable('webhook_cursors')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: retryAt, last_error: error.slice(0, 1000), lease_owner: null, lease_until: null }))
      .where('endpoint', '=', endpoint)
      .where('lease_owner', '=', owner)
      .execute()
  }

  /** Lets go of the endpoint after a pass. */
  async release(endpoint: string, owner: string): Promise<void> {
    await this.#db.updateTable('webhook_cursors').set({ lease_owner: null, lease_until: null }).where('endpoint', '=', endpoint).where('lease_owner', '=', owner).execute()
  }
}

/** The key of a webhook endpoint's cursor: SHA-256 of its URL (hex), so the URL's secrets are not stored. */
export function webhookEndpointId(url: string): string {
  return createHash('sha256').update(url).digest('hex')
}

/** The oldest place of these endpoints in the audit log (the last event each took), `undefined` when none has a cursor. */
export async function oldestWebhookCursor(db: Kysely<Database>, urls: readonly string[]): Promise<number | undefined> {
  if (urls.length === 0) return undefined
  const row = await db.selectFrom('webhook_cursors').select((eb) => eb.fn.min('seq').as('seq')).where('endpoint', 'in', urls.map(webhookEndpointId)).executeTakeFirst()
  return row?.seq === null || row?.seq === undefined ? undefined : Number(row.seq)
}


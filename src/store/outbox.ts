import { sql, type Kysely, type Selectable } from 'kysely'
import { CountersignError } from '../errors/index.js'
import type { StoreConnection } from './connection/index.js'
import type { ChannelMessagesTable, Database } from './schema.js'

/** An audit event as the outbox reads it: which action it is about, and what happened. */
export interface OutboxEvent {
  readonly seq: number
  readonly actionId: string | null
  readonly type: string
}

/** What deciding where to announce an action needs: the humans behind it and its frozen decision. */
export interface AnnouncedAction {
  readonly id: string
  readonly status: string
  readonly decision: Readonly<Record<string, unknown>>
  readonly owner: string | null
  readonly onBehalfOf: string | null
  readonly submittedBy: string
  /** The human who issued the run-time token it was submitted with, if any. */
  readonly tokenIssuedBy?: string | null | undefined
}

/** One message a channel keeps up to date: an action announced to one destination. */
export interface OutboxMessage {
  readonly channel: string
  readonly actionId: string
  readonly destination: string
  /** The channel's reference to the posted message; `null` until announced. */
  readonly ref: string | null
  /** The newest audit event the message must show. */
  readonly wantedSeq: number
  /** The newest audit event it shows; 0 before it is posted. */
  readonly sentSeq: number
  /** Failed attempts since the last success. */
  readonly attempts: number
  readonly nextAttemptAt: Date
  readonly leaseOwner: string | null
  readonly lastError: string | null
  readonly deadAt: Date | null
}

/** What one pass over the audit log derived. */
export interface AdvanceResult {
  /** Audit events read (the cursor moved past them). */
  readonly events: number
  /** New messages to announce. */
  readonly announced: number
}

/**
 * Events that announce an action to destinations: a new pending request, and an escalation
 * (the approvers it adds may be reached at new destinations; those already announced to stay).
 */
export const ANNOUNCING_EVENTS: readonly string[] = ['action.pending', 'request.escalated', 'break_glass.used']

/** Plans the announcements of a batch of events: for each announcing event's action ({@link ANNOUNCING_EVENTS}), its destinations. */
export type AnnouncementPlanner = (events: readonly OutboxEvent[], pending: ReadonlyMap<string, AnnouncedAction>) => readonly { readonly actionId: string; readonly destination: string }[]

/**
 * The channels' delivery outbox (ARCHITECTURE.md, "many replicas, one truth"). Deliveries are
 * derived from the audit log, which every state change writes in its own transaction: a cursor
 * per channel (locked while it moves, so one replica advances it at a time) marks how far. Each
 * message is one row that knows the newest event it must show and the newest it shows, so any
 * number of changes between two sends collapse into one update rendering the current state.
 * Senders claim due rows with `FOR UPDATE SKIP LOCKED` and a lease; a crashed sender's rows are
 * claimed again once its lease ends.
 */
export class OutboxStore {
  readonly #db: Kysely<Database>
  readonly #clock: () => Date

  constructor(connection: StoreConnection<Database>, clock: () => Date = () => new Date()) {
    this.#db = connection.db
    this.#clock = clock
  }

  /**
   * Creates the channel's cursor at the head of the audit log if it has none (a channel
   * configured later announces what happens from then on, not the whole history); returns it.
   */
  async openCursor(channel: string): Promise<number> {
    await sql`insert into channel_cursors (channel, seq) select ${channel}, seq from audit_head where id = 1 on conflict (channel) do nothing`.execute(this.#db)
    const row = await this.#db.selectFrom('channel_cursors').select('seq').where('channel', '=', channel).executeTakeFirstOrThrow()
    return Number(row.seq)
  }

  /**
   * Reads up to `limit` audit events after the channel's cursor, inserts the messages `plan`
   * asks for, marks every message of an action an event concerns as behind, and moves the
   * cursor: all in one transaction under the cursor's lock.
   */
  async advance(channel: string, plan: AnnouncementPlanner, limit = 500): Promise<AdvanceResult> {
    return this.#db.transaction().execute(async (tx) => {
      const cursor = await tx.selectFrom('channel_cursors').select('seq').where('channel', '=', channel).forUpdate().executeTakeFirst()
      if (!cursor) throw new CountersignError('INTERNAL', `channel ${channel} has no outbox cursor (openCursor first)`)
      const rows = await tx.selectFrom('audit_events').select(['seq', 'action_id', 'type']).where('seq', '>', cursor.seq).orderBy('seq').limit(limit).execute()
      if (rows.length === 0) return { events: 0, announced: 0 }
      const events = rows.map((row): OutboxEvent => ({ seq: Number(row.seq), actionId: row.action_id, type: row.type }))
      const pendingIds = [...new Set(events.filter((event) => ANNOUNCING_EVENTS.includes(event.type) && event.actionId).map((event) => event.actionId!))]
      const pending = new Map<string, AnnouncedAction>()
      if (pendingIds.length > 0) {
        const actions = await tx.selectFrom('actions').select(['id', 'status', 'decision', 'owner', 'on_behalf_of', 'submitted_by', 'token_issued_by']).where('id', 'in', pendingIds).execute()
        for (const action of actions) {
          const decision = JSON.parse(action.decision) as Record<string, unknown>
          pending.set(action.id, { id: action.id, status: action.status, decision, owner: action.owner, onBehalfOf: action.on_behalf_of, submittedBy: action.submitted_by, tokenIssuedBy: action.token_issued_by })
        }
      }
      const now = this.#clock()
      const seqOf = new Map(events.filter((event) => ANNOUNCING_EVENTS.includes(event.type)).map((event) => [event.actionId, event.seq]))
      const wanted = plan(events, pending).filter((item) => seqOf.has(item.actionId))
      if (wanted.length > 0) {
        await tx
          .insertInto('channel_messages')
          .values(wanted.map((item) => ({ channel, action_id: item.actionId, destination: item.destination, wanted_seq: seqOf.get(item.actionId)!, next_attempt_at: now, created_at: now, updated_at: now, ref: null, lease_owner: null, lease_until: null, last_error: null, dead_at: null })))
          .onConflict((conflict) => conflict.columns(['channel', 'action_id', 'destination']).doNothing())
          .execute()
      }
      const latest = new Map<string, number>()
      for (const event of events) if (event.actionId) latest.set(event.actionId, event.seq)
      if (latest.size > 0) {
        // A message given up on gets a fresh round of attempts when its action changes again.
        await sql`
          update channel_messages m
             set wanted_seq = v.seq, updated_at = ${now},
                 attempts = case when m.dead_at is null then m.attempts else 0 end,
                 next_attempt_at = case when m.dead_at is null then m.next_attempt_at else ${now} end,
                 dead_at = null
            from json_to_recordset(${JSON.stringify([...latest].map(([action_id, seq]) => ({ action_id, seq })))}) as v(action_id text, seq bigint)
           where m.channel = ${channel} and m.action_id = v.action_id and m.wanted_seq < v.seq`.execute(tx)
      }
      await tx.updateTable('channel_cursors').set({ seq: events[events.length - 1]!.seq }).where('channel', '=', channel).execute()
      return { events: events.length, announced: wanted.length }
    })
  }

  /**
   * Claims up to `limit` messages of `channel` that are behind their action and due, for
   * `owner` until `leaseMs` from now. Replicas claiming at once get disjoint sets.
   */
  async claim(channel: string, owner: string, leaseMs: number, limit: number): Promise<readonly OutboxMessage[]> {
    const now = this.#clock()
    const until = new Date(now.getTime() + leaseMs)
    const result = await sql<Selectable<ChannelMessagesTable>>`
      update channel_messages m set lease_owner = ${owner}, lease_until = ${until}
       where (m.channel, m.action_id, m.destination) in (
               select channel, action_id, destination from channel_messages
                where channel = ${channel} and sent_seq < wanted_seq and dead_at is null and next_attempt_at <= ${now}
                  and (lease_until is null or lease_until <= ${now})
                order by next_attempt_at limit ${limit}
                for update skip locked)
      returning m.*`.execute(this.#db)
    return result.rows.map(messageOf)
  }

  /**
   * Records a successful send by the lease holder: the message shows event `message.wantedSeq`
   * (as claimed; a newer event keeps it behind) and, once announced, where it is (`ref`).
   * Returns false when the lease was no longer `owner`'s.
   */
  async complete(message: OutboxMessage, owner: string, ref: string): Promise<boolean> {
    const now = this.#clock()
    const result = await this.#db
      .updateTable('channel_messages')
      .set({
        sent_seq: sql`greatest(sent_seq, ${message.wantedSeq})`,
        ref: sql`coalesce(ref, ${ref})`,
        attempts: 0,
        last_error: null,
        lease_owner: null,
        lease_until: null,
        next_attempt_at: now,
        updated_at: now,
      })
      .where('channel', '=', message.channel)
      .where('action_id', '=', message.actionId)
      .where('destination', '=', message.destination)
      .where('lease_owner', '=', owner)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  /**
   * Records a failed send by the lease holder: tried again at `retryAt`, or given up (`dead`)
   * until the action changes again.
   */
  async fail(message: OutboxMessage, owner: string, failure: { readonly error: string; readonly retryAt: Date; readonly dead: boolean }): Promise<void> {
    const now = this.#clock()
    await this.#db
      .updateTable('channel_messages')
      .set({
        attempts: sql`attempts + 1`,
        last_error: failure.error.slice(0, 1000),
        next_attempt_at: failure.retryAt,
        dead_at: failure.dead ? now : null,
        lease_owner: null,
        lease_until: null,
        updated_at: now,
      })
      .where('channel', '=', message.channel)
      .where('action_id', '=', message.actionId)
      .where('destination', '=', message.destination)
      .where('lease_owner', '=', owner)
      .execute()
  }

  /** The messages kept for an action, by channel and destination. */
  async messages(actionId: string): Promise<readonly OutboxMessage[]> {
    const rows = await this.#db.selectFrom('channel_messages').selectAll().where('action_id', '=', actionId).orderBy('channel').orderBy('destination').execute()
    return rows.map(messageOf)
  }

  /**
   * Records the id of a signed inbound request (e.g. its signature) until `expiresAt`; false
   * when it was seen before: a replay. Ids past their expiry are forgotten on the way.
   */
  async acceptRequestId(key: string, expiresAt: Date): Promise<boolean> {
    const result = await sql<{ key: string }>`
      with forgotten as (delete from channel_request_ids where expires_at < ${this.#clock()})
      insert into channel_request_ids (key, expires_at) values (${key}, ${expiresAt})
      on conflict (key) do nothing returning key`.execute(this.#db)
    return result.rows.length === 1
  }
}

function messageOf(row: Selectable<ChannelMessagesTable>): OutboxMessage {
  return {
    channel: row.channel,
    actionId: row.action_id,
    destination: row.destination,
    ref: row.ref,
    wantedSeq: Number(row.wanted_seq),
    sentSeq: Number(row.sent_seq),
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    leaseOwner: row.lease_owner,
    lastError: row.last_error,
    deadAt: row.dead_at,
  }
}

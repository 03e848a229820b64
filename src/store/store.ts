import { Migrator, sql, type Kysely, type RawBuilder, type Selectable, type Transaction } from 'kysely'
import { sealEvents, type Checkpoint, type StoredAuditEvent } from '../audit/index.js'
import { CountersignError } from '../errors/index.js'
import type { StoreConnection } from './connection/index.js'
import { PREPARE_MARK } from './connection/store-connection.js'
import type { Grant } from '../grants/index.js'
import { activeDelegations, delegationOf, delegationRow, type DelegationRecord } from './delegations.js'
import { GroupCommit } from './group-commit.js'
import { insertGrant, markGrantRevoked, selectGrant, selectGrants, takeGrantUse, type GrantFilter } from './grants.js'
import { migrationProvider } from './migrations/index.js'
import type { ActionChange, ActionFilter, ActionRecord, AuditDraft, BreakGlassRecord, NewAction, ReviewRecord, WatchedAction } from './records.js'
import type { ActionsTable, AuditCheckpointsTable, Database, TokensTable } from './schema.js'

/** How much of an action's text a listing carries; longer texts are cut (and the cut is visible). */
export const LISTED_TEXT = 4096

const LISTED_COLUMNS = [
  'id', 'created_at', 'updated_at', 'status', 'kind', 'target', 'submitted_by', 'agent_id', 'owner', 'on_behalf_of', 'token_issued_by',
  'context', 'digest', 'decision', 'impact', 'policy_version', 'expires_at', 'execute_by', 'deadline', 'result', 'version',
  'brokered', 'lease_owner', 'route_at', 'break_glass', 'break_glass_due', 'break_glass_flagged',
] as const

/** NOTIFY channel carrying the id of every action that changed. */
export const ACTIONS_CHANNEL = 'countersign_actions'

/** A stored API token (the token itself is never stored, only its SHA-256). */
export interface TokenRecord {
  readonly sha256: string
  readonly principalType: 'agent' | 'human'
  readonly subject: string
  readonly name: string
  readonly createdAt: Date
  readonly createdBy: string
  readonly expiresAt: Date | null
  readonly revokedAt: Date | null
}

/**
 * The only module that speaks SQL. Every change to an action is one transaction that locks the
 * action's row, applies a change decided from the locked state, and appends its audit events to
 * the chain (locking the chain's head, which serializes appends across replicas). If any part
 * fails, nothing is written: a transition without its audit event cannot happen.
 */
export class Store {
  readonly connection: StoreConnection<Database>
  readonly #clock: () => Date
  readonly #creates: GroupCommit<NewAction>
  /** The chain head this store last wrote: what `#append` expects to find (see there). */
  #head: { seq: number; hash: string } | undefined

  private constructor(connection: StoreConnection<Database>, clock: () => Date) {
    this.connection = connection
    this.#clock = clock
    this.#creates = new GroupCommit((items) => this.#insertActions(items))
  }

  /** Wraps an open connection and brings its schema up to date. */
  static async open(connection: StoreConnection<Database>, options: { clock?: () => Date } = {}): Promise<Store> {
    const migrator = new Migrator({ db: connection.db, provider: migrationProvider, migrationTableName: 'countersign_migrations', migrationLockTableName: 'countersign_migrations_lock' })
    const { error, results } = await migrator.migrateToLatest()
    if (error) {
      const failed = results?.find((result) => result.status === 'Error')?.migrationName
      throw new CountersignError('INTERNAL', `store migration ${failed ?? ''} failed: ${(error as Error).message}`, { cause: error })
    }
    return new Store(connection, options.clock ?? (() => new Date()))
  }

  get db(): Kysely<Database> {
    return this.connection.db
  }

  /** Records a new, decided action and its events; concurrent calls are group-committed. */
  createAction(action: NewAction): Promise<void> {
    return this.#creates.add(action)
  }

  /**
   * One batch in one transaction, usually a single statement that is its own transaction: it
   * inserts the actions, appends their audit events to the chain, moves its head and NOTIFYs the
   * new pending requests (delivered on commit only); see `#append` for how the head is locked.
   */
  async #insertActions(items: readonly NewAction[]): Promise<void> {
    // One JSON parameter instead of ~20 per row: binding hundreds of parameters costs more than the insert.
    const actionsJson = JSON.stringify(items.map((item) => actionRow(item)))
    // Channels announce new pending requests at once; nobody else can be waiting on an action that did not exist.
    const pending = items.filter((item) => item.record.status === 'pending').map((item) => item.record.id)
    const drafts = items.flatMap((item) => item.events)
    if (drafts.length === 0) throw new CountersignError('INTERNAL', 'an action without an audit event')
    await this.#appendAlone(drafts, {
      ctes: sql`, inserted as (insert into actions select a.* from json_populate_recordset(null::actions, ${actionsJson}) a, moved returning 1)`,
      result: sql`(select count(*) from inserted) as inserted,
        ${pending.length === 0 ? sql`null` : sql`(select count(pg_notify(${ACTIONS_CHANNEL}, id)) from json_array_elements_text(${JSON.stringify(pending)}) as id, moved)`} as notified`,
    })
  }

  /**
   * `#append` in a transaction of its own. When the head is where this store left it, that is one
   * statement and nothing else (no BEGIN, no COMMIT: a statement is its own transaction, and it
   * has committed when it returns); otherwise BEGIN, the head's lock, the statement, COMMIT.
   */
  async #appendAlone(drafts: readonly AuditDraft[], extra: AppendExtra = {}): Promise<void> {
    if (drafts.length === 0) return
    const expected = this.#head
    if (expected !== undefined && (await this.#appendAfter(this.db, expected, drafts, extra))) return
    await this.db.transaction().execute((tx) => this.#append(tx, drafts, extra))
  }

  /**
   * Changes one action under a row lock: `decide` sees the current state and its reviews and
   * returns the change to make, or `undefined` to change nothing (e.g. already decided by a
   * racing request). Returns the state after the transaction.
   */
  async mutateAction<R>(
    id: string,
    decide: (current: ActionRecord, reviews: readonly ReviewRecord[], now: Date) => { change?: ActionChange | undefined; value: R },
  ): Promise<{ record: ActionRecord; reviews: readonly ReviewRecord[]; changed: boolean; value: R }> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('actions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
      if (!row) throw new CountersignError('NOT_FOUND', `no action ${id}`)
      const current = actionRecord(row)
      const reviews = (await selectReviews(tx, [id])).get(id) ?? []
      const { change, value } = decide(current, reviews, this.#clock())
      if (!change) return { record: current, reviews, changed: false, value }
      if (change.events.length === 0) throw new CountersignError('INTERNAL', 'a change without an audit event')
      const now = this.#clock()
      const updated = await tx
        .updateTable('actions')
        .set(actionChangeRow(change, now, current.version + 1))
        .where('id', '=', id)
        .where('version', '=', current.version)
        .returningAll()
        .executeTakeFirstOrThrow()
      if (change.review) {
        const review = change.review
        await tx
          .insertInto('reviews')
          .values({ action_id: id, reviewer: review.reviewer, decision: review.decision, reason: review.reason, channel: review.channel, requirements: JSON.stringify(review.requirements), created_at: review.at, grant_request: review.grant ? JSON.stringify(review.grant) : null, passkey: review.passkey ? JSON.stringify(review.passkey) : null })
          .execute()
      }
      if (change.grant) await insertGrant(tx, change.grant)
      if (change.redeemed) {
        await tx.insertInto('redeemed_receipts').values({ jti: change.redeemed.jti, action_id: id, redeemed_by: change.redeemed.by, redeemed_at: now }).execute()
      }
      await this.#append(tx, change.events, { result: sql`(select pg_notify(${ACTIONS_CHANNEL}, ${id}) from moved) as notified` })
      return { record: actionRecord(updated), reviews: change.review ? [...reviews, change.review] : reviews, changed: true, value }
    })
  }

  /**
   * `mutateAction` for a caller that holds the action as it last wrote it (`expected`: the
   * executor, which claimed it): `decide` runs on `expected`, and its change is written in one
   * statement, its own transaction, that locks the action's row, then moves the chain's head (see
   * `#append`) only if the action is still at `expected`'s version, status and lease owner and the
   * head is where this store left it; the update, the events and the NOTIFY join that move. So
   * the common case is one round trip instead of six (BEGIN, the row, its reviews, the update, the
   * append, COMMIT), with the row locked before the head as in `mutateAction`. When anything
   * moved, nothing is written and this is `mutateAction`: decided again on the locked row. A
   * change that writes other rows (a review, a grant, a receipt) takes that path at once.
   */
  async mutateActionFrom<R>(
    expected: ActionRecord,
    decide: (current: ActionRecord, now: Date) => { change?: ActionChange | undefined; value: R },
  ): Promise<{ record: ActionRecord; changed: boolean; value: R }> {
    const head = this.#head
    const now = this.#clock()
    const { change, value } = decide(expected, now)
    if (head !== undefined && change && !change.review && !change.grant && !change.redeemed) {
      if (change.events.length === 0) throw new CountersignError('INTERNAL', 'a change without an audit event')
      const update = this.db
        .updateTable('actions')
        .set(actionChangeRow(change, now, expected.version + 1))
        .where('id', '=', expected.id)
        .where('version', '=', expected.version)
        .where(sql<boolean>`exists (select from moved)`)
      const written = await this.#appendAfter(this.db, head, change.events, {
        before: sql`locked as (select from actions where id = ${expected.id} and version = ${expected.version} and status = ${expected.status}
                      and lease_owner is not distinct from ${expected.leaseOwner} for update),`,
        when: sql`exists (select from locked)`,
        ctes: sql`, updated as (${update})`,
        result: sql`(select pg_notify(${ACTIONS_CHANNEL}, ${expected.id}) from moved) as notified`,
      })
      if (written) return { record: changedRecord(expected, change, now), changed: true, value }
    }
    const outcome = await this.mutateAction(expected.id, (current, _reviews, at) => decide(current, at))
    return { record: outcome.record, changed: outcome.changed, value: outcome.value }
  }

  /** Appends events that belong to no action change (tokens, policy loads) in their own transaction. */
  async appendEvents(events: readonly AuditDraft[]): Promise<void> {
    await this.#appendAlone(events)
  }

  /**
   * Appends events to the chain under its head's lock, in one statement that inserts the events
   * and moves the head, with the caller's `ctes` (which must join `moved`, so that they write
   * nothing when it moves nothing) and `result` columns (e.g. a NOTIFY, delivered on commit only).
   *
   * The head is locked by that statement's `update audit_head … where seq = <expected> and hash =
   * <expected>`: a compare-and-set under the row lock, held until commit, which serializes appends
   * across every replica. The expected head is the last one this store wrote; when another
   * writer (replica, store, tool) moved it since, the update matches nothing, nothing is written,
   * and the append is made again from the head read under `select … for update`. So the common
   * case costs one statement instead of two, and the chain is sealed from the locked head either way.
   */
  async #append(tx: Transaction<Database>, drafts: readonly AuditDraft[], extra: AppendExtra = {}): Promise<void> {
    if (drafts.length === 0) return
    const expected = this.#head
    const appended = expected !== undefined && (await this.#appendAfter(tx, expected, drafts, extra))
    if (!appended && !(await this.#appendAfter(tx, await lockHead(tx), drafts, extra))) {
      throw new CountersignError('INTERNAL', 'the audit chain head moved while it was locked')
    }
  }

  /** One try of `#append` from `head`; false when the head is no longer `head` (nothing was written). */
  async #appendAfter(tx: Kysely<Database>, head: { seq: number; hash: string }, drafts: readonly AuditDraft[], extra: AppendExtra): Promise<boolean> {
    const { rows, last } = this.#seal(head, drafts)
    const result = await sql<{ moved: number | string }>`${sql.raw(PREPARE_MARK)}
      with ${extra.before ?? sql``} moved as (update audit_head set seq = ${last.seq}, hash = ${last.hash}
             where id = 1 and seq = ${head.seq} and hash = ${head.hash}${extra.when ? sql` and ${extra.when}` : sql``} returning 1),
           appended as (insert into audit_events select e.* from json_populate_recordset(null::audit_events, ${JSON.stringify(rows)}) e, moved returning 1)
           ${extra.ctes ?? sql``}
      select (select count(*) from moved) as moved, (select count(*) from appended) as appended${extra.result ? sql`, ${extra.result}` : sql``}`.execute(tx)
    if (Number(result.rows[0]?.moved) !== 1) {
      this.#head = undefined
      return false
    }
    // A hint only: if the transaction rolls back, the next append finds it stale and locks.
    this.#head = { seq: last.seq, hash: last.hash }
    return true
  }

  /** Seals `drafts` onto the chain after `head` (which the caller holds locked): the rows to insert and the new head. */
  #seal(head: { seq: number; hash: string }, drafts: readonly AuditDraft[]) {
    const at = this.#clock().toISOString()
    const first = head.seq + 1
    const sealed = sealEvents(
      head.hash,
      drafts.map((draft, index) => ({ ...draft, seq: first + index, at })),
    )
    const last = sealed[sealed.length - 1]!
    const rows = sealed.map((event, index) => ({ seq: event.seq, action_id: drafts[index]!.action_id, type: drafts[index]!.type, at, prev_hash: event.prev_hash, hash: event.hash, event: event.event }))
    return { rows, last }
  }

  /** One action, or `undefined`. */
  async getAction(id: string): Promise<ActionRecord | undefined> {
    const row = await this.db.selectFrom('actions').selectAll().where('id', '=', id).executeTakeFirst()
    return row && actionRecord(row)
  }

  /**
   * The actions changed since audit event `seq`, with their current versions, and the last audit
   * event read (where to start next time). Every change of an action appends its audit events in
   * its transaction, and appends are serialized by the chain's head lock, so the events after
   * `seq` name every action changed since that event committed: the cost is the number of
   * changes, however many actions are watched.
   */
  async actionsChangedSince(seq: number): Promise<{ seq: number; versions: Map<string, number> }> {
    const rows = await sql<{ id: string; version: number; seq: string | number }>`
      select e.action_id as id, a.version, max(e.seq) as seq from audit_events e join actions a on a.id = e.action_id
      where e.seq > ${seq} group by e.action_id, a.version`.execute(this.db)
    let last = seq
    for (const row of rows.rows) last = Math.max(last, Number(row.seq))
    return { seq: last, versions: new Map(rows.rows.map((row) => [row.id, Number(row.version)])) }
  }

  /** The reviews of an action, oldest first. */
  async getReviews(id: string): Promise<readonly ReviewRecord[]> {
    return (await selectReviews(this.db, [id])).get(id) ?? []
  }

  /**
   * Each of these actions that exists with its reviews and audit events, in three queries
   * however many ids. The reviews and events are read after the record, so they are at least as
   * new as it is: a waiter that streams the events it has not sent yet never skips one.
   */
  async watchedActions(ids: readonly string[]): Promise<Map<string, WatchedAction>> {
    if (ids.length === 0) return new Map()
    const rows = await this.db.selectFrom('actions').selectAll().where(sql<boolean>`id = any(${ids})`).execute()
    if (rows.length === 0) return new Map()
    const found = rows.map((row) => row.id)
    const [reviews, events] = await Promise.all([
      selectReviews(this.db, found),
      this.db.selectFrom('audit_events').select(['seq', 'action_id', 'prev_hash', 'hash', 'event']).where(sql<boolean>`action_id = any(${found})`).orderBy('seq').execute(),
    ])
    const timelines = new Map<string, StoredAuditEvent[]>()
    for (const { action_id, ...event } of events) timelines.get(action_id!)?.push({ ...event, seq: Number(event.seq) }) ?? timelines.set(action_id!, [{ ...event, seq: Number(event.seq) }])
    return new Map(rows.map((row) => [row.id, { record: actionRecord(row), reviews: reviews.get(row.id) ?? [], events: timelines.get(row.id) ?? [] }]))
  }

  /** The audit events of one action, oldest first (its timeline). */
  async actionEvents(id: string): Promise<readonly StoredAuditEvent[]> {
    const rows = await this.db.selectFrom('audit_events').select(['seq', 'prev_hash', 'hash', 'event']).where('action_id', '=', id).orderBy('seq').execute()
    return rows.map((row) => ({ ...row, seq: Number(row.seq) }))
  }

  /**
   * Actions newest first, filtered. Listings carry at most the first `LISTED_TEXT` characters of
   * each action's text (a page of large payloads must not exhaust memory): read one action for all of it.
   */
  async listActions(filter: ActionFilter): Promise<readonly ActionRecord[]> {
    let query = this.db
      .selectFrom('actions')
      .select(LISTED_COLUMNS)
      .select(sql<string>`substr(action_json, 1, ${LISTED_TEXT + 1})`.as('action_json'))
    if (filter.status?.length) query = query.where('status', 'in', filter.status)
    if (filter.target) query = query.where('target', '=', filter.target)
    if (filter.agent) query = query.where('agent_id', '=', filter.agent)
    if (filter.kind) query = query.where('kind', '=', filter.kind)
    if (filter.before) query = query.where('id', '<', filter.before)
    const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute()
    return rows.map(actionRecord)
  }

  /** Ids of pending or approved actions whose deadline has passed, oldest deadline first. */
  async dueActions(now: Date, limit = 100): Promise<readonly string[]> {
    const rows = await this.db.selectFrom('actions').select('id').where('deadline', '<=', now).orderBy('deadline').limit(limit).execute()
    return rows.map((row) => row.id)
  }

  /** Ids of pending actions whose next reminder or escalation is due, oldest first. */
  async dueRoutings(now: Date, limit = 100): Promise<readonly string[]> {
    const rows = await this.db.selectFrom('actions').select('id').where('status', '=', 'pending').where('route_at', '<=', now).orderBy('route_at').limit(limit).execute()
    return rows.map((row) => row.id)
  }

  /** The earliest reminder or escalation due of any pending action, to schedule the next sweep. */
  async nextRouteAt(): Promise<Date | undefined> {
    const row = await this.db.selectFrom('actions').select('route_at').where('status', '=', 'pending').where('route_at', 'is not', null).orderBy('route_at').limit(1).executeTakeFirst()
    return row?.route_at ?? undefined
  }

  /**
   * Moves a pending action's next routing step to `routeAt` when nothing is due (its requirements
   * were met meanwhile), if it is still at `version`. Not a transition: nothing is audited.
   */
  async reschedule(id: string, version: number, routeAt: Date | null): Promise<void> {
    await this.db.updateTable('actions').set({ route_at: routeAt }).where('id', '=', id).where('version', '=', version).execute()
  }

  /** Ids of actions whose break-glass review is overdue and not flagged yet, oldest first. */
  async overdueBreakGlass(now: Date, limit = 100): Promise<readonly string[]> {
    const rows = await this.db.selectFrom('actions').select('id').where('break_glass_due', '<=', now).where('break_glass_flagged', '=', false).orderBy('break_glass_due').limit(limit).execute()
    return rows.map((row) => row.id)
  }

  /** How many break-glass approvals are past their review window without an after-the-fact review. */
  async countOverdueBreakGlass(now: Date): Promise<number> {
    const row = await this.db.selectFrom('actions').select((eb) => eb.fn.countAll<string>().as('count')).where('break_glass_due', '<=', now).executeTakeFirstOrThrow()
    return Number(row.count)
  }

  /** Ids of brokered actions waiting for an executor (allowed or approved), oldest first. */
  async runnableActions(limit = 100): Promise<readonly string[]> {
    const rows = await this.db.selectFrom('actions').select('id').where('brokered', '=', true).where('status', 'in', ['allowed', 'approved']).orderBy('id').limit(limit).execute()
    return rows.map((row) => row.id)
  }

  /**
   * Extends the lease of an executing action held by `owner` to `until` (its deadline); false
   * when the lease is no longer theirs (it ended and the action was failed, on any replica).
   * Not a transition: nothing is audited, only the deadline moves.
   */
  async renewLease(id: string, owner: string, until: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('actions')
      .set({ deadline: until })
      .where('id', '=', id)
      .where('status', '=', 'executing')
      .where('lease_owner', '=', owner)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  /** The earliest deadline of any action, to schedule the next expiry sweep. */
  async nextDeadline(): Promise<Date | undefined> {
    const row = await this.db.selectFrom('actions').select('deadline').where('deadline', 'is not', null).orderBy('deadline').limit(1).executeTakeFirst()
    return row?.deadline ?? undefined
  }

  /** Audit events with `seq > since`, in order. */
  async auditEvents(since: number, limit: number): Promise<readonly StoredAuditEvent[]> {
    const rows = await this.db.selectFrom('audit_events').select(['seq', 'prev_hash', 'hash', 'event']).where('seq', '>', since).orderBy('seq').limit(limit).execute()
    return rows.map((row) => ({ ...row, seq: Number(row.seq) }))
  }

  /** Every audit event in order, read page by page so the whole log is never in memory. */
  async *allAuditEvents(pageSize = 2000): AsyncGenerator<StoredAuditEvent> {
    let after: number | undefined
    for (;;) {
      let query = this.db.selectFrom('audit_events').select(['seq', 'prev_hash', 'hash', 'event'])
      if (after !== undefined) query = query.where('seq', '>', after)
      const rows = await query.orderBy('seq').limit(pageSize).execute()
      for (const row of rows) yield { ...row, seq: Number(row.seq) }
      if (rows.length < pageSize) return
      after = Number(rows[rows.length - 1]!.seq)
    }
  }

  /**
   * Rows of the state tables that the audit log does not vouch for: an action whose stored text
   * does not hash to its digest, or whose submission event names another digest; an action whose
   * status is not the one its last status event gave it; a review without its review event. The
   * chain proves the events; this ties what the gateway acts on to them. Actions whose events were
   * archived (`audit archive --prune`) are checked against the archive, not here.
   */
  async stateMismatches(limit = 100): Promise<readonly { action_id: string; message: string }[]> {
    const rows = await sql<{ action_id: string; message: string }>`
      select id as action_id, 'its stored action text does not hash to its digest (the payload was changed)' as message
        from actions where encode(sha256(convert_to(action_json, 'UTF8')), 'hex') <> digest
      union all
      select a.id, 'no action.submitted event with its digest' from actions a
        where a.archived is not true and not exists (select 1 from audit_events e where e.action_id = a.id and e.type = 'action.submitted'
                          and position(${'"digest":"'} || a.digest || '"' in e.event) > 0)
      union all
      select a.id, 'its status ' || a.status || ' is not the one its events give it (' || coalesce(last.type, 'none') || ')' from actions a
        left join lateral (select e.type from audit_events e where e.action_id = a.id and e.type like 'action.%' and e.type <> 'action.submitted'
                           order by e.seq desc limit 1) last on true
        where a.archived is not true and last.type is distinct from 'action.' || a.status
      union all
      select r.action_id, 'a ' || r.decision || ' review by ' || r.reviewer || ' has no audit event' from reviews r
        where not exists (select 1 from actions a where a.id = r.action_id and a.archived) and not exists (select 1 from audit_events e where e.action_id = r.action_id and e.type = 'review.' || r.decision
                          and position(${'"actor":"human:'} || r.reviewer || '"' in e.event) > 0)
      limit ${limit}`.execute(this.db)
    return rows.rows
  }

  /** The head of the chain: last sequence number and hash. */
  async auditHead(): Promise<{ seq: number; hash: string }> {
    const head = await this.db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow()
    return { seq: Number(head.seq), hash: head.hash }
  }

  /** Every checkpoint, oldest first. */
  async checkpoints(): Promise<readonly Checkpoint[]> {
    const rows = await this.db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute()
    return rows.map(checkpointOf)
  }

  /** The newest `limit` checkpoints, oldest first. */
  async latestCheckpoints(limit: number): Promise<readonly Checkpoint[]> {
    const rows = await this.db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(limit).execute()
    return rows.reverse().map(checkpointOf)
  }

  /** The checkpoint of the chain at `seq`, if one was signed there. */
  async checkpointAt(seq: number): Promise<Checkpoint | undefined> {
    const row = await this.db.selectFrom('audit_checkpoints').selectAll().where('seq', '=', seq).executeTakeFirst()
    return row && checkpointOf(row)
  }

  /**
   * Signs and stores a checkpoint: `sign` sees the last checkpoint and returns the next one (or
   * `undefined` when there is nothing new to sign). Signing may be slow (a signer outside the
   * process), so it happens before the transaction; the checkpoint is then stored only if it still
   * chains to the last one, under the head's lock, so that replicas checkpointing at once cannot
   * fork the chain of checkpoints. When another replica's checkpoint got in first, `sign` is asked
   * again after it (and returns `undefined` if that one already covers what it would sign).
   */
  async addCheckpoint(sign: (last: Checkpoint | undefined) => Promise<Checkpoint | undefined>): Promise<Checkpoint | undefined> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const [previous] = await this.latestCheckpoints(1)
      const checkpoint = await sign(previous)
      if (!checkpoint) return undefined
      const stored = await this.db.transaction().execute(async (tx) => {
        await lockHead(tx)
        const last = await tx.selectFrom('audit_checkpoints').select('signature').orderBy('seq', 'desc').limit(1).executeTakeFirst()
        if ((last?.signature ?? null) !== checkpoint.prev_signature) return false
        await tx
          .insertInto('audit_checkpoints')
          .values({ seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at, key_id: checkpoint.key_id, prev_signature: checkpoint.prev_signature, signature: checkpoint.signature, note: checkpoint.note ?? null })
          .execute()
        return true
      })
      if (stored) return checkpoint
    }
    throw new CountersignError('CONFLICT', 'other replicas kept checkpointing first: no checkpoint was stored')
  }

  /** Stores a delegation with its audit event. */
  async createDelegation(delegation: DelegationRecord, event: AuditDraft): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('delegations').values(delegationRow(delegation)).execute()
      await this.#append(tx, [event])
    })
  }

  /** Revokes a live delegation with its audit event, if `mayRevoke` says so; the revoked delegation, or `undefined` when there is none. */
  async revokeDelegation(id: string, now: Date, mayRevoke: (delegation: DelegationRecord) => AuditDraft): Promise<DelegationRecord | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('delegations').selectAll().where('id', '=', id).where('revoked_at', 'is', null).forUpdate().executeTakeFirst()
      if (!row) return undefined
      const event = mayRevoke(delegationOf(row))
      await tx.updateTable('delegations').set({ revoked_at: now }).where('id', '=', id).execute()
      await this.#append(tx, [event])
      return { ...delegationOf(row), revokedAt: now }
    })
  }

  /** The delegations in force at `now`, to `to` when given. */
  activeDelegations(now: Date, to?: string): Promise<readonly DelegationRecord[]> {
    return activeDelegations(this.db, now, to)
  }

  /** Stores a token hash with its audit event. */
  async createToken(token: TokenRecord, event: AuditDraft): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('tokens').values(tokenRow(token)).execute()
      await this.#append(tx, [event])
    })
  }

  /** Marks a token revoked, with its audit event; false when there is no such live token. */
  async revokeToken(sha256: string, now: Date, event: AuditDraft): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const result = await tx.updateTable('tokens').set({ revoked_at: now }).where('token_sha256', '=', sha256).where('revoked_at', 'is', null).executeTakeFirst()
      if (Number(result.numUpdatedRows) === 0) return false
      await this.#append(tx, [event])
      return true
    })
  }

  /** A stored token by hash, or `undefined`. */
  async findToken(sha256: string): Promise<TokenRecord | undefined> {
    const row = await this.db.selectFrom('tokens').selectAll().where('token_sha256', '=', sha256).executeTakeFirst()
    return row && tokenRecord(row)
  }

  /** Tokens issued at run time, newest first. */
  async listTokens(): Promise<readonly TokenRecord[]> {
    const rows = await this.db.selectFrom('tokens').selectAll().orderBy('created_at', 'desc').execute()
    return rows.map(tokenRecord)
  }

  /** Grants newest first (`review.grants`); with `liveAt`, only those still usable then. */
  listGrants(filter: GrantFilter): Promise<readonly Grant[]> {
    return selectGrants(this.db, filter)
  }

  /** One grant, or `undefined`. */
  getGrant(id: string): Promise<Grant | undefined> {
    return selectGrant(this.db, id)
  }

  /** Takes one use of a live grant atomically (see `takeGrantUse`); `undefined` when none is left. */
  useGrant(id: string, now: Date): Promise<Grant | undefined> {
    return takeGrantUse(this.db, id, now)
  }

  /** Revokes a grant with its audit event; the grant as it was, or `undefined` when it is unknown or already revoked. */
  async revokeGrant(id: string, by: string, event: AuditDraft): Promise<Grant | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const grant = await markGrantRevoked(tx, id, by, this.#clock())
      if (grant) await this.#append(tx, [event])
      return grant
    })
  }

  /**
   * Runs `work` in one transaction with a way to append audit events to the chain in it: for
   * records outside actions (passkeys) whose change and audit event must commit together.
   */
  transact<T>(work: (tx: Transaction<Database>, append: (events: readonly AuditDraft[]) => Promise<void>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(tx, (events) => this.#append(tx, events)))
  }

  /** Waits for queued writes, then closes the connection. */
  async close(): Promise<void> {
    await this.#creates.settled()
    await this.connection.close()
  }
}

/**
 * What an append's statement does besides the chain: CTEs before `moved` (`before`, ending in a
 * comma) and a condition `moved` also needs (`when`); CTEs after it that join it (`ctes`, starting
 * with a comma); result columns (e.g. a NOTIFY, delivered on commit only).
 */
interface AppendExtra {
  readonly before?: RawBuilder<unknown>
  readonly when?: RawBuilder<unknown>
  readonly ctes?: RawBuilder<unknown>
  readonly result?: RawBuilder<unknown>
}

/** The chain's head, locked until the transaction ends: this lock serializes appends across every replica. */
async function lockHead(tx: Transaction<Database>): Promise<{ seq: number; hash: string }> {
  const head = await tx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).forUpdate().executeTakeFirstOrThrow()
  return { seq: Number(head.seq), hash: head.hash }
}

/** The reviews of each of these actions that has any, oldest first. */
async function selectReviews(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, ReviewRecord[]>> {
  const rows = await db.selectFrom('reviews').selectAll().where(sql<boolean>`action_id = any(${ids})`).orderBy('created_at').execute()
  const reviews = new Map<string, ReviewRecord[]>()
  for (const row of rows) {
    const review: ReviewRecord = {
      reviewer: row.reviewer,
      decision: row.decision as ReviewRecord['decision'],
      reason: row.reason,
      channel: row.channel,
      requirements: JSON.parse(row.requirements) as string[],
      at: row.created_at,
      ...(row.grant_request && { grant: JSON.parse(row.grant_request) as ReviewRecord['grant'] }),
      ...(row.passkey && { passkey: JSON.parse(row.passkey) as ReviewRecord['passkey'] }),
    }
    reviews.get(row.action_id)?.push(review) ?? reviews.set(row.action_id, [review])
  }
  return reviews
}

/** JSON texts of frozen objects (a remembered decision, shared by every action it decided): each written once. */
const frozenTexts = new WeakMap<object, string>()
/** The `decided` column's text of a frozen decision, likewise. */
const decidedTexts = new WeakMap<object, string>()

/** `JSON.stringify(value)`, remembered for a frozen value. */
function frozenJson(value: Record<string, unknown>): string {
  if (!Object.isFrozen(value)) return JSON.stringify(value)
  let text = frozenTexts.get(value)
  if (text === undefined) {
    text = JSON.stringify(value)
    frozenTexts.set(value, text)
  }
  return text
}

/** The recorded decision's effect and matched rules alone (the `decided` column), remembered for a frozen decision. */
function decidedJson(decision: Record<string, unknown>): string {
  let text = Object.isFrozen(decision) ? decidedTexts.get(decision) : undefined
  if (text === undefined) {
    text = JSON.stringify({ effect: decision['effect'], matched_rules: decision['matched_rules'] })
    if (Object.isFrozen(decision)) decidedTexts.set(decision, text)
  }
  return text
}

function actionRow(item: NewAction) {
  const record = item.record
  return {
    id: record.id,
    created_at: record.createdAt,
    updated_at: record.createdAt,
    status: record.status,
    kind: record.kind,
    target: record.target,
    submitted_by: record.submittedBy,
    agent_id: record.agentId,
    owner: record.owner,
    on_behalf_of: record.onBehalfOf,
    token_issued_by: record.tokenIssuedBy ?? null,
    action_json: record.actionJson,
    context: JSON.stringify(record.context),
    digest: record.digest,
    decision: frozenJson(record.decision),
    impact: JSON.stringify(record.impact),
    policy_version: record.policyVersion,
    expires_at: record.expiresAt,
    execute_by: record.executeBy,
    deadline: record.deadline,
    result: record.result === null ? null : JSON.stringify(record.result),
    version: 1,
    brokered: record.brokered,
    lease_owner: item.leaseOwner ?? null,
    decided: decidedJson(record.decision),
    route_at: record.routeAt ?? null,
    break_glass: null,
    break_glass_due: null,
    break_glass_flagged: false,
  }
}

/** The columns an `ActionChange` sets, with the action's next `version`. */
function actionChangeRow(change: ActionChange, now: Date, version: number) {
  return {
    updated_at: now,
    version,
    ...(change.status !== undefined && { status: change.status }),
    ...(change.expiresAt !== undefined && { expires_at: change.expiresAt }),
    ...(change.executeBy !== undefined && { execute_by: change.executeBy }),
    ...(change.deadline !== undefined && { deadline: change.deadline }),
    ...(change.result !== undefined && { result: change.result === null ? null : JSON.stringify(change.result) }),
    ...(change.leaseOwner !== undefined && { lease_owner: change.leaseOwner }),
    ...(change.routeAt !== undefined && { route_at: change.routeAt }),
    ...(change.breakGlass !== undefined && { break_glass: JSON.stringify(change.breakGlass) }),
    ...(change.breakGlassDue !== undefined && { break_glass_due: change.breakGlassDue }),
    ...(change.breakGlassFlagged !== undefined && { break_glass_flagged: change.breakGlassFlagged }),
    ...(change.decision !== undefined && { decision: JSON.stringify(change.decision) }),
  }
}

/** `record` after `change` was written at `now`: what reading the row back would give. */
function changedRecord(record: ActionRecord, change: ActionChange, now: Date): ActionRecord {
  const stored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T
  return {
    ...record,
    updatedAt: now,
    version: record.version + 1,
    ...(change.status !== undefined && { status: change.status }),
    ...(change.expiresAt !== undefined && { expiresAt: change.expiresAt }),
    ...(change.executeBy !== undefined && { executeBy: change.executeBy }),
    ...(change.deadline !== undefined && { deadline: change.deadline }),
    ...(change.result !== undefined && { result: change.result === null ? null : stored(change.result) }),
    ...(change.leaseOwner !== undefined && { leaseOwner: change.leaseOwner }),
    ...(change.routeAt !== undefined && { routeAt: change.routeAt }),
    ...(change.breakGlass !== undefined && { breakGlass: stored(change.breakGlass) }),
    ...(change.breakGlassDue !== undefined && { breakGlassDue: change.breakGlassDue }),
    ...(change.breakGlassFlagged !== undefined && { breakGlassFlagged: change.breakGlassFlagged }),
    ...(change.decision !== undefined && { decision: stored(change.decision) }),
  }
}

function actionRecord(row: Omit<Selectable<ActionsTable>, 'decided' | 'archived'>): ActionRecord {
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    status: row.status,
    kind: row.kind,
    target: row.target,
    submittedBy: row.submitted_by,
    agentId: row.agent_id,
    owner: row.owner,
    onBehalfOf: row.on_behalf_of,
    tokenIssuedBy: row.token_issued_by,
    actionJson: row.action_json,
    context: JSON.parse(row.context) as Record<string, unknown>,
    digest: row.digest,
    decision: JSON.parse(row.decision) as Record<string, unknown>,
    impact: JSON.parse(row.impact) as Record<string, unknown>,
    policyVersion: row.policy_version,
    expiresAt: row.expires_at,
    executeBy: row.execute_by,
    deadline: row.deadline,
    result: row.result === null ? null : (JSON.parse(row.result) as Record<string, unknown>),
    version: row.version,
    brokered: row.brokered,
    leaseOwner: row.lease_owner,
    routeAt: row.route_at ?? null,
    breakGlass: row.break_glass ? (JSON.parse(row.break_glass) as BreakGlassRecord) : null,
    breakGlassDue: row.break_glass_due ?? null,
    breakGlassFlagged: row.break_glass_flagged ?? false,
  }
}

function checkpointOf(row: Selectable<AuditCheckpointsTable>): Checkpoint {
  return { seq: Number(row.seq), hash: row.hash, at: row.at.toISOString(), key_id: row.key_id, prev_signature: row.prev_signature, signature: row.signature, ...(row.note !== null && { note: row.note }) }
}

function tokenRow(token: TokenRecord) {
  return {
    token_sha256: token.sha256,
    principal_type: token.principalType,
    subject: token.subject,
    name: token.name,
    created_at: token.createdAt,
    created_by: token.createdBy,
    expires_at: token.expiresAt,
    revoked_at: token.revokedAt,
  }
}

function tokenRecord(row: Selectable<TokensTable>): TokenRecord {
  return {
    sha256: row.token_sha256,
    principalType: row.principal_type as TokenRecord['principalType'],
    subject: row.subject,
    name: row.name,
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  }
}

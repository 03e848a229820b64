import { sql, type Kysely } from 'kysely'
import { TERMINAL_STATUSES } from '../lifecycle/index.js'
import { CountersignError } from '../errors/index.js'
import type { AuditDraft } from './records.js'
import type { Database } from './schema.js'

/** Where the stored audit log starts: the last archived event (0 when none), its chain hash and the tree's compact range there (base64). */
export interface AuditBase {
  readonly seq: number
  readonly hash: string
  readonly frontier: readonly string[]
}

/** Where the stored log starts now. */
export async function selectAuditBase(db: Kysely<Database>): Promise<AuditBase> {
  const row = await db.selectFrom('audit_base').select(['seq', 'hash', 'frontier']).where('id', '=', 1).executeTakeFirstOrThrow()
  return { seq: Number(row.seq), hash: row.hash, frontier: JSON.parse(row.frontier) as string[] }
}

/**
 * The first event of the oldest action that archiving the log through event `cut` would split:
 * one with events on both sides of the cut, or not finished yet (not in a terminal status, or a
 * break-glass approval still awaiting its review), whose events would go on after its first
 * ones were archived. `undefined` when no action stands in the way.
 */
export async function firstBlockingEvent(db: Kysely<Database>, base: number, cut: number): Promise<number | undefined> {
  const result = await sql<{ first: number | string | null }>`
    select min(x.first) as first from (
      select action_id, min(seq) as first, max(seq) as last from audit_events
        where action_id is not null and seq > ${base} group by action_id) x
      join actions a on a.id = x.action_id
      where x.first <= ${cut} and (x.last > ${cut} or a.status <> all(${[...TERMINAL_STATUSES]}) or a.break_glass_due is not null)`.execute(db)
  const first = result.rows[0]?.first
  return first === null || first === undefined ? undefined : Number(first)
}

/**
 * Prunes the events through `cut` from the log in one transaction, with `event` (its
 * `audit.pruned`) appended after them: marks the actions whose events go as archived, deletes
 * the events, and moves the log's start to `base` (`cut`, its chain hash and compact range).
 * Under the chain head's lock, the cut is checked again: no append can slip an event of an
 * action being archived in between.
 *
 * @throws CountersignError CONFLICT when the log's start moved meanwhile (another prune) or an
 *   action now stands in the way.
 */
export async function pruneAuditEvents(
  tx: Kysely<Database>,
  append: (events: readonly AuditDraft[]) => Promise<void>,
  expectedBase: number,
  base: AuditBase,
  event: AuditDraft,
): Promise<void> {
  await tx.selectFrom('audit_head').select('seq').where('id', '=', 1).forUpdate().executeTakeFirstOrThrow()
  const current = await tx.selectFrom('audit_base').select('seq').where('id', '=', 1).forUpdate().executeTakeFirstOrThrow()
  if (Number(current.seq) !== expectedBase) throw new CountersignError('CONFLICT', `the audit log was pruned meanwhile (it now starts after event ${Number(current.seq)}): archive again`)
  const blocking = await firstBlockingEvent(tx, expectedBase, base.seq)
  if (blocking !== undefined) throw new CountersignError('CONFLICT', `event ${blocking} belongs to an action that is not finished or goes on after event ${base.seq}: archive again`)
  const last = await tx.selectFrom('audit_events').select('hash').where('seq', '=', base.seq).executeTakeFirst()
  if (last?.hash !== base.hash) throw new CountersignError('CONFLICT', `event ${base.seq} is not the one archived: archive again`)
  await sql`update actions set archived = true where id in (select action_id from audit_events where action_id is not null and seq <= ${base.seq})`.execute(tx)
  await tx.deleteFrom('audit_events').where('seq', '<=', base.seq).execute()
  await tx.updateTable('audit_base').set({ seq: base.seq, hash: base.hash, frontier: JSON.stringify(base.frontier) }).where('id', '=', 1).execute()
  await append([event])
}

import type { Kysely, Selectable } from 'kysely'
import type { DelegationsTable, Database } from './schema.js'

/** A delegation of review rights, as stored. */
export interface DelegationRecord {
  readonly id: string
  /** Canonical email of the human lending their review rights. */
  readonly from: string
  /** Canonical email of the human who may review with them. */
  readonly to: string
  readonly startsAt: Date
  readonly endsAt: Date
  readonly reason: string
  readonly createdAt: Date
  readonly revokedAt: Date | null
}

/** Reads of the delegations table; writes go through the store with their audit events. */
export function delegationRow(record: DelegationRecord): Selectable<DelegationsTable> {
  return { id: record.id, from_email: record.from, to_email: record.to, starts_at: record.startsAt, ends_at: record.endsAt, reason: record.reason, created_at: record.createdAt, revoked_at: record.revokedAt }
}

export function delegationOf(row: Selectable<DelegationsTable>): DelegationRecord {
  return { id: row.id, from: row.from_email, to: row.to_email, startsAt: row.starts_at, endsAt: row.ends_at, reason: row.reason, createdAt: row.created_at, revokedAt: row.revoked_at }
}

/** The delegations in force at `now` whose delegate is `to` (any, when absent), oldest first. */
export async function activeDelegations(db: Kysely<Database>, now: Date, to?: string): Promise<readonly DelegationRecord[]> {
  let query = db.selectFrom('delegations').selectAll().where('revoked_at', 'is', null).where('starts_at', '<=', now).where('ends_at', '>', now)
  if (to !== undefined) query = query.where('to_email', '=', to)
  const rows = await query.orderBy('created_at').execute()
  return rows.map(delegationOf)
}

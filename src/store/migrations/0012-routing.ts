import { sql, type Kysely, type Migration } from 'kysely'

/**
 * When a pending action's next reminder or escalation falls due (`review.remind_after`,
 * `review.escalate`): any replica's sweep finds it there, and the row lock makes each step happen once.
 */
export const migration0012: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('actions').addColumn('route_at', 'timestamptz').execute()
    await sql`create index actions_route_at on actions (route_at) where route_at is not null and status = 'pending'`.execute(db)
  },
}

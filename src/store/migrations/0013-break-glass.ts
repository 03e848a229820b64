import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Break-glass approvals (`review.break_glass`): who broke the glass, why, and the after-the-fact
 * review (`break_glass`, JSON); until that review, when it is due (`break_glass_due`); and whether
 * an overdue one was flagged (`break_glass_flagged`), so the sweep flags each once.
 */
export const migration0013: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('actions')
      .addColumn('break_glass', 'text')
      .addColumn('break_glass_due', 'timestamptz')
      .addColumn('break_glass_flagged', 'boolean', (column) => column.notNull().defaultTo(false))
      .execute()
    await sql`create index actions_break_glass_due on actions (break_glass_due) where break_glass_due is not null`.execute(db)
  },
}

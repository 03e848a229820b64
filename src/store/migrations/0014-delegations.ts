import { sql, type Kysely, type Migration } from 'kysely'

/** Delegations of review rights: `from_email` lends them to `to_email` from `starts_at` until `ends_at` (or its revocation). */
export const migration0014: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('delegations')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('from_email', 'text', (column) => column.notNull())
      .addColumn('to_email', 'text', (column) => column.notNull())
      .addColumn('starts_at', 'timestamptz', (column) => column.notNull())
      .addColumn('ends_at', 'timestamptz', (column) => column.notNull())
      .addColumn('reason', 'text', (column) => column.notNull())
      .addColumn('created_at', 'timestamptz', (column) => column.notNull())
      .addColumn('revoked_at', 'timestamptz')
      .execute()
    await sql`create index delegations_to on delegations (to_email, ends_at) where revoked_at is null`.execute(db)
  },
}

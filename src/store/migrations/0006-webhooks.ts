import type { Kysely, Migration } from 'kysely'

/** Outgoing webhooks: per endpoint, how far into the audit log it has been delivered. */
export const migration0006: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('webhook_cursors')
      // SHA-256 of the endpoint URL: the URL may carry a token in its query.
      .addColumn('endpoint', 'text', (column) => column.primaryKey())
      .addColumn('seq', 'bigint', (column) => column.notNull())
      .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'timestamptz', (column) => column.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'timestamptz')
      .addColumn('last_error', 'text')
      .execute()
  },
}

import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Brokered execution and receipts: whether Countersign runs an action itself, the lease of the
 * replica running it, and the single-use ids of redeemed approval receipts.
 */
export const migration0002: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('actions').addColumn('brokered', 'boolean', (column) => column.notNull().defaultTo(false)).execute()
    await db.schema.alterTable('actions').addColumn('lease_owner', 'text').execute()
    // The executors' work queue: small, so a partial index keeps finding it cheap however many actions are stored.
    await db.schema
      .createIndex('actions_runnable')
      .on('actions')
      .column('id')
      .where(sql.ref('brokered'), '=', true)
      .where(sql.ref('status'), 'in', ['allowed', 'approved'])
      .execute()

    // A receipt's id is stored when it is redeemed: the primary key refuses a replay on every replica.
    await db.schema
      .createTable('redeemed_receipts')
      .addColumn('jti', 'text', (column) => column.primaryKey())
      .addColumn('action_id', 'text', (column) => column.notNull().references('actions.id'))
      .addColumn('redeemed_by', 'text', (column) => column.notNull())
      .addColumn('redeemed_at', 'timestamptz', (column) => column.notNull())
      .execute()
  },
}

import type { Kysely, Migration } from 'kysely'

/**
 * The audit log's Merkle tree: each checkpoint also keeps its signed tree head (a C2SP signed
 * note, null on checkpoints made before), and witnesses' cosignatures of those tree heads are
 * collected, one per witness and tree size.
 */
export const migration0008: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('audit_checkpoints').addColumn('note', 'text').execute()
    await db.schema
      .createTable('audit_cosignatures')
      .addColumn('seq', 'bigint', (column) => column.notNull())
      .addColumn('witness', 'text', (column) => column.notNull())
      .addColumn('line', 'text', (column) => column.notNull())
      .addColumn('cosigned_at', 'timestamptz', (column) => column.notNull())
      .addColumn('received_at', 'timestamptz', (column) => column.notNull())
      .addPrimaryKeyConstraint('audit_cosignatures_pkey', ['seq', 'witness'])
      .execute()
  },
}

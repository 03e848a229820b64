import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Retention of the audit log (`audit archive --prune`): where the stored log now starts (one row:
 * the last archived event, its chain hash and the compact range of the Merkle tree of the events
 * up to it), and which actions' events were all archived (their state rows stay, their events
 * are in the archive).
 */
export const migration0015: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('audit_base')
      .addColumn('id', 'integer', (column) => column.primaryKey())
      .addColumn('seq', 'bigint', (column) => column.notNull())
      .addColumn('hash', 'text', (column) => column.notNull())
      .addColumn('frontier', 'text', (column) => column.notNull())
      .execute()
    await sql`insert into audit_base (id, seq, hash, frontier) values (1, 0, ${'0'.repeat(64)}, '[]')`.execute(db)
    // Nullable (null: not archived): actions are inserted from JSON records that do not name it.
    await db.schema.alterTable('actions').addColumn('archived', 'boolean').execute()
  },
}

import { sql, type Kysely, type Migration } from 'kysely'

/** Actions, reviews, the audit chain with its head and checkpoints, and run-time tokens. */
export const migration0001: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('actions')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('created_at', 'timestamptz', (column) => column.notNull())
      .addColumn('updated_at', 'timestamptz', (column) => column.notNull())
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('target', 'text', (column) => column.notNull())
      .addColumn('submitted_by', 'text', (column) => column.notNull())
      .addColumn('agent_id', 'text')
      .addColumn('owner', 'text')
      .addColumn('on_behalf_of', 'text')
      .addColumn('action_json', 'text', (column) => column.notNull())
      .addColumn('context', 'text', (column) => column.notNull())
      .addColumn('digest', 'text', (column) => column.notNull())
      .addColumn('decision', 'text', (column) => column.notNull())
      .addColumn('impact', 'text', (column) => column.notNull())
      .addColumn('policy_version', 'text', (column) => column.notNull())
      .addColumn('expires_at', 'timestamptz')
      .addColumn('execute_by', 'timestamptz')
      .addColumn('deadline', 'timestamptz')
      .addColumn('result', 'text')
      .addColumn('version', 'integer', (column) => column.notNull().defaultTo(1))
      .execute()
    await db.schema.createIndex('actions_status_id').on('actions').columns(['status', 'id']).execute()
    await db.schema.createIndex('actions_agent_id').on('actions').columns(['agent_id', 'id']).execute()
    await db.schema.createIndex('actions_target_id').on('actions').columns(['target', 'id']).execute()
    await db.schema
      .createIndex('actions_deadline')
      .on('actions')
      .column('deadline')
      .where(sql.ref('deadline'), 'is not', null)
      .execute()

    await db.schema
      .createTable('reviews')
      .addColumn('action_id', 'text', (column) => column.notNull().references('actions.id'))
      .addColumn('reviewer', 'text', (column) => column.notNull())
      .addColumn('decision', 'text', (column) => column.notNull())
      .addColumn('reason', 'text', (column) => column.notNull())
      .addColumn('channel', 'text', (column) => column.notNull())
      .addColumn('requirements', 'text', (column) => column.notNull())
      .addColumn('created_at', 'timestamptz', (column) => column.notNull())
      // One review per human per action: the last line of defence behind the review rules.
      .addPrimaryKeyConstraint('reviews_pk', ['action_id', 'reviewer'])
      .execute()

    await db.schema
      .createTable('audit_events')
      .addColumn('seq', 'bigint', (column) => column.primaryKey())
      .addColumn('action_id', 'text')
      .addColumn('type', 'text', (column) => column.notNull())
      .addColumn('at', 'timestamptz', (column) => column.notNull())
      .addColumn('prev_hash', 'text', (column) => column.notNull())
      .addColumn('hash', 'text', (column) => column.notNull())
      .addColumn('event', 'text', (column) => column.notNull())
      .execute()
    await db.schema.createIndex('audit_events_action').on('audit_events').columns(['action_id', 'seq']).execute()

    // One row: the chain's head. Locking it serializes appends across every replica.
    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'integer', (column) => column.primaryKey())
      .addColumn('seq', 'bigint', (column) => column.notNull())
      .addColumn('hash', 'text', (column) => column.notNull())
      .execute()
    await sql`insert into audit_head (id, seq, hash) values (1, 0, ${'0'.repeat(64)})`.execute(db)

    await db.schema
      .createTable('audit_checkpoints')
      .addColumn('seq', 'bigint', (column) => column.primaryKey())
      .addColumn('hash', 'text', (column) => column.notNull())
      .addColumn('at', 'timestamptz', (column) => column.notNull())
      .addColumn('key_id', 'text', (column) => column.notNull())
      .addColumn('prev_signature', 'text')
      .addColumn('signature', 'text', (column) => column.notNull())
      .execute()

    await db.schema
      .createTable('tokens')
      .addColumn('token_sha256', 'text', (column) => column.primaryKey())
      .addColumn('principal_type', 'text', (column) => column.notNull())
      .addColumn('subject', 'text', (column) => column.notNull())
      .addColumn('name', 'text', (column) => column.notNull())
      .addColumn('created_at', 'timestamptz', (column) => column.notNull())
      .addColumn('created_by', 'text', (column) => column.notNull())
      .addColumn('expires_at', 'timestamptz')
      .addColumn('revoked_at', 'timestamptz')
      .addColumn('last_used_at', 'timestamptz')
      .execute()
},
}

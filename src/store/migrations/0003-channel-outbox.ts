import { sql, type Kysely, type Migration } from 'kysely'

/**
 * The channels' delivery outbox: per channel, how far into the audit log deliveries were derived
 * (one row each, locked while advancing); one row per message a channel keeps up to date (an
 * action announced to one destination), with the newest event it must show and the newest it
 * shows; and the request ids already seen by inbound channel endpoints (replays are refused).
 */
export const migration0003: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('channel_cursors')
      .addColumn('channel', 'text', (column) => column.primaryKey())
      .addColumn('seq', 'bigint', (column) => column.notNull())
      .execute()

    await db.schema
      .createTable('channel_messages')
      .addColumn('channel', 'text', (column) => column.notNull())
      .addColumn('action_id', 'text', (column) => column.notNull().references('actions.id'))
      .addColumn('destination', 'text', (column) => column.notNull())
      .addColumn('ref', 'text')
      .addColumn('wanted_seq', 'bigint', (column) => column.notNull())
      .addColumn('sent_seq', 'bigint', (column) => column.notNull().defaultTo(0))
      .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'timestamptz', (column) => column.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'timestamptz')
      .addColumn('last_error', 'text')
      .addColumn('dead_at', 'timestamptz')
      .addColumn('created_at', 'timestamptz', (column) => column.notNull())
      .addColumn('updated_at', 'timestamptz', (column) => column.notNull())
      .addPrimaryKeyConstraint('channel_messages_pk', ['channel', 'action_id', 'destination'])
      .execute()
    // The senders' work queue: only messages behind their action, so it stays small however many are stored.
    await db.schema
      .createIndex('channel_messages_due')
      .on('channel_messages')
      .columns(['channel', 'next_attempt_at'])
      .where(sql.ref('sent_seq'), '<', sql.ref('wanted_seq'))
      .execute()

    await db.schema
      .createTable('channel_request_ids')
      .addColumn('key', 'text', (column) => column.primaryKey())
      .addColumn('expires_at', 'timestamptz', (column) => column.notNull())
      .execute()
    await db.schema.createIndex('channel_request_ids_expiry').on('channel_request_ids').column('expires_at').execute()
  },
}

import type { Kysely, Migration } from 'kysely'

/**
 * Microsoft Teams conversation references: where the bot was installed (a team, a group chat, a
 * person's 1:1 chat), the service URL to reach each conversation at, and for a 1:1 chat whose it is.
 */
export const migration0005: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('teams_conversations')
      .addColumn('conversation_id', 'text', (column) => column.primaryKey())
      .addColumn('tenant_id', 'text', (column) => column.notNull())
      .addColumn('service_url', 'text', (column) => column.notNull())
      .addColumn('conversation_type', 'text', (column) => column.notNull())
      .addColumn('team_id', 'text')
      .addColumn('name', 'text')
      .addColumn('user_id', 'text')
      .addColumn('user_email', 'text')
      .addColumn('installed_at', 'timestamptz', (column) => column.notNull())
      .addColumn('updated_at', 'timestamptz', (column) => column.notNull())
      .addColumn('removed_at', 'timestamptz')
      .execute()
    await db.schema.createIndex('teams_conversations_user_email').on('teams_conversations').column('user_email').execute()
    await db.schema.createIndex('teams_conversations_tenant').on('teams_conversations').columns(['tenant_id', 'updated_at']).execute()
  },
}

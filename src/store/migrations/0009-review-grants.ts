import type { Kysely, Migration } from 'kysely'

/**
 * Narrowing grants (`review.grants`): one row per grant, its use count moved by
 * one conditional UPDATE so that concurrent uses on any replica never exceed `max_uses`; and the
 * grant a reviewer asked for with an approval, kept with the review.
 */
export const migration0009: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('grants')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('action_id', 'text', (column) => column.notNull())
      .addColumn('submitted_by', 'text', (column) => column.notNull())
      .addColumn('target', 'text', (column) => column.notNull())
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('shape', 'text', (column) => column.notNull())
      .addColumn('rules', 'text', (column) => column.notNull())
      .addColumn('policy_version', 'text', (column) => column.notNull())
      .addColumn('reviewers', 'text', (column) => column.notNull())
      .addColumn('created_at', 'timestamptz', (column) => column.notNull())
      .addColumn('expires_at', 'timestamptz', (column) => column.notNull())
      .addColumn('max_uses', 'integer', (column) => column.notNull())
      .addColumn('uses', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('revoked_at', 'timestamptz')
      .addColumn('revoked_by', 'text')
      .execute()
    await db.schema.createIndex('grants_scope').on('grants').columns(['submitted_by', 'target', 'expires_at']).execute()
    await db.schema.alterTable('reviews').addColumn('grant_request', 'text').execute()
  },
}

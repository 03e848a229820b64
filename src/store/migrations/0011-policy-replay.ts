import type { Kysely, Migration } from 'kysely'

/**
 * Policy lifecycle. `actions.decided`: the recorded decision's effect and matched rules alone
 * (`{"effect","matched_rules"}`), so that a replay reads a few bytes per action instead of the
 * whole decision with every rule's outcome (kilobytes, stored out of line). Null for actions
 * stored before it; a replay then reads the decision. `policy_versions`: the policies put in
 * force from the store (`policy.source: store`), one row per version, never changed.
 */
export const migration0011: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('actions').addColumn('decided', 'text').execute()
    await db.schema
      .createTable('policy_versions')
      .addColumn('version', 'integer', (column) => column.primaryKey())
      .addColumn('sha256', 'text', (column) => column.notNull())
      .addColumn('text', 'text', (column) => column.notNull())
      .addColumn('created_at', 'timestamptz', (column) => column.notNull())
      .addColumn('created_by', 'text', (column) => column.notNull())
      // The approved `policy` action that put it in force; null for the version seeded from the file.
      .addColumn('action_id', 'text')
      .execute()
  },
}

import type { Kysely, Migration } from 'kysely'

/**
 * The human who issued the run-time token an action was submitted with (`human:EMAIL` in the
 * tokens table, the canonical email here): a requester of the action, who may never review it.
 * Null for config tokens, workload identity and humans' own submissions.
 */
export const migration0007: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('actions').addColumn('token_issued_by', 'text').execute()
  },
}

import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'

/** A policy put in force from the store (`policy.source: store`). */
export interface PolicyVersion {
  readonly version: number
  readonly sha256: string
  readonly text: string
  readonly createdAt: Date
  readonly createdBy: string
  readonly actionId: string | null
}

/** The policy in force in the store: its highest version, or `undefined` before it was seeded. */
export async function latestPolicyVersion(db: Kysely<Database>): Promise<PolicyVersion | undefined> {
  const row = await db.selectFrom('policy_versions').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst()
  return row && { version: row.version, sha256: row.sha256, text: row.text, createdAt: row.created_at, createdBy: row.created_by, actionId: row.action_id }
}

/**
 * Adds a version on top of `base` (the SHA-256 of the version it replaces; `null` to seed an empty
 * table): compare-and-set, so a change approved against a policy that changed since is refused,
 * and two replicas seeding at once seed once. Returns whether it was added.
 */
export async function addPolicyVersion(db: Kysely<Database>, entry: { readonly base: string | null; readonly sha256: string; readonly text: string; readonly at: Date; readonly createdBy: string; readonly actionId: string | null }): Promise<boolean> {
  const result = await sql<{ version: number }>`
    insert into policy_versions (version, sha256, text, created_at, created_by, action_id)
    select coalesce(max(version), 0) + 1, ${entry.sha256}, ${entry.text}, ${entry.at}, ${entry.createdBy}, ${entry.actionId} from policy_versions
    having ${entry.base === null ? sql`count(*) = 0` : sql`(select sha256 from policy_versions order by version desc limit 1) = ${entry.base}`}
    on conflict (version) do nothing
    returning version`.execute(db)
  return result.rows.length === 1
}

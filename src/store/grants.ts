import type { Kysely, Selectable, Transaction } from 'kysely'
import type { Grant, GrantShape } from '../grants/index.js'
import type { Database, GrantsTable } from './schema.js'

/** Which grants a listing returns. */
export interface GrantFilter {
  /** Only grants still usable at this time (not revoked, not expired, uses left). */
  readonly liveAt?: Date | undefined
  readonly submittedBy?: string | undefined
  readonly target?: string | undefined
  readonly limit: number
}

/** Inserts a grant (in the transaction that approves the action it is made from). */
export async function insertGrant(tx: Transaction<Database>, grant: Grant): Promise<void> {
  await tx
    .insertInto('grants')
    .values({
      id: grant.id,
      action_id: grant.actionId,
      submitted_by: grant.submittedBy,
      target: grant.target,
      kind: grant.kind,
      shape: JSON.stringify(grant.shape),
      rules: JSON.stringify(grant.rules),
      policy_version: grant.policyVersion,
      reviewers: JSON.stringify(grant.reviewers),
      created_at: grant.createdAt,
      expires_at: grant.expiresAt,
      max_uses: grant.maxUses,
      uses: grant.uses,
      revoked_at: grant.revokedAt,
      revoked_by: grant.revokedBy,
    })
    .execute()
}

/** Grants newest first, filtered. */
export async function selectGrants(db: Kysely<Database>, filter: GrantFilter): Promise<readonly Grant[]> {
  let query = db.selectFrom('grants').selectAll()
  if (filter.liveAt) {
    const now = filter.liveAt
    query = query.where('revoked_at', 'is', null).where('expires_at', '>', now).where((eb) => eb('uses', '<', eb.ref('max_uses')))
  }
  if (filter.submittedBy !== undefined) query = query.where('submitted_by', '=', filter.submittedBy)
  if (filter.target !== undefined) query = query.where('target', '=', filter.target)
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute()
  return rows.map(grantRecord)
}

/**
 * Takes one use of a grant if it is still live at `now`: one conditional UPDATE, so that uses
 * racing on any number of replicas never exceed `max_uses`. Returns the grant after the use, or
 * `undefined` when it was revoked, expired or used up meanwhile.
 */
export async function takeGrantUse(db: Kysely<Database>, id: string, now: Date): Promise<Grant | undefined> {
  const row = await db
    .updateTable('grants')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where((eb) => eb('uses', '<', eb.ref('max_uses')))
    .returningAll()
    .executeTakeFirst()
  return row && grantRecord(row)
}

/** Marks a grant revoked; the grant as it was, or `undefined` when there is no such unrevoked grant. */
export async function markGrantRevoked(tx: Transaction<Database>, id: string, by: string, now: Date): Promise<Grant | undefined> {
  const row = await tx.updateTable('grants').set({ revoked_at: now, revoked_by: by }).where('id', '=', id).where('revoked_at', 'is', null).returningAll().executeTakeFirst()
  return row && grantRecord(row)
}

/** One grant by id. */
export async function selectGrant(db: Kysely<Database>, id: string): Promise<Grant | undefined> {
  const row = await db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst()
  return row && grantRecord(row)
}

function grantRecord(row: Selectable<GrantsTable>): Grant {
  return {
    id: row.id,
    actionId: row.action_id,
    submittedBy: row.submitted_by,
    target: row.target,
    kind: row.kind,
    shape: JSON.parse(row.shape) as GrantShape,
    rules: JSON.parse(row.rules) as string[],
    policyVersion: row.policy_version,
    reviewers: JSON.parse(row.reviewers) as Grant['reviewers'],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    maxUses: row.max_uses,
    uses: row.uses,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
  }
}

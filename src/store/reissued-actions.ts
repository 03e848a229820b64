import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

/** Statuses of a reviewed action that an identical call waits on rather than asking again. */
const OPEN = ['pending', 'approved', 'executing']
/** Ends that an identical call within the window is told about (expired or cancelled ones are asked again). */
const DECIDED = ['succeeded', 'failed', 'denied']

/**
 * The reviewed action an identical request refers to: the agent's newest action with this digest
 * that went to review and is still open (pending, approved, executing), or that ended (ran,
 * failed or was denied) at or after `endedSince`. An agent told "pending" re-issues its call to
 * get that outcome; it must not start a second request, nor run an approved action twice.
 *
 * @example
 * const id = await findReissuedAction(store.db, { agent: 'deploy-bot', digest, endedSince: new Date(Date.now() - 15 * 60_000) })
 */
export async function findReissuedAction(db: Kysely<Database>, query: { readonly agent: string; readonly digest: string; readonly endedSince: Date }): Promise<string | undefined> {
  const rows = await db
    .selectFrom('actions')
    .select(['id', 'status', 'decision'])
    .where('agent_id', '=', query.agent)
    .where('digest', '=', query.digest)
    .where((eb) => eb.or([eb('status', 'in', OPEN), eb.and([eb('status', 'in', DECIDED), eb('updated_at', '>=', query.endedSince)])]))
    .orderBy('id', 'desc')
    .limit(20)
    .execute()
  // Only actions that were reviewed: an identical allowed call simply runs again.
  return rows.find((row) => (JSON.parse(row.decision) as { effect?: unknown }).effect === 'review')?.id
}

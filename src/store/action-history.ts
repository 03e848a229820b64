import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

/** One stored action as a replay reads it: what was decided, on what, and the texts to decide it again. */
export interface HistoryRow {
  readonly id: string
  readonly created_at: Date
  readonly kind: string
  readonly target: string
  readonly agent_id: string | null
  readonly owner: string | null
  /** Canonical JSON of `{kind, target, payload}`. */
  readonly action_json: string
  /** JSON text of the action's context. */
  readonly context: string
  readonly digest: string
  /** JSON text of the decision recorded when it was submitted. */
  readonly decision: string
  /** JSON text of the impact (summary, highlights, facts) recorded with it. */
  readonly impact: string
}

/** Which stored actions to read: ids from `fromId` (inclusive) up to `toId` (exclusive), optionally of some targets only. */
export interface HistoryWindow {
  readonly fromId: string
  readonly toId?: string | undefined
  readonly targets?: readonly string[] | undefined
}

/**
 * The stored actions of a window, oldest first, a page at a time (the whole history is never in
 * memory). Action ids sort by creation time, so the window is a range of the primary key.
 *
 * @example
 * for await (const page of actionHistory(store.db, { fromId: actionIdFloor(since) })) replay(page)
 */
export async function* actionHistory(db: Kysely<Database>, window: HistoryWindow, pageSize = 2000): AsyncGenerator<readonly HistoryRow[]> {
  let after: string | undefined
  for (;;) {
    let query = db
      .selectFrom('actions')
      .select(['id', 'created_at', 'kind', 'target', 'agent_id', 'owner', 'action_json', 'context', 'digest', 'decision', 'impact'])
      .where('id', after === undefined ? '>=' : '>', after ?? window.fromId)
    if (window.toId !== undefined) query = query.where('id', '<', window.toId)
    if (window.targets?.length) query = query.where('target', 'in', window.targets)
    const rows = await query.orderBy('id').limit(pageSize).execute()
    if (rows.length > 0) yield rows
    if (rows.length < pageSize) return
    after = rows[rows.length - 1]!.id
  }
}

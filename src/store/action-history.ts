import { sql, type Kysely } from 'kysely'
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
  /** JSON text holding the recorded decision's `effect` and `matched_rules` (and, for older actions, the rest of it). */
  readonly decided: string
  /** Whether the recorded analysis read the target's catalog (`"catalog_checked":true` in its facts). */
  readonly catalog_checked: boolean
  /** JSON text of the recorded impact (summary, highlights, facts): when asked for, and for `mcp` and catalog-checked actions. */
  readonly impact?: string | undefined
}

/** Which stored actions to read: ids from `fromId` (inclusive) up to `toId` (exclusive), optionally of some targets only. */
export interface HistoryWindow {
  readonly fromId: string
  readonly toId?: string | undefined
  readonly targets?: readonly string[] | undefined
  /** Read each action's recorded impact too (its facts). */
  readonly impact?: boolean | undefined
}

// Separators that JSON text never holds raw (JSON.stringify escapes control characters); a field
// that does hold one (a strange target name) is caught by the field count and read row by row.
const FIELD = '\x1f'
const RECORD = '\x1e'
const FIELDS = 12

/**
 * The stored actions of a window, oldest first, a page at a time (the whole history is never in
 * memory). Action ids sort by creation time, so the window is a range of the primary key. Each
 * page is one text aggregated by the database: the embedded engine pays per row and per column
 * it hands over, far more than for the bytes.
 *
 * @example
 * for await (const page of actionHistory(store.db, { fromId: actionIdFloor(since) })) replay(page)
 */
export async function* actionHistory(db: Kysely<Database>, window: HistoryWindow, pageSize = 2000): AsyncGenerator<readonly HistoryRow[]> {
  let after: string | undefined
  for (;;) {
    const bounds = sql.join(
      [
        after === undefined ? sql`id >= ${window.fromId}` : sql`id > ${after}`,
        ...(window.toId !== undefined ? [sql`id < ${window.toId}`] : []),
        ...(window.targets?.length ? [sql`target in (${sql.join(window.targets.map((target) => sql`${target}`))})`] : []),
      ],
      sql` and `,
    )
    // The impact is big: it is read when asked for, and for the actions whose recorded facts a replay must take.
    const checked = sql`position('"catalog_checked":true' in impact) > 0`
    const last = sql`coalesce(decided, decision), (${checked})::text, ${window.impact ? sql`impact` : sql`case when kind in ('mcp', 'policy') or ${checked} then impact else '' end`}`
    const result = await sql<{ page: string | null; rows: number | string; last: string | null }>`
      select string_agg(concat_ws(chr(31), id, floor(extract(epoch from created_at) * 1000)::bigint::text, kind, target, coalesce(agent_id, chr(2)), coalesce(owner, chr(2)), digest, action_json, context, ${last}), chr(30) order by id) as page,
             count(*) as rows, max(id) as last
        from (select * from actions where ${bounds} order by id limit ${pageSize}) as window_page`.execute(db)
    const { page, rows, last: lastId } = result.rows[0]!
    const count = Number(rows)
    if (count === 0 || page === null || lastId === null) return
    const parsed = parsePage(page, count) ?? (await readRows(db, after ?? window.fromId, after === undefined, lastId, window))
    yield parsed
    if (count < pageSize) return
    after = lastId
  }
}

function parsePage(page: string, count: number): HistoryRow[] | undefined {
  const records = page.split(RECORD)
  if (records.length !== count) return undefined
  const rows: HistoryRow[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const fields = records[i]!.split(FIELD)
    if (fields.length !== FIELDS) return undefined
    rows[i] = {
      id: fields[0]!,
      created_at: new Date(Number(fields[1])),
      kind: fields[2]!,
      target: fields[3]!,
      agent_id: fields[4] === '\x02' ? null : fields[4]!,
      owner: fields[5] === '\x02' ? null : fields[5]!,
      digest: fields[6]!,
      action_json: fields[7]!,
      context: fields[8]!,
      decided: fields[9]!,
      catalog_checked: fields[10] === 'true',
      impact: fields[11] || undefined,
    }
  }
  return rows
}

/** The same page read row by row: for a page whose fields hold a separator. */
async function readRows(db: Kysely<Database>, from: string, inclusive: boolean, lastId: string, window: HistoryWindow): Promise<HistoryRow[]> {
  let query = db
    .selectFrom('actions')
    .select(['id', 'created_at', 'kind', 'target', 'agent_id', 'owner', 'action_json', 'context', 'digest', 'impact'])
    .select(sql<string>`coalesce(decided, decision)`.as('decided'))
    .where('id', inclusive ? '>=' : '>', from)
    .where('id', '<=', lastId)
  if (window.targets?.length) query = query.where('target', 'in', window.targets)
  const rows = await query.orderBy('id').execute()
  return rows.map((row) => ({ ...row, catalog_checked: row.impact.includes('"catalog_checked":true') }))
}

/**
 * A value from a database driver as JSON can carry it without loss or surprise: big integers as
 * strings, bytes as `\x` followed by hex (PostgreSQL's own notation), dates as ISO 8601 text,
 * non-finite numbers as text.
 */
export function jsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`
  if (Array.isArray(value)) return value.map(jsonSafe)
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, jsonSafe(item)]))
  return String(value)
}

/** What the SQL connectors report of the statements they ran. */
export interface RowsOutcome {
  readonly truncated: boolean
  readonly columns?: readonly string[]
  readonly rows?: readonly (readonly unknown[])[]
  readonly row_count?: number
  readonly rows_total?: number
}

interface ResultSet {
  readonly columns: readonly string[]
  readonly rows: unknown[][]
  bytes: number
  total: number
  full: boolean
}

/**
 * Keeps the rows of the latest statement that returned a result set, as they stream in, up to
 * `maxRows` rows and `maxBytes` bytes of JSON, and counts the rest: memory stays bounded however
 * many rows a statement returns.
 */
export class ResultSets {
  readonly #maxRows: number
  readonly #maxBytes: number
  #current: ResultSet | undefined

  constructor(limits: { readonly maxRows: number; readonly maxBytes: number }) {
    this.#maxRows = limits.maxRows
    this.#maxBytes = limits.maxBytes
  }

  /** A statement's result set starts (with no rows yet); earlier ones are dropped. */
  begin(columns: readonly string[]): void {
    this.#current = { columns, rows: [], bytes: 0, total: 0, full: false }
  }

  /** One row of the current result set, in column order. */
  row(values: readonly unknown[]): void {
    const set = this.#current
    if (!set) return
    set.total++
    // Once a row did not fit, later ones are only counted: the kept rows stay a prefix.
    if (set.full) return
    const row = values.map(jsonSafe)
    const bytes = Buffer.byteLength(JSON.stringify(row), 'utf8') + 1
    if (set.rows.length >= this.#maxRows || set.bytes + bytes > this.#maxBytes) {
      set.full = true
      return
    }
    set.rows.push(row)
    set.bytes += bytes
  }

  /**
   * The outcome: the last result set with its row count, or — when no statement returned one —
   * the count the last statement reported (rows inserted, updated, deleted).
   */
  outcome(lastCount: number | null | undefined): RowsOutcome {
    const set = this.#current
    if (!set) return { truncated: false, ...(typeof lastCount === 'number' && { row_count: lastCount }) }
    const truncated = set.rows.length < set.total
    return { truncated, columns: set.columns, rows: set.rows, row_count: set.total, ...(truncated && { rows_total: set.total }) }
  }
}

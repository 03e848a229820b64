import type { Directory, TargetConfig } from '../config/index.js'
import { buildSqlCatalog, type RawCatalog, type SqlCatalog } from '../analyzers/index.js'
import { PostgresCatalogReader } from '../connectors/postgres-catalog.js'
import { parseOptions, sqlOptionsSchema } from '../connectors/options.js'

/** Where a target's catalog rows and row estimates come from (the PostgreSQL reader; tests may count its calls). */
export interface CatalogSource {
  read(): Promise<RawCatalog>
  estimate(statements: readonly (string | undefined)[]): Promise<number[]>
  close(): Promise<void>
}

/** After a failed read, the next attempt waits this long, so a database that is down does not slow every submission. */
const RETRY_AFTER_MS = 10_000

interface Entry {
  readonly source: CatalogSource
  readonly refreshMs: number
  catalog: SqlCatalog | undefined
  failedAt: number | undefined
  loading: Promise<SqlCatalog | undefined> | undefined
}

/** Options of {@link SqlCatalogs}. */
export interface SqlCatalogsOptions {
  readonly directory: Directory
  /** Milliseconds since the epoch; tests pass a fake clock. */
  readonly clock?: () => number
  /** Told when a catalog cannot be read (credentials masked); the analysis then goes on without it. */
  readonly onError?: (target: string, message: string) => void
  /** Builds the source of a target's catalog (default: a {@link PostgresCatalogReader} with its connector's credentials). */
  readonly sourceFor?: (target: TargetConfig) => CatalogSource
}

/**
 * The catalogs of the `postgres` targets with a connector, each read on first use and read
 * again once older than the connector's `catalog_refresh` (default 5m), so the SQL analysis
 * resolves functions, operators, casts and views where the action will run. A catalog that
 * cannot be read is no catalog: the analysis reports `catalog_checked: false` and judges by
 * name alone, never more permissively. A snapshot is never used past twice its refresh period.
 *
 * @example
 * const catalogs = new SqlCatalogs({ directory })
 * const catalog = await catalogs.catalogFor('prod-db')   // undefined without a postgres connector
 */
export class SqlCatalogs {
  readonly #directory: Directory
  readonly #clock: () => number
  readonly #onError: (target: string, message: string) => void
  readonly #sourceFor: (target: TargetConfig) => CatalogSource
  readonly #entries = new Map<string, Entry>()

  constructor(options: SqlCatalogsOptions) {
    this.#directory = options.directory
    this.#clock = options.clock ?? Date.now
    this.#onError = options.onError ?? (() => {})
    this.#sourceFor = options.sourceFor ?? ((target) => new PostgresCatalogReader(target))
  }

  /** Whether the target has a catalog to read: kind `sql` with a `postgres` connector. */
  covers(targetName: string): boolean {
    const target = this.#directory.target(targetName)
    return target?.kind === 'sql' && target.connector?.type === 'postgres'
  }

  /** The target's catalog, read now if there is none yet or it is older than its refresh period; `undefined` when it cannot be had. */
  async catalogFor(targetName: string): Promise<SqlCatalog | undefined> {
    const entry = this.#entry(targetName)
    if (entry === undefined) return undefined
    const now = this.#clock()
    if (entry.catalog !== undefined && now - entry.catalog.loadedAt < entry.refreshMs) return entry.catalog
    if (entry.failedAt !== undefined && now - entry.failedAt < RETRY_AFTER_MS) return this.#usable(entry, now)
    return this.#load(targetName, entry)
  }

  /** Reads the target's catalog again now, whatever its age (after a migration, say); `undefined` when it cannot be read. */
  async refresh(targetName: string): Promise<SqlCatalog | undefined> {
    const entry = this.#entry(targetName)
    return entry === undefined ? undefined : this.#load(targetName, entry)
  }

  /** The planner's row estimates of statements on the target (see `PostgresCatalogReader.estimate`); all `-1` when they cannot be had. */
  async estimate(targetName: string, statements: readonly (string | undefined)[]): Promise<number[]> {
    const entry = this.#entry(targetName)
    if (entry === undefined) return statements.map(() => -1)
    try {
      return await entry.source.estimate(statements)
    } catch (error) {
      this.#onError(targetName, error instanceof Error ? error.message : String(error))
      return statements.map(() => -1)
    }
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    const entries = [...this.#entries.values()]
    this.#entries.clear()
    await Promise.all(entries.map((entry) => entry.source.close().catch(() => {})))
  }

  #entry(targetName: string): Entry | undefined {
    const known = this.#entries.get(targetName)
    if (known !== undefined) return known
    if (!this.covers(targetName)) return undefined
    const target = this.#directory.target(targetName)!
    let entry: Entry
    try {
      const refreshMs = parseOptions(target, sqlOptionsSchema('postgres')).catalog_refresh
      entry = { source: this.#sourceFor(target), refreshMs, catalog: undefined, failedAt: undefined, loading: undefined }
    } catch (error) {
      this.#onError(targetName, error instanceof Error ? error.message : String(error))
      return undefined
    }
    this.#entries.set(targetName, entry)
    return entry
  }

  #load(targetName: string, entry: Entry): Promise<SqlCatalog | undefined> {
    // Concurrent submissions share one read.
    if (entry.loading !== undefined) return entry.loading
    const loading = (async () => {
      try {
        const raw = await entry.source.read()
        entry.catalog = buildSqlCatalog(raw, this.#clock())
        entry.failedAt = undefined
        return entry.catalog
      } catch (error) {
        entry.failedAt = this.#clock()
        this.#onError(targetName, error instanceof Error ? error.message : String(error))
        return this.#usable(entry, this.#clock())
      }
    })()
    entry.loading = loading
    void loading.then(() => {
      if (entry.loading === loading) entry.loading = undefined
    })
    return loading
  }

  /** The last snapshot while it is younger than twice the refresh period. */
  #usable(entry: Entry, now: number): SqlCatalog | undefined {
    return entry.catalog !== undefined && now - entry.catalog.loadedAt < 2 * entry.refreshMs ? entry.catalog : undefined
  }
}

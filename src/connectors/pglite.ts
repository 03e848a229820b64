import { resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { z } from 'zod'
import type { TargetConfig } from '../config/index.js'
import type { Connector, ExecutionRequest, ExecutionResult } from './connector.js'
import { connectorType } from './connector-type.js'
import { countOption, durationOption, sizeOption } from './options.js'
import { Redactor } from './redact.js'
import { elapsed, failure, reasonOf, refusal } from './results.js'
import { ResultSets } from './sql-rows.js'

/** Options of the `pglite` connector: where the database lives, and the result limits of the SQL connectors. */
const PgliteOptionsSchema = z.strictObject({
  type: z.literal('pglite'),
  data_dir: z.string('expected the directory of the embedded database').min(1),
  statement_timeout: durationOption('30s', { min: 10, max: 86_400_000 }),
  max_rows: countOption(1000, 1_000_000),
  max_bytes: sizeOption('1MiB', { min: 1024, max: 64 * 1_048_576 }),
})
type PgliteOptions = z.output<typeof PgliteOptionsSchema>

/**
 * `pglite`: runs the approved SQL in one transaction on an embedded PostgreSQL (PGlite) in
 * `data_dir`, in the gateway's own process. Made for the quickstart's demo database, so that an
 * approved change runs and its result is shown without a server; a real target uses `postgres`.
 * SQL whose facts say it is read-only runs in a READ ONLY transaction, as with `postgres`.
 */
export const pglite = connectorType({
  type: 'pglite',
  kind: 'sql',
  schema: PgliteOptionsSchema,
  create: (target, options) => new PgliteConnector(target, options),
})

class PgliteConnector implements Connector {
  readonly type = 'pglite'
  readonly #target: TargetConfig
  readonly #options: PgliteOptions
  #db: Promise<PGlite> | undefined
  #closed = false

  constructor(target: TargetConfig, options: PgliteOptions) {
    this.#target = target
    this.#options = options
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now()
    const refused = refusal(request, this.type, 'sql')
    if (refused) return failure(started, refused)
    const redactor = new Redactor([])
    let db: PGlite
    try {
      db = await this.#open()
    } catch (error) {
      return failure(started, `could not open the embedded database of target ${this.#target.name}: ${(error as Error).message}`, redactor)
    }
    if (request.signal.aborted) return failure(started, `stopped: ${reasonOf(request.signal)}; nothing was run`, redactor)
    const sets = new ResultSets({ maxRows: this.#options.max_rows, maxBytes: this.#options.max_bytes })
    const readOnly = request.facts?.['read_only'] === true
    const sql = String(request.action.payload['sql'])
    try {
      await db.exec(readOnly ? 'BEGIN READ ONLY' : 'BEGIN')
      // The same identity a postgres target sees, for triggers and audit tables.
      await db.query(`SELECT set_config('statement_timeout', $1, true), set_config('countersign.request_id', $2, true), set_config('application_name', $3, true)`, [
        String(this.#options.statement_timeout),
        request.actionId,
        `countersign/${request.actionId}`,
      ])
      const results = await db.exec(sql, { rowMode: 'array' })
      await db.exec('COMMIT')
      for (const result of results) {
        if (result.fields.length === 0) continue
        sets.begin(result.fields.map((field) => field.name))
        for (const row of result.rows as unknown as unknown[][]) sets.row(row)
      }
      const last = results.at(-1)
      return redactor.result({ status: 'succeeded', duration_ms: elapsed(started), ...sets.outcome(last && last.fields.length === 0 ? (last.affectedRows ?? null) : (last?.rows.length ?? null)) })
    } catch (error) {
      await db.exec('ROLLBACK').catch(() => undefined)
      return failure(started, `${(error as Error).message}; the transaction was rolled back`, redactor)
    }
  }

  #open(): Promise<PGlite> {
    if (this.#closed) return Promise.reject(new Error('the connector is closed'))
    this.#db ??= PGlite.create(resolve(this.#options.data_dir))
    return this.#db
  }

  async close(): Promise<void> {
    this.#closed = true
    const db = await this.#db?.catch(() => undefined)
    this.#db = undefined
    await db?.close().catch(() => undefined)
  }
}

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { parseSync } from 'libpg-query'
import pg from 'pg'
import { planPostgres, PIN_SQL } from '../../connectors/postgres-statements.js'
import { TEST_POSTGRES_URL } from '../../store/connection/index.js'
import { loadSqlAnalyzer } from './sql-analyzer.js'
import { POSTGRES_DIFFERENTIAL_SCHEMA, postgresSqlText } from './test-sql-texts.js'

// The differential test: generated SQL texts go through the analysis and through the real
// database in a transaction that is rolled back. No text the analysis calls read-only may change
// anything. COUNTERSIGN_DIFFERENTIAL_COUNT sets how many texts (default 2000),
// COUNTERSIGN_DIFFERENTIAL_SEED the generator's seed (the failures name it),
// COUNTERSIGN_DIFFERENTIAL_WORKERS how many connections probe at once (default 3).

const COUNT = Number(process.env['COUNTERSIGN_DIFFERENTIAL_COUNT'] ?? 2000)
const SEED = Number(process.env['COUNTERSIGN_DIFFERENTIAL_SEED'] ?? 20261207)
const WORKERS = Math.max(1, Number(process.env['COUNTERSIGN_DIFFERENTIAL_WORKERS'] ?? 3))

/** What running one text did to the database. */
interface Probe {
  /** `refused`: the connector would not run it; `changed`: something was written (or locked, or set), with what. */
  readonly outcome: 'unchanged' | 'changed' | 'refused'
  readonly detail: string
}

/**
 * One database engine: its texts, its analysis and a way to run a text and see whether it
 * changed anything. A MariaDB leg is one more entry in LEGS: texts from a MySQL-dialect
 * generator, `read_only` from the mysql analyzer (the one the gateway applies to mysql targets),
 * and probes on 127.0.0.1:3306 in `START TRANSACTION … ROLLBACK`, reading change from
 * `information_schema.innodb_trx` (trx_rows_modified, trx_tables_locked), `GET_LOCK`/`IS_USED_LOCK`,
 * session variables and checksums of the test tables.
 */
interface Leg {
  readonly name: string
  readonly texts: fc.Arbitrary<string>
  /**
   * A worker: the analysis, and ways ("modes") to run a text on a database of its own. The first
   * mode runs every text (and must see change in many that are not read-only); the others only
   * the texts the analysis calls read-only.
   */
  open(): Promise<{ readonly analyze: (text: string) => boolean; readonly modes: Readonly<Record<string, (text: string) => Promise<Probe>>>; close(): Promise<void> }>
}

const postgresLeg: Leg = {
  name: 'postgres',
  texts: postgresSqlText(),
  async open() {
    const analyzer = await loadSqlAnalyzer()
    const suffix = randomBytes(5).toString('hex')
    const database = `cs_diff_${suffix}`
    // An ordinary application role, not a superuser: generated text cannot reach server files or other sessions.
    const role = `cs_diff_role_${suffix}`
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
    await admin.connect()
    await admin.query(`CREATE ROLE ${role} LOGIN`)
    await admin.query(`CREATE DATABASE ${database} OWNER ${role}`)
    const url = new URL(TEST_POSTGRES_URL)
    url.pathname = `/${database}`
    url.username = role
    const client = new pg.Client({ connectionString: url.href })
    await client.connect()
    client.on('notice', () => {})
    await client.query(POSTGRES_DIFFERENTIAL_SCHEMA)
    const probe = async (text: string, run: (text: string) => Promise<void>): Promise<Probe> => {
      // Round trips dominate on a loaded machine: the set-up and the look afterwards are one query each.
      const start = await client.query(`BEGIN; SET LOCAL statement_timeout = '2s'; ${PIN_SQL}; ${OBSERVE}; SAVEPOINT differential`)
      const baseline = observed(start)
      let failed = ''
      try {
        await run(text)
      } catch (error) {
        failed = ` (then failed: ${(error as Error).message})`
        await client.query('ROLLBACK TO SAVEPOINT differential')
      }
      // A rollback keeps session advisory locks, prepared statements and LISTEN: dropped too.
      const seen = observed(await client.query(`${OBSERVE}; ROLLBACK; SELECT pg_advisory_unlock_all(); DEALLOCATE ALL; UNLISTEN *`))
      const changes = Object.keys(seen).filter((key) => seen[key] !== baseline[key])
      return changes.length === 0 ? { outcome: 'unchanged', detail: '' } : { outcome: 'changed', detail: `${changes.map((key) => `${key}: ${baseline[key]} → ${seen[key]}`).join(', ')}${failed}` }
    }
    return {
      analyze: (text) => analyzer.analyze({ sql: text }).facts.read_only,
      modes: {
        // As the connector runs it: its statements one by one, the settings pinned; what it refuses, nothing.
        connector: async (text) => {
          const plan = await planPostgres(text, null)
          if ('refused' in plan) return { outcome: 'refused', detail: plan.refused }
          return probe(text, async () => {
            for (const [index, statement] of plan.statements.entries()) {
              if (index > 0) await client.query(PIN_SQL)
              await client.query({ text: statement.text, queryMode: 'extended' } as pg.QueryConfig)
            }
          })
        },
        // The whole text as the server splits it itself (what the analysis alone claims about it), unless it controls the transaction.
        server: async (text) => {
          if (endsTransaction(text)) return { outcome: 'refused', detail: 'it would end the probe\'s transaction' }
          return probe(text, async (whole) => void (await client.query(whole)))
        },
      },
      async close() {
        await client.end()
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
        await admin.query(`DROP ROLE IF EXISTS ${role}`)
        await admin.end()
      },
    }
  },
}

/**
 * What a transaction did that a read-only one may not: an assigned transaction id (any row,
 * catalog or sequence write), rows counted as inserted/updated/deleted, advisory locks held,
 * settings changed, rows of the test tables.
 */
const OBSERVE = `SELECT 'observed' AS observed,
  coalesce(txid_current_if_assigned()::text, 'none') AS transaction_id,
  (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text FROM pg_stat_xact_user_tables) AS rows_written,
  (SELECT count(*)::text FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory') AS advisory_locks,
  (SELECT md5(string_agg(name || '=' || setting, ',' ORDER BY name)) FROM pg_settings) AS settings,
  (SELECT md5(coalesce(string_agg(i::text, ',' ORDER BY id), '')) FROM items i) AS items,
  (SELECT md5(coalesce(string_agg(l::text, ',' ORDER BY id), '')) FROM logs l) AS logs`

/** Whether the text holds a statement that ends or starts a transaction (which would end the probe's). */
function endsTransaction(text: string): boolean {
  try {
    return (parseSync(text).stmts ?? []).some(({ stmt }) => {
      const kind = (stmt as { TransactionStmt?: { kind?: string } } | undefined)?.TransactionStmt?.kind
      return kind !== undefined && !['TRANS_STMT_SAVEPOINT', 'TRANS_STMT_RELEASE', 'TRANS_STMT_ROLLBACK_TO'].includes(kind)
    })
  } catch {
    return false
  }
}

/** The row of OBSERVE among the results of a multi-statement query. */
function observed(results: pg.QueryResult | pg.QueryResult[]): Record<string, string> {
  const row = (Array.isArray(results) ? results : [results]).find((result) => result.rows[0]?.observed === 'observed')?.rows[0] as Record<string, string> | undefined
  if (row === undefined) throw new Error('the observation returned nothing')
  return row
}

/** Legs to run: postgres; add the MariaDB leg here once the mysql analyzer exists. */
const LEGS: readonly Leg[] = [postgresLeg]

for (const leg of LEGS) {
  describe(`differential: analysis against ${leg.name}`, () => {
    // Probes are bound by round trips, not CPU: workers, each with a database of its own, overlap them.
    let workers: Awaited<ReturnType<Leg['open']>>[] = []
    before(async () => {
      workers = await Promise.all(Array.from({ length: WORKERS }, () => leg.open()))
    })
    after(async () => {
      await Promise.all(workers.map((worker) => worker.close()))
    })

    it(`no generated text the analysis calls read-only changes anything (${COUNT} texts, seed ${SEED})`, async () => {
      const texts = fc.sample(leg.texts, { seed: SEED, numRuns: COUNT })
      const falseReadOnly: string[] = []
      const tally: Record<string, number> = {}
      const firstMode = Object.keys(workers[0]!.modes)[0]!
      let next = 0
      await Promise.all(workers.map(async (worker) => {
        for (let index = next++; index < texts.length; index = next++) {
          const text = texts[index]!
          const readOnly = worker.analyze(text)
          for (const [mode, run] of Object.entries(worker.modes)) {
            // The first mode (the connector's) also runs what is not read-only: it shows the probe sees change.
            if (!readOnly && mode !== firstMode) continue
            const probe = await run(text)
            const key = `${mode} ${readOnly ? 'read_only' : 'not read_only'} ${probe.outcome}`
            tally[key] = (tally[key] ?? 0) + 1
            if (readOnly && probe.outcome === 'changed') falseReadOnly.push(`[${mode}] ${JSON.stringify(text)}: ${probe.detail}`)
          }
        }
      }))
      console.log(`differential ${leg.name}: ${JSON.stringify(tally)}`)
      assert.deepEqual(falseReadOnly, [], `texts the analysis calls read-only changed the database (seed ${SEED})`)
      // The probe must see change where there is some, or the test proves nothing.
      assert.ok((tally[`${firstMode} not read_only changed`] ?? 0) > COUNT / 10, 'the probe saw too few changes')
      for (const mode of Object.keys(workers[0]!.modes)) {
        assert.ok((tally[`${mode} read_only unchanged`] ?? 0) > COUNT / 20, `too few read-only texts ran in the ${mode} mode`)
      }
    })
  })
}

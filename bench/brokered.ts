/**
 * A brokered read against the same read done directly, in one run: `SELECT 1` on a new
 * connection (connect, query, close), on a pooled connection, and through the gateway as an
 * allowed action on a `postgres` target (`POST /v1/actions?wait`: decided, recorded, claimed,
 * run by the connector, its result recorded and audited, then answered). One request at a time;
 * the three alternate in rounds so load from other processes falls on all of them alike. The
 * gateway runs as its own process, on the embedded store and on PostgreSQL.
 *
 *   npm run bench -- brokered        BENCH_BROKERED_SAMPLES=400 per figure by default
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { callApi, spawnGateway, writeTestConfig } from '../src/server/test-process.js'
import { TEST_POSTGRES_URL } from '../src/store/connection/index.js'
import { table } from './lib/measure.js'

export const name = 'brokered: an allowed SELECT 1 through POST /v1/actions?wait against direct queries'

const SAMPLES = Number(process.env['BENCH_BROKERED_SAMPLES'] ?? 400)
const ROUNDS = 8

const urlOf = (database: string): string => {
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${database}`
  return url.href
}

interface Figures {
  readonly p50: number
  readonly p99: number
}

function figures(samples: readonly number[]): Figures {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
  return { p50: at(0.5), p99: at(0.99) }
}

async function timed(samples: number[], count: number, once: () => Promise<void>): Promise<void> {
  for (let n = 0; n < count; n++) {
    const start = performance.now()
    await once()
    samples.push(performance.now() - start)
  }
}

/** CPU time (user + system) process `pid` has used so far, in ms (Linux: /proc, 100 ticks a second). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

async function benchStore(label: string, store: { data_dir: string } | { database_url: string }, targetUrl: string): Promise<void> {
  const config = writeTestConfig(store, undefined, { targets: [{ name: 'app-db', kind: 'sql', connector: { type: 'postgres', url: 'file:./app-db-url' } }] })
  writeFileSync(join(config.dir, 'app-db-url'), targetUrl, { mode: 0o600 })
  const gateway = await spawnGateway(config.file)
  const pool = new pg.Pool({ connectionString: targetUrl, max: 1 })
  try {
    const direct = async () => {
      const client = new pg.Client({ connectionString: targetUrl })
      await client.connect()
      await client.query('SELECT 1')
      await client.end()
    }
    const pooled = async () => void (await pool.query('SELECT 1'))
    const brokered = async () => {
      const response = await callApi(gateway.url, 'POST', '/v1/actions?wait=30', config.tokens.agent, { kind: 'sql', target: 'app-db', payload: { sql: 'SELECT 1' } })
      if (response.body?.status !== 'succeeded') throw new Error(`the brokered SELECT 1 ended ${response.status} ${JSON.stringify(response.body)}`)
    }
    // Warm-up: JIT, the target's catalog, connection pools.
    for (const once of [direct, pooled, brokered]) await timed([], 30, once)
    const samples = { direct: [] as number[], pooled: [] as number[], brokered: [] as number[] }
    let gatewayCpu = 0
    for (let round = 0; round < ROUNDS; round++) {
      await timed(samples.direct, SAMPLES / ROUNDS, direct)
      await timed(samples.pooled, SAMPLES / ROUNDS, pooled)
      const before = cpuMs(gateway.child.pid!)
      await timed(samples.brokered, SAMPLES / ROUNDS, brokered)
      gatewayCpu += cpuMs(gateway.child.pid!) - before
    }
    const base = figures(samples.direct)
    const row = (what: string, values: readonly number[]): string[] => {
      const { p50, p99 } = figures(values)
      return [what, p50.toFixed(2), p99.toFixed(2), `${(p50 / base.p50).toFixed(2)}×`, `${(p99 / base.p99).toFixed(2)}×`]
    }
    console.log(`${label} store, ${SAMPLES} samples each, one at a time (load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}):`)
    console.log(
      table(
        ['SELECT 1', 'p50 ms', 'p99 ms', 'p50 / new connection', 'p99 / new connection'],
        [row('direct, new connection', samples.direct), row('direct, pooled connection', samples.pooled), row('brokered, POST /v1/actions?wait', samples.brokered)],
      ),
    )
    console.log(`gateway CPU per brokered SELECT 1: ${(gatewayCpu / samples.brokered.length).toFixed(2)} ms (user + system, the gateway process only)`)
  } finally {
    await pool.end()
    gateway.child.kill('SIGTERM')
    await gateway.exited
  }
}

export async function run(): Promise<void> {
  const target = `cs_bench_brokered_${randomBytes(5).toString('hex')}`
  const storeDatabase = `cs_bench_brokered_store_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${target}`)
  await admin.query(`CREATE DATABASE ${storeDatabase}`)
  try {
    await benchStore('embedded', { data_dir: join(mkdtempSync(join(tmpdir(), 'countersign-bench-')), 'data') }, urlOf(target))
    await benchStore('postgres', { database_url: urlOf(storeDatabase) }, urlOf(target))
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${target} WITH (FORCE)`)
    await admin.query(`DROP DATABASE IF EXISTS ${storeDatabase} WITH (FORCE)`)
    await admin.end()
  }
}

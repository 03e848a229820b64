/**
 * The PostgreSQL wire gateway against PostgreSQL directly, in one run: `SELECT 1` and a
 * parameterised point SELECT, at 1 and at 16 connections, latency p50/p99 and throughput, with
 * the gateway/direct ratios, with the gateway on each store (embedded, then PostgreSQL). Every
 * statement through the gateway is decided (allowed), and recorded and audited before the client
 * sees its result. The clients run in this process, next to the gateway, so the ratios are an
 * upper bound of the gateway's cost.
 *
 * Then `pgbench -S` both ways, when pgbench is installed.
 *
 *   npm run bench -- pgwire        BENCH_SECONDS=5 by default per cell
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { testSecret } from '../src/connectors/test-support.js'
import { startPgListener } from '../src/pgwire/index.js'
import { testGateway, type TestGateway } from '../src/server/test-gateway.js'
import { TEST_POSTGRES_URL, testStores } from '../src/store/connection/index.js'

export const name = 'pgwire: SELECT 1 and a point SELECT, direct vs through the wire gateway'

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5)
const POLICY = `
version: 1
default: deny
rules:
  - id: reads
    match: { kind: sql }
    when: sql.read_only
    effect: allow
`

interface Cell {
  readonly p50: number
  readonly p99: number
  readonly rps: number
}

async function measure(clients: readonly pg.Client[], query: () => [string, unknown[]?]): Promise<Cell> {
  const latencies: number[] = []
  const until = performance.now() + SECONDS * 1000
  const started = performance.now()
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < until) {
        const [text, values] = query()
        const t0 = performance.now()
        await client.query(text, values)
        latencies.push(performance.now() - t0)
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
  return { p50: at(0.5), p99: at(0.99), rps: latencies.length / elapsed }
}

/**
 * `pgbench -S` (select-only, simple protocol, a new literal each time) direct and through the
 * gateway, with pgbench as its own process: the gateway's process runs only the gateway and its
 * store here. Skipped when pgbench is not installed.
 */
async function pgbenchBothWays(directUrl: string, port: number, token: string, initialized: boolean, catalogChanged: () => Promise<void>): Promise<boolean> {
  const run = promisify(execFile)
  try {
    await run('pgbench', ['--version'])
  } catch {
    console.log('pgbench -S: skipped (pgbench not installed)')
    return false
  }
  if (!initialized) await run('pgbench', ['-i', '-s', '1', '-q', directUrl])
  // New tables: the analysis knows them once the catalog is read again (unknown relations are not read-only).
  await catalogChanged()
  const seconds = String(Math.max(2, Math.min(SECONDS, 10)))
  for (const clients of ['1', '16']) {
    const figures: string[] = []
    for (const [how, target, env] of [
      ['direct', directUrl, {}],
      ['gateway', `host=127.0.0.1 port=${port} dbname=bench-db user=deploy-bot sslmode=disable`, { PGPASSWORD: token }],
    ] as const) {
      const { stdout } = await run('pgbench', ['-n', '-S', '-T', seconds, '-c', clients, '-j', clients === '1' ? '1' : '2', target], { env: { ...process.env, ...env } })
      const tps = /tps = ([\d.]+)/.exec(stdout)?.[1] ?? '?'
      const latency = /latency average = ([\d.]+) ms/.exec(stdout)?.[1] ?? '?'
      figures.push(`${how} ${Math.round(Number(tps))} tps, latency avg ${latency} ms`)
    }
    console.log(`pgbench -S         ${clients.padStart(2)} conn  ${figures.join('  | ')}`)
  }
  return true
}

/** The decision alone, then each query direct and through the gateway on `port`, at 1 and 16 connections: one line each. */
async function compare(gw: TestGateway, port: number, directUrl: string, queries: Record<string, () => [string, unknown[]?]>): Promise<void> {
  // The decision alone (analysis with the target's catalog, policy), as POST /v1/decide makes it: the part of the target's "+ the decision".
  const agent = { type: 'agent', id: 'deploy-bot', owner: 'carol@example.com', labels: {} } as never
  const decisions: Record<string, number> = {}
  for (const [label, query] of Object.entries(queries)) {
    const times: number[] = []
    const until = performance.now() + Math.min(SECONDS, 2) * 1000
    while (performance.now() < until) {
      const [sql, values] = query()
      const t0 = performance.now()
      await gw.gateway.dryRun(agent, { kind: 'sql', target: 'bench-db', payload: values ? { sql, params: values.map(String) } : { sql } })
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    decisions[label] = times[Math.floor(times.length / 2)]!
    console.log(`${label.padEnd(18)} decision alone (dryRun) p50 ${decisions[label]!.toFixed(2)} ms`)
  }
  for (const connections of [1, 16]) {
    const direct = Array.from({ length: connections }, () => new pg.Client({ connectionString: directUrl }))
    const through = Array.from({ length: connections }, () => new pg.Client({ host: '127.0.0.1', port, database: 'bench-db', user: 'deploy-bot', password: gw.tokens.deployBot }))
    await Promise.all([...direct, ...through].map((client) => client.connect()))
    for (const [label, query] of Object.entries(queries)) {
      const a = await measure(direct, query)
      const b = await measure(through, query)
      console.log(
        `${label.padEnd(18)} ${String(connections).padStart(2)} conn  direct p50 ${a.p50.toFixed(2)} ms p99 ${a.p99.toFixed(2)} ms ${Math.round(a.rps)}/s` +
          `  | gateway p50 ${b.p50.toFixed(2)} ms p99 ${b.p99.toFixed(2)} ms ${Math.round(b.rps)}/s` +
          `  | p50 ×${(b.p50 / a.p50).toFixed(1)} (target ≤ ${(1.5 * a.p50 + decisions[label]!).toFixed(2)} ms), throughput ${((100 * b.rps) / a.rps).toFixed(0)}% of direct`,
      )
    }
    await Promise.all([...direct, ...through].map((client) => client.end()))
  }
}

/** Runs the comparison and prints one line per query and connection count. */
export async function run(): Promise<void> {
  const database = `cs_bench_pgwire_${randomBytes(4).toString('hex')}`
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${database}`
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  const setup = new pg.Client({ connectionString: url.href })
  await setup.connect()
  await setup.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 10000) g')
  await setup.end()
  const queries: Record<string, () => [string, unknown[]?]> = {
    'SELECT 1': () => ['SELECT 1'],
    'point SELECT ($1)': () => ['SELECT id, name FROM items WHERE id = $1', [1 + Math.floor(Math.random() * 10_000)]],
  }
  let pgbenchReady = false
  try {
    for (const factory of testStores()) {
      console.log(`-- the gateway's store: ${factory.name === 'pglite' ? 'embedded (PGlite)' : 'PostgreSQL'}`)
      const store = await factory.open()
      const gw = await testGateway(store, { policy: POLICY, targets: [{ name: 'bench-db', kind: 'sql', connector: { type: 'postgres', url: `env:${testSecret(url.href)}` } }] })
      const listener = await startPgListener({ config: gw.config, listen: { host: '127.0.0.1', port: 0, hold_ms: 1000 }, gateway: gw.gateway, publicUrl: 'https://countersign.test' })
      try {
        await compare(gw, listener.address.port, url.href, queries)
        pgbenchReady = await pgbenchBothWays(url.href, listener.address.port, gw.tokens.deployBot, pgbenchReady, async () => void (await gw.gateway.sqlCatalogs?.refresh('bench-db')))
      } finally {
        await listener.close()
        await gw.close()
        await store.drop()
      }
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.end()
  }
}

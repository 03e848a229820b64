/**
 * The gateway over HTTP, as agents use it, on both stores:
 * - sustained throughput and latency of auto-allowed submissions (decided, recorded and audited,
 *   committed before the response), with a lean load generator in another process;
 * - the baseline measured in the same run: GET /healthz on the same server (HTTP, no store);
 * - wake-up: the time from a review's HTTP response to the waiting agent's response.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { callApi, spawnGateway, writeTestConfig, type GatewayProcess, type TestConfigFile } from '../src/server/test-process.js'

export const name = 'gateway: allowed submissions over HTTP and wake-up latency'

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres'
const LOADER = fileURLToPath(new URL('./lib/http-load.ts', import.meta.url))
const DURATION_S = Number(process.env['BENCH_SECONDS'] ?? 10)
const CONNECTIONS = Number(process.env["BENCH_CONNECTIONS"] ?? 32)
const WAKEUPS = 200
/**
 * BENCH_CPU_PROF=DIR: the gateway runs with --cpu-prof and writes its profiles (one per thread) to
 * DIR/<store> when it stops, right after the allowed run (no wake-ups, no verification), so that
 * `bench/profile-summary.ts --window BENCH_SECONDS` summarises that run.
 */
const CPU_PROF = process.env['BENCH_CPU_PROF']
const readOnly = JSON.stringify({ kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT id, plan FROM users WHERE id = 42' } })

interface Load {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly non2xx: number
  readonly total: number
}

/** Runs the lean load generator (bench/lib/http-load.ts) in its own process against `url`. */
async function load(url: string, options: { method?: string; body?: string; token?: string; seconds?: number } = {}): Promise<Load> {
  const seconds = options.seconds ?? DURATION_S
  const spec = {
    url,
    method: options.method,
    body: options.body,
    headers: { ...(options.body && { 'content-type': 'application/json' }), ...(options.token && { authorization: `Bearer ${options.token}` }) },
    connections: CONNECTIONS,
    seconds,
  }
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', LOADER, JSON.stringify(spec)], { maxBuffer: 16 * 1024 * 1024 })
  const result = JSON.parse(stdout) as { seconds: number; ok: number; failed: number; p50: number; p99: number }
  return { rps: result.ok / result.seconds, p50: result.p50, p99: result.p99, non2xx: result.failed, total: result.ok }
}

/** CPU time (user + system, ms) the process `pid` has used so far, from /proc (Linux); `undefined` elsewhere. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    // utime and stime (fields 14 and 15 of stat), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

/** The gateway's CPU per request over a run, in µs, with the CPU seconds it used per wall second. */
function cpuPer(before: number | undefined, after: number | undefined, run: Load, seconds: number): string {
  if (before === undefined || after === undefined || run.total === 0) return ''
  return `  gateway CPU ${(((after - before) * 1000) / run.total).toFixed(0)} µs/request (${((after - before) / 1000 / seconds).toFixed(2)} cores)`
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/** From a review's response to the waiting agent's response, over `count` pending actions. */
async function wakeups(gateway: GatewayProcess, config: TestConfigFile, count: number): Promise<number[]> {
  const samples: number[] = []
  for (let n = 0; n < count; n++) {
    const submitted = await callApi(gateway.url, 'POST', '/v1/actions', config.tokens.agent, { kind: 'sql', target: 'prod-db', payload: { sql: `UPDATE users SET plan = 1 WHERE id = ${n}` } })
    let woken = 0
    const waiting = callApi(gateway.url, 'GET', `/v1/actions/${submitted.body.id}?wait=30`, config.tokens.agent).then((response) => {
      woken = performance.now()
      return response
    })
    // Let the long-poll reach the gateway and subscribe before the review.
    await new Promise((resolve) => setTimeout(resolve, 5))
    await callApi(gateway.url, 'POST', `/v1/actions/${submitted.body.id}/reviews`, config.tokens.alice, { decision: 'approve', reason: 'bench' })
    const reviewed = performance.now()
    const response = await waiting
    if (response.body.status !== 'approved') throw new Error(`woken with ${response.body.status}`)
    samples.push(Math.max(0, woken - reviewed))
  }
  return samples.sort((a, b) => a - b)
}

async function benchStore(label: string, store: { data_dir: string } | { database_url: string }): Promise<void> {
  const config = writeTestConfig(store)
  const gateway = await spawnGateway(config.file, CPU_PROF ? { nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${join(CPU_PROF, label)}`] } : {})
  try {
    // Warm-up: JIT, WASM tiering, connection pools.
    await load(`${gateway.url}/v1/actions`, { method: 'POST', body: readOnly, token: config.tokens.agent, seconds: 2 })
    // The gateway's own CPU per request as well: on a machine other work loads, the rate follows the
    // CPU the gateway gets, while its CPU per request does not (much).
    const cpu0 = cpuMs(gateway.child.pid)
    const baseline = await load(`${gateway.url}/healthz`)
    const cpu1 = cpuMs(gateway.child.pid)
    const allowed = await load(`${gateway.url}/v1/actions`, { method: 'POST', body: readOnly, token: config.tokens.agent })
    const cpu2 = cpuMs(gateway.child.pid)
    console.log(`${label}: baseline GET /healthz      ${baseline.rps.toFixed(0).padStart(7)} req/s  p50 ${baseline.p50.toFixed(1)} ms  p99 ${baseline.p99.toFixed(1)} ms${cpuPer(cpu0, cpu1, baseline, DURATION_S)}`)
    console.log(`${label}: allowed POST /v1/actions   ${allowed.rps.toFixed(0).padStart(7)} actions/s  p50 ${allowed.p50.toFixed(1)} ms  p99 ${allowed.p99.toFixed(1)} ms  (${allowed.total} recorded, ${allowed.non2xx} non-2xx; ${((allowed.rps / baseline.rps) * 100).toFixed(0)}% of the baseline)${cpuPer(cpu1, cpu2, allowed, DURATION_S)}`)
    // Profiled: stop here, so that the profile's last seconds are the allowed run (profile-summary --window).
    if (CPU_PROF) return
    const samples = await wakeups(gateway, config, WAKEUPS)
    console.log(`${label}: wake-up after a review     p50 ${percentile(samples, 50).toFixed(1)} ms  p99 ${percentile(samples, 99).toFixed(1)} ms  max ${samples[samples.length - 1]!.toFixed(1)} ms  (${samples.length} reviews, waiting agent on GET ?wait)`)
    const verified = await callApi(gateway.url, 'GET', '/v1/audit/verify', config.tokens.alice)
    console.log(`${label}: audit chain ${verified.body.ok ? 'verifies' : 'FAILS'}: ${verified.body.events} events`)
  } finally {
    gateway.child.kill('SIGTERM')
    await gateway.exited
  }
}

export async function run(): Promise<void> {
  console.log(`${CONNECTIONS} connections, ${DURATION_S} s per run; gateway and load generator in separate processes on ${2} cores`)
  await benchStore('embedded', { data_dir: join(mkdtempSync(join(tmpdir(), 'countersign-bench-')), 'data') })
  const database = `cs_bench_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client(ADMIN_URL)
  await admin.connect()
  await admin.query(`create database ${database}`)
  try {
    await benchStore('postgres', { database_url: `postgres://postgres@127.0.0.1:5432/${database}` })
  } finally {
    await admin.query(`drop database if exists ${database} with (force)`)
    await admin.end()
  }
}

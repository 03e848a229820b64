/**
 * Capacity: many agents waiting at once on a store holding many pending actions.
 * - fills the store with BENCH_PENDING (100,000) pending actions, submitted over the API;
 * - opens BENCH_WAITERS (10,000) waiting agents from another process, half long-polls and half
 *   SSE streams, each on its own pending action;
 * - reports the gateway's resident memory, then approves 200 of the waited actions one by one and
 *   times each from the review's response to the waiting agent's wake-up;
 * - the baseline, measured first in the same run: the same wake-up with no other waiter;
 * - on PostgreSQL, the same with two replicas: agents wait on one, humans review on the other.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { callApi, spawnGateway, writeTestConfig, type GatewayProcess, type TestConfigFile } from '../src/server/test-process.js'

export const name = 'capacity: waiting agents and pending actions'

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres'
const AGENTS = fileURLToPath(new URL('./lib/waiting-agents.ts', import.meta.url))
const PENDING = Number(process.env['BENCH_PENDING'] ?? 100_000)
const WAITERS = Math.min(PENDING, Number(process.env['BENCH_WAITERS'] ?? 10_000))
const SAMPLES = 200
const now = () => performance.timeOrigin + performance.now()

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b)
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms  p99 ${percentile(sorted, 99).toFixed(1)} ms  max ${sorted[sorted.length - 1]!.toFixed(1)} ms`
}

const rssMiB = (gateway: GatewayProcess) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.child.pid}/status`, 'utf8'))![1]) / 1024

/** Submits `count` actions the policy holds for review, 64 at a time; their ids in order. */
async function fill(gateway: GatewayProcess, config: TestConfigFile, count: number): Promise<string[]> {
  const ids: string[] = new Array(count)
  let next = 0
  const worker = async () => {
    for (let n = next++; n < count; n = next++) {
      const submitted = await callApi(gateway.url, 'POST', '/v1/actions', config.tokens.agent, { kind: 'sql', target: 'prod-db', payload: { sql: `UPDATE users SET plan = 1 WHERE id = ${n}` } })
      if (submitted.body?.status !== 'pending') throw new Error(`submission ${n}: ${JSON.stringify(submitted.body)}`)
      ids[n] = submitted.body.id as string
    }
  }
  await Promise.all(Array.from({ length: 64 }, worker))
  return ids
}

const scrape = (gateway: GatewayProcess) => fetch(`${gateway.url}/metrics`).then((response) => response.text(), () => '')

async function waiterCount(gateway: GatewayProcess): Promise<number> {
  // A scrape refused while thousands of agents connect is asked again at the next poll.
  return Number(/^countersign_waiters (\d+)/m.exec(await scrape(gateway))?.[1] ?? 0)
}

/** The gateway's resident memory, and how much of it the JavaScript heap uses and memory outside it holds (PGlite's, the SQL parser's). */
async function memory(gateway: GatewayProcess): Promise<string> {
  const text = await scrape(gateway)
  const mib = (name: string) => (Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1048576).toFixed(0)
  return `RSS ${rssMiB(gateway).toFixed(0)} MiB (JS heap used ${mib('nodejs_heap_size_used_bytes')}, external ${mib('nodejs_external_memory_bytes')})`
}

/** The waiting agents' process: resolves each id's wake-up time. */
function waitingAgents(gateway: GatewayProcess, config: TestConfigFile, ids: readonly string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', AGENTS, JSON.stringify({ url: gateway.url, token: config.tokens.agent })], { stdio: ['pipe', 'pipe', 'inherit'] })
  const wakes = new Map<string, (at: number) => void>()
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as { woken?: string; at?: number }
    if (message.woken) wakes.get(message.woken)?.(message.at!)
  })
  child.stdin!.end(ids.join('\n') + '\n')
  return {
    woken: (id: string) => new Promise<number>((resolve) => wakes.set(id, resolve)),
    stop: () => child.kill('SIGTERM'),
  }
}

/** Approves each of `ids` on `reviewer`, timing the waiting agent's wake-up after the review's response. */
async function wakeups(reviewer: GatewayProcess, config: TestConfigFile, ids: readonly string[], woken: (id: string) => Promise<number>): Promise<number[]> {
  const samples: number[] = []
  for (const id of ids) {
    const wake = woken(id)
    const review = await callApi(reviewer.url, 'POST', `/v1/actions/${id}/reviews`, config.tokens.alice, { decision: 'approve', reason: 'bench' })
    const reviewed = now()
    if (review.status !== 200) throw new Error(`review of ${id}: ${JSON.stringify(review.body)}`)
    samples.push(Math.max(0, (await wake) - reviewed))
  }
  return samples
}

async function benchStore(label: string, store: { data_dir: string } | { database_url: string }, replicas: 1 | 2): Promise<void> {
  const config = writeTestConfig(store)
  const gateway = await spawnGateway(config.file)
  const reviewer = replicas === 2 ? await spawnGateway(config.file) : gateway
  const where = replicas === 2 ? 'agents on one replica, reviews on the other' : 'one replica'
  try {
    let started = performance.now()
    const ids = await fill(gateway, config, PENDING)
    console.log(`${label}: ${PENDING} pending actions submitted in ${((performance.now() - started) / 1000).toFixed(1)} s; gateway ${await memory(gateway)}`)

    // Baseline: one agent waiting, nobody else.
    const alone = waitingAgents(gateway, config, ids.slice(0, 50))
    while ((await waiterCount(gateway)) < 50) await new Promise((resolve) => setTimeout(resolve, 50))
    const baseline = await wakeups(reviewer, config, ids.slice(0, 50), alone.woken)
    alone.stop()
    console.log(`${label}: baseline, 50 waiting agents (${where}): wake-up ${summary(baseline)}`)

    const waited = ids.slice(PENDING - WAITERS)
    const agents = waitingAgents(gateway, config, waited)
    started = performance.now()
    while ((await waiterCount(gateway)) < WAITERS) await new Promise((resolve) => setTimeout(resolve, 200))
    console.log(`${label}: ${WAITERS} agents waiting (half long-poll, half SSE) after ${((performance.now() - started) / 1000).toFixed(1)} s; gateway ${await memory(gateway)}${replicas === 2 ? `, reviewing replica ${rssMiB(reviewer).toFixed(0)} MiB` : ''}`)
    const sampled = waited.filter((_, n) => n % Math.floor(WAITERS / SAMPLES) === 0).slice(0, SAMPLES)
    const loaded = await wakeups(reviewer, config, sampled, agents.woken)
    agents.stop()
    console.log(`${label}: ${WAITERS} waiting agents (${where}): wake-up ${summary(loaded)}; p99 ${(percentile([...loaded].sort((a, b) => a - b), 99) / Math.max(0.1, percentile([...baseline].sort((a, b) => a - b), 99))).toFixed(1)}× the baseline's`)
  } finally {
    for (const process of new Set([gateway, reviewer])) {
      process.child.kill('SIGTERM')
      await process.exited
    }
  }
}

export async function run(): Promise<void> {
  console.log(`${PENDING} pending actions, ${WAITERS} waiting agents, ${SAMPLES} timed reviews per configuration`)
  await benchStore('embedded', { data_dir: join(mkdtempSync(join(tmpdir(), 'countersign-bench-')), 'data') }, 1)
  const database = `cs_bench_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client(ADMIN_URL)
  await admin.connect()
  await admin.query(`create database ${database}`)
  try {
    await benchStore('postgres', { database_url: `postgres://postgres@127.0.0.1:5432/${database}` }, 2)
  } finally {
    await admin.query(`drop database if exists ${database} with (force)`)
    await admin.end()
  }
}

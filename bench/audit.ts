/**
 * The audit log's verification and proofs. Throughput of verifying a log of N events (hash chain,
 * RFC 9162 Merkle tree, signed checkpoints and tree heads every 10,000 events), of the Merkle part
 * alone, and of building the in-memory tree the gateway serves proofs from; then the latency of
 * inclusion and consistency proofs on that tree. The baseline, in the same run, is one plain
 * SHA-256 of each event's text: the least any verification of the events must do. Rates are per
 * second of wall time and, steadier when others share the machine, per second of this process's
 * CPU time (of all its threads: verification's worker threads too). "audit verify" is the whole
 * check (chain, tree heads, checkpoints), in one thread and then with its default worker threads;
 * with workers, the main thread's CPU per event is what the walk over the chain costs (Linux only).
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import { checkpointBody, leafHash, MerkleAccumulator, MerkleTree, signCheckpoint, signNote, verifyChain, type Checkpoint } from '../src/audit/index.js'
import { sampleChain, testKey } from '../src/audit/test-support.js'
import { formatRate, table } from './lib/measure.js'

export const name = 'audit: verification throughput and proof latency'

const EVENTS = 200_000
const CHECKPOINT_EVERY = 10_000
const RUNS = 3

/**
 * CPU time of the main thread alone (the one that walks the chain while workers check rows), in
 * µs: Linux's /proc, in clock ticks of 10 ms (USER_HZ 100); `undefined` elsewhere.
 */
function mainThreadCpu(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return undefined
  }
}

/**
 * Operations per second of wall time, and per second of this process's CPU time, all threads
 * (steadier on a shared machine); and the main thread's CPU µs per operation.
 */
async function rate(pass: () => Promise<number> | number): Promise<{ wall: number; cpu: number; main: number | undefined }> {
  await pass() // warm-up
  const wall: number[] = []
  const cpu: number[] = []
  const main: number[] = []
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now()
    const used = process.cpuUsage()
    const mainUsed = mainThreadCpu()
    const operations = await pass()
    const { user, system } = process.cpuUsage(used)
    const mainNow = mainThreadCpu()
    wall.push((operations * 1000) / (performance.now() - start))
    cpu.push((operations * 1e6) / (user + system))
    if (mainUsed !== undefined && mainNow !== undefined) main.push((mainNow - mainUsed) / operations)
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]
  return { wall: median(wall)!, cpu: median(cpu)!, main: median(main) }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!
}

function latency(operation: (index: number) => void, count: number): { p50: number; p99: number } {
  for (let index = 0; index < 200; index++) operation(index)
  const times: number[] = []
  for (let index = 0; index < count; index++) {
    const start = performance.now()
    operation(index)
    times.push((performance.now() - start) * 1000)
  }
  times.sort((a, b) => a - b)
  return { p50: percentile(times, 50), p99: percentile(times, 99) }
}

export async function run(): Promise<void> {
  const events = sampleChain(EVENTS)
  const key = testKey()
  const tree = new MerkleTree(events.map((event) => leafHash(event.event)))
  const checkpoints: Checkpoint[] = []
  for (let seq = CHECKPOINT_EVERY; seq <= EVENTS; seq += CHECKPOINT_EVERY) {
    const signed = signCheckpoint({ seq, hash: events[seq - 1]!.hash, at: new Date(Date.UTC(2026, 0, 6) + seq).toISOString(), prev_signature: checkpoints.at(-1)?.signature ?? null, key_id: key.keyId }, key.privateKey)
    const body = checkpointBody({ origin: 'bench/audit', size: seq, root: tree.root(seq) })
    checkpoints.push({ ...signed, note: `${body}\n${signNote(body, 'bench/audit', key.privateKey)}\n` })
  }
  const bytes = events.reduce((sum, event) => sum + event.event.length, 0)
  console.log(`${EVENTS.toLocaleString('en-US')} events (${Math.round(bytes / EVENTS)} bytes of text each on average), ${checkpoints.length} checkpoints; median of ${RUNS} runs`)

  const baseline = await rate(() => {
    for (const event of events) createHash('sha256').update(event.event).digest()
    return EVENTS
  })
  const merkle = await rate(() => {
    const accumulator = new MerkleAccumulator()
    for (const event of events) accumulator.push(leafHash(event.event))
    accumulator.root()
    return EVENTS
  })
  const build = await rate(() => {
    const built = new MerkleTree()
    for (const event of events) built.append(leafHash(event.event))
    return EVENTS
  })
  const verify = (threads: number | undefined) => async () => {
    const report = await verifyChain(events, { checkpoints, publicKeys: [key.publicKey], threads })
    if (!report.ok || report.checkpoints !== checkpoints.length) throw new Error(`bench log does not verify: ${JSON.stringify(report.problems.slice(0, 3))}`)
    return EVENTS
  }
  const alone = await rate(verify(0))
  // The default: a worker per core checks rows (their warm-up run starts them; they are kept).
  const parallel = await rate(verify(undefined))
  console.log(
    table(
      ['what', 'events/s', 'vs baseline', 'events/CPU-s', 'main thread CPU µs/event'],
      [
        ['baseline: SHA-256 of each event text', baseline, 'baseline'],
        ['Merkle root (leaf hashes + compact range)', merkle],
        ['tree for proofs (MerkleTree.append)', build],
        ['audit verify, one thread', alone],
        [`audit verify, ${availableParallelism()} worker threads (default)`, parallel],
      ].map(([what, measured, ratio]) => {
        const { wall, cpu, main } = measured as { wall: number; cpu: number; main: number | undefined }
        return [what as string, formatRate(wall), ratio === undefined ? `${(wall / baseline.wall).toFixed(2)}×` : '1.00×', formatRate(cpu), main === undefined ? '—' : main.toFixed(2)]
      }),
    ),
  )

  const inclusion = latency((index) => tree.inclusionProof((index * 7919) % EVENTS, EVENTS), 5000)
  const consistency = latency((index) => tree.consistencyProof(1 + ((index * 7919) % (EVENTS - 1)), EVENTS), 5000)
  const root = latency(() => tree.root(EVENTS - 1), 5000)
  console.log(
    table(
      ['proof on a tree of ' + EVENTS.toLocaleString('en-US'), 'p50 µs', 'p99 µs'],
      [
        ['inclusion proof', inclusion.p50.toFixed(1), inclusion.p99.toFixed(1)],
        ['consistency proof', consistency.p50.toFixed(1), consistency.p99.toFixed(1)],
        ['root of a tree size that is not a power of two', root.p50.toFixed(1), root.p99.toFixed(1)],
      ],
    ),
  )
}

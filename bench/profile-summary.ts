/**
 * Summarises a V8 CPU profile (`node --cpu-prof` writes one per thread): time by function, self
 * and inclusive, as shares of the busy time (samples that are not idle), over the whole profile or
 * over its last `--window` seconds (a load run, without the start-up before it; the last 0.3 s,
 * the shutdown, are left out too).
 *
 *   node --import tsx bench/profile-summary.ts CPU.….cpuprofile [--top 40] [--window 8]
 *
 * The profiler samples wall-clock time on the thread: a function that was on the stack while the
 * process waited for a core (a busy host) or in a system call is counted for that time. Read the
 * shares next to the process's CPU time (bench/gateway.ts prints it per request).
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number }
  readonly children?: readonly number[]
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly startTime: number
  readonly endTime: number
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

/** Time (µs) by function, self and inclusive (a function counted once per sample however often it recurs). */
export interface ProfileSummary {
  readonly totalUs: number
  readonly idleUs: number
  readonly self: ReadonlyMap<string, number>
  readonly inclusive: ReadonlyMap<string, number>
}

/** A function's name and where it is, with node_modules and the checkout's path cut short. */
function functionKey(node: ProfileNode): string {
  const { functionName, url, lineNumber, columnNumber } = node.callFrame
  const where = url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/src\//, 'src/')
  return `${functionName || '(anonymous)'} ${where}${where ? `:${lineNumber + 1}:${columnNumber + 1}` : ''}`
}

/** Sums `profile`'s samples by function, over its last `windowS` seconds when given. */
export function summarise(profile: CpuProfile, windowS?: number): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const parents = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
  const from = windowS === undefined ? -Infinity : profile.endTime - (windowS + 0.3) * 1e6
  const to = windowS === undefined ? Infinity : profile.endTime - 0.3e6
  const byNode = new Map<number, number>()
  let at = profile.startTime
  for (let index = 0; index < profile.samples.length; index++) {
    const delta = profile.timeDeltas[index] ?? 0
    at += delta
    if (at < from || at > to) continue
    const id = profile.samples[index]!
    byNode.set(id, (byNode.get(id) ?? 0) + delta)
  }
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let totalUs = 0
  let idleUs = 0
  for (const [id, us] of byNode) {
    totalUs += us
    const key = functionKey(nodes.get(id)!)
    if (key.startsWith('(idle)')) idleUs += us
    self.set(key, (self.get(key) ?? 0) + us)
    const seen = new Set<string>()
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
      const frame = functionKey(nodes.get(current)!)
      if (seen.has(frame)) continue
      seen.add(frame)
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + us)
    }
  }
  return { totalUs, idleUs, self, inclusive }
}

function table(title: string, times: ReadonlyMap<string, number>, busyUs: number, top: number): string {
  const rows = [...times].filter(([key]) => !key.startsWith('(idle)') && !key.startsWith('(root)')).sort((a, b) => b[1] - a[1]).slice(0, top)
  return [`--- ${title}`, ...rows.map(([key, us]) => `${((us / busyUs) * 100).toFixed(1).padStart(5)}%  ${key}`)].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '40' }, window: { type: 'string' } } })
  const top = Number(values.top)
  for (const file of positionals) {
    const summary = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, values.window === undefined ? undefined : Number(values.window))
    const busyUs = summary.totalUs - summary.idleUs
    console.log(`${file}: ${(summary.totalUs / 1e6).toFixed(2)} s sampled, ${(busyUs / 1e6).toFixed(2)} s busy`)
    if (busyUs === 0) continue
    console.log(table('self', summary.self, busyUs, top))
    console.log(table('inclusive', summary.inclusive, busyUs, top))
  }
}

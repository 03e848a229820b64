import { performance } from 'node:perf_hooks'

export interface Throughput {
  /** Median operations per second over the runs. */
  readonly median: number
  readonly runs: readonly number[]
  /** Median operations per CPU-second of this process (user + system) over the same runs: less moved by other processes' load. */
  readonly perCpuSecond: number
}

export interface MeasureOptions {
  /** Warm-up before the timed runs (JIT, memo tables, WASM tiering), in ms of this process's CPU time. */
  readonly warmupMs?: number
  /** Each timed run repeats `pass` until at least this long has elapsed. */
  readonly minMs?: number
  readonly runs?: number
}

/**
 * Operations per second of `pass` on this thread. `pass` does one unit of work (typically one
 * sweep over the stream) and returns how many operations it did.
 */
export function throughput(pass: () => number, options: MeasureOptions = {}): Throughput {
  const { warmupMs = 500, minMs = 2000, runs = 3 } = options
  // Warm-up is counted in this process's CPU time: on a loaded machine, wall time gives it too
  // little CPU for the JIT (whose compiler threads that time includes) to finish its work.
  const warmupEnd = cpuMs() + warmupMs
  do pass()
  while (cpuMs() < warmupEnd)
  const results: number[] = []
  const perCpu: number[] = []
  for (let run = 0; run < runs; run++) {
    let operations = 0
    const cpu = process.cpuUsage()
    const start = performance.now()
    let elapsed = 0
    do {
      operations += pass()
      elapsed = performance.now() - start
    } while (elapsed < minMs)
    results.push((operations * 1000) / elapsed)
    const used = process.cpuUsage(cpu)
    perCpu.push((operations * 1e6) / Math.max(1, used.user + used.system))
  }
  return { median: median(results), runs: results, perCpuSecond: median(perCpu) }
}

/** CPU time used by this process so far (user + system, all threads), in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** `123,456` */
export const formatRate = (perSecond: number): string => Math.round(perSecond).toLocaleString('en-US')

/** Renders rows as an aligned text table; numeric-looking cells are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  const numeric = (cell: string): boolean => /^[\d,.%×x ~-]+$/.test(cell) && /\d/.test(cell)
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (numeric(cell) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd()
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
}

/**
 * Runs every bench file in order: each top-level `bench/*.ts` (or `.js` when compiled) other than this one, sorted by
 * name, exporting `name` and `run()`. Helpers live in `bench/lib/`.
 *
 *   npm run bench              every bench
 *   npm run bench -- policy    only benches whose file name contains "policy"
 *   npm run bench -- cli       the CLI's start-up (bench/cli.ts; builds dist/ when missing)
 */
import { readdirSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { setFlagsFromString } from 'node:v8'

// Node 20's V8 (11.3) can abort with "Fatal error … unreachable code" in
// Deoptimizer::DoComputeBuiltinContinuation when it lazily deoptimizes a JavaScript function into
// which it inlined a call to WebAssembly: bench/lib/cedar.ts's `decide` (cedar-wasm) did, in about
// one policy bench run in four. Not inlining JS-to-Wasm calls avoids it; set before any bench loads.
setFlagsFromString('--no-turbo-inline-js-wasm-calls')

interface BenchModule {
  readonly name: string
  run(): Promise<void>
}

const directory = fileURLToPath(new URL('.', import.meta.url))
const filters = process.argv.slice(2)
const files = readdirSync(directory)
  // `.js` too, so a compiled copy (tsc --outDir) runs the same way, e.g. for line-level profiles.
  .filter((file) => /\.[jt]s$/.test(file) && !/^index\.[jt]s$/.test(file) && !file.endsWith('.d.ts'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort()

const load = (): string => loadavg().map((value) => value.toFixed(2)).join(' ')
console.log(`Countersign benchmarks — Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${availableParallelism()} cores available, one used)`)
// Other processes on the machine skew single-core numbers: the load average says how much.
console.log(`Load average (1, 5, 15 min) at start: ${load()}`)
const started = performance.now()
for (const file of files) {
  const bench = (await import(pathToFileURL(`${directory}${file}`).href)) as BenchModule
  console.log(`\n== ${bench.name} (bench/${file}) ==`)
  const start = performance.now()
  await bench.run()
  console.log(`(${((performance.now() - start) / 1000).toFixed(1)} s)`)
}
console.log(`\nAll benches done in ${((performance.now() - started) / 1000).toFixed(1)} s. Load average at end: ${load()}`)

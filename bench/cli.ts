/**
 * How fast the agent-side CLI starts: agents call `countersign hook`, `exec`, `submit` and `mcp` on
 * every tool use, so their start-up is paid each time. Each command runs N times in its own process
 * (wall time, median and p90), next to the baseline measured in the same run: `node -e 0`.
 * - the built CLI (dist/cli/main.js, each verb loaded alone);
 * - the agent-side CLI (dist/countersign-agent.mjs, one bundled file), what an installed
 *   `countersign` runs for the agent verbs;
 * - the source checkout through tsx (bin/countersign.js), a few runs, for contrast.
 * `hook` answers a Claude Code PreToolUse event for `echo` against a gateway process (allowed by the
 * policy), so it includes one round trip. Builds dist/ first when it is missing (npm run build).
 *
 *   npm run bench -- cli              BENCH_CLI_RUNS=40 for more runs
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { spawnGateway, writeTestConfig } from '../src/server/test-process.js'
import { TEST_POLICY } from '../src/server/test-gateway.js'
import { table } from './lib/measure.js'

export const name = 'cli: start-up of the agent-side verbs'

const ROOT = resolve(import.meta.dirname, '..')
const RUNS = Number(process.env['BENCH_CLI_RUNS'] ?? 20)
const BUILT = join(ROOT, 'dist/cli/main.js')
const AGENT = join(ROOT, 'dist/countersign-agent.mjs')
const SOURCE = join(ROOT, 'bin/countersign.js')

/** GNU time, when installed: the child's CPU time, which other processes on the machine do not inflate as they do wall time. */
const GNU_TIME = '/usr/bin/time'

interface Timing {
  readonly median: number
  readonly p90: number
  /** Median user + system CPU milliseconds of the process, when GNU time is there. */
  readonly cpu: number | undefined
}

const median = (values: number[]): number => values.sort((a, b) => a - b)[values.length >> 1]!

/** Runs `node ...args` `runs` times; wall (and CPU) milliseconds per run. Fails on a non-zero exit. */
function time(args: readonly string[], runs: number, options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Timing {
  const wall: number[] = []
  const cpu: number[] = []
  const gnuTime = existsSync(GNU_TIME)
  for (let run = 0; run < runs; run++) {
    const [command, argv] = gnuTime ? [GNU_TIME, ['-f', 'cpu %U %S', process.execPath, ...args]] : [process.execPath, [...args]]
    const start = performance.now()
    const result = spawnSync(command, argv, { input: options.input ?? '', env: options.env ?? process.env, encoding: 'utf8' })
    wall.push(performance.now() - start)
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
    const used = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr)
    if (used) cpu.push((Number(used[1]) + Number(used[2])) * 1000)
  }
  const sorted = [...wall].sort((a, b) => a - b)
  return { median: median(wall), p90: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))]!, cpu: cpu.length > 0 ? median(cpu) : undefined }
}

export async function run(): Promise<void> {
  if (!existsSync(BUILT) || !existsSync(AGENT)) {
    console.log('dist/ is missing: building it (npm run build)…')
    const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' })
    if (built.status !== 0) throw new Error('npm run build failed')
  }
  const state = mkdtempSync(join(tmpdir(), 'countersign-bench-cli-'))
  const config = writeTestConfig({ data_dir: join(state, 'data') }, TEST_POLICY, { targets: [{ name: 'dev-box', kind: 'shell' }] })
  const gateway = await spawnGateway(config.file)
  try {
    const env = { ...process.env, COUNTERSIGN_URL: gateway.url, COUNTERSIGN_TOKEN: config.tokens.agent, XDG_STATE_HOME: state }
    const event = JSON.stringify({ hook_event_name: 'PreToolUse', session_id: 'bench', tool_name: 'Bash', tool_input: { command: 'echo hello' }, tool_use_id: 'toolu_bench' })
    const hook = ['hook', 'claude-code', '--target', 'dev-box']
    const check = spawnSync(process.execPath, [AGENT, ...hook], { input: event, env, encoding: 'utf8' })
    if (!/"permissionDecision":"allow"/.test(check.stdout)) throw new Error(`the hook fixture was not allowed: ${check.stdout}${check.stderr}`)

    const baseline = time(['-e', '0'], RUNS)
    const rows: [string, Timing][] = [['node -e 0 (baseline)', baseline]]
    for (const [label, file] of [['built CLI', BUILT], ['agent bundle', AGENT]] as const) {
      rows.push([`${label}: --help`, time([file, '--help'], RUNS)])
      rows.push([`${label}: submit --help`, time([file, 'submit', '--help'], RUNS)])
      rows.push([`${label}: hook (PreToolUse, allowed)`, time([file, ...hook], RUNS, { input: event, env })])
    }
    rows.push(['source checkout (tsx): submit --help', time([SOURCE, 'submit', '--help'], Math.min(RUNS, 3))])
    const ms = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(0))
    console.log(`${RUNS} runs each (the tsx row: ${Math.min(RUNS, 3)}), in ms; CPU is the process's user + system time (GNU time, 10 ms resolution):`)
    console.log(
      table(
        ['command', 'wall median', 'wall p90', 'wall − baseline', '× baseline', 'CPU median', 'CPU − baseline'],
        rows.map(([label, t]) => [label, ms(t.median), ms(t.p90), ms(t.median - baseline.median), `${(t.median / baseline.median).toFixed(1)}×`, ms(t.cpu), ms(t.cpu !== undefined && baseline.cpu !== undefined ? t.cpu - baseline.cpu : undefined)]),
      ),
    )
  } finally {
    gateway.child.kill('SIGTERM')
    await gateway.exited
    rmSync(state, { recursive: true, force: true })
  }
}

import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** What a script did when the real bash ran it. */
export interface BashRun {
  /** The script created `out.txt` in its directory: the marker every attack example writes. */
  readonly created: boolean
  readonly stdout: string
  readonly status: number | null
}

/** Programs on this machine, so tests that need one can say why they are skipped. */
export function installed(program: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0
}

/**
 * Runs `script` with the real `bash -c` in a fresh temporary directory (its working directory,
 * also `$HOME` unless `env` says otherwise), with standard input closed, and reports whether it
 * created `out.txt` there. `setup` runs first, in the same directory, and is not under test.
 * Examples write only inside that directory, which is removed afterwards.
 */
export function runBash(script: string, options: { setup?: string; env?: Readonly<Record<string, string>>; timeoutMs?: number } = {}): BashRun {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-bash-'))
  try {
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, LC_ALL: 'C', ...options.env }
    if (options.setup !== undefined) spawnSync('bash', ['-c', options.setup], { cwd: dir, env, stdio: 'ignore' })
    const run = spawnSync('bash', ['-c', script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 20_000, encoding: 'utf8' })
    return { created: existsSync(join(dir, 'out.txt')), stdout: run.stdout ?? '', status: run.status }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

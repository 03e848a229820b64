import { spawn, type ChildProcess } from 'node:child_process'
import { timerDelay } from '../time/index.js'
import { BoundedOutput } from './bounded-output.js'
import type { CommandOutcome } from './results.js'
import { reasonOf } from './results.js'

/** How long output pipes may stay open after the process exits (held by processes it left behind). */
const LINGER_MS = 500

/** One program to run to its end, with bounded output, a deadline and an abort signal. */
export interface ProcessRun {
  readonly file: string
  readonly args: readonly string[]
  readonly cwd?: string | undefined
  /** The whole environment: nothing of the gateway's is inherited. */
  readonly env: Readonly<Record<string, string>>
  /** Run as this account (the gateway must be root to switch). */
  readonly account?: { readonly uid: number; readonly gid: number } | undefined
  readonly timeoutMs: number
  /** Bytes kept per stream. */
  readonly maxOutput: number
  /** Between SIGTERM and SIGKILL: long enough for a program that cleans up when told to stop (Terraform releasing its state lock). */
  readonly killGraceMs: number
  readonly signal: AbortSignal
  /** What the program is, in messages (`the command`, `terraform apply`). */
  readonly name: string
}

/**
 * Runs a program as the leader of its own process group and waits for it: the deadline and the
 * abort signal end the whole group (SIGTERM, then SIGKILL after the grace), never throws (a
 * program that cannot start is an outcome with `problem`).
 */
export async function runProcess(run: ProcessRun): Promise<CommandOutcome> {
  const stdout = new BoundedOutput(run.maxOutput)
  const stderr = new BoundedOutput(run.maxOutput)
  if (run.signal.aborted) return { exitCode: null, signal: null, stdout, stderr, problem: `stopped before it started: ${reasonOf(run.signal)}` }
  let child: ChildProcess
  try {
    child = spawn(run.file, [...run.args], {
      cwd: run.cwd,
      env: run.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(run.account && { uid: run.account.uid, gid: run.account.gid }),
    })
  } catch (error) {
    return { exitCode: null, signal: null, stdout, stderr, problem: `${run.name} could not be started: ${(error as Error).message}` }
  }
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk))
  return new Promise<CommandOutcome>((resolve) => {
    let problem: string | undefined
    let killTimer: NodeJS.Timeout | undefined
    let lingerTimer: NodeJS.Timeout | undefined
    const stop = (why: string) => {
      problem ??= why
      killGroup(child, 'SIGTERM')
      killTimer ??= setTimeout(() => killGroup(child, 'SIGKILL'), timerDelay(run.killGraceMs))
    }
    const timer = setTimeout(() => stop(`${run.name} did not finish within ${run.timeoutMs / 1000}s; its process group was killed`), timerDelay(run.timeoutMs))
    const onAbort = () => stop(`stopped: ${reasonOf(run.signal)}; its process group was killed`)
    run.signal.addEventListener('abort', onAbort, { once: true })
    const done = (exitCode: number | null, signal: string | null) => {
      clearTimeout(timer)
      clearTimeout(killTimer)
      clearTimeout(lingerTimer)
      run.signal.removeEventListener('abort', onAbort)
      resolve({ exitCode, signal, stdout, stderr, ...(problem !== undefined && { problem }) })
    }
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) {
        problem ??= `${run.name} could not be started${run.cwd ? ` in ${run.cwd}` : ''}: ${error.code ?? error.message}`
        done(null, null)
      }
    })
    child.once('exit', () => {
      lingerTimer = setTimeout(() => {
        killGroup(child, 'SIGKILL')
        child.stdout!.destroy()
        child.stderr!.destroy()
      }, LINGER_MS)
    })
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => done(code, signal))
  })
}

/** Signals the program's whole process group (it was started as a group leader). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // The group is gone already.
  }
}

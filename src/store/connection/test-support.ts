// Helpers for this folder's tests: child processes that open stores, and NOTIFY collection.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The connection folder's entry, importable from a child's script. */
export const CONNECTION_MODULE = new URL('./index.js', import.meta.url).href

/** Runs an ES module `script` in a fresh `node --import tsx` process (cwd: the project root). */
export function spawnScript(script: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Waits for a child to exit; its exit code and everything it wrote. */
export async function finished(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const [code, signal] = (await new Promise((resolve) => child.once('exit', (...args) => resolve(args)))) as [number | null, NodeJS.Signals | null]
  return { code, signal, stdout, stderr }
}

/** Resolves once the child has printed `line` on stdout; rejects if it exits first. */
export function printed(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (stdout.split('\n').includes(line)) resolve()
    })
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing ${line}: ${stderr}`)))
  })
}

/** A pid that no live process has: that of a process which has just exited. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((resolve) => child.once('exit', resolve))
  return child.pid!
}

/** Collects a channel's payloads; `waitFor` resolves once a given payload has arrived. */
export function notificationCollector(): {
  readonly payloads: string[]
  readonly onNotify: (payload: string) => void
  waitFor(payload: string): Promise<void>
} {
  const payloads: string[] = []
  const waiters = new Map<string, Array<() => void>>()
  return {
    payloads,
    onNotify(payload) {
      payloads.push(payload)
      for (const resolve of waiters.get(payload) ?? []) resolve()
      waiters.delete(payload)
    },
    waitFor(payload) {
      if (payloads.includes(payload)) return Promise.resolve()
      return new Promise((resolve) => waiters.set(payload, [...(waiters.get(payload) ?? []), resolve]))
    },
  }
}

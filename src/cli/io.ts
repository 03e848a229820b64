import { readFileSync } from 'node:fs'
import { CountersignError } from '../errors/index.js'

/** Where a command writes: the process's streams, or buffers in tests. */
export interface CliIo {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
  /** Sets the exit code for a command that finished but found a failure (e.g. a failing policy case). */
  readonly setExitCode?: (code: number) => void
}

/** Reads a text file, turning the system's error into one line a user can act on. */
export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message
    throw new CountersignError('INVALID', `cannot read ${what} ${file}: ${reason}`)
  }
}

/** Parses a JSON argument given inline or as `@file.json`. */
export function readJsonArgument(value: string, option: string): unknown {
  const text = value.startsWith('@') ? readText(value.slice(1), `${option} file`) : value
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new CountersignError('INVALID', `${option} is not valid JSON: ${(error as Error).message}`)
  }
}

import type { Word } from './words.js'

/** What a command runs in its turn, when it is a wrapper (`sudo`, `env`, `bash -c`, `find -exec`…). */
export interface Unwrap {
  /** Argument vectors it runs, in order (`sudo rm -rf /` → one: `rm -rf /`). */
  readonly run: readonly (readonly Word[])[]
  /** Texts it runs as shell code (`bash -c '…'`, `eval …`, `watch '…'`); a dynamic one is only known at run time. */
  readonly code: readonly Word[]
  /** How the code runs, for approvers (`bash -c`, `eval`). */
  readonly via: string
  /** Reads shell code from standard input (`bash`, `sh -s`, `sudo -s`): a here-document or pipe into it is code. */
  readonly readsStdin: boolean
  /** The user what it runs becomes (`root` for `sudo rm`); null when the user does not change. */
  readonly runsAs: string | null
  /** Only hands over to what it runs (`sudo`, `env`, `nohup`…): summaries show that instead. */
  readonly transparent: boolean
}

/** A command that runs nothing further. */
export const NOTHING: Unwrap = { run: [], code: [], via: '', readsStdin: false, runsAs: null, transparent: false }

/** Runs `args[from…]` as a command, handing over entirely. */
export function handOver(args: readonly Word[], from: number, runsAs: string | null = null): Unwrap {
  const argv = args.slice(from)
  return { ...NOTHING, run: argv.length > 0 ? [argv] : [], runsAs, transparent: true }
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/

/** Index of the first argument from `from` on that is not a `NAME=value` assignment. */
export function skipAssignments(args: readonly Word[], from: number): number {
  let i = from
  while (i < args.length && ASSIGNMENT.test((args[i] as Word).text)) i++
  return i
}

/** Words joined with spaces, as `eval` and `ssh` join their arguments: dynamic when any is. */
export function joined(args: readonly Word[]): Word {
  return { text: texts(args).join(' '), dynamic: args.some((arg) => arg.dynamic) }
}

/** The texts of words, for option scanning. */
export function texts(args: readonly Word[]): string[] {
  return args.map((arg) => arg.text)
}


import { scanOptions } from './options.js'
import { joined, NOTHING, texts } from './unwrap.js'
import type { Unwrap } from './unwrap.js'
import type { Word } from './words.js'

/** Shells whose `-c` string, here-documents and piped input are parsed as bash. fish and zsh differ in details, not in where programs appear. */
const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'rbash', 'zsh', 'dash', 'ash', 'ksh', 'ksh93', 'mksh', 'oksh', 'pdksh', 'yash', 'posh', 'fish'])

/** Whether a program basename is a shell. */
export function isShell(program: string): boolean {
  return SHELLS.has(program)
}

const STDIN_PATHS: ReadonlySet<string> = new Set(['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0'])

/** Shell long options that take the next argument as their value. */
const LONG_WITH_VALUE: ReadonlySet<string> = new Set(['--rcfile', '--init-file', '--init-command'])

/**
 * `bash [opts] -c STRING [arg0 args…]` runs STRING; `bash -s`, or `bash` without a script
 * operand, reads its program from standard input; `bash script.sh` runs a file (unknown code).
 */
export function unwrapShell(program: string, args: readonly Word[]): Unwrap {
  let i = 0
  let command = false
  let stdin = false
  let commandValue: Word | undefined
  while (i < args.length) {
    const arg = (args[i] as Word).text
    if (arg === '--' || arg === '-') {
      i++
      break
    }
    if (arg.startsWith('--')) {
      // fish spells -c as --command=STRING or --command STRING.
      if (arg.startsWith('--command=')) commandValue = { text: arg.slice('--command='.length), dynamic: (args[i] as Word).dynamic }
      else if (arg === '--command') commandValue = args[++i] ?? { text: '', dynamic: false }
      else if (LONG_WITH_VALUE.has(arg)) i++
      i++
      continue
    }
    if ((!arg.startsWith('-') && !arg.startsWith('+')) || arg.length < 2) break
    for (const letter of arg.slice(1)) {
      if (letter === 'c') command = true
      else if (letter === 's') stdin = true
      // -o/-O take an option name as the next argument (`bash -o pipefail -c …`).
      else if (letter === 'o' || letter === 'O') i++
    }
    i++
  }
  if (commandValue !== undefined) return { ...NOTHING, code: [commandValue], via: `${program} -c` }
  if (command) {
    const code = args[i]
    return code === undefined ? NOTHING : { ...NOTHING, code: [code], via: `${program} -c` }
  }
  // A script operand of /dev/stdin reads the program from standard input just like no operand.
  return { ...NOTHING, readsStdin: stdin || i >= args.length || STDIN_PATHS.has(args[i]?.text ?? '') }
}

/** `eval ARGS…` joins its arguments with spaces and runs them as shell code. */
function evalArgs(args: readonly Word[]): Unwrap {
  if (args.length === 0) return NOTHING
  return { ...NOTHING, code: [joined(args)], via: 'eval' }
}

/** `watch CMD…` hands the joined words to `sh -c`, unless `-x` asks it to run them directly. */
function watch(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { short: 'nq', long: ['interval', 'equexit'] })
  const rest = args.slice(options.operand)
  if (rest.length === 0) return NOTHING
  if (options.seen.has('x') || options.seen.has('exec')) return { ...NOTHING, run: [rest] }
  return { ...NOTHING, code: [joined(rest)], via: 'watch' }
}

/** GNU parallel: the words before `:::` form a command line run by a shell for each input. */
function parallel(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), {
    short: 'aSjPdEInNLs',
    long: [
      'arg-file',
      'sshlogin',
      'sshloginfile',
      'jobs',
      'delimiter',
      'max-args',
      'max-lines',
      'max-chars',
      'joblog',
      'results',
      'tmpdir',
      'workdir',
      'timeout',
      'delay',
      'retries',
      'halt',
      'tagstring',
      'basefile',
      'env',
      'memfree',
      'load',
      'colsep',
    ],
  })
  const words: Word[] = []
  for (const arg of args.slice(options.operand)) {
    if (/^::::?\+?$/.test(arg.text)) break
    words.push(arg)
  }
  if (words.length === 0) return NOTHING
  return { ...NOTHING, code: [joined(words)], via: 'parallel' }
}

/** `trap [--] 'code' SIGNAL…` runs the code when a signal or `EXIT` comes. */
function trap(args: readonly Word[]): Unwrap {
  const start = args[0]?.text === '--' ? 1 : 0
  const code = args[start]
  // `trap -p`, `trap -l` and `trap - SIG` (reset) run nothing; one operand alone resets too.
  if (code === undefined || code.text.startsWith('-') || args.length - start < 2) return NOTHING
  return { ...NOTHING, code: [code], via: 'trap' }
}

/** Programs, besides the shells, that run a string as shell code. */
export const CODE_RUNNERS: readonly (readonly [string, (args: readonly Word[]) => Unwrap])[] = [
  ['eval', evalArgs],
  ['trap', trap],
  ['watch', watch],
  ['parallel', parallel],
]

import { LAUNCHERS } from './launchers.js'
import { sawAny, scanOptions } from './options.js'
import type { OptionSpec } from './options.js'
import { CODE_RUNNERS, isShell, unwrapShell } from './shells.js'
import { handOver, joined, NOTHING, skipAssignments, texts } from './unwrap.js'
import type { Unwrap } from './unwrap.js'
import type { Word } from './words.js'

/** A wrapper that takes options and then a command: `nohup`, `nice -n 5`, `stdbuf -oL`… */
function optionsThenCommand(spec: OptionSpec): (args: readonly Word[]) => Unwrap {
  return function unwrapOptionsThenCommand(args) {
    return handOver(args, scanOptions(texts(args), spec).operand)
  }
}

function sudo(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), {
    short: 'CDgpRrTtUu',
    long: ['chdir', 'chroot', 'close-from', 'command-timeout', 'group', 'host', 'other-user', 'prompt', 'role', 'type', 'user'],
  })
  const user = options.seen.get('u') ?? options.seen.get('user') ?? 'root'
  // -l/-v/-V/-K only list, validate or forget credentials: nothing runs. -e edits the files as root.
  if (sawAny(options, 'l', 'list', 'v', 'validate', 'V', 'version', 'K', 'remove-timestamp', 'help')) return NOTHING
  if (sawAny(options, 'e', 'edit')) return { ...NOTHING, runsAs: user }
  const start = skipAssignments(args, options.operand)
  if (start >= args.length) return { ...NOTHING, readsStdin: sawAny(options, 's', 'shell', 'i', 'login'), runsAs: user }
  return handOver(args, start, user)
}

function doas(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { short: 'Cu' })
  if (sawAny(options, 'C', 'L')) return NOTHING
  const user = options.seen.get('u') ?? 'root'
  if (options.operand >= args.length) return { ...NOTHING, readsStdin: options.seen.has('s'), runsAs: user }
  return handOver(args, options.operand, user)
}

/** `su [opts] [-] [user [shell args]]`: `-c` may come before or after the user. */
function su(args: readonly Word[]): Unwrap {
  const withValue = new Set(['-c', '--command', '--session-command', '-s', '--shell', '-g', '--group', '-G', '--supp-group', '-w', '--whitelist-environment'])
  const code: Word[] = []
  let user = ''
  for (let i = 0; i < args.length; i++) {
    const arg = (args[i] as Word).text
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const name = eq === -1 ? arg : arg.slice(0, eq)
    const value = eq === -1 ? undefined : arg.slice(eq + 1)
    if (withValue.has(name)) {
      const word = args[i] as Word
      const v = value !== undefined ? { text: value, dynamic: word.dynamic } : (args[++i] ?? { text: '', dynamic: false })
      if (name === '-c' || name === '--command' || name === '--session-command') code.push(v)
    } else if (/^-c./.test(arg)) code.push({ text: arg.slice(2), dynamic: (args[i] as Word).dynamic })
    else if (!arg.startsWith('-') && user === '') user = arg
  }
  const runsAs = user || 'root'
  if (code.length === 0) return { ...NOTHING, readsStdin: true, runsAs }
  return { ...NOTHING, code, via: 'su -c', runsAs, transparent: true }
}

/** `runuser -u USER [--] cmd…`, or su-style `runuser [-l] USER -c '…'`. */
function runuser(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { short: 'ugGcsw', long: ['user', 'group', 'supp-group', 'command', 'shell', 'whitelist-environment'] })
  const user = options.seen.get('u') ?? options.seen.get('user')
  return user === undefined ? su(args) : handOver(args, options.operand, user)
}

/** `flock [opts] FILE cmd…` or `flock [opts] FILE -c '…'`. */
function flock(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { short: 'wE', long: ['timeout', 'wait', 'conflict-exit-code'] })
  const start = options.operand + 1
  const next = args[start]?.text
  if (next === '-c' || next === '--command') {
    const code = args[start + 1]
    return code === undefined ? NOTHING : { ...NOTHING, code: [code], via: 'flock -c', transparent: true }
  }
  return handOver(args, start)
}

function pkexec(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { long: ['user'] })
  return handOver(args, options.operand, options.seen.get('user') ?? 'root')
}

function run0(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), {
    short: 'ugD',
    long: ['user', 'group', 'chdir', 'nice', 'setenv', 'property', 'unit', 'description', 'slice', 'machine', 'background', 'shell-prompt-prefix'],
  })
  const user = options.seen.get('u') ?? options.seen.get('user') ?? 'root'
  if (options.operand >= args.length) return { ...NOTHING, readsStdin: true, runsAs: user }
  return handOver(args, options.operand, user)
}

/** `env [-i] [-u NAME] [NAME=VALUE…] [cmd…]`; `-S` splits a string into the command line. */
function env(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), {
    short: 'uCSPa',
    long: ['unset', 'chdir', 'split-string', 'argv0'],
  })
  let start = options.operand
  if (args[start]?.text === '-') start++
  start = skipAssignments(args, start)
  const split = options.seen.get('S') ?? options.seen.get('split-string')
  if (split !== undefined) {
    // The split string is close enough to shell words that parsing it as bash finds its program.
    const code = joined([{ text: split, dynamic: args.some((arg) => arg.dynamic && arg.text.includes(split)) }, ...args.slice(start)])
    return { ...NOTHING, code: [code], via: 'env -S', transparent: true }
  }
  return handOver(args, start)
}

function xargs(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), {
    short: 'adEILnPs',
    shortOptional: 'eil',
    long: ['arg-file', 'delimiter', 'max-args', 'max-procs', 'max-chars', 'process-slot-var'],
  })
  const run = handOver(args, options.operand)
  return { ...run, transparent: false }
}

/** Every `-exec`/`-execdir`/`-ok`/`-okdir` command, each up to its `;` or `+`. */
function find(args: readonly Word[]): Unwrap {
  const run: Word[][] = []
  for (let i = 0; i < args.length; i++) {
    const action = (args[i] as Word).text
    if (action !== '-exec' && action !== '-execdir' && action !== '-ok' && action !== '-okdir') continue
    const argv: Word[] = []
    for (i++; i < args.length; i++) {
      const arg = args[i] as Word
      if (arg.text === ';' || (arg.text === '+' && argv.at(-1)?.text === '{}')) break
      argv.push(arg)
    }
    if (argv.length > 0) run.push(argv)
  }
  return { ...NOTHING, run }
}

/** `timeout [opts] DURATION cmd…`. */
function timeout(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { short: 'ks', long: ['kill-after', 'signal'] })
  return handOver(args, options.operand + 1)
}

function ionice(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { short: 'cnpPu', long: ['class', 'classdata', 'pid', 'pgid', 'uid'] })
  // With -p/-P/-u it changes running processes and runs nothing.
  if (sawAny(options, 'p', 'P', 'u', 'pid', 'pgid', 'uid')) return NOTHING
  return handOver(args, options.operand)
}

/** `command -v`/`-V` only describe the command; plain `command` runs it. */
function command(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), {})
  if (sawAny(options, 'v', 'V')) return NOTHING
  return handOver(args, options.operand)
}

function chroot(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { long: ['userspec', 'groups'] })
  // The first operand is the new root; with no command chroot starts a shell.
  if (options.operand + 1 >= args.length) return { ...NOTHING, readsStdin: true }
  return handOver(args, options.operand + 1)
}

type Unwrapper = (args: readonly Word[]) => Unwrap

/** Wrappers by program basename. A Map, so that a program named `constructor` is no wrapper. */
const WRAPPERS: ReadonlyMap<string, Unwrapper> = new Map<string, Unwrapper>([
  ['sudo', sudo],
  ['doas', doas],
  ['su', su],
  ['pkexec', pkexec],
  ['runuser', runuser],
  ['flock', flock],
  ['run0', run0],
  ['env', env],
  ['xargs', xargs],
  ['find', find],
  ['nohup', optionsThenCommand({})],
  ['timeout', timeout],
  ['nice', optionsThenCommand({ short: 'n', long: ['adjustment'] })],
  ['ionice', ionice],
  ['stdbuf', optionsThenCommand({ short: 'ioe', long: ['input', 'output', 'error'] })],
  ['time', optionsThenCommand({ short: 'fo', long: ['format', 'output'] })],
  ['command', command],
  ['builtin', optionsThenCommand({})],
  ['exec', optionsThenCommand({ short: 'a' })],
  ['setsid', optionsThenCommand({})],
  ['chroot', chroot],
  ['coproc', optionsThenCommand({})],
  ['busybox', optionsThenCommand({})],
  ...CODE_RUNNERS,
  ...LAUNCHERS,
])

/**
 * What a program runs in its turn, or null when it is no wrapper. `program` is the basename.
 *
 * @example unwrap('sudo', words('-u', 'bob', 'rm', 'x'))?.run // [[rm, x]] with runsAs 'bob'
 */
export function unwrap(program: string, args: readonly Word[]): Unwrap | null {
  if (isShell(program)) return unwrapShell(program, args)
  return WRAPPERS.get(program)?.(args) ?? null
}

import { readAwkProgram } from './awk-program.js'
import { sawAny, scanOptions } from './options.js'
import type { OptionSpec } from './options.js'
import { readSedScript } from './sed-script.js'
import { isShell } from './shells.js'
import type { Word } from './words.js'
import { basename, literal } from './words.js'

/**
 * What a program does through its arguments beyond what its name says: it runs code given in
 * them (the GTFOBins class: `awk 'BEGIN{system(…)}'`, `find -exec`, `tar --to-command`), changes
 * the system though it usually only reads (`date -s`, `sysctl -w`), or may never end (`tail -f`).
 */
export interface ProgramEffects {
  /** Arguments that run code (`-exec rm {} ;` as one text, the awk program, `core.pager=…`). */
  readonly runsCode: readonly string[]
  /** Options or operands that make a usually read-only program change files or the system. */
  readonly modifies: readonly string[]
  /** It may run until stopped: it follows, repeats or waits for a user. */
  readonly unbounded: boolean
  /** Literal shell command lines it runs, to be analyzed in their turn. */
  readonly code: readonly Word[]
  /** Data from its input or from the file system becomes code (`sed s/…/…/e`, `xargs sh`); null when not. */
  readonly evaluates: string | null
}

interface Found {
  runsCode: string[]
  modifies: string[]
  unbounded: boolean
  code: Word[]
  evaluates: string | null
}

const NONE: ProgramEffects = { runsCode: [], modifies: [], unbounded: false, code: [], evaluates: null }

type Reader = (args: readonly Word[], found: Found, program: string) => void

function texts(args: readonly Word[]): string[] {
  return args.map((arg) => arg.text)
}

/** Code in a word is followed when it is literal; code only known at run time evaluates data. */
function follow(found: Found, word: Word | undefined, what: string): void {
  if (word === undefined) return
  if (word.dynamic) found.evaluates ??= `${what} known only at run time (${word.text})`
  else found.code.push(word)
}

/** The value of `--name=value`, `--name value`, `-x value` or `-xvalue` options, wherever they are. */
function optionValues(args: readonly Word[], names: readonly string[]): Word[] {
  const values: Word[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as Word
    for (const name of names) {
      if (arg.text === name) {
        const next = args[i + 1]
        if (next !== undefined) values.push(next)
      } else if (name.startsWith('--') && arg.text.startsWith(`${name}=`)) values.push({ text: arg.text.slice(name.length + 1), dynamic: arg.dynamic })
      else if (!name.startsWith('--') && arg.text.startsWith(name) && !arg.text.startsWith('--') && arg.text.length > name.length) {
        values.push({ text: arg.text.slice(name.length), dynamic: arg.dynamic })
      }
    }
  }
  return values
}

// --- Interpreters and programs that run code from their arguments --------------------------

/** Options of interpreters whose value is a program text. */
const CODE_OPTIONS = ['-c', '-e', '-E', '-r', '-p', '--eval', '--print', '--command', '-m', '-ex', '--eval-command', '-x', '-B', '-R', '-F']

/** Interpreters run code: from an option, a script file, or standard input. */
const interpreter: Reader = (args, found) => {
  const code = optionValues(args, CODE_OPTIONS)[0]
  const operand = args.find((arg) => !arg.text.startsWith('-'))
  found.runsCode.push(code?.text ?? operand?.text ?? '')
}

const AWK_SPEC: OptionSpec = { short: 'FvfEeil', long: ['field-separator', 'assign', 'file', 'exec', 'source', 'include', 'load'] }

const awk: Reader = (args, found, program) => {
  const options = scanOptions(texts(args), AWK_SPEC)
  const files = [...(options.seen.has('f') ? [options.seen.get('f') as string] : []), ...optionValues(args, ['-f', '--file', '-E', '--exec', '-i', '--include', '-l', '--load']).map((w) => w.text)]
  if (files.length > 0) {
    // A program read from a file, or an extension loaded: code not in view.
    found.runsCode.push(...new Set(files))
    return
  }
  const sourced = optionValues(args, ['-e', '--source'])
  const program0 = sourced.length > 0 ? sourced : args[options.operand] === undefined ? [] : [args[options.operand] as Word]
  for (const text of program0) {
    if (text.dynamic) {
      found.runsCode.push(text.text)
      found.evaluates ??= `${program} program known only at run time (${text.text})`
      continue
    }
    const read = readAwkProgram(text.text)
    if (read.commands.length > 0 || read.runsComputed) found.runsCode.push(text.text)
    if (read.runsComputed) found.evaluates ??= `${program} runs a command built at run time`
    for (const command of read.commands) found.code.push(literal(command))
    if (read.writes) found.modifies.push(text.text)
  }
  if (options.seen.get('i') === 'inplace' || texts(args).includes('inplace')) found.modifies.push('-i inplace')
}

const SED_SPEC: OptionSpec = { short: 'efl', shortOptional: 'iE', long: ['expression', 'file', 'line-length', 'separate'] }

const sed: Reader = (args, found) => {
  const all = texts(args)
  const options = scanOptions(all, SED_SPEC)
  if (all.some((arg) => arg === '-i' || /^-[a-zA-Z]*i/.test(arg) || arg.startsWith('--in-place'))) found.modifies.push(all.find((arg) => /^-[a-zA-Z]*i|^--in-place/.test(arg)) ?? '-i')
  const files = optionValues(args, ['-f', '--file'])
  if (files.length > 0) found.runsCode.push(...files.map((w) => w.text))
  const expressions = optionValues(args, ['-e', '--expression'])
  const scripts = expressions.length > 0 || files.length > 0 ? expressions : args[options.operand] === undefined ? [] : [args[options.operand] as Word]
  const sandbox = all.includes('--sandbox')
  for (const script of scripts) {
    if (script.dynamic) {
      found.runsCode.push(script.text)
      found.evaluates ??= `sed script known only at run time (${script.text})`
      continue
    }
    const read = readSedScript(script.text)
    if (read.unreadable) {
      found.runsCode.push(script.text)
      continue
    }
    if (sandbox) continue
    if (read.commands.length > 0 || read.runsInput) found.runsCode.push(script.text)
    if (read.runsInput) found.evaluates ??= `sed runs its input as a command (${script.text})`
    for (const command of read.commands) found.code.push(literal(command))
    if (read.writes.length > 0) found.modifies.push(...read.writes)
  }
}

/** Shells and `eval` given `{}`: file names or input become code. */
function runsPlaceholder(argv: readonly Word[], placeholder: string): boolean {
  const program = basename(argv[0]?.text ?? '')
  if (program === 'eval') return argv.slice(1).some((arg) => arg.text.includes(placeholder))
  if (!isShell(program)) return false
  const c = argv.findIndex((arg, i) => i > 0 && /^-[a-zA-Z]*c[a-zA-Z]*$/.test(arg.text))
  if (c === -1) return true
  return argv[c + 1]?.text.includes(placeholder) ?? true
}

const find: Reader = (args, found) => {
  for (let i = 0; i < args.length; i++) {
    const action = (args[i] as Word).text
    if (/^-(delete|fprint0?|fprintf|fls)$/.test(action)) found.modifies.push(action)
    if (!/^-(exec|execdir|ok|okdir)$/.test(action)) continue
    const argv: Word[] = []
    for (i++; i < args.length; i++) {
      const arg = args[i] as Word
      if (arg.text === ';' || (arg.text === '+' && argv.at(-1)?.text === '{}')) break
      argv.push(arg)
    }
    found.runsCode.push(`${action} ${texts(argv).join(' ')}`)
    if (runsPlaceholder(argv, '{}')) found.evaluates ??= `find runs file names as code (${action} ${texts(argv).join(' ')})`
  }
}

const XARGS_SPEC: OptionSpec = {
  short: 'adEILnPs',
  shortOptional: 'eil',
  long: ['arg-file', 'delimiter', 'max-args', 'max-procs', 'max-chars', 'process-slot-var', 'replace', 'eof', 'max-lines'],
}

const xargs: Reader = (args, found) => {
  const options = scanOptions(texts(args), XARGS_SPEC)
  const argv = args.slice(options.operand)
  found.runsCode.push(argv.length === 0 ? 'echo' : texts(argv).join(' '))
  const replace = options.seen.get('I') ?? options.seen.get('replace') ?? (options.seen.has('i') ? options.seen.get('i') || '{}' : undefined)
  // `xargs sh -c` runs its first input as the script; `-I{} sh -c '{}'` puts input into code.
  const code = argv.findIndex((arg, i) => i > 0 && /^-[a-zA-Z]*c[a-zA-Z]*$/.test(arg.text))
  const program = basename(argv[0]?.text ?? '')
  const dangerous = program === 'eval' || (isShell(program) && (code === -1 || argv[code + 1] === undefined || (replace !== undefined && (argv[code + 1] as Word).text.includes(replace))))
  if (dangerous) found.evaluates ??= `xargs runs its input as code (${texts(argv).join(' ')})`
}

const tar: Reader = (args, found) => {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as Word
    const next = args[i + 1]
    const value = (name: string): Word | undefined => {
      if (arg.text === name) return next
      if (arg.text.startsWith(`${name}=`)) return { text: arg.text.slice(name.length + 1), dynamic: arg.dynamic }
      return undefined
    }
    const action = value('--checkpoint-action')
    if (action !== undefined) {
      if (/^exec=/.test(action.text)) {
        found.runsCode.push(`--checkpoint-action=${action.text}`)
        follow(found, { text: action.text.slice(5), dynamic: action.dynamic }, 'tar checkpoint command')
      }
      continue
    }
    for (const name of ['--to-command', '--use-compress-program', '--info-script', '--new-volume-script', '--rsh-command', '--rmt-command']) {
      const command = value(name)
      if (command === undefined) continue
      found.runsCode.push(`${name}=${command.text}`)
      follow(found, command, `tar ${name}`)
    }
    // `-I PROG`, `-IPROG` and `-F SCRIPT` in short form; bundled as in `-cIf`, the value is the next word.
    if (/^-[a-zA-Z]*[IF][a-zA-Z]*$/.test(arg.text) || /^-[IF]./.test(arg.text)) {
      const attached = /^-[IF]./.test(arg.text) ? { text: arg.text.slice(2), dynamic: arg.dynamic } : next
      found.runsCode.push(`${arg.text}${attached === next && next !== undefined ? ` ${next.text}` : ''}`)
      follow(found, attached, 'tar compress program')
    }
  }
}

/** `git` configuration keys whose values are commands, and subcommand options that run one. */
const GIT_CODE_KEYS = /^(core\.(pager|sshcommand|editor|fsmonitor|hookspath|askpass|gitproxy)|alias\.|pager\.|diff\.|merge\.|filter\.|credential\.|gpg\.|sequence\.editor|interactive\.difffilter|uploadpack\.|protocol\.|remote\..*\.(uploadpack|receivepack|vcs)|include|web\.browser|browser\.|man\.|difftool\.|mergetool\.|sendemail\.|ssh\.|http\..*(proxy|cookiefile)|url\.|submodule\.|init\.templatedir|receive\.|transfer\.)/i

const git: Reader = (args, found) => {
  const all = texts(args)
  for (let i = 0; i < args.length; i++) {
    const text = all[i] as string
    if (text === '-c' || text === '--config-env' || text.startsWith('--config-env=') || (text.startsWith('-c') && text.length > 2)) {
      const word = text === '-c' || text === '--config-env' ? args[++i] : { text: text.replace(/^-c|^--config-env=/, ''), dynamic: (args[i] as Word).dynamic }
      if (word === undefined) continue
      const eq = word.text.indexOf('=')
      const key = eq === -1 ? word.text : word.text.slice(0, eq)
      if (!GIT_CODE_KEYS.test(key) && !word.dynamic) continue
      found.runsCode.push(word.text)
      const value = word.text.slice(eq + 1)
      if (/^alias\./i.test(key)) {
        if (value.startsWith('!')) follow(found, { text: value.slice(1), dynamic: word.dynamic }, 'git alias')
      } else if (/^(core\.(pager|sshcommand|editor|askpass)|pager\.|sequence\.editor|diff\.external|credential\.helper)/i.test(key) && value !== '') {
        follow(found, { text: value.replace(/^!/, ''), dynamic: word.dynamic }, `git ${key}`)
      }
      continue
    }
    if (/^--(upload-pack|receive-pack|exec|extcmd|open-files-in-pager)(=|$)/.test(text) || /^-O/.test(text)) found.runsCode.push(text)
    if (/^(ext|fd)::/.test(text)) found.runsCode.push(text)
  }
  const sub = all.find((text, i) => !text.startsWith('-') && !['-c', '-C', '--git-dir', '--work-tree', '--namespace', '--config-env'].includes(all[i - 1] ?? ''))
  const at = sub === undefined ? -1 : all.indexOf(sub)
  const rest = args.slice(at + 1)
  if (sub === 'submodule' && rest[0]?.text === 'foreach') {
    const code = rest.slice(1).filter((arg) => !arg.text.startsWith('-'))
    found.runsCode.push(`foreach ${texts(code).join(' ')}`)
    for (const word of code) follow(found, word, 'git submodule foreach')
  }
  if (sub === 'bisect' && rest[0]?.text === 'run') found.runsCode.push(`run ${texts(rest.slice(1)).join(' ')}`)
  if (sub === 'rebase' || sub === 'difftool') {
    for (const word of optionValues(rest, ['-x', '--exec', '--extcmd'])) {
      found.runsCode.push(word.text)
      follow(found, word, `git ${sub}`)
    }
  }
  if (sub === 'filter-branch' || sub === 'filter-repo') found.runsCode.push(texts(rest).join(' '))
}

/** Editors and pagers: their commands (`:!cmd`) run shell code, and without a terminal they wait. */
const editor: Reader = (args, found, program) => {
  const commands = [...optionValues(args, ['-c', '--cmd', '-S', '-u', '--eval', '-l', '--load']), ...args.filter((arg) => /^\+./.test(arg.text)).map((arg) => ({ text: arg.text.slice(1), dynamic: arg.dynamic }))]
  found.runsCode.push(...(commands.length > 0 ? commands.map((word) => word.text) : ['']))
  for (const command of commands) {
    const bang = /^\s*:?\s*(?:silent!?\s*)?!(.*)$/s.exec(command.text)
    if (bang !== null) follow(found, { text: bang[1] as string, dynamic: command.dynamic }, `${program} command`)
  }
  const batch = texts(args).some((text) => /^-[a-zA-Z]*[eE]s|^-s$|^--batch$|^-es$|^--not-a-term$/.test(text))
  if (!batch) found.unbounded = true
}

const pager: Reader = (args, found, program) => {
  found.runsCode.push(program === 'man' ? (optionValues(args, ['-P', '--pager', '-H', '--html'])[0]?.text ?? '') : '')
  if (program === 'man') for (const word of optionValues(args, ['-P', '--pager'])) follow(found, word, 'man pager')
  if (program === 'less' || program === 'more' || program === 'most') {
    const logs = optionValues(args, ['-o', '-O', '--log-file', '--LOG-FILE'])
    found.modifies.push(...logs.map((word) => word.text))
  }
  found.unbounded = true
}

/** `rsync -e CMD`, `--rsh=CMD`, `--rsync-path=CMD`. */
const rsync: Reader = (args, found) => {
  for (const word of optionValues(args, ['-e', '--rsh'])) {
    found.runsCode.push(word.text)
    follow(found, word, 'rsync -e')
  }
  for (const word of optionValues(args, ['--rsync-path'])) found.runsCode.push(word.text)
}

const zip: Reader = (args, found) => {
  for (const word of optionValues(args, ['-TT', '--unzip-command'])) {
    found.runsCode.push(word.text)
    follow(found, word, 'zip -TT')
  }
}

/** `ssh -o ProxyCommand=…`, `LocalCommand`; the remote command itself is handled as a wrapper. */
const sshOptions: Reader = (args, found, program) => {
  for (const word of optionValues(args, ['-o'])) {
    const match = /^\s*(ProxyCommand|LocalCommand|KnownHostsCommand|RemoteCommand|PermitLocalCommand)\s*[= ]\s*(.*)$/is.exec(word.text)
    if (match === null) continue
    found.runsCode.push(word.text)
    if (!/^permitlocalcommand$/i.test(match[1] as string)) follow(found, { text: match[2] as string, dynamic: word.dynamic }, `${program} ${match[1] as string}`)
  }
  if (program === 'scp' || program === 'sftp') {
    for (const word of optionValues(args, ['-S', '-D'])) found.runsCode.push(word.text)
  }
}

const netcat: Reader = (args, found, program) => {
  for (const word of optionValues(args, ['-e', '--exec', '--lua-exec'])) found.runsCode.push(word.text)
  for (const word of optionValues(args, ['-c', '--sh-exec'])) {
    found.runsCode.push(word.text)
    follow(found, word, `${program} -c`)
  }
  if (texts(args).some((text) => /^-[a-zA-Z]*l/.test(text) || text === '--listen')) found.unbounded = true
}

const socat: Reader = (args, found) => {
  for (const arg of args) {
    const match = /^(EXEC|SYSTEM):([^,]*)/i.exec(arg.text)
    if (match === null) continue
    found.runsCode.push(arg.text)
    follow(found, { text: match[2] as string, dynamic: arg.dynamic }, 'socat')
  }
}

/** Build tools and package managers run scripts from the files they read. */
const scriptRunner: Reader = (args, found, program) => {
  const sub = args.find((arg) => !arg.text.startsWith('-'))?.text ?? ''
  const runs: Record<string, readonly string[]> = {
    npm: ['run', 'run-script', 'test', 't', 'start', 'stop', 'restart', 'install', 'i', 'ci', 'exec', 'x', 'rebuild', 'publish', 'pack', 'explore'],
    pnpm: ['run', 'test', 'start', 'install', 'i', 'add', 'exec', 'dlx', 'rebuild'],
    yarn: ['run', 'test', 'start', 'install', 'add', 'exec', 'dlx', 'node', ''],
    bun: ['run', 'test', 'install', 'i', 'add', 'x', 'exec'],
    pip: ['install', 'download', 'wheel'],
    pip3: ['install', 'download', 'wheel'],
  }
  const list = runs[program]
  if (list === undefined || list.includes(sub) || (program === 'bun' && sub !== '' && !sub.startsWith('-'))) found.runsCode.push(texts(args).join(' '))
}

/** GNU parallel with no command runs its arguments or input lines as commands. */
const parallel: Reader = (args, found) => {
  const options = scanOptions(texts(args), { short: 'aSjPdEInNLs', long: ['arg-file', 'sshlogin', 'jobs', 'delimiter', 'max-args', 'joblog', 'results', 'tmpdir', 'workdir', 'timeout', 'delay', 'retries', 'halt', 'tagstring', 'basefile', 'env', 'colsep'] })
  const command = args.slice(options.operand).findIndex((arg) => /^::::?\+?$/.test(arg.text))
  if (command === 0 || args.length === options.operand) {
    found.runsCode.push(texts(args).join(' '))
    found.evaluates ??= 'parallel runs its input as commands'
  }
}

// --- Programs that read by default and change things with an option --------------------------

/** Reports the options of `spec` that write, by name. */
function writesWith(names: readonly string[], spec: OptionSpec = {}): Reader {
  return function readsUnless(args, found) {
    const options = scanOptions(texts(args), spec)
    for (const name of names) if (options.seen.has(name)) found.modifies.push(name.length === 1 ? `-${name}` : `--${name}`)
  }
}

const DATE_SPEC: OptionSpec = { short: 'dfrsI', shortOptional: 'I', long: ['date', 'file', 'reference', 'set', 'iso-8601', 'rfc-3339', 'resolution'] }

const date: Reader = (args, found) => {
  const all = texts(args)
  // GNU date takes options after operands too (`date +%s -u`, `date +%s -s 2020-01-01`).
  const seen = new Map<string, string>()
  let i = 0
  let operandsOnly = false
  while (i < all.length) {
    const text = all[i] as string
    if (!operandsOnly && text.startsWith('-') && text.length > 1) {
      const options = scanOptions(all, DATE_SPEC, i)
      for (const [name, value] of options.seen) seen.set(name, value)
      operandsOnly = all[options.operand - 1] === '--' && options.operand > i
      i = Math.max(options.operand, i + 1)
      continue
    }
    // An operand that is not a `+FORMAT` sets the clock (`date 010203042030`).
    if (!text.startsWith('+')) found.modifies.push(text)
    i++
  }
  if (seen.has('s') || seen.has('set')) found.modifies.unshift(`--set ${seen.get('s') ?? seen.get('set') ?? ''}`.trim())
}

const hostname: Reader = (args, found) => {
  const options = scanOptions(texts(args), { short: 'F', long: ['file'] })
  if (sawAny(options, 'F', 'file', 'b', 'boot')) found.modifies.push('--file')
  const operand = args[options.operand]
  if (operand !== undefined) found.modifies.push(operand.text)
}

/** `systemd`-style tools whose verbs change state except the listed reading ones. */
function verbs(reading: readonly string[], spec: OptionSpec = {}, withOperand: readonly string[] = []): Reader {
  return function verbChanges(args, found) {
    // `-H [USER@]HOST` runs the tool on another host over ssh (options may follow the verb).
    for (const word of optionValues(args, ['-H', '--host'])) found.runsCode.push(`--host ${word.text}`)
    const options = scanOptions(texts(args), spec)
    const verb = args[options.operand]
    if (verb === undefined) return
    // `hostnamectl hostname` reads; `hostnamectl hostname NAME` sets.
    const sets = withOperand.includes(verb.text) ? args[options.operand + 1] !== undefined : !reading.includes(verb.text)
    if (sets) found.modifies.push(verb.text)
  }
}

const journalctl: Reader = (args, found) => {
  for (const text of texts(args)) {
    if (/^--(vacuum-(size|time|files)|rotate|flush|sync|relinquish-var|smart-relinquish-var|setup-keys|update-catalog)(=|$)/.test(text)) found.modifies.push(text)
  }
  const options = scanOptions(texts(args), { short: 'nupbDMtSUIkogFc', long: ['lines', 'unit', 'user-unit', 'priority', 'boot', 'directory', 'file', 'since', 'until', 'identifier', 'output', 'grep', 'field', 'cursor', 'after-cursor', 'namespace', 'machine', 'root', 'image', 'vacuum-size', 'vacuum-time', 'vacuum-files'] })
  if (sawAny(options, 'f', 'follow')) found.unbounded = true
}

const dmesg: Reader = (args, found) => {
  const options = scanOptions(texts(args), { short: 'FfklnsS', long: ['file', 'facility', 'level', 'console-level', 'buffer-size', 'since', 'until', 'time-format'] })
  for (const name of ['C', 'clear', 'c', 'read-clear', 'D', 'console-off', 'E', 'console-on', 'n', 'console-level']) {
    if (options.seen.has(name)) found.modifies.push(name.length === 1 ? `-${name}` : `--${name}`)
  }
  if (sawAny(options, 'w', 'follow', 'W', 'follow-new')) found.unbounded = true
}

const sysctl: Reader = (args, found) => {
  const options = scanOptions(texts(args), { short: 'p', shortOptional: '', long: ['load', 'pattern'] })
  if (sawAny(options, 'w', 'write', 'p', 'load', 'system')) found.modifies.push(texts(args).find((text) => /^-[a-zA-Z]*[wp]|^--(write|load|system)/.test(text)) ?? '-w')
  for (const arg of args.slice(options.operand)) if (arg.text.includes('=')) found.modifies.push(arg.text)
}

const hwclock: Reader = (args, found) => {
  for (const text of texts(args)) {
    if (/^--(set|systohc|hctosys|adjust|systz|update-drift|epoch=?|setepoch)/.test(text) || /^-[a-zA-Z]*[wsa]$/.test(text)) found.modifies.push(text)
  }
}

const sort: Reader = (args, found) => {
  for (const word of optionValues(args, ['-o', '--output'])) found.modifies.push(word.text)
}

/** `uniq IN OUT` and `xxd IN OUT` write their second operand. */
function writesSecondOperand(spec: OptionSpec): Reader {
  return function secondOperand(args, found) {
    const options = scanOptions(texts(args), spec)
    const out = args[options.operand + 1]
    if (out !== undefined) found.modifies.push(out.text)
  }
}

const crontab: Reader = (args, found) => {
  const options = scanOptions(texts(args), { short: 'u' })
  if (sawAny(options, 'l')) return
  found.modifies.push(texts(args).find((text) => text !== '-u' && text !== options.seen.get('u')) ?? '(stdin)')
}

const ip: Reader = (args, found) => {
  const words = texts(args).filter((text) => !text.startsWith('-'))
  const verb = words[1]
  if (verb !== undefined && !/^(show|sh|s|list|lst|ls|l|get|g|help|monitor)$/.test(verb)) found.modifies.push(`${words[0] ?? ''} ${verb}`)
  // ip takes any prefix of an object or verb that no earlier name has: `ip mo` is `ip monitor`.
  const monitor = (word: string | undefined): boolean => word !== undefined && word.length >= 2 && 'monitor'.startsWith(word)
  if (monitor(verb) || monitor(words[0])) found.unbounded = true
}

// --- Programs that may run until stopped -------------------------------------------------------

const tail: Reader = (args, found) => {
  if (texts(args).some((text) => /^-[a-zA-Z0-9]*[fF]/.test(text) || text.startsWith('--follow'))) found.unbounded = true
}

const top: Reader = (args, found) => {
  const options = scanOptions(texts(args), { short: 'dnpuUowE', long: [] })
  if (!options.seen.has('n')) found.unbounded = true
}

const ping: Reader = (args, found) => {
  const options = scanOptions(texts(args), { short: 'cwWiIsltQpmMFBST', long: [] })
  if (!sawAny(options, 'c', 'w')) found.unbounded = true
}

const always: Reader = (_args, found) => {
  found.unbounded = true
}

/** `vmstat 1`, `iostat 2`, `free -s 1`: a delay without a count repeats forever. */
function repeats(spec: OptionSpec, delayOption?: string, countOption?: string): Reader {
  return function repeating(args, found) {
    const options = scanOptions(texts(args), spec)
    const operands = texts(args.slice(options.operand)).filter((text) => /^\d+(\.\d+)?$/.test(text))
    const delay = delayOption !== undefined ? options.seen.has(delayOption) : operands.length >= 1
    const count = countOption !== undefined ? options.seen.has(countOption) : operands.length >= 2
    if (delay && !count) found.unbounded = true
  }
}

const sleep: Reader = (args, found) => {
  if (args.some((arg) => /^inf/i.test(arg.text) || arg.dynamic)) found.unbounded = true
}

const follows: Reader = (args, found) => {
  if (texts(args).some((text) => /^-[a-zA-Z]*[fw]$/.test(text) || text === '--follow' || text === '--watch' || text.startsWith('--follow=') || text === '--watch-only')) found.unbounded = true
}

const tcpdump: Reader = (args, found) => {
  if (!texts(args).some((text) => /^-[a-zA-Z]*c/.test(text))) found.unbounded = true
  for (const word of optionValues(args, ['-w'])) found.modifies.push(word.text)
  for (const word of optionValues(args, ['-z'])) found.runsCode.push(word.text)
}

const INTERPRETERS = [
  'python', 'python2', 'python3', 'perl', 'perl5', 'ruby', 'irb', 'node', 'nodejs', 'deno', 'php', 'lua', 'luajit', 'Rscript', 'R',
  'julia', 'tclsh', 'wish', 'expect', 'gdb', 'lldb', 'pwsh', 'powershell', 'osascript', 'jshell', 'groovy', 'scala', 'guile',
  'racket', 'sbcl', 'clisp', 'ghci', 'runghc', 'erl', 'escript', 'elixir', 'iex', 'jrunscript', 'jjs', 'busybox-python', 'dotnet', 'go',
  'cargo', 'make', 'gmake', 'cmake', 'ninja', 'ansible', 'ansible-playbook', 'terraform', 'vagrant', 'docker', 'podman', 'kubectl',
  'gcc', 'cc', 'clang', 'tmux', 'screen', 'at', 'batch', 'crash', 'pdb', 'ipython',
]

/** Programs by basename. A Map, so that a program named `constructor` has no effects. */
const READERS: ReadonlyMap<string, Reader> = new Map<string, Reader>([
  ...['awk', 'gawk', 'mawk', 'nawk'].map((name): [string, Reader] => [name, awk]),
  ['sed', sed],
  ['gsed', sed],
  ['find', find],
  ['xargs', xargs],
  ['tar', tar],
  ['gtar', tar],
  ['bsdtar', tar],
  ['git', git],
  ...['vi', 'vim', 'nvim', 'ex', 'view', 'vimdiff', 'rvim', 'gvim', 'evim', 'emacs', 'nano', 'pico', 'joe', 'ed', 'mc'].map((name): [string, Reader] => [name, editor]),
  ...['less', 'more', 'most', 'pg', 'man'].map((name): [string, Reader] => [name, pager]),
  ['rsync', rsync],
  ['zip', zip],
  ['ssh', sshOptions],
  ['scp', sshOptions],
  ['sftp', sshOptions],
  ...['nc', 'ncat', 'netcat', 'nc.traditional', 'nc.openbsd'].map((name): [string, Reader] => [name, netcat]),
  ['socat', socat],
  ...['npm', 'pnpm', 'yarn', 'bun', 'pip', 'pip3'].map((name): [string, Reader] => [name, scriptRunner]),
  ['date', date],
  ['hostname', hostname],
  ['hostnamectl', verbs(['status', 'help', '--help', '--version', 'hostname', 'icon-name', 'chassis', 'deployment', 'location'], { short: 'HM', long: ['host', 'machine'] }, ['hostname', 'icon-name', 'chassis', 'deployment', 'location'])],
  ['timedatectl', verbs(['status', 'show', 'list-timezones', 'timesync-status', 'show-timesync', 'help', '--help', '--version'], { short: 'HMp', long: ['host', 'machine', 'property'] })],
  ['localectl', verbs(['status', 'list-locales', 'list-keymaps', 'list-x11-keymap-models', 'list-x11-keymap-layouts', 'list-x11-keymap-variants', 'list-x11-keymap-options', 'help'], { short: 'HM', long: ['host', 'machine'] })],
  ['systemctl', verbs(['status', 'show', 'cat', 'list-units', 'list-unit-files', 'list-sockets', 'list-timers', 'list-jobs', 'list-dependencies', 'list-machines', 'list-automounts', 'list-paths', 'is-active', 'is-enabled', 'is-failed', 'is-system-running', 'get-default', 'help', 'show-environment', '--help', '--version'], { short: 'tpHMsnoP', long: ['type', 'property', 'host', 'machine', 'signal', 'lines', 'output', 'state', 'root', 'kill-whom', 'job-mode', 'what', 'reboot-argument', 'message', 'when', 'timestamp', 'image', 'boot-loader-menu', 'boot-loader-entry'] })],
  ['loginctl', verbs(['list-sessions', 'session-status', 'show-session', 'list-users', 'user-status', 'show-user', 'list-seats', 'seat-status', 'show-seat', 'help'], { short: 'HMpn', long: ['host', 'machine', 'property', 'lines', 'output', 'signal', 'kill-whom'] })],
  ['journalctl', journalctl],
  ['dmesg', dmesg],
  ['sysctl', sysctl],
  ['hwclock', hwclock],
  ['sort', sort],
  ['uniq', writesSecondOperand({ short: 'fsw', long: ['skip-fields', 'skip-chars', 'check-chars', 'group', 'all-repeated'] })],
  ['xxd', writesSecondOperand({ short: 'cgloCsn', long: [] })],
  ['crontab', crontab],
  ['ip', ip],
  ['ss', writesWith(['K', 'kill'], { short: 'fAF', long: ['family', 'query', 'socket', 'filter'] })],
  ['ethtool', writesWith(['s', 'change', 'K', 'features', 'offload', 'A', 'pause', 'C', 'coalesce', 'G', 'set-ring', 'L', 'set-channels', 'r', 'negotiate', 'E', 'change-eeprom', 'f', 'flash', 'p', 'identify', 'W', 'reset'], {})],
  ['tail', tail],
  ['top', top],
  ['htop', always],
  ['btop', always],
  ['atop', repeats({ short: 'w' })],
  ['iotop', always],
  ['watch', always],
  ['parallel', parallel],
  ['yes', always],
  ['ping', ping],
  ['ping6', ping],
  ['vmstat', repeats({ short: 'cSMdp', long: ['unit', 'partition'] })],
  ['iostat', repeats({ short: 'cdghjkmNpstxyz', long: [] })],
  ['mpstat', repeats({ short: 'IPNT', long: [] })],
  ['sar', repeats({ short: 'efiIoPmnqrsuABbdFHhSvwWyz', long: [] })],
  ['pidstat', repeats({ short: 'CGpTeu', long: [] })],
  ['free', repeats({ short: 'sc', long: ['seconds', 'count'] }, 's', 'c')],
  ['sleep', sleep],
  ['kubectl', follows],
  ['docker', follows],
  ['podman', follows],
  ['tcpdump', tcpdump],
  ['read', (args, found) => {
    if (!texts(args).some((text) => /^-[a-zA-Z]*t/.test(text))) found.unbounded = true
  }],
  ...INTERPRETERS.filter((name) => !['kubectl', 'docker', 'podman'].includes(name)).map((name): [string, Reader] => [name, interpreter]),
])

/** A shell given a script file runs code not in view (`bash ./deploy.sh`); `-c` strings are followed elsewhere. */
const shellScript: Reader = (args, found) => {
  let i = 0
  while (i < args.length) {
    const text = (args[i] as Word).text
    if (text === '--' || text === '-') {
      i++
      break
    }
    if (/^-[a-zA-Z]*c/.test(text) || text.startsWith('--command') || /^-[a-zA-Z]*s/.test(text)) return
    if (!/^[-+]/.test(text)) break
    if (/^[-+][oO]$/.test(text) || text === '--rcfile' || text === '--init-file') i++
    i++
  }
  const script = args[i]
  if (script !== undefined && !/^\/dev\/(stdin|fd\/0)$|^\/proc\/self\/fd\/0$/.test(script.text)) found.runsCode.push(script.text)
}

/** `source FILE` and `. FILE` run a file as shell code. */
const sourced: Reader = (args, found) => {
  found.runsCode.push(args[0]?.text ?? '')
}

/** `python3.11`, `perl5.36`: versioned interpreter names read like their base name. */
function readerFor(program: string): Reader | undefined {
  if (isShell(program)) return shellScript
  if (program === 'source' || program === '.') return sourced
  return READERS.get(program) ?? READERS.get(program.replace(/[0-9.]+$/, '')) ?? READERS.get(program.replace(/-[0-9.]+$/, ''))
}

/**
 * What `program` (a basename) does through `args` beyond reading: see `ProgramEffects`.
 *
 * @example programEffects('date', words('-s', '2020-01-01')).modifies // ['--set 2020-01-01']
 */
export function programEffects(program: string, args: readonly Word[]): ProgramEffects {
  const reader = readerFor(program)
  if (reader === undefined) return NONE
  const found: Found = { runsCode: [], modifies: [], unbounded: false, code: [], evaluates: null }
  reader(args, found, program)
  // kubectl, docker and podman also run code (`exec`, `run`), which their own analyzers judge.
  if (program === 'kubectl' || program === 'docker' || program === 'podman') {
    const verb = args.find((arg) => !arg.text.startsWith('-'))?.text
    if (verb === 'exec' || verb === 'run' || verb === 'debug' || verb === 'attach' || verb === 'cp') found.runsCode.push(texts(args).join(' '))
  }
  return found
}

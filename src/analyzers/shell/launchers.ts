import { sawAny, scanOptions } from './options.js'
import type { OptionSpec } from './options.js'
import { handOver, joined, NOTHING, texts } from './unwrap.js'
import type { Unwrap } from './unwrap.js'
import type { Word } from './words.js'

/*
 * Programs that start another program under changed conditions (CPU set, scheduler, namespace,
 * tracer, sandbox, proxy, remote host, project environment), found by issue 16: each hands over
 * to the command after its options, so that `sudo taskset -c 0 rm -rf /x` lists `rm`.
 */

type Launcher = (args: readonly Word[]) => Unwrap

/** Options, then `skip` operands of its own (a CPU mask, a priority, a host), then the command. */
function after(spec: OptionSpec, skip = 0, none: Unwrap = NOTHING): Launcher {
  return function launch(args) {
    const options = scanOptions(texts(args), spec)
    const start = options.operand + skip
    return start >= args.length ? none : handOver(args, start)
  }
}

/** With no command these start a shell that reads its program from standard input. */
const SHELL: Unwrap = { ...NOTHING, readsStdin: true }

/** `taskset [-a] MASK cmd…` or `taskset -c LIST cmd…`; with `-p` it changes a running process. */
function taskset(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), {})
  if (sawAny(options, 'p', 'pid')) return NOTHING
  return options.operand + 1 >= args.length ? NOTHING : handOver(args, options.operand + 1)
}

/** `chrt [opts] PRIORITY cmd…`; with `-p` it changes a running process, `-m` only lists. */
function chrt(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { short: 'TPD', long: ['sched-runtime', 'sched-period', 'sched-deadline'] })
  if (sawAny(options, 'p', 'pid', 'm', 'max')) return NOTHING
  return options.operand + 1 >= args.length ? NOTHING : handOver(args, options.operand + 1)
}

/** `strace`/`ltrace` trace a command, or attach to a process with `-p`. */
function tracer(spec: OptionSpec): Launcher {
  return function trace(args) {
    const options = scanOptions(texts(args), spec)
    if (options.operand >= args.length) return NOTHING
    const user = options.seen.get('u')
    return handOver(args, options.operand, user ?? null)
  }
}

/** `systemd-run` starts the command as a unit of the system manager: as root unless `--user` or `--uid`. */
function systemdRun(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), {
    short: 'pEuHMD',
    long: ['property', 'setenv', 'unit', 'description', 'slice', 'uid', 'gid', 'nice', 'host', 'machine', 'working-directory', 'service-type', 'on-active', 'on-boot', 'on-startup', 'on-unit-active', 'on-unit-inactive', 'on-calendar', 'on-timezone-change', 'on-clock-change', 'timer-property', 'path-property', 'socket-property', 'expand-environment'],
  })
  const user = sawAny(options, 'user') ? null : (options.seen.get('uid') ?? 'root')
  if (options.operand >= args.length) return sawAny(options, 'shell', 'S') ? { ...SHELL, runsAs: user } : NOTHING
  return handOver(args, options.operand, user)
}

/** `setarch ARCH [opts] [cmd…]` (also spelled `linux32`, `linux64`, `i386`, `x86_64`: no ARCH). */
function setarch(skipArch: boolean): Launcher {
  return function personality(args) {
    const from = skipArch ? 1 : 0
    const options = scanOptions(texts(args), {}, from)
    return options.operand >= args.length ? SHELL : handOver(args, options.operand)
  }
}

/** `ssh [opts] HOST [cmd…]`: the remote shell parses the joined words; with no command it reads stdin. */
function ssh(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { short: 'BbcDEeFIiJLlmOoPpQRSWw' })
  const rest = args.slice(options.operand + 1)
  if (options.operand >= args.length) return NOTHING
  if (rest.length === 0) return { ...SHELL, runsAs: options.seen.get('l') ?? null }
  return { ...NOTHING, code: [joined(rest)], via: 'ssh', runsAs: options.seen.get('l') ?? null }
}

/** `script [opts] -c CMD [file]` runs CMD in a shell; without `-c` a shell reading stdin. */
function script(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { short: 'cEoIOTBm', long: ['command', 'echo', 'output-limit', 'log-in', 'log-out', 'log-io', 'log-timing', 'logging-format'] })
  const command = options.seen.get('c') ?? options.seen.get('command')
  if (command === undefined) return SHELL
  const word = args.find((arg) => arg.text === command || arg.text.endsWith(command)) ?? { text: command, dynamic: false }
  return { ...NOTHING, code: [word], via: 'script -c', transparent: true }
}

/** `sg GROUP [-c] cmd`: runs the command with another group. */
function sg(args: readonly Word[]): Unwrap {
  const rest = args.slice(1)
  if (rest[0]?.text === '-c') return rest[1] === undefined ? NOTHING : { ...NOTHING, code: [rest[1]], via: 'sg -c', transparent: true }
  return rest.length === 0 ? SHELL : { ...NOTHING, code: [joined(rest)], via: 'sg', transparent: true }
}

/** `npm exec [opts] -- cmd…`, `npm x`, `pnpm exec|dlx`, `yarn exec|dlx`: packages run as commands. */
function packageExec(verbs: readonly string[]): Launcher {
  return function exec(args) {
    const options = scanOptions(texts(args), { short: 'pc', long: ['package', 'call', 'workspace', 'prefix'] })
    const verb = args[options.operand]
    if (verb === undefined || !verbs.includes(verb.text)) return NOTHING
    const call = options.seen.get('c') ?? options.seen.get('call')
    if (call !== undefined) return { ...NOTHING, code: [{ text: call, dynamic: args.some((arg) => arg.dynamic && arg.text.includes(call)) }], via: 'npm exec -c' }
    const inner = scanOptions(texts(args), { short: 'pc', long: ['package', 'call', 'workspace', 'prefix'] }, options.operand + 1)
    return handOver(args, inner.operand)
  }
}

/** `npx [opts] cmd…`, `bunx`, `uvx`, `pipx run`: the first operand is the command. */
function npx(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { short: 'pc', long: ['package', 'call', 'from', 'with', 'python', 'spec', 'index', 'index-url'] })
  const call = options.seen.get('c') ?? options.seen.get('call')
  if (call !== undefined) return { ...NOTHING, code: [{ text: call, dynamic: false }], via: 'npx -c' }
  return handOver(args, options.operand)
}

/** `uv run [opts] cmd…`, `poetry run`, `pipenv run`, `pdm run`, `hatch run`, `bundle exec`, `conda run`: a verb, then a command. */
function verbThenCommand(verbs: readonly string[], spec: OptionSpec = {}): Launcher {
  return function run(args) {
    const verb = args.findIndex((arg) => !arg.text.startsWith('-'))
    if (verb === -1 || !verbs.includes((args[verb] as Word).text)) return NOTHING
    const options = scanOptions(texts(args), spec, verb + 1)
    return handOver(args, options.operand)
  }
}

/** `nix-shell --run CMD` / `--command CMD`, `nix develop -c cmd…`, `nix shell … -c cmd…`. */
function nixShell(args: readonly Word[]): Unwrap {
  const all = texts(args)
  const run = all.findIndex((text) => text === '--run' || text === '--command')
  if (run !== -1 && args[run + 1] !== undefined) return { ...NOTHING, code: [args[run + 1] as Word], via: 'nix-shell --run' }
  return NOTHING
}

/** `nix develop -c cmd…`, `nix shell PKG -c cmd…`; `nix run` runs a package's own program. */
function nix(args: readonly Word[]): Unwrap {
  const c = texts(args).findIndex((text) => text === '-c' || text === '--command')
  return c === -1 ? NOTHING : handOver(args, c + 1)
}

/** `direnv exec DIR cmd…`. */
function direnv(args: readonly Word[]): Unwrap {
  return args[0]?.text === 'exec' && args.length > 2 ? handOver(args, 2) : NOTHING
}

/** Tools that run what follows their `--`: `op run -- cmd`, `aws-vault exec P -- cmd`, `doppler run -- cmd`. */
function afterDashes(args: readonly Word[]): Unwrap {
  const dashes = args.findIndex((arg) => arg.text === '--')
  return dashes === -1 ? NOTHING : handOver(args, dashes + 1)
}

const NAMESPACE_LONG = ['target', 'setuid', 'setgid', 'root', 'wd', 'env', 'map-user', 'map-group', 'map-users', 'map-groups', 'propagation', 'setgroups', 'user-parent', 'monotonic', 'boottime']
/** `nsenter`: `-m`, `-u`… take an optional attached file, `-r`/`-w` an optional directory. */
const NSENTER_SPEC: OptionSpec = { short: 'tSG', shortOptional: 'muinpUCTrw', long: NAMESPACE_LONG }
/** `unshare`: `-r` maps the current user to root. */
const UNSHARE_SPEC: OptionSpec = { short: 'SGRw', long: NAMESPACE_LONG }

/** `nsenter`/`unshare`: options, then a command, or a shell reading standard input. */
function namespaces(spec: OptionSpec): Launcher {
  return function enter(args) {
    return inNamespaces(args, spec)
  }
}

function inNamespaces(args: readonly Word[], spec: OptionSpec): Unwrap {
  const options = scanOptions(texts(args), spec)
  const user = sawAny(options, 'r', 'map-root-user') || options.seen.get('S') === '0' || options.seen.get('setuid') === '0' ? 'root' : null
  if (options.operand >= args.length) return { ...SHELL, runsAs: user }
  return handOver(args, options.operand, user)
}

/** `setpriv [opts] cmd…`: `--reuid` changes the user. */
function setpriv(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { long: ['reuid', 'regid', 'ruid', 'euid', 'rgid', 'egid', 'groups', 'inh-caps', 'ambient-caps', 'bounding-set', 'securebits', 'pdeathsig', 'selinux-label', 'apparmor-profile', 'landlock-access', 'landlock-rule'] })
  return handOver(args, options.operand, options.seen.get('reuid') ?? options.seen.get('ruid') ?? options.seen.get('euid') ?? null)
}

/** `setuidgid USER cmd…`, `s6-setuidgid USER cmd…`, `chpst -u USER cmd…`. */
function asUser(args: readonly Word[]): Unwrap {
  const user = args[0]?.text
  return args.length < 2 ? NOTHING : handOver(args, 1, user ?? null)
}

function chpst(args: readonly Word[]): Unwrap {
  const options = scanOptions(texts(args), { short: 'uUbenlLmdostcfp/' })
  return handOver(args, options.operand, options.seen.get('u')?.split(':')[0] ?? null)
}

/** `start-stop-daemon --start --exec PROG -- args` or `--startas PROG`. */
function startStopDaemon(args: readonly Word[]): Unwrap {
  const all = texts(args)
  const exec = all.findIndex((text) => text === '--exec' || text === '-x' || text === '--startas' || text === '-a')
  if (exec === -1 || args[exec + 1] === undefined) return NOTHING
  const dashes = all.indexOf('--')
  const user = all.findIndex((text) => text === '--chuid' || text === '-c')
  return { ...NOTHING, run: [[args[exec + 1] as Word, ...(dashes === -1 ? [] : args.slice(dashes + 1))]], runsAs: user === -1 ? null : (args[user + 1]?.text ?? null), transparent: true }
}

/** Wrappers added for issue 16, by program basename. */
export const LAUNCHERS: readonly (readonly [string, Launcher])[] = [
  ['taskset', taskset],
  ['chrt', chrt],
  ['nsenter', namespaces(NSENTER_SPEC)],
  ['unshare', namespaces(UNSHARE_SPEC)],
  ['setarch', setarch(true)],
  ...['linux32', 'linux64', 'i386', 'x86_64', 'uname26'].map((name): [string, Launcher] => [name, setarch(false)]),
  ['strace', tracer({ short: 'abeEIoOpPsSuUX', long: ['output', 'signal', 'trace', 'abbrev', 'verbose', 'raw', 'read', 'write', 'fault', 'inject', 'status', 'quiet', 'kvm', 'string-limit', 'const-print-style', 'decode-fds', 'user', 'env', 'attach', 'trace-path', 'summary-sort-by'] })],
  ['ltrace', tracer({ short: 'aAeEnosplLuDFwxX', long: ['output', 'library', 'config', 'align', 'indent'] })],
  ['valgrind', after({ long: ['tool', 'log-file', 'log-fd', 'log-socket', 'suppressions', 'trace-children-skip', 'xml-file'] })],
  ['systemd-run', systemdRun],
  ['ssh', ssh],
  ['sshpass', after({ short: 'pfdP' })],
  ['script', script],
  ['firejail', after({}, 0, SHELL)],
  ['torsocks', after({ short: 'uapP', long: ['user', 'pass', 'address', 'port'] }, 0, SHELL)],
  ['proxychains', after({ short: 'f' })],
  ['proxychains4', after({ short: 'f' })],
  ['numactl', after({ short: 'CiNmpPw', long: ['cpunodebind', 'physcpubind', 'interleave', 'membind', 'preferred', 'preferred-many', 'weighted-interleave'] })],
  ['prlimit', (args) => {
    const options = scanOptions(texts(args), { short: 'po', long: ['pid', 'output'] })
    return sawAny(options, 'p', 'pid') || options.operand >= args.length ? NOTHING : handOver(args, options.operand)
  }],
  ['setpriv', setpriv],
  ['fakeroot', after({ short: 'lsib', long: ['lib', 'faked'] })],
  ['faketime', after({ short: 'fmp' }, 1)],
  ['eatmydata', after({})],
  ['nocache', after({ short: 'n' })],
  ['catchsegv', after({})],
  ['chronic', after({})],
  ['ifne', after({})],
  ['unbuffer', after({})],
  ['rlwrap', after({ short: 'aAbcCDefFgHilmMnNopPqrRsStwWz', long: [] })],
  ['cpulimit', (args) => {
    const options = scanOptions(texts(args), { short: 'lepP', long: ['limit', 'exe', 'pid', 'path', 'cpu'] })
    return sawAny(options, 'p', 'pid', 'e', 'exe', 'P', 'path') || options.operand >= args.length ? NOTHING : handOver(args, options.operand)
  }],
  ['dbus-run-session', after({ long: ['config-file', 'dbus-daemon'] })],
  ['dbus-launch', after({ long: ['config-file', 'autolaunch'] })],
  ['xvfb-run', after({ short: 'efnpsw', long: ['error-file', 'xauth-file', 'server-num', 'xauth-protocol', 'server-args', 'wait'] })],
  ['caffeinate', after({ short: 'tw' })],
  ['with-contenv', after({})],
  ['envdir', after({}, 1)],
  ['setuidgid', asUser],
  ['s6-setuidgid', asUser],
  ['chpst', chpst],
  ['start-stop-daemon', startStopDaemon],
  ['sg', sg],
  ['npm', packageExec(['exec', 'x'])],
  ['pnpm', packageExec(['exec', 'dlx'])],
  ['yarn', packageExec(['exec', 'dlx'])],
  ['npx', npx],
  ['bunx', npx],
  ['uvx', npx],
  ['pnpx', npx],
  ['uv', verbThenCommand(['run', 'tool'], { short: 'p', long: ['with', 'python', 'directory', 'project', 'env-file', 'group', 'extra', 'package', 'index', 'index-url', 'from', 'with-requirements', 'script'] })],
  ['pipx', verbThenCommand(['run'], { long: ['spec', 'python', 'index-url', 'pip-args'] })],
  ['poetry', verbThenCommand(['run'])],
  ['pipenv', verbThenCommand(['run'])],
  ['pdm', verbThenCommand(['run'])],
  ['hatch', verbThenCommand(['run'])],
  ['rye', verbThenCommand(['run'])],
  ['pixi', verbThenCommand(['run', 'exec'], { short: 'e', long: ['environment', 'manifest-path'] })],
  ['bundle', verbThenCommand(['exec'])],
  ['conda', verbThenCommand(['run'], { short: 'np', long: ['name', 'prefix', 'cwd'] })],
  ['mamba', verbThenCommand(['run'], { short: 'np', long: ['name', 'prefix', 'cwd'] })],
  ['micromamba', verbThenCommand(['run'], { short: 'np', long: ['name', 'prefix', 'cwd'] })],
  ['direnv', direnv],
  ['nix-shell', nixShell],
  ['nix', nix],
  ['op', afterDashes],
  ['aws-vault', afterDashes],
  ['doppler', afterDashes],
  ['chamber', afterDashes],
  ['dotenv', afterDashes],
]

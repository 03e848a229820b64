import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, realpathSync, statSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import type { Writable } from 'node:stream'

/**
 * `sandbox` connector option: `required` (default) runs every command the policy allowed without
 * a human review in the read-only sandbox and fails closed where it cannot; `off` runs them as
 * they are (the target's owner accepts that a missed write or network call goes through).
 */
export const SANDBOX_MODES = ['required', 'off'] as const
export type SandboxMode = (typeof SANDBOX_MODES)[number]

/** Size of the private, writable `/tmp` a sandboxed command gets (a tmpfs in memory). */
const TMP_BYTES = 64 * 1_048_576
/** The file descriptor bwrap reads the seccomp program from. */
const SECCOMP_FD = 3

/** What a sandboxed command may see: its working directory and the paths to hide (the gateway's secrets). */
export interface SandboxLayout {
  /** The command's working directory (shown read-only even under the private `/tmp`). */
  readonly cwd?: string | undefined
  /** Files and directories covered by an empty one: the data directory, the config directory, key files. */
  readonly hidden: readonly string[]
}

/**
 * The `bwrap` argument list that runs a command with no way to write or reach anything: the
 * host's filesystem bound read-only (nosuid, nodev), a private `/tmp` and `/run`, a new `/dev`
 * and `/proc` of its own PID namespace (no other process, so no `/proc/PID/environ` of the
 * gateway), no network, IPC or UTS namespace of the host, no capabilities (even as root), no
 * new privileges, its own session (no terminal injection), killed with the gateway, the
 * gateway's secret paths covered, and a seccomp filter (read from fd 3) that refuses sockets
 * other than the namespaced IP and netlink ones, so a Unix socket on the read-only filesystem
 * (a database's, Docker's) or a VM socket cannot be used to write through a service. The
 * environment is the one bwrap itself is started with (kept out of the argument list, which
 * every user of the host can read).
 *
 * @example
 * spawn(bwrap, [...sandboxArguments({ cwd, hidden }), '--', '/bin/bash', '-c', command], { env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
 */
export function sandboxArguments(layout: SandboxLayout, seccompFd: number = SECCOMP_FD): string[] {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--size', String(TMP_BYTES), '--tmpfs', '/tmp', '--tmpfs', '/run', '--ro-bind-try', '/run/log', '/run/log']
  args.push('--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try', '--cap-drop', 'ALL', '--new-session', '--die-with-parent')
  args.push('--seccomp', String(seccompFd))
  // A working directory under /tmp would vanish behind the private one: shown again, read-only.
  if (layout.cwd !== undefined) args.push('--ro-bind-try', layout.cwd, layout.cwd)
  // Last, so that nothing bound before can show them again.
  for (const path of coverablePaths(layout.hidden)) {
    args.push(...(path.directory ? ['--tmpfs', path.path] : ['--ro-bind', '/dev/null', path.path]))
  }
  if (layout.cwd !== undefined) args.push('--chdir', layout.cwd)
  return args
}

/** The hidden paths that exist, each also by its real path (a symlink leads there too); `/` itself cannot be hidden. */
function coverablePaths(hidden: readonly string[]): { path: string; directory: boolean }[] {
  const found = new Map<string, boolean>()
  for (const path of hidden) {
    if (!isAbsolute(path)) continue
    for (const candidate of [path, realOrSelf(path)]) {
      if (candidate === '/') continue
      try {
        // statSync follows links: a link to a directory is covered as a directory.
        found.set(candidate, statSync(candidate).isDirectory())
      } catch {
        // Not there: nothing to hide.
      }
    }
  }
  return [...found].map(([path, directory]) => ({ path, directory }))
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

/** The `bwrap` program on `PATH` (the gateway's), or undefined. */
export function findBwrap(path: string | undefined = process.env['PATH']): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!isAbsolute(dir)) continue
    const candidate = join(dir, 'bwrap')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not here.
    }
  }
  return undefined
}

/**
 * Why commands cannot be sandboxed on this host for this account, or undefined when they can:
 * runs `/bin/true` in the sandbox once (as the account, with the seccomp filter), so a missing
 * bwrap, refused user namespaces or an unsupported architecture are found before a command is.
 */
export async function sandboxProblem(bwrap: string | undefined, account: { readonly uid: number; readonly gid: number } | undefined): Promise<string | undefined> {
  if (bwrap === undefined) return 'bubblewrap (bwrap) is not installed on the gateway host (Debian: apt-get install bubblewrap)'
  if (!seccompFilter()) return `the sandbox's socket filter has no program for the ${process.arch} architecture`
  let child: ChildProcess
  try {
    child = spawn(bwrap, [...sandboxArguments({ hidden: [] }), '--', '/bin/true'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: {}, ...(account && { uid: account.uid, gid: account.gid }) })
  } catch (error) {
    return `bwrap could not be started: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`
  }
  feedFilter(child)
  let said = ''
  child.stderr!.on('data', (chunk: Buffer) => (said = (said + chunk.toString('utf8')).slice(0, 1000)))
  const ended = await new Promise<{ code: number | null; signal: string | null; error?: string }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error: error.code ?? error.message }))
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
  if (ended.error !== undefined) return `bwrap could not be started: ${ended.error}`
  if (ended.code === 0) return undefined
  const first = said.trim().split('\n')[0]
  return `bwrap refused to build the sandbox (${first || `exit ${ended.code ?? ended.signal}`}); user namespaces may be disabled on this host`
}

/**
 * Writes the seccomp program to the child's fd 3, where bwrap reads it (spawn the child with
 * `stdio[3]: 'pipe'`). A bwrap that ends before reading it makes the write fail: that is
 * its failure to report, not an error of ours.
 */
export function feedFilter(child: ChildProcess): void {
  const pipe = child.stdio[SECCOMP_FD] as Writable
  pipe.on('error', () => {})
  // No program for this architecture: an empty one makes bwrap refuse to start (the probe said so first).
  pipe.end(seccompFilter() ?? Buffer.alloc(0))
}

/** How a remote host that cannot sandbox says so: this exit status, and a stderr line starting with the marker. */
export const REMOTE_UNAVAILABLE = { exitCode: 125, marker: 'countersign: no sandbox on this host:' } as const

/**
 * The POSIX shell script that runs `command` (a remote shell command line) in the same sandbox on
 * an SSH host: the host's own bwrap, checked first with `/bin/true`; the socket filter for the
 * host's architecture sent along (base64) and read from a file removed before the command runs.
 * Where the host cannot (no bwrap, no base64 or mktemp, user namespaces refused, an old bwrap,
 * an architecture without a filter) it exits {@link REMOTE_UNAVAILABLE} before running anything.
 */
export function remoteSandboxScript(command: string, cwd: string | undefined): string {
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`
  const layout = { cwd, hidden: [] }
  const filters = Object.entries({ 'x86_64|amd64': 'x64', 'aarch64|arm64': 'arm64' }).map(([names, arch]) => `${names}) cs_filter=${quote(seccompFilter(arch)!.toString('base64'))} ;;`)
  return [
    `cs_unavailable() { printf '%s %s\\n' ${quote(REMOTE_UNAVAILABLE.marker)} "$1" >&2; exit ${REMOTE_UNAVAILABLE.exitCode}; }`,
    `command -v bwrap >/dev/null 2>&1 || cs_unavailable 'bubblewrap (bwrap) is not installed'`,
    `case "$(uname -m)" in ${filters.join(' ')} *) cs_unavailable "the socket filter has no program for $(uname -m)" ;; esac`,
    `cs_file=$(mktemp) || cs_unavailable 'mktemp failed'`,
    `printf '%s' "$cs_filter" | base64 -d > "$cs_file" || { rm -f "$cs_file"; cs_unavailable 'base64 could not decode the socket filter'; }`,
    `cs_why=$(bwrap ${sandboxArguments({ hidden: [] }, 8).map(quote).join(' ')} -- /bin/true 2>&1 8< "$cs_file") || { rm -f "$cs_file"; cs_unavailable "bwrap refused to build the sandbox: $cs_why"; }`,
    `exec 9< "$cs_file"; rm -f "$cs_file"`,
    // The login shell, as sshd runs a command unsandboxed.
    `exec bwrap ${sandboxArguments(layout, 9).map(quote).join(' ')} -- "\${SHELL:-/bin/sh}" -c ${quote(command)}`,
  ].join('\n')
}

/** seccomp's view of a system call (`struct seccomp_data`): the offsets the filter reads. */
const NR = 0
const ARCH = 4
const ARG0 = 16
const RET_ALLOW = 0x7fff0000
const RET_KILL_PROCESS = 0x80000000
/** SECCOMP_RET_ERRNO | EACCES: the call fails as refused, the program goes on. */
const RET_EACCES = 0x00050000 | 13
const AF_INET = 2
const AF_INET6 = 10
const AF_NETLINK = 16
/** Per architecture: its audit number and the calls the filter looks at. */
const ARCHITECTURES: Readonly<Record<string, { readonly audit: number; readonly socket: number; readonly ioUring: readonly number[] }>> = {
  x64: { audit: 0xc000003e, socket: 41, ioUring: [425, 426, 427] },
  arm64: { audit: 0xc00000b7, socket: 198, ioUring: [425, 426, 427] },
}

type Instruction = { op: 'ld'; offset: number } | { op: 'jeq' | 'jge'; value: number; yes: string; no?: string } | { op: 'ret'; value: number; label?: string }

/**
 * The classic-BPF seccomp program of the sandbox for this process's architecture (undefined for
 * another): `socket()` only for IPv4, IPv6 (both inside the empty network namespace) and netlink;
 * every other family (Unix sockets, VM sockets…) and io_uring (which can open sockets past the
 * filter) fail with EACCES; a call from another ABI (x32, 32-bit) ends the process.
 */
export function seccompFilter(arch: string = process.arch): Buffer | undefined {
  const a = ARCHITECTURES[arch]
  if (!a) return undefined
  const program: Instruction[] = [
    { op: 'ld', offset: ARCH },
    { op: 'jeq', value: a.audit, yes: 'native', no: 'kill' },
    { op: 'ret', value: RET_KILL_PROCESS, label: 'kill' },
    { op: 'ld', offset: NR },
    { op: 'jge', value: 0x40000000, yes: 'deny' },
    ...a.ioUring.map((nr): Instruction => ({ op: 'jeq', value: nr, yes: 'deny' })),
    { op: 'jeq', value: a.socket, yes: 'socket', no: 'allow' },
    { op: 'ld', offset: ARG0 },
    ...[AF_INET, AF_INET6, AF_NETLINK].map((family): Instruction => ({ op: 'jeq', value: family, yes: 'allow' })),
    { op: 'ret', value: RET_EACCES, label: 'deny' },
    { op: 'ret', value: RET_ALLOW, label: 'allow' },
  ]
  // Labels: 'native' is the instruction after the kill; 'socket' the load of the first argument.
  const labels = new Map<string, number>([
    ['native', 3],
    ['socket', program.findIndex((instruction) => instruction.op === 'ld' && instruction.offset === ARG0)],
  ])
  program.forEach((instruction, index) => instruction.op === 'ret' && instruction.label && labels.set(instruction.label, index))
  const out = Buffer.alloc(program.length * 8)
  program.forEach((instruction, index) => {
    const at = index * 8
    const jump = (label: string | undefined) => (label === undefined ? 0 : labels.get(label)! - index - 1)
    if (instruction.op === 'ld') {
      out.writeUInt16LE(0x20, at)
      out.writeUInt32LE(instruction.offset, at + 4)
    } else if (instruction.op === 'ret') {
      out.writeUInt16LE(0x06, at)
      out.writeUInt32LE(instruction.value >>> 0, at + 4)
    } else {
      out.writeUInt16LE(instruction.op === 'jeq' ? 0x15 : 0x35, at)
      out.writeUInt8(jump(instruction.yes), at + 2)
      out.writeUInt8(jump(instruction.no), at + 3)
      out.writeUInt32LE(instruction.value >>> 0, at + 4)
    }
  })
  return out
}

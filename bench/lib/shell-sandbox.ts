/**
 * The shell corpus's oracle (bench/corpus-shell.ts): runs one command line in a throwaway
 * bubblewrap sandbox and says whether it changed or tried to change anything.
 *
 * The sandbox: the host's file system bound read-only, a fresh `/dev` and `/proc` of a PID
 * namespace of its own, no network (nor IPC, UTS, cgroup) namespace of the host, a user namespace
 * in which the command is `nobody`, no capabilities, a new session, killed with its parent. The
 * only writable place is `/tmp`, bound to a fresh copy of a scratch tree on the host (the working
 * directory `/tmp/scratch`, the home `/tmp/home`). The command runs under `strace -f`, whose log
 * goes to a directory outside that tree.
 *
 * What counts as a change, independently of the analyzer:
 * - the scratch tree differs after the run (a file or directory added, removed, or changed in
 *   type, size, mode, modification time or content);
 * - a system call that writes outside the tree was made, whether or not it succeeded (the rest of
 *   the file system is read-only, so it fails there, but it would not on a real host): an open
 *   for writing, creating or truncating, and unlink, rename, mkdir, rmdir, link, symlink, chmod,
 *   chown, truncate, utime, mknod, xattr changes;
 * - a call that changes the system: sethostname, settimeofday, clock_settime, reboot, mount,
 *   swapon, module loading, chroot, pivot_root, kill of another process group's members is not
 *   watched (the PID namespace holds nothing else);
 * - an Internet socket (`AF_INET`, `AF_INET6`, `AF_PACKET`): the network was tried.
 * Writes to `/dev/null`, `/dev/tty` and the like, and to the process's own descriptors, are not changes.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** What one sandboxed run showed. */
export interface SandboxOutcome {
  /** Changes seen: `scratch: +path`, `write /etc/x (EROFS)`, `network AF_INET`, `sethostname`. Empty when none. */
  readonly changes: readonly string[]
  /** Local sockets it connected to (D-Bus, nscd): listed, not counted as changes. */
  readonly localSockets: readonly string[]
  /** Killed at the time limit. */
  readonly timedOut: boolean
}

const WRITE_FLAGS = /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/
/** Devices and descriptors a read-only command may open for writing without changing anything. */
const HARMLESS_DEVICES = /^\/(dev\/(null|zero|full|tty|stdout|stderr|stdin|fd\/\d+|pts\/\d+|ptmx|random|urandom)|proc\/self\/fd\/\d+|proc\/thread-self\/fd\/\d+)$/
const PATH_CALLS = /^(unlink|unlinkat|rename|renameat|renameat2|mkdir|mkdirat|rmdir|link|linkat|symlink|symlinkat|chmod|fchmodat|fchmodat2|chown|lchown|fchownat|truncate|utimensat|utimes|utime|futimesat|mknod|mknodat|setxattr|lsetxattr|removexattr|lremovexattr)$/
const SYSTEM_CALLS = /^(sethostname|setdomainname|settimeofday|clock_settime|reboot|mount|umount2|swapon|swapoff|init_module|finit_module|delete_module|chroot|pivot_root|acct|kexec_load|quotactl)$/
const TRACED = [
  'open', 'openat', 'openat2', 'creat', 'socket', 'connect',
  'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2', 'mkdir', 'mkdirat', 'rmdir', 'link', 'linkat', 'symlink', 'symlinkat',
  'chmod', 'fchmodat', 'chown', 'lchown', 'fchownat', 'truncate', 'utimensat', 'utimes', 'utime', 'futimesat', 'mknod', 'mknodat',
  'setxattr', 'lsetxattr', 'removexattr', 'lremovexattr',
  'sethostname', 'setdomainname', 'settimeofday', 'clock_settime', 'reboot', 'mount', 'umount2', 'swapon', 'swapoff',
  'init_module', 'finit_module', 'delete_module', 'chroot', 'pivot_root', 'acct', 'quotactl',
]

/** Files the corpus's commands find in their working directory (tldr's `path/to/file` and the like). */
const SCRATCH_FILES: Readonly<Record<string, string>> = {
  'scratch/file': 'alpha\nbeta\ngamma\n',
  'scratch/file.txt': 'one\ntwo\nthree\n',
  'scratch/path/to/file': 'alpha\nbeta\nsearch_pattern\n',
  'scratch/path/to/file1': 'a 1\nb 2\n',
  'scratch/path/to/file2': 'b 2\nc 3\n',
  'scratch/path/to/file.txt': 'text\n',
  'scratch/path/to/input_file': 'input\n',
  'scratch/path/to/directory/a.txt': 'a\n',
  'scratch/path/to/directory/sub/b.txt': 'b\n',
  'home/.profile': '# empty\n',
}

/** A sandbox runner: a scratch template on the host, and runs of commands over fresh copies of it. */
export class ShellSandbox {
  private readonly base: string
  private readonly template: string
  private runs = 0

  constructor(private readonly bwrap: string, private readonly strace: string, private readonly timeoutMs = 3000) {
    this.base = mkdtempSync(join(tmpdir(), 'cs-corpus-shell-'))
    this.template = join(this.base, 'template')
    for (const [path, text] of Object.entries(SCRATCH_FILES)) {
      mkdirSync(join(this.template, path, '..'), { recursive: true })
      writeFileSync(join(this.template, path), text)
    }
  }

  /** Removes every copy and the template. */
  close(): void {
    rmSync(this.base, { recursive: true, force: true })
  }

  async run(command: string): Promise<SandboxOutcome> {
    const dir = join(this.base, `run-${this.runs++}`)
    const tree = join(dir, 'tmp')
    const trace = join(dir, 'trace')
    cpSync(this.template, tree, { recursive: true })
    mkdirSync(trace)
    const before = snapshot(tree)
    const args = [
      '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/run',
      '--bind', tree, '/tmp', '--bind', trace, '/tmp/.cs-trace',
      '--unshare-all', '--unshare-user', '--uid', '65534', '--gid', '65534', '--cap-drop', 'ALL',
      '--die-with-parent', '--new-session', '--chdir', '/tmp/scratch', '--clearenv',
      '--setenv', 'PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--setenv', 'HOME', '/tmp/home',
      '--setenv', 'LANG', 'C.UTF-8', '--setenv', 'TERM', 'dumb', '--setenv', 'PAGER', 'cat',
      '--', this.strace, '-f', '-qq', '-y', '-s', '512', '-o', '/tmp/.cs-trace/log', '-e', `trace=${TRACED.join(',')}`,
      '/bin/bash', '-c', command,
    ]
    const timedOut = await new Promise<boolean>((resolve) => {
      const child = spawn(this.bwrap, args, { stdio: ['ignore', 'ignore', 'ignore'], detached: true })
      let killed = false
      const timer = setTimeout(() => {
        killed = true
        try {
          process.kill(-(child.pid as number), 'SIGKILL')
        } catch {
          // Already gone.
        }
      }, this.timeoutMs)
      child.once('error', () => {
        clearTimeout(timer)
        resolve(false)
      })
      child.once('close', () => {
        clearTimeout(timer)
        resolve(killed)
      })
    })
    const changes: string[] = []
    const after = snapshot(tree, '.cs-trace')
    for (const [path, state] of after) {
      const old = before.get(path)
      if (old === undefined) changes.push(`scratch: +${path}`)
      else if (old !== state) changes.push(`scratch: ~${path}`)
    }
    for (const path of before.keys()) if (!after.has(path)) changes.push(`scratch: -${path}`)
    const localSockets: string[] = []
    let log = ''
    try {
      log = readFileSync(join(trace, 'log'), 'utf8')
    } catch {
      changes.push('no trace (strace did not run)')
    }
    for (const line of log.split('\n')) readTraceLine(line, changes, localSockets)
    rmSync(dir, { recursive: true, force: true })
    return { changes: [...new Set(changes)], localSockets: [...new Set(localSockets)], timedOut }
  }
}

/** One strace line (`PID call(args) = result`): a change is appended to `changes`. */
function readTraceLine(line: string, changes: string[], localSockets: string[]): void {
  const match = /^\d+\s+(\w+)\((.*)\)\s+=\s+(.*)$/.exec(line)
  if (match === null) return
  const [, call, args, result] = match as unknown as [string, string, string, string]
  const paths = [...args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] as string)
  const failed = result.startsWith('-1') ? ` (${result.split(' ')[1] ?? 'failed'})` : ''
  // The `*at` calls take a directory first (`AT_FDCWD`, or `3</tmp/scratch/dir>` with strace -y).
  const base = call !== 'creat' && /at2?$/.test(call) ? (/^([^,]*),/.exec(args)?.[1] ?? '') : 'AT_FDCWD'
  const outside = (path: string): boolean => {
    if (HARMLESS_DEVICES.test(path)) return false
    // Absolute under /tmp, or relative to the working directory (/tmp/scratch) or to a directory
    // under /tmp: the snapshot sees it.
    if (path.startsWith('/tmp/') || path === '/tmp') return false
    if (!path.startsWith('/')) return !(base === 'AT_FDCWD' || /^\d+<\/tmp[/>]/.test(base))
    return true
  }
  if (call === 'open' || call === 'openat' || call === 'openat2' || call === 'creat') {
    if (call !== 'creat' && !WRITE_FLAGS.test(args)) return
    const path = paths[0]
    if (path !== undefined && outside(path)) changes.push(`write ${path}${failed}`)
  } else if (PATH_CALLS.test(call)) {
    for (const path of paths) if (outside(path)) changes.push(`${call} ${path}${failed}`)
  } else if (SYSTEM_CALLS.test(call)) {
    changes.push(`${call}${failed}`)
  } else if (call === 'socket') {
    const family = /^(AF_\w+)/.exec(args)?.[1] ?? args
    if (/^AF_(INET|INET6|PACKET)$/.test(family)) changes.push(`network ${family}${failed}`)
  } else if (call === 'connect') {
    const path = /sun_path="([^"]*)"/.exec(args)?.[1]
    if (path !== undefined) localSockets.push(path)
  }
}

/** Every entry under `root` (but `skip`) with its type, size, mode, mtime and content digest. */
function snapshot(root: string, skip?: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir)) {
      if (prefix === '' && name === skip) continue
      const path = join(dir, name)
      const rel = prefix === '' ? name : `${prefix}/${name}`
      const stat = lstatSync(path)
      let state = `${stat.mode}:${stat.size}:${stat.mtimeMs}`
      if (stat.isFile()) state += `:${createHash('sha1').update(readFileSync(path)).digest('hex')}`
      out.set(rel, state)
      if (stat.isDirectory()) walk(path, rel)
    }
  }
  walk(root, '')
  return out
}

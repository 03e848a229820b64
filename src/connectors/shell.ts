import { spawn, type ChildProcess } from 'node:child_process'
import { isAbsolute } from 'node:path'
import { z } from 'zod'
import { resolveSecret, type TargetConfig } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import { BoundedOutput } from './bounded-output.js'
import type { Connector, ExecutionRequest, ExecutionResult } from './connector.js'
import { identityEnvironment, type ExecutionContext } from './execution-context.js'
import { connectorType } from './connector-type.js'
import type { GatewaySecrets } from './gateway-secrets.js'
import { lookupUser, type LocalUser } from './local-user.js'
import { durationOption, IdentityOption, sizeOption, ValueOrSecret } from './options.js'
import { Redactor } from './redact.js'
import { commandResult, failure, reasonOf, refusal } from './results.js'
import { feedFilter, findBwrap, SANDBOX_MODES, sandboxArguments, sandboxProblem } from './sandbox.js'
import { timerDelay } from '../time/index.js'

/** How long a process group has between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 3000
/** How long output pipes may stay open after the command exits (held by processes it left behind). */
const LINGER_MS = 500
/** The gateway's variables a command gets unless `env_allow` says otherwise (shared by the connectors that run local programs). */
export const DEFAULT_ENV_ALLOW = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'] as const
/** Names of variables that hold credentials: the gateway's own are never passed on by name. */
export const CREDENTIAL_NAME = /PASSWORD|PASSWD|PASSPHRASE|TOKEN|SECRET|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|DSN|DATABASE_URL|CONNECTION_STRING/i

/** An environment variable's name. */
export const EnvName = z.string('expected an environment variable name').regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name (letters, digits, _)')

/** Options of the `shell` connector (commands on the gateway's host). */
const ShellOptionsSchema = z.strictObject({
  type: z.literal('shell'),
  cwd: z.string('expected an absolute path').refine(isAbsolute, 'expected an absolute path').optional(),
  env_allow: z
    .array(
      EnvName.refine(
        (name) => !CREDENTIAL_NAME.test(name),
        'looks like a credential: the gateway never passes its own; set it under env as a secret reference (NAME: env:VAR), so that it is masked in the output',
      ),
    )
    .default([...DEFAULT_ENV_ALLOW]),
  env: z.record(EnvName, ValueOrSecret).default({}),
  user: z
    .string('expected a user name or uid')
    .regex(/^(?:[A-Za-z_][A-Za-z0-9_.-]*\$?|\d+)$/, 'expected a user name or uid')
    .optional(),
  timeout: durationOption('60s', { min: 100, max: 86_400_000 }),
  max_output: sizeOption('1MiB', { min: 1024, max: 64 * 1_048_576 }),
  /** Consent to run commands as the gateway's own user, who can read its files and, through /proc, its environment. */
  run_as_gateway_user: z.boolean('expected true or false').default(false),
  /** `required`: commands the policy allowed without review run in the read-only sandbox, or not at all; `off`: unsandboxed. */
  sandbox: z.enum(SANDBOX_MODES, `expected one of ${SANDBOX_MODES.join(', ')}`).default('required'),
  identity: IdentityOption,
})
type ShellOptions = z.output<typeof ShellOptionsSchema>

/**
 * `shell`: runs `{command}` with `/bin/bash -c`, or `{argv}` directly, on the gateway's host. A
 * command the policy allowed without a human review runs in the read-only sandbox (sandbox.ts),
 * or fails with nothing run where the host cannot sandbox (`sandbox: off` opts out); one approved
 * by humans runs as approved.
 */
export const shell = connectorType({
  type: 'shell',
  kind: 'shell',
  schema: ShellOptionsSchema,
  create(target, options, gateway) {
    const account = accountFor(target, options, { runs: 'the commands', reads: 'commands' })
    return new ShellConnector(options, account, gateway)
  },
})

/**
 * The account a target's processes run as; refuses (fails closed) a user this process cannot
 * become, and running as the gateway's own user without `run_as_gateway_user`: a process running
 * as the gateway's user can read the gateway's secrets (/proc/PPID/environ, the data directory).
 * `what` names them in the refusal: what runs, and what could read.
 */
export function accountFor(target: TargetConfig, options: { user?: string | undefined; run_as_gateway_user: boolean }, what: { runs: string; reads: string }): LocalUser | undefined {
  const account = lookupAccount(target, options.user)
  if ((account === undefined || account.uid === process.getuid?.()) && !options.run_as_gateway_user) {
    throw new CountersignError(
      'INVALID',
      `target ${target.name}: connector option user: set an account of its own for ${what.runs} (the gateway must run as root), or run_as_gateway_user: true to accept that ${what.reads} can read the gateway's environment and files`,
    )
  }
  return account
}

function lookupAccount(target: TargetConfig, user: string | undefined): LocalUser | undefined {
  if (user === undefined) return undefined
  const account = lookupUser(user)
  if (!account) throw new CountersignError('INVALID', `target ${target.name}: connector option user: there is no user "${user}" on this host`)
  const self = process.getuid?.()
  if (self !== 0 && self !== account.uid) {
    throw new CountersignError(
      'INVALID',
      `target ${target.name}: connector option user: commands cannot run as "${user}" because the gateway does not run as root (uid ${self ?? 'unknown'}); run it as root or remove user`,
    )
  }
  return account
}

class ShellConnector implements Connector {
  readonly type = 'shell'
  readonly #options: ShellOptions
  readonly #account: LocalUser | undefined
  readonly #gateway: GatewaySecrets
  /** How to stop each running command, with the reason to report. */
  readonly #running = new Set<(why: string) => void>()
  /** Set once the sandbox was seen to work for this account (a failure is checked again next time). */
  #sandboxWorks = false

  constructor(options: ShellOptions, account: LocalUser | undefined, gateway: GatewaySecrets) {
    this.#options = options
    this.#account = account
    this.#gateway = gateway
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now()
    const refused = refusal(request, this.type, 'shell')
    if (refused) return failure(started, refused)
    // The analysis alone let it through: the sandbox makes its claim true (no write, no network), or nothing runs.
    const sandboxed = this.#options.sandbox === 'required' && request.reviewed !== true
    if (sandboxed) {
      const problem = await this.#sandboxProblem()
      if (problem !== undefined) {
        return failure(
          started,
          `the policy allowed this command without review, so it must run in the read-only sandbox, which is not available: ${problem}; nothing was run (connector option sandbox: off runs such commands unsandboxed)`,
        )
      }
    }
    const { env, secrets } = this.#environment(request.context)
    const redactor = new Redactor([...secrets, ...this.#gateway.values()])
    const payload = request.action.payload as { command?: string; argv?: readonly string[] }
    const [program, programArgs] = payload.argv ? [payload.argv[0]!, payload.argv.slice(1)] : ['/bin/bash', ['-c', payload.command ?? '']]
    if ([program, ...programArgs].some((word) => word.includes('\0'))) return failure(started, 'the command contains a NUL character, which no program can receive; nothing was run')
    const [file, args] = sandboxed
      ? [findBwrap()!, [...sandboxArguments({ cwd: this.#options.cwd, hidden: this.#gateway.paths }), '--', program, ...programArgs]]
      : [program, programArgs]
    let child: ChildProcess
    try {
      child = spawn(file, args, {
        cwd: this.#options.cwd,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe', ...(sandboxed ? (['pipe'] as const) : [])],
        ...(this.#account && this.#account.uid !== process.getuid?.() && { uid: this.#account.uid, gid: this.#account.gid }),
      })
    } catch (error) {
      return failure(started, `the command could not be started: ${(error as Error).message}`, redactor)
    }
    if (sandboxed) feedFilter(child)
    const stdout = new BoundedOutput(this.#options.max_output)
    const stderr = new BoundedOutput(this.#options.max_output)
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk))

    const outcome = await new Promise<{ exitCode: number | null; signal: string | null; problem?: string }>((resolve) => {
      let problem: string | undefined
      let killTimer: NodeJS.Timeout | undefined
      let lingerTimer: NodeJS.Timeout | undefined
      const stop = (why: string) => {
        problem ??= why
        killGroup(child, 'SIGTERM')
        killTimer ??= setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS)
      }
      const timer = setTimeout(() => stop(`the command did not finish within ${this.#options.timeout / 1000}s; its process group was killed`), timerDelay(this.#options.timeout))
      const halt = (why: string) => stop(`stopped: ${why}; its process group was killed`)
      const onAbort = () => halt(reasonOf(request.signal))
      request.signal.addEventListener('abort', onAbort, { once: true })
      this.#running.add(halt)
      const done = (exitCode: number | null, signal: string | null) => {
        clearTimeout(timer)
        clearTimeout(killTimer)
        clearTimeout(lingerTimer)
        request.signal.removeEventListener('abort', onAbort)
        this.#running.delete(halt)
        resolve({ exitCode, signal, ...(problem !== undefined && { problem }) })
      }
      child.once('error', (error: NodeJS.ErrnoException) => {
        // Only a failure to start ends the run here; a failed kill of a live process does not.
        if (child.pid === undefined) {
          problem ??= `the command could not be started${this.#options.cwd ? ` in ${this.#options.cwd}` : ''}: ${error.code ?? error.message}`
          done(null, null)
        }
      })
      child.once('exit', () => {
        // Processes the command left in its group would hold the output open: they end with it.
        lingerTimer = setTimeout(() => {
          killGroup(child, 'SIGKILL')
          child.stdout!.destroy()
          child.stderr!.destroy()
        }, LINGER_MS)
      })
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => done(code, signal))
    })
    return { ...commandResult({ ...outcome, stdout, stderr }, started, redactor), sandboxed }
  }

  /** Why the sandbox cannot run commands for this account, or undefined (checked once it works). */
  async #sandboxProblem(): Promise<string | undefined> {
    if (this.#sandboxWorks) return undefined
    const problem = await sandboxProblem(findBwrap(), this.#account && this.#account.uid !== process.getuid?.() ? this.#account : undefined)
    this.#sandboxWorks = problem === undefined
    return problem
  }

  /**
   * The allow-listed variables of the gateway, the account's identity, the configured ones
   * (secret references read now), then the execution's `COUNTERSIGN_*` identity (unless the
   * option `identity` is false; set last, so nothing configured can pose as it); and the secret
   * values, to mask in the output.
   */
  #environment(context: ExecutionContext): { env: Record<string, string>; secrets: string[] } {
    const env: Record<string, string> = {}
    const secrets: string[] = []
    for (const name of this.#options.env_allow) {
      const value = process.env[name]
      if (value !== undefined) env[name] = value
    }
    if (this.#account) Object.assign(env, { HOME: this.#account.home, USER: this.#account.name, LOGNAME: this.#account.name })
    for (const [name, value] of Object.entries(this.#options.env)) {
      if (typeof value === 'string') env[name] = value
      else secrets.push((env[name] = resolveSecret(value)))
    }
    if (this.#options.identity) Object.assign(env, identityEnvironment(context))
    return { env, secrets }
  }

  async close(): Promise<void> {
    for (const halt of [...this.#running]) halt('the connector was closed')
  }
}

/** Signals the command's whole process group (it was started as a group leader). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // The group is gone already.
  }
}

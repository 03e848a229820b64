import { createHash, timingSafeEqual } from 'node:crypto'
import ssh2, { type Client, type ClientChannel, type ConnectConfig } from 'ssh2'
import { z } from 'zod'
import { resolveSecret } from '../config/index.js'
import { BoundedOutput } from './bounded-output.js'
import type { Connector, ExecutionRequest, ExecutionResult } from './connector.js'
import { identityEnvironment, type ExecutionContext } from './execution-context.js'
import { connectorType } from './connector-type.js'
import type { GatewaySecrets } from './gateway-secrets.js'
import { durationOption, IdentityOption, SecretOption, sizeOption } from './options.js'
import { Redactor } from './redact.js'
import { commandResult, failure, reasonOf, refusal } from './results.js'
import { REMOTE_UNAVAILABLE, remoteSandboxScript, SANDBOX_MODES } from './sandbox.js'
import { quote, shellJoin } from './shell-quote.js'
import { timerDelay } from '../time/index.js'

/** How long a remote command has between TERM and KILL, and then the channel before it is dropped. */
const KILL_GRACE_MS = 3000

/** Options of the `ssh` connector (commands on a remote host). */
const SshOptionsSchema = z
  .strictObject({
    type: z.literal('ssh'),
    host: z.string('expected a host name or address').regex(/^[A-Za-z0-9.:_-]+$/, 'expected a host name or address'),
    port: z.int('expected a port from 1 to 65535').min(1).max(65_535).default(22),
    username: z.string('expected the remote user name').min(1, 'expected the remote user name'),
    private_key: SecretOption.optional(),
    passphrase: SecretOption.optional(),
    password: SecretOption.optional(),
    host_fingerprint: z
      .string('expected the host key fingerprint, SHA256:… as `ssh-keygen -lf` prints it')
      .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'expected the host key fingerprint, SHA256:… as `ssh-keygen -lf` prints it')
      .transform((text) => text.replace(/=$/, '')),
    cwd: z.string('expected an absolute path').startsWith('/', 'expected an absolute path').optional(),
    timeout: durationOption('60s', { min: 100, max: 86_400_000 }),
    max_output: sizeOption('1MiB', { min: 1024, max: 64 * 1_048_576 }),
    /** `required`: commands the policy allowed without review run in the host's bubblewrap sandbox, or not at all; `off`: unsandboxed. */
    sandbox: z.enum(SANDBOX_MODES, `expected one of ${SANDBOX_MODES.join(', ')}`).default('required'),
    identity: IdentityOption,
  })
  .refine((options) => options.private_key !== undefined || options.password !== undefined, { message: 'expected private_key (or password)', path: ['private_key'] })
  .refine((options) => options.passphrase === undefined || options.private_key !== undefined, { message: 'a passphrase needs a private_key', path: ['passphrase'] })
type SshOptions = z.output<typeof SshOptionsSchema>

/**
 * `ssh`: runs the approved command on a remote host whose key is pinned. A command the policy
 * allowed without a human review runs in the host's own bubblewrap sandbox, or fails with
 * nothing run where the host has none (`sandbox: off` opts out).
 */
export const ssh = connectorType({
  type: 'ssh',
  kind: 'shell',
  schema: SshOptionsSchema,
  create: (_target, options, gateway) => new SshConnector(options, gateway),
})

/** The fingerprint `ssh-keygen -lf` prints for a public key blob. */
export function sshFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`
}

/** The command line the remote shell runs: exactly the approved one (argv quoted), after `cd` to `cwd`. */
export function remoteCommand(payload: { readonly command?: string; readonly argv?: readonly string[] }, cwd: string | undefined): string {
  const command = payload.argv ? shellJoin(payload.argv) : (payload.command ?? '')
  return cwd === undefined ? command : `cd ${quote(cwd)} || exit 1\n${command}`
}

/**
 * The line the remote shell runs first to put the execution's `COUNTERSIGN_*` identity in the
 * command's environment (and a sandbox's: bubblewrap passes the environment on): one POSIX
 * `export` with every value single-quoted, values already printable ASCII ({@link identityEnvironment}).
 *
 * @example
 * identityExports(context) // "export COUNTERSIGN_REQUEST_ID='act_…' COUNTERSIGN_AGENT='deploy-bot' …"
 */
export function identityExports(context: ExecutionContext): string {
  return `export ${Object.entries(identityEnvironment(context)).map(([name, value]) => `${name}=${quote(value)}`).join(' ')}`
}

class SshConnector implements Connector {
  readonly type = 'ssh'
  readonly #options: SshOptions
  readonly #gateway: GatewaySecrets
  readonly #clients = new Set<Client>()

  constructor(options: SshOptions, gateway: GatewaySecrets) {
    this.#options = options
    this.#gateway = gateway
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now()
    const refused = refusal(request, this.type, 'shell')
    if (refused) return failure(started, refused)
    const options = this.#options
    const secrets = {
      privateKey: options.private_key && resolveSecret(options.private_key),
      passphrase: options.passphrase && resolveSecret(options.passphrase),
      password: options.password && resolveSecret(options.password),
    }
    const redactor = new Redactor([...Object.values(secrets), ...this.#gateway.values()])
    const payload = request.action.payload as { command?: string; argv?: string[] }
    // The analysis alone let it through: the host's sandbox makes its claim true, or nothing runs.
    const sandboxed = options.sandbox === 'required' && request.reviewed !== true
    const approved = sandboxed ? remoteSandboxScript(remoteCommand(payload, undefined), options.cwd) : remoteCommand(payload, options.cwd)
    // Exported by the remote shell itself, not sent as SSH env requests: sshd drops those unless its AcceptEnv lists them.
    const command = options.identity ? `${identityExports(request.context)}\n${approved}` : approved
    const stdout = new BoundedOutput(options.max_output)
    const stderr = new BoundedOutput(options.max_output)
    const where = `${options.username}@${options.host}:${options.port}`
    const client = new ssh2.Client()
    this.#clients.add(client)

    const outcome = await new Promise<{ exitCode: number | null; signal: string | null; problem?: string }>((resolve) => {
      let presented: string | undefined
      let channel: ClientChannel | undefined
      let exit: { exitCode: number | null; signal: string | null } = { exitCode: null, signal: null }
      let problem: string | undefined
      let graceTimer: NodeJS.Timeout | undefined
      const finish = () => {
        clearTimeout(timer)
        clearTimeout(graceTimer)
        request.signal.removeEventListener('abort', onAbort)
        client.end()
        this.#clients.delete(client)
        resolve({ ...exit, ...(problem !== undefined && { problem }) })
      }
      let execSent = false
      const terminate = (opened: ClientChannel) => {
        opened.signal('TERM')
        graceTimer = setTimeout(() => {
          opened.signal('KILL')
          graceTimer = setTimeout(finish, KILL_GRACE_MS)
        }, KILL_GRACE_MS)
      }
      const stop = (why: string) => {
        if (problem !== undefined) return
        problem = why
        if (channel) return terminate(channel)
        // The exec request is on its way: the command may be starting; it is signalled once its channel opens.
        if (!execSent) finish()
      }
      // The command's time runs from when it starts (connecting has its own limit, readyTimeout).
      let timer: NodeJS.Timeout | undefined
      const onAbort = () => stop(`stopped: ${reasonOf(request.signal)}; the command was sent TERM, then KILL, and the session was closed`)
      request.signal.addEventListener('abort', onAbort, { once: true })

      client.on('error', (error: Error & { level?: string }) => {
        if (presented !== undefined && !matches(presented, options.host_fingerprint)) {
          problem ??= `the host key of ${options.host}:${options.port} is ${presented}, not the configured host_fingerprint ${options.host_fingerprint}: refused, nothing was run`
        } else if (error.level === 'client-authentication') {
          problem ??= `authentication as ${where} was refused (the key or password); nothing was run`
        } else if (error.level === 'client-timeout') {
          problem ??= `connecting to ${where} timed out; nothing was run`
        } else {
          problem ??= `the SSH connection to ${where} failed: ${error.message}`
        }
        finish()
      })
      client.on('close', () => {
        problem ??= channel ? undefined : `the SSH connection to ${where} closed before the command started`
        finish()
      })
      client.on('ready', () => {
        if (problem !== undefined) return finish()
        execSent = true
        client.exec(command, (error, opened) => {
          if (error) {
            problem ??= `the host refused to run the command: ${error.message}`
            return finish()
          }
          channel = opened
          if (problem !== undefined) terminate(opened)
          else timer = setTimeout(() => stop(`the command did not finish within ${options.timeout / 1000}s; it was sent TERM, then KILL, and the session was closed`), timerDelay(options.timeout))
          opened.on('data', (chunk: Buffer) => stdout.push(chunk))
          opened.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
          opened.on('exit', (code: number | null, signal?: string) => {
            exit = { exitCode: typeof code === 'number' ? code : null, signal: signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : null }
          })
          opened.on('close', finish)
        })
      })
      const config: ConnectConfig = {
        host: options.host,
        port: options.port,
        username: options.username,
        readyTimeout: options.timeout,
        hostVerifier: (key: Buffer) => {
          presented = sshFingerprint(key)
          return matches(presented, options.host_fingerprint)
        },
        ...(secrets.privateKey !== undefined && { privateKey: secrets.privateKey }),
        ...(secrets.passphrase !== undefined && { passphrase: secrets.passphrase }),
        ...(secrets.password !== undefined && { password: secrets.password }),
      }
      try {
        client.connect(config)
      } catch (error) {
        // A key that does not parse (or a wrong passphrase) is refused before any connection.
        problem = `the SSH client could not start: ${(error as Error).message}; nothing was run`
        finish()
      }
    })
    const unavailable = sandboxed && outcome.exitCode === REMOTE_UNAVAILABLE.exitCode ? stderr.text().split('\n').find((line) => line.startsWith(REMOTE_UNAVAILABLE.marker)) : undefined
    if (unavailable !== undefined) {
      return failure(
        started,
        `the policy allowed this command without review, so it must run in a read-only sandbox, which ${options.host} cannot provide: ${unavailable.slice(REMOTE_UNAVAILABLE.marker.length).trim()}; nothing was run (connector option sandbox: off runs such commands unsandboxed)`,
        redactor,
      )
    }
    return { ...commandResult({ ...outcome, stdout, stderr }, started, redactor), sandboxed }
  }

  async close(): Promise<void> {
    for (const client of this.#clients) client.end()
    this.#clients.clear()
  }
}

function matches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

import { createHash } from 'node:crypto'
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { z } from 'zod'
import { canonicalSha256 } from '../action/index.js'
import { resolveSecret } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import type { Connector, ExecutionRequest, ExecutionResult } from './connector.js'
import { connectorType } from './connector-type.js'
import { identityEnvironment, type ExecutionContext } from './execution-context.js'
import type { GatewaySecrets } from './gateway-secrets.js'
import type { LocalUser } from './local-user.js'
import { durationOption, IdentityOption, isSecretRef, sizeOption, ValueOrSecret } from './options.js'
import { runProcess } from './process-run.js'
import { Redactor } from './redact.js'
import { commandResult, elapsed, failure, refusal, type CommandOutcome } from './results.js'
import { accountFor, CREDENTIAL_NAME, DEFAULT_ENV_ALLOW, EnvName } from './shell.js'

/** Terraform stops gracefully on SIGTERM (it finishes the resource in flight and releases its state lock): give it time. */
const KILL_GRACE_MS = 30_000
/** Most bytes of `terraform show -json` read back (the JSON of a large plan is many times its file). */
const MAX_SHOW_JSON = 256 * 1_048_576
/** Bytes of `terraform state pull` read: `serial` is among the first keys Terraform writes. */
const STATE_HEAD = 64 * 1024
/** Time for `show` and `state pull`, which only read. */
const READ_TIMEOUT_MS = 120_000
/** Terraform's own words for a plan made against an older state (`terraform apply PLANFILE`). */
const STALE = /Saved plan is stale/

/** Options of the `terraform` connector: where the configuration lives and what Terraform runs with. */
const TerraformOptionsSchema = z.strictObject({
  type: z.literal('terraform'),
  /** The root module, initialized (`terraform init`) by its operator unless `init` is true. */
  working_dir: z.string('expected an absolute path').refine(isAbsolute, 'expected an absolute path'),
  /** The Terraform CLI: a name looked up on the PATH the connector passes, or an absolute path. */
  binary: z.string('expected a program name or an absolute path').min(1).default('terraform'),
  /** The cloud credentials, as environment variables: each a secret reference, read when an apply runs and masked in its output. */
  credentials: z.record(EnvName, ValueOrSecret.refine((value) => isSecretRef(value), 'expected a secret reference (env:NAME or file:/absolute/path), never the value itself')).default({}),
  /** Other variables, plain values or secret references (`AWS_REGION`, `TF_CLI_CONFIG_FILE`). */
  env: z.record(EnvName, ValueOrSecret).default({}),
  env_allow: z
    .array(EnvName.refine((name) => !CREDENTIAL_NAME.test(name), 'looks like a credential: the gateway never passes its own; set it under credentials as a secret reference'))
    .default([...DEFAULT_ENV_ALLOW]),
  /** Run `terraform init -input=false` before each apply. */
  init: z.boolean('expected true or false').default(false),
  user: z
    .string('expected a user name or uid')
    .regex(/^(?:[A-Za-z_][A-Za-z0-9_.-]*\$?|\d+)$/, 'expected a user name or uid')
    .optional(),
  run_as_gateway_user: z.boolean('expected true or false').default(false),
  timeout: durationOption('30m', { min: 1000, max: 86_400_000 }),
  max_output: sizeOption('1MiB', { min: 1024, max: 64 * 1_048_576 }),
  identity: IdentityOption,
})
type TerraformOptions = z.output<typeof TerraformOptionsSchema>

/**
 * `terraform`: applies the approved saved plan. The action's payload carries the
 * plan's JSON (`plan`, what the analyzer and the reviewers read) and the binary plan file
 * (`saved_plan`, base64). Before applying, `terraform show -json` of that file in the working
 * directory must have the same canonical digest as the approved `plan`; then `terraform apply` of
 * exactly that file runs with the target's credentials and the execution's `COUNTERSIGN_*`
 * identity in its environment, and the state serial before and after is recorded.
 */
export const terraform = connectorType({
  type: 'terraform',
  kind: 'terraform',
  schema: TerraformOptionsSchema,
  create(target, options, gateway) {
    // Provisioners (local-exec) run as the account Terraform runs as.
    const account = accountFor(target, options, { runs: 'Terraform', reads: 'providers and provisioners' })
    return new TerraformConnector(options, account, gateway)
  },
})

/** The digest `terraform show -json` output and the approved plan are compared by: SHA-256 of the RFC 8785 canonical JSON of the whole document. */
export function planJsonDigest(plan: unknown): string {
  return canonicalSha256(plan)
}

interface TerraformPayload {
  readonly plan: Record<string, unknown>
  readonly plan_sha256?: string | undefined
  readonly saved_plan?: string | undefined
}

class TerraformConnector implements Connector {
  readonly type = 'terraform'
  readonly #options: TerraformOptions
  readonly #account: LocalUser | undefined
  readonly #gateway: GatewaySecrets
  /** One Terraform run at a time in the working directory: `init` and the apply must not interleave. */
  #queue: Promise<unknown> = Promise.resolve()
  readonly #running = new Set<AbortController>()

  constructor(options: TerraformOptions, account: LocalUser | undefined, gateway: GatewaySecrets) {
    this.#options = options
    this.#account = account
    this.#gateway = gateway
  }

  execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const turn = this.#queue.then(() => this.#execute(request))
    this.#queue = turn.catch(() => undefined)
    return turn
  }

  async #execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now()
    const refused = refusal(request, this.type, 'terraform')
    if (refused) return failure(started, refused)
    const payload = request.action.payload as unknown as TerraformPayload
    if (payload.saved_plan === undefined) {
      return failure(started, 'the action has no saved_plan: the terraform connector applies only a saved plan (the base64 of the file `terraform plan -out` wrote), checked against the approved plan JSON; nothing was applied')
    }
    const planFile = Buffer.from(payload.saved_plan, 'base64')
    const fileSha256 = createHash('sha256').update(planFile).digest('hex')
    if (payload.plan_sha256 !== undefined && payload.plan_sha256 !== fileSha256) {
      return failure(started, `the saved plan's SHA-256 is ${fileSha256}, not the plan_sha256 ${payload.plan_sha256} the action names; nothing was applied`)
    }
    const approvedDigest = planJsonDigest(payload.plan)
    const { env, secrets } = this.#environment(request.context)
    const redactor = new Redactor([...secrets, ...this.#gateway.values()])
    const controller = new AbortController()
    const onAbort = () => controller.abort(request.signal.reason)
    request.signal.addEventListener('abort', onAbort, { once: true })
    this.#running.add(controller)
    const dir = await mkdtemp(join(tmpdir(), 'countersign-tfplan-'))
    try {
      const file = join(dir, 'approved.tfplan')
      await writeFile(file, planFile, { mode: 0o600 })
      if (this.#account && this.#account.uid !== process.getuid?.()) {
        await chown(dir, this.#account.uid, this.#account.gid)
        await chown(file, this.#account.uid, this.#account.gid)
      }
      const run = (args: readonly string[], limits: { timeoutMs: number; maxOutput: number }) =>
        runProcess({
          file: this.#options.binary,
          args,
          cwd: this.#options.working_dir,
          env,
          account: this.#account && this.#account.uid !== process.getuid?.() ? this.#account : undefined,
          ...limits,
          killGraceMs: KILL_GRACE_MS,
          signal: controller.signal,
          name: `terraform ${args[0]}`,
        })
      const output = { timeoutMs: this.#options.timeout, maxOutput: this.#options.max_output }
      const prefix: CommandOutcome[] = []
      if (this.#options.init) {
        const init = await run(['init', '-input=false', '-no-color'], output)
        if (!ended(init)) return this.#result(init, started, redactor, { problem: init.problem ?? `terraform init failed (exit code ${init.exitCode}); nothing was applied` })
        prefix.push(init)
      }
      // The file is what will run: its JSON, as this Terraform reads it, must be the JSON that was approved.
      const show = await run(['show', '-json', '-no-color', file], { timeoutMs: READ_TIMEOUT_MS, maxOutput: MAX_SHOW_JSON })
      if (!ended(show)) {
        return this.#result(show, started, redactor, { problem: show.problem ?? `terraform show could not read the saved plan (exit code ${show.exitCode}); nothing was applied`, withStdout: false })
      }
      let shownDigest: string
      try {
        shownDigest = planJsonDigest(JSON.parse(show.stdout.bytes().toString('utf8')))
      } catch {
        return failure(started, `terraform show -json printed no readable JSON for the saved plan${show.stdout.truncated ? ` (more than ${MAX_SHOW_JSON} bytes)` : ''}; nothing was applied`)
      }
      if (shownDigest !== approvedDigest) {
        return {
          ...failure(started, `the saved plan is not the approved plan: terraform show -json of it has the canonical digest ${shownDigest}, the approved plan JSON ${approvedDigest}; nothing was applied`),
          plan_digest: approvedDigest,
          saved_plan_sha256: fileSha256,
        }
      }
      const before = await this.#stateSerial(run)
      const apply = await run(['apply', '-input=false', '-no-color', file], output)
      const after = await this.#stateSerial(run)
      const stale = STALE.test(apply.stderr.text())
      const problem = stale
        ? 'the saved plan is stale: the state changed after it was planned, and Terraform refused to apply it; nothing was applied (plan again and submit the new plan)'
        : apply.problem
      return {
        ...this.#result(apply, started, redactor, { problem, prefix }),
        plan_digest: approvedDigest,
        saved_plan_sha256: fileSha256,
        state_serial_before: before,
        state_serial_after: after,
      }
    } finally {
      request.signal.removeEventListener('abort', onAbort)
      this.#running.delete(controller)
      await rm(dir, { recursive: true, force: true })
    }
  }

  /** The result of a run: its output (after that of the runs before it) and exit; `problem` overrides the error. */
  #result(
    outcome: CommandOutcome,
    started: number,
    redactor: Redactor,
    { problem, prefix = [], withStdout = true }: { problem?: string | undefined; prefix?: readonly CommandOutcome[]; withStdout?: boolean },
  ): ExecutionResult {
    const result = commandResult({ ...outcome, ...(problem !== undefined && { problem }) }, started, redactor)
    const before = prefix.map((run) => redactor.text(run.stdout.text(), run.stdout.truncated)).join('')
    return {
      ...result,
      duration_ms: elapsed(started),
      // `show -json` prints the plan's values, sensitive ones among them: never kept.
      stdout: withStdout ? before + (result.stdout ?? '') : '',
    }
  }

  /** The serial of the current state (`terraform state pull`), or null when there is none yet or it cannot be read. */
  async #stateSerial(run: (args: readonly string[], limits: { timeoutMs: number; maxOutput: number }) => Promise<CommandOutcome>): Promise<number | null> {
    const pulled = await run(['state', 'pull'], { timeoutMs: READ_TIMEOUT_MS, maxOutput: STATE_HEAD })
    if (!ended(pulled)) return null
    const serial = /"serial"\s*:\s*(\d{1,15})\b/.exec(pulled.stdout.bytes().toString('utf8'))
    return serial ? Number(serial[1]) : null
  }

  /**
   * The allow-listed variables of the gateway, Terraform's automation settings, the account's
   * identity, `env` and `credentials` (secret references read now), then the execution's
   * `COUNTERSIGN_*` identity last (unless `identity: false`), so nothing configured poses as it.
   */
  #environment(context: ExecutionContext): { env: Record<string, string>; secrets: string[] } {
    const env: Record<string, string> = {}
    const secrets: string[] = []
    for (const name of this.#options.env_allow) {
      const value = process.env[name]
      if (value !== undefined) env[name] = value
    }
    Object.assign(env, { TF_IN_AUTOMATION: '1', TF_INPUT: '0' })
    if (this.#account) Object.assign(env, { HOME: this.#account.home, USER: this.#account.name, LOGNAME: this.#account.name })
    for (const [name, value] of [...Object.entries(this.#options.env), ...Object.entries(this.#options.credentials)]) {
      if (typeof value === 'string') env[name] = value
      else secrets.push((env[name] = resolveSecret(value)))
    }
    if (this.#options.identity) Object.assign(env, identityEnvironment(context))
    return { env, secrets }
  }

  async close(): Promise<void> {
    for (const controller of [...this.#running]) controller.abort(new Error('the connector was closed'))
  }
}

/** The program ran to its end with exit code 0. */
function ended(outcome: CommandOutcome): boolean {
  return outcome.problem === undefined && outcome.signal === null && outcome.exitCode === 0
}

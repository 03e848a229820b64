import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { StringDecoder } from 'node:string_decoder'
import type { Command } from 'commander'
import ora from 'ora'
import { escapeInline } from '../action/index.js'
import { identityEnvironment, newSpanId, type ExecutionContext } from '../connectors/execution-context.js'
import { CountersignError } from '../errors/index.js'
import { requirementText } from './action-render.js'
import type { ActionView } from './api-types.js'
import { clientCommand, clientOf, gatewayOptions, type ClientFlags } from './client-command.js'
import type { ApiClient } from './http-client.js'
import type { CliIo } from './io.js'
import { renderResult } from './result-render.js'
import { traceOrigin } from '../telemetry/trace-ids.js'
import { deadline, holdSeconds, settled, STATUS_EXIT_CODES } from './submit-command.js'

/** How much of the command's output is kept for the outcome report (the terminal gets all of it). */
const REPORTED_OUTPUT = 64 * 1024
/** Exit code when Ctrl-C ended the wait (128 + SIGINT, as shells do). */
const INTERRUPTED = 130

interface ExecFlags extends ClientFlags {
  readonly target: string
  readonly wait?: string
  readonly reason?: string
  readonly onBehalfOf?: string
  readonly session?: string
  readonly model?: string
}

/**
 * `countersign exec --target T -- CMD…`: asks to run a shell command and runs it only once it is
 * allowed or approved. Without a connector on the target, it runs here after redeeming the
 * approval's receipt, streams the output and reports the outcome; with one, Countersign runs it on
 * the target and the output is printed. Exits with the command's code.
 */
export function execCommand(io: CliIo): Command {
  const command = clientCommand('exec', 'ask to run a shell command, run it once allowed or approved, and exit with its code', io, [
    'countersign exec --target build-host -- systemctl restart nginx',
    'countersign exec --target prod-web-1 --reason "rotate logs" --wait 600 -- logrotate -f /etc/logrotate.conf',
  ])
    .requiredOption('--target <name>', 'the shell target, as named in the gateway config')
    .option('--wait <seconds>', 'how long to wait for a decision (default: until it is decided or expires)')
    .option('--reason <text>', 'why: shown to reviewers and recorded')
    .option('--on-behalf-of <email>', 'the human this is done for (who then cannot approve it)')
    .option('--session <id>', 'the agent session, shown to reviewers')
    .option('--model <name>', 'the model acting, shown to reviewers')
    .argument('<command...>', 'the command and its arguments, after --')
    .addHelpText(
      'after',
      `
Exit codes:
  the command's own exit code once it ran (here, or on the target by Countersign)
  10  still pending when --wait ended    11  denied    12  expired or cancelled
  13  failed without an exit code        130 interrupted (Ctrl-C cancels the request)
  1–5 the request failed (2 invalid input, 3 not authenticated or allowed, 4 not found, 5 conflict)`,
    )
    .action(async (argv: string[], flags: ExecFlags) => {
      const client = clientOf(flags, io)
      const context = Object.fromEntries(Object.entries({ reason: flags.reason, on_behalf_of: flags.onBehalfOf, session: flags.session, model: flags.model }).filter(([, value]) => value !== undefined))
      const action = { kind: 'shell', target: flags.target, payload: { argv }, ...(Object.keys(context).length > 0 && { context }) }
      const waitUntil = deadline(flags.wait ?? true)!
      const decided = await decide(client, action, waitUntil, io)
      io.setExitCode?.(await finish(client, decided, action, io))
    })
  return gatewayOptions(command, { json: false })
}

/** Submits and waits for the decision (and a brokered run), showing progress; Ctrl-C cancels the request. */
async function decide(client: ApiClient, action: Record<string, unknown>, waitUntil: number, io: CliIo): Promise<ActionView | 'interrupted'> {
  const interrupt = new AbortController()
  const onSigint = () => interrupt.abort()
  process.once('SIGINT', onSigint)
  const spinner = process.stderr.isTTY ? ora({ stream: process.stderr }) : undefined
  let current: ActionView | undefined
  try {
    // No hold on the submission: the request's id and what it needs are shown before any wait.
    current = await client.request<ActionView>('POST', '/v1/actions', { body: action, signal: interrupt.signal })
    let shown = ''
    while (!settled(current) && performance.now() < waitUntil) {
      const line = progressLine(current)
      if (line !== shown) {
        if (spinner) spinner.start(line)
        else io.stderr(`${line}\n`)
        shown = line
      }
      current = await client.request<ActionView>('GET', `/v1/actions/${current.id}`, { query: { wait: holdSeconds(waitUntil) }, signal: interrupt.signal })
    }
    return current
  } catch (error) {
    if (!interrupt.signal.aborted) throw error
    if (current?.status === 'pending') {
      await client.request('POST', `/v1/actions/${current.id}/cancel`, { body: { reason: 'interrupted by the user (Ctrl-C)' } }).catch(() => undefined)
      io.stderr(`\ncancelled ${current.id}\n`)
    }
    return 'interrupted'
  } finally {
    spinner?.stop()
    process.removeListener('SIGINT', onSigint)
  }
}

function progressLine(action: ActionView): string {
  if (action.status !== 'pending') return `${action.id} ${action.status}: Countersign is running it on ${escapeInline(action.target)}`
  const needs = action.decision.requirements.filter((requirement) => !requirement.met).map(requirementText).join('; ')
  return `${action.id} waiting for approval: ${needs}${action.links.console ? ` — ${escapeInline(action.links.console)}` : ''}`
}

/** Runs or reports the decided action; returns the exit code. */
async function finish(client: ApiClient, action: ActionView | 'interrupted', submitted: Record<string, unknown>, io: CliIo): Promise<number> {
  if (action === 'interrupted') return INTERRUPTED
  if (action.brokered && (action.status === 'succeeded' || action.status === 'failed')) {
    const result = action.result ?? {}
    if (typeof result['stdout'] === 'string') io.stdout(result['stdout'])
    if (typeof result['stderr'] === 'string') io.stderr(result['stderr'])
    if (result['truncated'] === true || (action.status === 'failed' && typeof result['exit_code'] !== 'number')) io.stderr(`${renderResult(result).join('\n')}\n`)
    return typeof result['exit_code'] === 'number' ? result['exit_code'] : STATUS_EXIT_CODES[action.status]
  }
  if (action.status !== 'allowed' && action.status !== 'approved') {
    const why = action.status === 'denied' ? action.decision.messages.join(' ') || (action.reviews.find((review) => review.decision === 'deny')?.reason ?? action.decision.explanation) : ''
    io.stderr(`countersign: ${action.id} is ${action.status}${why ? `: ${escapeInline(why)}` : ''}; the command was not run\n`)
    return STATUS_EXIT_CODES[action.status] ?? 1
  }
  let env: Record<string, string>
  try {
    const { receipt } = await client.request<{ receipt: string }>('GET', `/v1/actions/${action.id}/receipt`)
    const redeemed = await client.request<ActionView>('POST', '/v1/receipts/redeem', { body: { receipt, target: action.target, action: { kind: submitted['kind'], target: submitted['target'], payload: submitted['payload'] } } })
    env = localEnvironment(redeemed, receipt)
  } catch (error) {
    // Not run, and never to be run by this exec: cancelled, so it does not stay allowed or approved.
    const reason = `countersign exec could not redeem its receipt: ${error instanceof Error ? error.message : String(error)}`.slice(0, 1000)
    await client.request('POST', `/v1/actions/${action.id}/cancel`, { body: { reason } }).catch(() => undefined)
    throw error
  }
  const outcome = await run((submitted['payload'] as { argv: string[] }).argv, io, env)
  await client.request('POST', `/v1/actions/${action.id}/outcome`, {
    body: { status: outcome.code === 0 ? 'succeeded' : 'failed', ...(outcome.code !== null && { exit_code: outcome.code }), output: outcome.output, ...(outcome.error && { error: outcome.error }) },
  })
  return outcome.code ?? STATUS_EXIT_CODES.failed
}

/**
 * The environment the approved command runs in here: this process's, plus the identity context a
 * brokered shell target gets (`COUNTERSIGN_REQUEST_ID`, `_AGENT`, `_ON_BEHALF_OF`, `_APPROVERS`,
 * from the action as redeemed), `TRACEPARENT` in the action's trace, and `COUNTERSIGN_RECEIPT`,
 * the redeemed receipt (signed; checkable offline against the gateway's JWKS). Set last, so an
 * inherited variable cannot pose as them.
 */
export function localEnvironment(action: ActionView, receipt: string): Record<string, string> {
  const context: ExecutionContext = {
    request_id: action.id,
    digest: action.digest,
    agent: action.agent ?? action.submitted_by,
    agent_owner: action.owner,
    on_behalf_of: action.on_behalf_of,
    submitter: action.submitted_by,
    approvers: action.reviews.filter((review) => review.decision === 'approve').map((review) => ({ email: review.reviewer, channel: review.channel, at: review.at })),
    matched_rules: action.decision.matched_rules,
    policy_version: action.decision.policy_version ?? '',
    trace_id: traceOrigin(action.id, action.context['trace_id']).traceId,
  }
  const inherited = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined))
  return { ...inherited, ...identityEnvironment(context), TRACEPARENT: `00-${context.trace_id}-${newSpanId()}-01`, COUNTERSIGN_RECEIPT: receipt }
}

/** Runs the approved argv here, streaming its output and keeping its tail for the report. */
function run(argv: readonly string[], io: CliIo, env: Readonly<Record<string, string>>): Promise<{ code: number | null; output: string; error?: string }> {
  if (argv.length === 0) throw new CountersignError('INVALID', 'no command to run')
  return new Promise((resolve) => {
    let output = ''
    const keep = (text: string) => {
      output = (output + text).slice(-REPORTED_OUTPUT)
    }
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['inherit', 'pipe', 'pipe'], cwd: io.cwd, env })
    for (const [stream, write] of [[child.stdout, io.stdout], [child.stderr, io.stderr]] as const) {
      const decoder = new StringDecoder('utf8')
      stream.on('data', (chunk: Buffer) => {
        const text = decoder.write(chunk)
        write(text)
        keep(text)
      })
    }
    child.on('error', (error) => resolve({ code: 127, output, error: `cannot run ${argv[0]}: ${(error as NodeJS.ErrnoException).code ?? error.message}` }))
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 + constants.signals[signal] : null), output, ...(signal && { error: `killed by ${signal}` }) }))
  })
}

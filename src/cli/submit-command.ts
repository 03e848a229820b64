import { setTimeout as sleep } from 'node:timers/promises'
import { Option, type Command } from 'commander'
import { ACTION_KINDS } from '../action/index.js'
import { CountersignError } from '../errors/index.js'
import type { ActionStatus } from '../lifecycle/index.js'
import { renderActionBrief, requirementText } from './action-render.js'
import type { ActionView } from './api-types.js'
import { clientCommand, clientOf, gatewayOptions, printJson, type ClientFlags } from './client-command.js'
import type { ApiClient } from './http-client.js'
import { readJsonArgument, type CliIo } from './io.js'

/**
 * The exit code of `submit` for the action's status: 0 when it may run (or ran), otherwise a code
 * a script can tell apart from the error codes 1–5. Same codes with and without `--wait`, so
 * `countersign submit … && next-step` never proceeds on a pending or refused action.
 */
export const STATUS_EXIT_CODES: Readonly<Record<ActionStatus, number>> = {
  allowed: 0,
  approved: 0,
  executing: 0,
  succeeded: 0,
  pending: 10,
  denied: 11,
  expired: 12,
  cancelled: 12,
  failed: 13,
}

/** Longest hold the API grants one request (docs/api.md: `wait` ≤ 60 s). */
const MAX_WAIT_SECONDS = 60
const POLL_MS = 1000

interface SubmitFlags extends ClientFlags {
  readonly target: string
  readonly kind?: string
  readonly sql?: string
  readonly command?: string
  readonly payload?: string
  readonly reason?: string
  readonly onBehalfOf?: string
  readonly session?: string
  readonly model?: string
  readonly wait?: string | true
  readonly idOnly?: boolean
}

/** `countersign submit`: send an action for a decision; with `--wait`, hold until it is decided. */
export function submitCommand(io: CliIo): Command {
  const command = clientCommand('submit', 'submit an action for a policy decision, and with --wait until a human decides it', io, [
    `countersign submit --target prod-db --sql "DELETE FROM users WHERE id = 42" --reason "remove a test account" --wait`,
    'countersign submit --target build-host --command "systemctl restart nginx" --wait 300',
    'countersign submit --target github-mcp --kind mcp --payload @call.json --json',
  ])
    .requiredOption('--target <name>', 'the target, as named in the gateway config')
    .addOption(new Option('--kind <kind>', 'the action kind (default: sql with --sql, shell with --command)').choices(ACTION_KINDS))
    .option('--sql <statements>', 'SQL to run (payload {sql})')
    .option('--command <line>', 'a command line (payload {command}: shell, or kubernetes with --kind kubernetes)')
    .option('--payload <json>', 'the payload as JSON, or @file.json')
    .option('--reason <text>', 'why: shown to reviewers and recorded')
    .option('--on-behalf-of <email>', 'the human this is done for (who then cannot approve it)')
    .option('--session <id>', 'the agent session, shown to reviewers')
    .option('--model <name>', 'the model acting, shown to reviewers')
    .option('--wait [seconds]', 'wait until the action is decided, and when Countersign runs it, until it ran (no value: as long as it takes)')
    .option('--id-only', 'print only the action\'s id, for ID=$(countersign submit …); nothing on stdout when it fails')
    .addHelpText(
      'after',
      `
Exit codes:
  0   allowed, approved, executing or succeeded: it may run (or ran)
  10  still pending (without --wait, or the wait ended first)
  11  denied    12  expired or cancelled    13  failed
  1–5 the request failed (2 invalid input, 3 not authenticated or allowed, 4 not found, 5 conflict)`,
    )
    .action(async (flags: SubmitFlags) => {
      const body = submission(flags)
      const waitUntil = deadline(flags.wait)
      const client = clientOf(flags, io)
      let action = await client.request<ActionView>('POST', '/v1/actions', { query: { wait: holdSeconds(waitUntil) }, body })
      if (!settled(action) && waitUntil !== undefined) action = await waitUntilSettled(client, action, waitUntil, io)
      if (flags.idOnly) io.stdout(`${action.id}\n`)
      else if (flags.json) printJson(io, action)
      else io.stdout(renderActionBrief(action, new Date()))
      io.setExitCode?.(STATUS_EXIT_CODES[action.status] ?? 1)
    })
  return gatewayOptions(command)
}

/**
 * Whether the action reached what its submitter waits for: an end, or allowed/approved when the
 * agent runs it itself. A brokered action is settled once Countersign has run it.
 */
export function settled(action: ActionView): boolean {
  if (['denied', 'expired', 'cancelled', 'succeeded', 'failed'].includes(action.status)) return true
  return action.brokered !== true && (action.status === 'allowed' || action.status === 'approved')
}

/** Polls with `?wait` until the action is settled or the deadline passes. */
export async function waitUntilSettled(client: ApiClient, first: ActionView, waitUntil: number, io: CliIo, signal?: AbortSignal): Promise<ActionView> {
  if (first.status === 'pending') {
    io.stderr(`${first.id} is pending; waiting for review${Number.isFinite(waitUntil) ? ` (up to ${Math.ceil((waitUntil - performance.now()) / 1000)}s)` : ''}:\n`)
    for (const requirement of first.decision.requirements) io.stderr(`  ${requirementText(requirement)}\n`)
  }
  let action = first
  while (!settled(action) && performance.now() < waitUntil && !signal?.aborted) {
    const asked = performance.now()
    const next = await client.request<ActionView>('GET', `/v1/actions/${action.id}`, { query: { wait: holdSeconds(waitUntil) }, signal })
    // A gateway that answers at once without a change is not holding the request: poll gently instead of spinning.
    if (next.updated_at === action.updated_at && performance.now() - asked < POLL_MS) await sleep(Math.min(POLL_MS, Math.max(0, waitUntil - performance.now())))
    action = next
  }
  return action
}

function submission(flags: SubmitFlags): Record<string, unknown> {
  const given = [flags.sql !== undefined && '--sql', flags.command !== undefined && '--command', flags.payload !== undefined && '--payload'].filter(Boolean)
  if (given.length !== 1) throw new CountersignError('INVALID', given.length === 0 ? 'give the action with --sql, --command or --payload' : `give only one of ${given.join(', ')}`)
  let kind = flags.kind
  let payload: unknown
  if (flags.sql !== undefined) {
    if (kind && kind !== 'sql') throw new CountersignError('INVALID', `--sql makes a sql action, not ${kind} (use --payload for ${kind})`)
    kind = 'sql'
    payload = { sql: flags.sql }
  } else if (flags.command !== undefined) {
    if (kind && kind !== 'shell' && kind !== 'kubernetes') throw new CountersignError('INVALID', `--command makes a shell or kubernetes action, not ${kind} (use --payload for ${kind})`)
    kind ??= 'shell'
    payload = { command: flags.command }
  } else {
    if (!kind) throw new CountersignError('INVALID', '--payload needs --kind')
    payload = readJsonArgument(flags.payload ?? '', '--payload')
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new CountersignError('INVALID', '--payload must be a JSON object')
  }
  const context = Object.fromEntries(
    Object.entries({ reason: flags.reason, on_behalf_of: flags.onBehalfOf, session: flags.session, model: flags.model }).filter(([, value]) => value !== undefined),
  )
  return { kind, target: flags.target, payload, ...(Object.keys(context).length > 0 && { context }) }
}

/** When `--wait` ends, on the monotonic clock (`performance.now()` ms): Infinity for a bare `--wait`, undefined without it. */
export function deadline(wait: string | true | undefined): number | undefined {
  if (wait === undefined) return undefined
  if (wait === true) return Infinity
  const seconds = Number(wait)
  if (!/^\d+(\.\d+)?$/.test(wait) || seconds <= 0) throw new CountersignError('INVALID', `--wait: expected a number of seconds, got ${JSON.stringify(wait)}`)
  return performance.now() + seconds * 1000
}

export function holdSeconds(waitUntil: number | undefined): number | undefined {
  if (waitUntil === undefined) return undefined
  return Math.max(1, Math.min(MAX_WAIT_SECONDS, Math.ceil((waitUntil - performance.now()) / 1000)))
}

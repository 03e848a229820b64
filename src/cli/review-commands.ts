import type { Command } from 'commander'
import { CountersignError } from '../errors/index.js'
import { renderActionBrief } from './action-render.js'
import type { ActionView } from './api-types.js'
import { actionId, clientCommand, clientOf, gatewayOptions, printJson, type ClientFlags } from './client-command.js'
import type { CliIo } from './io.js'

interface ReasonFlags extends ClientFlags {
  readonly reason?: string
  readonly grant?: string
  readonly grantUses?: string
}

/** `countersign approve ID`: approve a pending action as the human whose token is used. */
export function approveCommand(io: CliIo): Command {
  const command = clientCommand('approve', 'approve a pending action (look at it first with `countersign show ID`)', io, ['countersign show act_01hzyx3k5e8qk2j4m6n8p0r2t4', 'countersign approve act_01hzyx3k5e8qk2j4m6n8p0r2t4 --reason "checked the WHERE clause"'])
    .argument('<id>', 'the action id (act_…)')
    .option('--reason <text>', 'why you approve (required when the rule says reason_required)')
    .option('--grant <duration>', 'also approve later actions of the same agent, target and shape for this long (30m, 1h), where the rule has review.grants')
    .option('--grant-uses <n>', 'with --grant: how many later actions it covers (default 1)')
    .addHelpText('after', '\nOnly humans review, and never an action they asked for, own the agent of, or are acting on behalf of.')
    .action(async (id: string, flags: ReasonFlags) => {
      await review(io, actionId(id), flags, { decision: 'approve', ...(flags.reason !== undefined && { reason: flags.reason }), ...grantOf(flags) })
    })
  return gatewayOptions(command)
}

/** `countersign deny ID --reason R`: deny a pending action; one eligible deny ends it. */
export function denyCommand(io: CliIo): Command {
  const command = clientCommand('deny', 'deny a pending action: one eligible deny ends the request as denied', io, ['countersign deny act_01hzyx3k5e8qk2j4m6n8p0r2t4 --reason "no WHERE clause: this deletes every user"'])
    .argument('<id>', 'the action id (act_…)')
    .requiredOption('--reason <text>', 'why you deny: the agent and its owner see it')
    .action(async (id: string, flags: ReasonFlags) => {
      await review(io, actionId(id), flags, { decision: 'deny', reason: flags.reason })
    })
  return gatewayOptions(command)
}

/** `countersign cancel ID`: withdraw a pending action (its agent, its submitter or an admin). */
export function cancelCommand(io: CliIo): Command {
  const command = clientCommand('cancel', 'cancel a pending action, or an allowed or approved one not yet run (its agent, whoever submitted it, or an admin)', io, ['countersign cancel act_01hzyx3k5e8qk2j4m6n8p0r2t4 --reason "submitted the wrong statement"'])
    .argument('<id>', 'the action id (act_…)')
    .option('--reason <text>', 'why, for the record')
    .action(async (id: string, flags: ReasonFlags) => {
      const body = flags.reason !== undefined ? { reason: flags.reason } : {}
      const action = await clientOf(flags, io).request<ActionView>('POST', `/v1/actions/${actionId(id)}/cancel`, { body })
      show(io, flags, action)
    })
  return gatewayOptions(command)
}

/** The `grant` of an approval from `--grant` and `--grant-uses`, checked before anything is sent. */
function grantOf(flags: ReasonFlags): { grant?: { ttl: string; max_uses: number } } {
  if (flags.grant === undefined) {
    if (flags.grantUses !== undefined) throw new CountersignError('INVALID', '--grant-uses only with --grant')
    return {}
  }
  if (!/^(?:\d+(?:ms|s|m|h|d))+$/.test(flags.grant)) throw new CountersignError('INVALID', `--grant: expected a duration such as 30m or 1h, got ${JSON.stringify(flags.grant)}`)
  const uses = flags.grantUses === undefined ? 1 : Number(flags.grantUses)
  if (!Number.isInteger(uses) || uses < 1) throw new CountersignError('INVALID', `--grant-uses: expected a whole number of at least 1, got ${JSON.stringify(flags.grantUses)}`)
  return { grant: { ttl: flags.grant, max_uses: uses } }
}

async function review(io: CliIo, id: string, flags: ReasonFlags, body: { decision: 'approve' | 'deny'; reason?: string | undefined; grant?: { ttl: string; max_uses: number } }): Promise<void> {
  const action = await clientOf(flags, io).request<ActionView>('POST', `/v1/actions/${id}/reviews`, { body })
  show(io, flags, action)
}

function show(io: CliIo, flags: ClientFlags, action: ActionView): void {
  if (flags.json) printJson(io, action)
  else io.stdout(renderActionBrief(action, new Date()))
}

import type { Command } from 'commander'
import { renderActionDetail } from './action-render.js'
import type { ActionView } from './api-types.js'
import { actionId, clientCommand, clientOf, gatewayOptions, printJson, type ClientFlags } from './client-command.js'
import type { CliIo } from './io.js'

/** `countersign show ID`: everything a reviewer must see before deciding. */
export function showCommand(io: CliIo): Command {
  const command = clientCommand('show', 'show an action in full: the exact payload (invisible characters escaped), who asked and why, impact, rules, approvals, timeline, result', io, ['countersign show act_01hzyx3k5e8qk2j4m6n8p0r2t4', 'countersign show act_01hzyx3k5e8qk2j4m6n8p0r2t4 --json | jq .payload'])
    .argument('<id>', 'the action id (act_…)')
    .addHelpText('after', '\nControl, bidirectional and zero-width characters in the payload are shown as \\u{XXXX}: what you read is what will run.')
    .action(async (id: string, flags: ClientFlags) => {
      const action = await clientOf(flags, io).request<ActionView>('GET', `/v1/actions/${actionId(id)}`)
      if (flags.json) printJson(io, action)
      else io.stdout(renderActionDetail(action, new Date()))
    })
  return gatewayOptions(command)
}

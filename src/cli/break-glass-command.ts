import type { Command } from 'commander'
import { CountersignError } from '../errors/index.js'
import { renderActionBrief } from './action-render.js'
import type { ActionView } from './api-types.js'
import { actionId, clientCommand, clientOf, gatewayOptions, printJson, type ClientFlags } from './client-command.js'
import type { CliIo } from './io.js'

interface BreakGlassFlags extends ClientFlags {
  readonly reason: string
  readonly review?: string
}

/**
 * `countersign break-glass ID --reason R`: approve at once, even your own request, where its rules
 * allow break-glass; `--review confirm|dispute` gives the after-the-fact review of someone else's.
 */
export function breakGlassCommand(io: CliIo): Command {
  const command = clientCommand('break-glass', 'approve an urgent request at once, even your own, where its rules allow break-glass; or review one afterwards', io, [
    'countersign break-glass act_01hzyx3k5e8qk2j4m6n8p0r2t4 --reason "checkout is down; the restart cannot wait"',
    'countersign break-glass act_01hzyx3k5e8qk2j4m6n8p0r2t4 --review confirm --reason "the outage justified it"',
  ])
    .argument('<id>', 'the action id (act_…)')
    .requiredOption('--reason <text>', 'why this cannot wait (or, with --review, why you confirm or dispute it)')
    .option('--review <verdict>', 'give the after-the-fact review of a break-glass approval: confirm or dispute')
    .addHelpText('after', '\nOnly a listed approver of every rule that allows break_glass may use it, never an agent; everyone is notified, and someone else must review it within the rule\'s review_within.')
    .action(async (id: string, flags: BreakGlassFlags) => {
      if (flags.review !== undefined && flags.review !== 'confirm' && flags.review !== 'dispute') throw new CountersignError('INVALID', `--review: expected confirm or dispute, got "${flags.review}"`)
      const path = flags.review === undefined ? `/v1/actions/${actionId(id)}/break-glass` : `/v1/actions/${actionId(id)}/break-glass/review`
      const body = flags.review === undefined ? { reason: flags.reason } : { verdict: flags.review, reason: flags.reason }
      const action = await clientOf(flags, io).request<ActionView>('POST', path, { body })
      if (flags.json) printJson(io, action)
      else io.stdout(renderActionBrief(action, new Date()))
    })
  return gatewayOptions(command)
}

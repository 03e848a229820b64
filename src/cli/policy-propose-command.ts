import { CountersignError } from '../errors/index.js'
import { renderActionBrief } from './action-render.js'
import type { ActionView } from './api-types.js'
import { clientCommand, clientOf, gatewayOptions, printJson, type ClientFlags } from './client-command.js'
import { readText, type CliIo } from './io.js'
import { STATUS_EXIT_CODES } from './submit-command.js'

interface ProposeFlags extends ClientFlags {
  readonly reason?: string
}

/** `countersign policy propose F`: submit a change of the policy in force (policy.source: store) for review. */
export function policyProposeCommand(io: CliIo) {
  const command = clientCommand(
    'propose',
    'propose a new policy to a gateway whose policy lives in its store (policy.source: store): an action of kind policy whose facts are the diff and a replay of the last 30 days; it is put in force on every replica once the policy\'s review rules are met (never by its author). Exit 10 while pending',
    io,
    ['countersign policy propose policy.yaml --reason "review reads of users"', 'countersign show ID   # the diff and the replay, as reviewers see them'],
  )
    .argument('<file>', 'the proposed policy (YAML)')
    .option('--reason <text>', 'why: shown to the reviewers')
  gatewayOptions(command)
  return command.action(async (file: string, flags: ProposeFlags) => {
    const text = readText(file, 'policy')
    const client = clientOf(flags, io)
    const inForce = await client.request<{ version: string; source: 'file' | 'store' }>('GET', '/v1/policy')
    if (inForce.source !== 'store') throw new CountersignError('INVALID', "the gateway's policy comes from its file (policy.source: file): change the file, and run policy replay and policy test on it in CI")
    const action = await client.request<ActionView>('POST', '/v1/actions', { body: { kind: 'policy', target: 'policy', payload: { text, base: inForce.version }, ...(flags.reason && { context: { reason: flags.reason } }) } })
    if (flags.json) printJson(io, action)
    else io.stdout(renderActionBrief(action, new Date()))
    io.setExitCode?.(STATUS_EXIT_CODES[action.status as keyof typeof STATUS_EXIT_CODES] ?? 1)
  })
}

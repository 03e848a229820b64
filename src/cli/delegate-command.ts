import type { Command } from 'commander'
import { CountersignError } from '../errors/index.js'
import { parseDuration } from '../policy/duration.js'
import { clientCommand, clientOf, gatewayOptions, printJson, type ClientFlags } from './client-command.js'
import type { CliIo } from './io.js'

interface DelegateFlags extends ClientFlags {
  readonly to?: string
  readonly for?: string
  readonly until?: string
  readonly reason?: string
  readonly list?: boolean
  readonly revoke?: string
}

interface DelegationView {
  readonly id: string
  readonly from: string
  readonly to: string
  readonly starts_at: string
  readonly ends_at: string
  readonly reason: string
}

/**
 * `countersign delegate --to EMAIL --for 8h`: lend your review rights to another human for a
 * period; `--list` shows the delegations in force, `--revoke ID` ends one.
 */
export function delegateCommand(io: CliIo): Command {
  const command = clientCommand('delegate', 'lend your review rights to another human for a period (never to an agent); list or revoke delegations', io, [
    'countersign delegate --to bob@example.com --for 8h --reason "on call swap"',
    'countersign delegate --to bob@example.com --until 2026-12-24T18:00:00Z',
    'countersign delegate --list',
    'countersign delegate --revoke dlg_0123456789abcdef0123',
  ])
    .option('--to <email>', 'the delegate: a human the gateway knows')
    .option('--for <duration>', 'how long, from now (90m, 8h, 3d; at most 30d)')
    .option('--until <time>', 'when it ends (ISO 8601 with a zone)')
    .option('--reason <text>', 'why, for the record')
    .option('--list', 'show the delegations in force')
    .option('--revoke <id>', 'end a delegation (yours, to you, or any as an admin)')
    .addHelpText('after', '\nThe delegate reviews as themselves: they never review an action they asked for, and your right counts once per action.')
    .action(async (flags: DelegateFlags) => {
      const client = clientOf(flags, io)
      if (flags.list) {
        const { delegations } = await client.request<{ delegations: DelegationView[] }>('GET', '/v1/delegations')
        if (flags.json) return printJson(io, delegations)
        if (delegations.length === 0) return io.stdout('no delegations in force\n')
        for (const d of delegations) io.stdout(`${d.id}  ${d.from} -> ${d.to}  until ${d.ends_at}${d.reason ? `  "${d.reason}"` : ''}\n`)
        return
      }
      if (flags.revoke !== undefined) {
        await client.request('DELETE', `/v1/delegations/${encodeURIComponent(flags.revoke)}`)
        return io.stdout(`revoked ${flags.revoke}\n`)
      }
      if (!flags.to) throw new CountersignError('INVALID', 'give --to EMAIL with --for D or --until T (or --list, --revoke ID)')
      if ((flags.for === undefined) === (flags.until === undefined)) throw new CountersignError('INVALID', 'give exactly one of --for D and --until T')
      let until = flags.until
      if (flags.for !== undefined) {
        const ms = parseDuration(flags.for)
        if (ms === undefined || ms <= 0) throw new CountersignError('INVALID', `--for: expected a duration such as 90m, 8h or 3d, got "${flags.for}"`)
        until = new Date(Date.now() + ms).toISOString()
      }
      const body = { to: flags.to, until, ...(flags.reason !== undefined && { reason: flags.reason }) }
      const delegation = await client.request<DelegationView>('POST', '/v1/delegations', { body })
      if (flags.json) printJson(io, delegation)
      else io.stdout(`${delegation.id}  ${delegation.from} -> ${delegation.to}  until ${delegation.ends_at}\n`)
    })
  return gatewayOptions(command)
}

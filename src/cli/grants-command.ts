import { Command } from 'commander'
import { CountersignError } from '../errors/index.js'
import { clientCommand, clientOf, gatewayOptions, helpAndOutput, printJson, type ClientFlags } from './client-command.js'
import type { CliIo } from './io.js'

/** A grant as `GET /v1/grants` lists it. */
interface GrantView {
  readonly id: string
  readonly action_id: string
  readonly submitted_by: string
  readonly target: string
  readonly kind: string
  readonly shape: Readonly<Record<string, unknown>>
  readonly rules: readonly string[]
  readonly reviewers: readonly { readonly email: string }[]
  readonly created_at: string
  readonly expires_at: string
  readonly max_uses: number
  readonly uses: number
  readonly revoked_at: string | null
  readonly revoked_by: string | null
  readonly live: boolean
}

interface ListFlags extends ClientFlags {
  readonly live?: boolean
}

interface RevokeFlags extends ClientFlags {
  readonly reason?: string
}

const GRANT_ID = /^grt_[A-Za-z0-9_-]{22}$/

/** `countersign grants list|revoke`: the narrowing grants reviewers made with their approvals. */
export function grantsCommand(io: CliIo): Command {
  const grants = helpAndOutput(new Command('grants').description('list and revoke narrowing grants (approvals that also cover later actions of the same shape)'), io, ['countersign grants list --live', 'countersign grants revoke grt_3q2x0c6b5n4m8k1j7h9g2f --reason "done"'])
  grants.addCommand(gatewayOptions(listCommand(io)))
  grants.addCommand(gatewayOptions(revokeCommand(io)))
  return grants
}

function listCommand(io: CliIo): Command {
  return clientCommand('list', 'grants newest first: who granted what, for whom, until when, uses', io, ['countersign grants list', 'countersign grants list --live --json'])
    .option('--live', 'only grants still usable (not revoked, expired or used up)')
    .action(async (flags: ListFlags) => {
      const page = await clientOf(flags, io).request<{ grants: GrantView[] }>('GET', `/v1/grants${flags.live ? '?live=true' : ''}`)
      if (flags.json) return printJson(io, page)
      if (page.grants.length === 0) return io.stdout(flags.live ? 'no live grants\n' : 'no grants\n')
      io.stdout(page.grants.map(renderGrant).join(''))
    })
}

function revokeCommand(io: CliIo): Command {
  return clientCommand('revoke', 'revoke a grant at once (an admin or a human who granted it); later actions go to review again', io, ['countersign grants revoke grt_3q2x0c6b5n4m8k1j7h9g2f --reason "the migration is done"'])
    .argument('<id>', 'the grant id (grt_…)')
    .option('--reason <text>', 'why, for the record')
    .action(async (id: string, flags: RevokeFlags) => {
      if (!GRANT_ID.test(id)) throw new CountersignError('INVALID', `not a grant id: ${JSON.stringify(id)} (expected grt_ and 22 letters, digits, - or _)`)
      const grant = await clientOf(flags, io).request<GrantView>('DELETE', `/v1/grants/${id}`, { body: flags.reason !== undefined ? { reason: flags.reason } : {} })
      if (flags.json) return printJson(io, grant)
      io.stdout(renderGrant(grant))
    })
}

/** One grant in two lines: id, state, scope and uses; then its shape and reviewers. */
export function renderGrant(grant: GrantView): string {
  const state = grant.revoked_at ? `revoked ${grant.revoked_at} by ${grant.revoked_by ?? '?'}` : grant.live ? `live until ${grant.expires_at}` : `ended (expired ${grant.expires_at} or used up)`
  const shape = Object.entries(grant.shape)
    .filter(([key]) => key !== 'kind')
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(' ')
  return `${grant.id}  ${state}  ${grant.uses}/${grant.max_uses} used  ${grant.kind} on ${grant.target} for ${grant.submitted_by}\n  from ${grant.action_id} by ${grant.reviewers.map((reviewer) => reviewer.email).join(', ')} (rule ${grant.rules.join(', ')}): ${shape}\n`
}

import { Command } from 'commander'
import { CountersignError } from '../errors/index.js'
import type { IssuedToken } from './api-types.js'
import { clientCommand, clientOf, gatewayOptions, helpAndOutput, type ClientFlags } from './client-command.js'
import type { CliIo } from './io.js'

interface CreateFlags extends ClientFlags {
  readonly agent?: string
  readonly user?: string
  readonly api?: boolean
  readonly name?: string
  readonly expiresIn?: string
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const

/** `countersign token create`: a new token, on line 1 of stdout, and its `token_sha256`, on line 2. */
export function tokenCommand(io: CliIo): Command {
  const token = helpAndOutput(new Command('token').description('create bearer tokens for agents and humans'), io, ['countersign token create --agent deploy-bot'])
  token.addCommand(gatewayOptions(createCommand(io), { json: false }))
  return token
}

function createCommand(io: CliIo): Command {
  return clientCommand('create', 'create a token: line 1 of stdout is the token, line 2 its SHA-256 (the token_sha256 config value); nothing else goes to stdout', io, [
    'countersign token create --agent deploy-bot',
    'countersign token create --user alice@example.com',
    `{ read -r token; read -r sha; } < <(countersign token create --agent deploy-bot)`,
    'countersign token create --agent deploy-bot --api --name ci --expires-in 30d',
  ])
    .option('--agent <id>', 'a token for this agent (cs_agent_…)')
    .option('--user <email>', 'a personal token for this human (cs_user_…)')
    .option('--api', 'issue it through the gateway (POST /v1/tokens, admins only; stored hashed there) instead of locally for the config file')
    .option('--name <name>', 'with --api: a name to recognize the token by')
    .option('--expires-in <duration>', 'with --api: lifetime such as 12h, 30d or 1h30m (default: never)')
    .addHelpText(
      'after',
      `
Without --api nothing is sent: the token is generated here (256 random bits) and you add
its SHA-256 to identities.agents[].token_sha256 or identities.humans[].token_sha256 in
countersign.yaml. The token is shown once and stored nowhere.`,
    )
    .action(async (flags: CreateFlags) => {
      const subject = subjectOf(flags)
      const extra = [flags.name !== undefined && '--name', flags.expiresIn !== undefined && '--expires-in', flags.url !== undefined && '--url', flags.token !== undefined && '--token'].filter(Boolean)
      if (!flags.api && extra.length > 0) throw new CountersignError('INVALID', `${extra.join(', ')} only with --api (a token in the config file has no name or expiry)`)
      const expiresIn = flags.expiresIn === undefined ? undefined : seconds(flags.expiresIn)
      // Loaded here, not at start-up: the service module brings the store drivers, which no other client verb needs.
      const { generateToken, tokenSha256 } = await import('../service/index.js')
      if (!flags.api) {
        const { token, sha256 } = generateToken(subject.type)
        io.stdout(`${token}\n${sha256}\n`)
        io.stderr(`note: put the second line in the token_sha256 list of ${subject.where} in countersign.yaml; the token is not stored anywhere\n`)
        return
      }
      const body = { ...(subject.type === 'agent' ? { agent: subject.id } : { user: subject.id }), name: flags.name ?? '', ...(expiresIn !== undefined && { expires_in: expiresIn }) }
      const issued = await clientOf(flags, io).request<IssuedToken>('POST', '/v1/tokens', { body })
      // The gateway stores only the hash: check that what it returned belongs together before printing it.
      if (tokenSha256(issued.token) !== issued.token_sha256) throw new CountersignError('INTERNAL', 'the gateway returned a token whose SHA-256 does not match its token_sha256')
      io.stdout(`${issued.token}\n${issued.token_sha256}\n`)
      io.stderr(`note: issued by the gateway for ${issued.type} ${issued.subject}${issued.expires_at ? `, expires ${issued.expires_at}` : ', never expires'}; revoke with DELETE /v1/tokens/${issued.token_sha256}\n`)
    })
}

function subjectOf(flags: CreateFlags): { type: 'agent' | 'human'; id: string; where: string } {
  if ((flags.agent === undefined) === (flags.user === undefined)) throw new CountersignError('INVALID', 'give exactly one of --agent ID or --user EMAIL')
  if (flags.agent !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(flags.agent)) throw new CountersignError('INVALID', `--agent: not an agent id: ${JSON.stringify(flags.agent)}`)
    return { type: 'agent', id: flags.agent, where: `identities.agents (id: ${flags.agent})` }
  }
  const user = flags.user ?? ''
  if (!/^[^\s@]+@[^\s@]+$/.test(user)) throw new CountersignError('INVALID', `--user: not an email address: ${JSON.stringify(user)}`)
  return { type: 'human', id: user.toLowerCase(), where: `identities.humans (email: ${user.toLowerCase()})` }
}

/** `--expires-in` in seconds: a duration as policies write them (`90m`, `12h`, `30d`, `1h30m`). */
function seconds(text: string): number {
  if (!/^(?:\d+[smhd])+$/.test(text)) throw new CountersignError('INVALID', `--expires-in: expected a duration such as 12h, 30d or 1h30m, got ${JSON.stringify(text)}`)
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g)) total += Number(amount) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS]
  return total
}

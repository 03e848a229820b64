import type { Command } from 'commander'
import { CountersignError } from '../errors/index.js'
import { relayStdio } from '../mcp/relay/index.js'
import { clientCommand, clientOf, gatewayOptions, type ClientFlags } from './client-command.js'
import type { CliIo } from './io.js'

interface McpFlags extends ClientFlags {
  readonly upstream?: readonly string[]
}

/**
 * `countersign mcp [--upstream NAME…]`: the MCP gateway for a local agent over stdio. It checks
 * the token, then relays MCP between stdin/stdout and the gateway's `/mcp` endpoint; stdout
 * carries only MCP messages, so everything else goes to stderr.
 */
export function mcpCommand(io: CliIo): Command {
  const command = clientCommand('mcp', "serve the MCP gateway over stdio to a local agent (its tools run through Countersign's policy and approvals)", io, [
    'countersign mcp',
    'countersign mcp --upstream github --upstream staging-db',
    'claude mcp add countersign --env COUNTERSIGN_URL=https://countersign.example.com --env COUNTERSIGN_TOKEN=cs_agent_… -- countersign mcp',
  ])
    .option('--upstream <names...>', "only these targets' tools: MCP upstreams, and SQL, shell or HTTP targets for run_sql, run_command and http_request (default: every target the agent may use)")
    .action(async (flags: McpFlags) => {
      const client = clientOf(flags, io)
      const token = flags.token || io.env['COUNTERSIGN_TOKEN']
      if (!token) throw new CountersignError('UNAUTHENTICATED', 'countersign mcp needs the agent token: set COUNTERSIGN_TOKEN (or --token)')
      // Checked before the agent connects: a wrong token or URL is reported once, here, not on every call.
      const me = await client.request<{ type: string; id: string }>('GET', '/v1/me')
      if (me.type !== 'agent') throw new CountersignError('FORBIDDEN', `the token is ${me.id}'s, a human's: the MCP gateway serves agents (use a cs_agent_… token)`)
      io.stderr(`countersign mcp: serving ${me.id}'s tools from ${client.url} over stdio\n`)
      await relayStdio({ url: client.url, token, upstreams: flags.upstream, warn: (message) => io.stderr(`countersign mcp: ${message}\n`) })
    })
  return gatewayOptions(command, { json: false })
}

// The MCP gateway end to end, self-contained: node --import tsx examples/mcp/demo.ts
//
// It starts a gateway from examples/mcp/countersign.yaml and policy.yaml (embedded store in a
// temporary directory, the notes server as the upstream, its key in the gateway's environment
// only), then acts as an agent with the official MCP SDK client, over Streamable HTTP at /mcp:
//   1. the tools it is offered (namespaced per upstream, with their annotations, and the built-ins);
//   2. a read-only tool: allowed at once, the call returns the upstream's result;
//   3. deleting the runbook: denied, the call returns a tool error with the policy's message;
//   4. deleting a draft: held for review; progress arrives while alice (on call) approves it; the
//      call then returns the result of exactly the approved call;
// and finally over stdio with `countersign mcp`, as Claude Desktop or Claude Code would run it.
import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { pino } from 'pino'
import { parse } from 'yaml'
import { configFromObject } from '../../src/config/index.js'
import { startGateway } from '../../src/server/index.js'
import { generateToken } from '../../src/service/index.js'

const here = import.meta.dirname
const root = resolve(here, '../..')
const dir = mkdtempSync(join(tmpdir(), 'countersign-mcp-demo-'))
copyFileSync(join(here, 'policy.yaml'), join(dir, 'policy.yaml'))
// The upstream's key: in the gateway's environment, never the agent's.
process.env['NOTES_KEY'] = randomBytes(16).toString('hex')

const agentToken = generateToken('agent')
const aliceToken = generateToken('human')
const raw = parse(readFileSync(join(here, 'countersign.yaml'), 'utf8'))
raw.server = { listen: '127.0.0.1:0' }
raw.store = { data_dir: join(dir, 'data') }
raw.identities.agents[0].token_sha256 = [agentToken.sha256]
raw.identities.humans[0].token_sha256 = [aliceToken.sha256]
raw.targets[0].connector.cwd = root
const config = configFromObject(raw, { baseDir: dir, file: join(here, 'countersign.yaml') })
const gateway = await startGateway(config, { logger: pino({ level: 'warn' }) })

const text = (result: CallToolResult) => result.content.map((item) => (item.type === 'text' ? item.text : `[${item.type}]`)).join(' | ')
const agent = new Client({ name: 'demo-agent', version: '1.0.0' })
try {
  await agent.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), { requestInit: { headers: { authorization: `Bearer ${agentToken.token}` } } }))

  console.log(`1. The tools offered to notes-agent at ${gateway.url}/mcp`)
  for (const tool of (await agent.listTools()).tools) {
    const hints = Object.entries(tool.annotations ?? {}).filter(([key, value]) => key.endsWith('Hint') && value === true).map(([key]) => key.replace('Hint', ''))
    console.log(`  ${tool.name}${hints.length > 0 ? ` (${hints.join(', ')})` : ''}`)
  }

  console.log('2. notes__list_notes (read-only)')
  console.log(`  ${text((await agent.callTool({ name: 'notes__list_notes', arguments: {} })) as CallToolResult).replaceAll('\n', ', ')}`)

  console.log('3. notes__delete_note {"name": "runbook"}')
  const denied = (await agent.callTool({ name: 'notes__delete_note', arguments: { name: 'runbook' } })) as CallToolResult
  console.log(`  ${denied.isError ? 'tool error' : 'result'}: ${text(denied)}`)

  console.log('4. notes__delete_note {"name": "old-draft"} (destructive: needs someone on call)')
  let approving: Promise<Response> | undefined
  const approved = (await agent.callTool({ name: 'notes__delete_note', arguments: { name: 'old-draft' } }, undefined, {
    onprogress: ({ message }) => {
      console.log(`  progress: ${message}`)
      const id = /action (act_\w+)/.exec(message ?? '')?.[1]
      // alice approves through the API here; she could as well in the console, Slack or `countersign approve`.
      approving ??= fetch(`${gateway.url}/v1/actions/${id}/reviews`, {
        method: 'POST',
        headers: { authorization: `Bearer ${aliceToken.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', reason: 'the draft is obsolete' }),
      }).then((response) => (console.log(`  alice approves: HTTP ${response.status}`), response))
    },
  })) as CallToolResult
  await approving
  console.log(`  result: ${text(approved)}`)

  console.log('5. Over stdio: countersign mcp --upstream notes')
  const local = new Client({ name: 'demo-local-agent', version: '1.0.0' })
  await local.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [join(root, 'bin/countersign.js'), 'mcp', '--upstream', 'notes'],
      env: { PATH: process.env['PATH'] ?? '', COUNTERSIGN_URL: gateway.url, COUNTERSIGN_TOKEN: agentToken.token },
      stderr: 'ignore',
    }),
  )
  console.log(`  ${text((await local.callTool({ name: 'notes__read_note', arguments: { name: 'release-notes' } })) as CallToolResult)}`)
  console.log(`  the notes left: ${text((await local.callTool({ name: 'notes__list_notes', arguments: {} })) as CallToolResult).replaceAll('\n', ', ')}`)
  await local.close()
} finally {
  await agent.close()
  await gateway.close()
  rmSync(dir, { recursive: true, force: true })
}

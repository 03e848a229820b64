import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { serve } from '@hono/node-server'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import pg from 'pg'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { TEST_POSTGRES_URL, testStores } from '../store/connection/index.js'
import { LONG_TOOL, serveHttpUpstream, type ReceivedCall } from './test-upstream.js'
import { TOOL_NAME } from './tool-names.js'

const ROOT = resolve(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/countersign.js')
const UPSTREAM = join(ROOT, 'src/mcp/test-upstream.ts')
const STDIO_TOKEN = `stdio_upstream_${randomBytes(8).toString('hex')}`
const HTTP_TOKEN = `http_upstream_${randomBytes(8).toString('hex')}`
process.env['CS_TEST_MCP_STDIO_TOKEN'] = STDIO_TOKEN
process.env['CS_TEST_MCP_HTTP_TOKEN'] = HTTP_TOKEN
const database = `cs_mcp_${randomBytes(5).toString('hex')}`
const dbUrl = new URL(TEST_POSTGRES_URL)
dbUrl.pathname = `/${database}`
process.env['CS_TEST_MCP_DB_URL'] = dbUrl.href

const POLICY = `
version: 1
default: review
default_review: { approvers: [group:oncall], timeout: 1h }
rules:
  - id: read-only-tools
    match: { kind: mcp }
    when: mcp.read_only
    effect: allow
  - id: destructive-tools
    match: { kind: mcp }
    when: mcp.destructive
    effect: review
    review: { approvers: [group:dba], timeout: 1h }
  - id: no-failing
    match: { kind: mcp }
    when: mcp.tool == "fail"
    effect: deny
    message: Failing on purpose is not allowed.
  - id: analytics-keeps-off-tools
    match: { target: tools, agent: analytics-agent }
    effect: deny
  - id: read-only-sql
    match: { kind: sql }
    when: sql.read_only
    effect: allow
  - id: echo-commands
    match: { kind: shell }
    when: shell.programs.all(p, p == "echo")
    effect: allow
`

/** The upstreams (one run as a process, one over HTTP) and brokered targets for the built-ins. */
function targets(log: string, httpUpstream: string): Record<string, unknown>[] {
  return [
    {
      name: 'tools',
      kind: 'mcp',
      labels: { env: 'prod' },
      connector: { type: 'mcp', command: [process.execPath, '--import', 'tsx', UPSTREAM], cwd: ROOT, env: { UPSTREAM_LOG: log, UPSTREAM_TOKEN: 'env:CS_TEST_MCP_STDIO_TOKEN' } },
    },
    { name: 'remote', kind: 'mcp', connector: { type: 'mcp', endpoint: httpUpstream, auth: { type: 'bearer', token: 'env:CS_TEST_MCP_HTTP_TOKEN' } } },
    { name: 'mcp-db', kind: 'sql', connector: { type: 'postgres', url: 'env:CS_TEST_MCP_DB_URL' } },
    { name: 'sandbox', kind: 'shell', connector: { type: 'shell', run_as_gateway_user: true } },
  ]
}

const text = (result: CallToolResult | Record<string, unknown>) => ((result as CallToolResult).content ?? []).map((item) => (item.type === 'text' ? item.text : '')).join('\n')
const received = (log: string): ReceivedCall[] =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ReceivedCall)

/** A gateway serving its API and `/mcp` on a real port. */
async function served(gw: TestGateway): Promise<{ url: string; close(): Promise<void> }> {
  const server = await new Promise<ReturnType<typeof serve>>((done) => {
    const started = serve({ fetch: gw.app.fetch, hostname: '127.0.0.1', port: 0 }, () => done(started))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((done) => server.close(() => done())) }
}

/** An MCP client (the official SDK's) connected to `/mcp` with `token`. */
async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }))
  return client
}

const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
before(async () => {
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
})
after(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.end()
})

for (const store of testStores()) {
  describe(`MCP gateway on ${store.name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-mcp-gw-'))
    const log = join(dir, 'calls.jsonl')
    const cleanups: (() => Promise<void>)[] = []
    let httpUpstream: Awaited<ReturnType<typeof serveHttpUpstream>>
    /** Holds calls long enough for a review; `quick` gives up on them at once. */
    let gw: TestGateway
    let quick: TestGateway
    let url: string
    let quickUrl: string
    let agent: Client
    let quickAgent: Client

    before(async () => {
      writeFileSync(log, '')
      httpUpstream = await serveHttpUpstream(HTTP_TOKEN)
      cleanups.push(() => httpUpstream.close())
      for (const [holdMs, set] of [
        [30_000, (g: TestGateway, u: string) => ((gw = g), (url = u))],
        [0, (g: TestGateway, u: string) => ((quick = g), (quickUrl = u))],
      ] as const) {
        const connection = await store.open()
        const g = await testGateway(connection, { policy: POLICY, targets: targets(log, httpUpstream.url), assemble: { mcp: { holdMs, progressMs: 200 } } })
        const server = await served(g)
        cleanups.push(async () => {
          await server.close()
          await g.close()
          await connection.drop()
        })
        set(g, server.url)
      }
      agent = await connect(url, gw.tokens.deployBot)
      quickAgent = await connect(quickUrl, quick.tokens.deployBot)
      cleanups.push(() => agent.close(), () => quickAgent.close())
    })
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup()
    })

    it("lists every usable upstream's tools, namespaced, with their annotations, and the built-ins", async () => {
      const { tools } = await agent.listTools()
      const byName = new Map(tools.map((tool) => [tool.name, tool]))
      for (const name of ['tools__echo', 'tools__delete_item', 'tools__fail', 'remote__echo', 'run_sql', 'run_command', 'countersign_wait']) assert.ok(byName.has(name), `${name} is listed`)
      assert.ok(!byName.has('http_request'), 'no brokered http target: no http_request')
      assert.equal(byName.get('tools__echo')?.annotations?.readOnlyHint, true)
      assert.equal(byName.get('tools__delete_item')?.annotations?.destructiveHint, true)
      assert.equal(byName.get('tools__echo')?.description, 'Echoes the text back')
      assert.deepEqual(byName.get('run_sql')?.inputSchema.properties?.['target'], { type: 'string', enum: ['staging-db', 'mcp-db'], description: 'The database to use, by its name in Countersign' })
      const long = tools.find((tool) => tool.description === 'A tool with a long name' && tool.name.startsWith('tools__'))
      assert.ok(long && TOOL_NAME.test(long.name) && long.name !== `tools__${LONG_TOOL}`, `the long name is shortened: ${long?.name}`)
      assert.equal(text((await agent.callTool({ name: long.name, arguments: {} })) as CallToolResult), 'summary', 'and called by its short name')
      for (const tool of tools) assert.ok(TOOL_NAME.test(tool.name), tool.name)
    })

    it('forwards an allowed call and returns the tool result; the policy saw the annotations the upstream declared', async () => {
      const result = (await agent.callTool({ name: 'tools__echo', arguments: { text: 'hello' } })) as CallToolResult
      assert.equal(result.isError, undefined)
      assert.equal(text(result), 'hello')
      const [action] = (await gw.call('GET', '/v1/actions?kind=mcp&limit=1', { as: 'alice' })).body.actions
      assert.equal(action.status, 'succeeded')
      assert.deepEqual(action.payload, { server: 'tools', tool: 'echo', arguments: { text: 'hello' } })
      assert.deepEqual(action.decision.matched_rules, ['read-only-tools'])
      const shown = (await gw.call('GET', `/v1/actions/${action.id}`, { as: 'alice' })).body
      assert.equal(shown.impact.facts.read_only, true)
      assert.equal(shown.timeline.find((event: { type: string }) => event.type === 'action.submitted').channel, 'mcp')
    })

    it("returns a denied call as a tool error with the policy's message, and never calls the upstream", async () => {
      const result = (await agent.callTool({ name: 'tools__fail', arguments: { why: 'testing' } })) as CallToolResult
      assert.equal(result.isError, true)
      assert.match(text(result), /Failing on purpose is not allowed\./)
      assert.ok(!received(log).some((call) => call.tool === 'fail'))
    })

    it('holds a reviewed call with progress notifications and runs exactly the approved arguments once approved', async () => {
      const progress: string[] = []
      let approval: Promise<unknown> | undefined
      const result = (await agent.callTool({ name: 'tools__delete_item', arguments: { id: 'item-42', cascade: false } }, undefined, {
        onprogress: ({ message }) => {
          progress.push(message ?? '')
          const id = /action (act_\w+)/.exec(message ?? '')?.[1]
          // A DBA approves once the agent has been told it waits.
          approval ??= gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'bob', body: { decision: 'approve', reason: 'clean-up ticket 12' } })
        },
      })) as CallToolResult
      assert.equal((await approval as { status: number }).status, 200)
      assert.match(progress[0]!, /waiting for approval by group:dba 0\/1 \(action act_\w+, https:\/\/countersign\.test\/actions\/act_\w+\)/)
      assert.equal(result.isError, undefined)
      assert.equal(text(result), 'deleted item-42')
      assert.deepEqual(result.structuredContent, { deleted: 'item-42' })
      assert.deepEqual(received(log).filter((call) => call.arguments['id'] === 'item-42'), [{ tool: 'delete_item', arguments: { id: 'item-42', cascade: false } }])
    })

    it('returns a pending result when the hold ends; countersign_wait then returns the outcome', async () => {
      const pending = (await quickAgent.callTool({ name: 'tools__delete_item', arguments: { id: 'item-77' } })) as CallToolResult
      assert.equal(pending.isError, undefined, 'pending is not an error')
      const id = /Action (act_\w+) is waiting for approval/.exec(text(pending))?.[1]
      assert.ok(id, text(pending))
      assert.match(text(pending), new RegExp(`https://countersign\\.test/actions/${id}`))
      assert.match(text(pending), /countersign_wait/)
      assert.ok(!received(log).some((call) => call.arguments['id'] === 'item-77'), 'nothing ran yet')

      const stillPending = (await quickAgent.callTool({ name: 'countersign_wait', arguments: { id } })) as CallToolResult
      assert.match(text(stillPending), /is waiting for approval/)
      assert.equal((await quick.call('POST', `/v1/actions/${id}/reviews`, { as: 'bob', body: { decision: 'approve', reason: 'ok' } })).status, 200)
      // The hold is 0 s here: ask until the executor has run it.
      let outcome: CallToolResult
      while (/has not produced a result yet/.test(text((outcome = (await quickAgent.callTool({ name: 'countersign_wait', arguments: { id } })) as CallToolResult)))) await sleep(50)
      assert.equal(text(outcome), 'deleted item-77')
      assert.deepEqual(outcome.structuredContent, { deleted: 'item-77' })
    })

    it('matches an identical re-issued call to its pending action by digest, and never runs it twice', async () => {
      const call = { name: 'tools__delete_item', arguments: { id: 'item-88', cascade: true } }
      const first = text((await quickAgent.callTool(call)) as CallToolResult)
      const id = /Action (act_\w+)/.exec(first)?.[1]
      const again = text((await quickAgent.callTool(call)) as CallToolResult)
      assert.equal(/Action (act_\w+)/.exec(again)?.[1], id, 'the same action, not a new request')
      const changed = text((await quickAgent.callTool({ ...call, arguments: { id: 'item-88', cascade: false } })) as CallToolResult)
      assert.notEqual(/Action (act_\w+)/.exec(changed)?.[1], id, 'a changed call is a new request')

      await quick.call('POST', `/v1/actions/${id}/reviews`, { as: 'bob', body: { decision: 'approve', reason: 'ok' } })
      let outcome: string
      while (/has not produced a result yet/.test((outcome = text((await quickAgent.callTool(call)) as CallToolResult)))) await sleep(50)
      assert.equal(outcome, 'deleted item-88')
      assert.equal(text((await quickAgent.callTool(call)) as CallToolResult), 'deleted item-88', 'within the window, the outcome again')
      assert.equal(received(log).filter((entry) => entry.arguments['id'] === 'item-88' && entry.arguments['cascade'] === true).length, 1)
    })

    it('tells a reviewer denial as a tool error with the reason', async () => {
      const pending = text((await quickAgent.callTool({ name: 'tools__delete_item', arguments: { id: 'item-99' } })) as CallToolResult)
      const id = /Action (act_\w+)/.exec(pending)?.[1]
      await quick.call('POST', `/v1/actions/${id}/reviews`, { as: 'bob', body: { decision: 'deny', reason: 'not this one' } })
      const outcome = (await quickAgent.callTool({ name: 'countersign_wait', arguments: { id } })) as CallToolResult
      assert.equal(outcome.isError, true)
      assert.match(text(outcome), /Denied by bob@example\.com: not this one/)
    })

    it('offers no tools of a target the agent may not use, and refuses to call them', async () => {
      const analytics = await connect(url, gw.tokens.analyticsAgent)
      try {
        const { tools } = await analytics.listTools()
        assert.ok(!tools.some((tool) => tool.name.startsWith('tools__')))
        assert.ok(tools.some((tool) => tool.name === 'remote__echo'))
        await assert.rejects(analytics.callTool({ name: 'tools__echo', arguments: { text: 'x' } }), (error: McpError) => error.code === ErrorCode.InvalidParams)
        const direct = await gw.call('POST', '/v1/actions', { as: 'analyticsAgent', body: { kind: 'mcp', target: 'tools', payload: { server: 'tools', tool: 'echo', arguments: { text: 'x' } } } })
        assert.equal(direct.body.status, 'denied')
      } finally {
        await analytics.close()
      }
    })

    it("never lets an upstream's credentials reach the agent", async () => {
      const listing = JSON.stringify(await agent.listTools())
      const own = (await agent.callTool({ name: 'tools__show_credential', arguments: {} })) as CallToolResult
      const remote = (await agent.callTool({ name: 'remote__show_credential', arguments: {} })) as CallToolResult
      assert.equal(text(own), 'my credential is ***')
      assert.equal(text(remote), 'my credential is ***')
      for (const secret of [STDIO_TOKEN, HTTP_TOKEN]) for (const seen of [listing, JSON.stringify(own), JSON.stringify(remote)]) assert.ok(!seen.includes(secret))
      assert.deepEqual(httpUpstream.calls.at(-1), { tool: 'show_credential', arguments: {} })
    })

    it('runs SQL and shell commands through the built-in tools, through the same policy', async () => {
      const sql = (await agent.callTool({ name: 'run_sql', arguments: { target: 'mcp-db', sql: 'SELECT 40 + 2 AS answer' } })) as CallToolResult
      assert.equal(sql.isError, undefined, text(sql))
      assert.deepEqual((sql.structuredContent as { rows: unknown[][] }).rows, [[42]])
      const shell = (await agent.callTool({ name: 'run_command', arguments: { target: 'sandbox', command: 'echo from the sandbox', reason: 'smoke test' } })) as CallToolResult
      assert.equal((shell.structuredContent as { stdout: string }).stdout, 'from the sandbox\n')
      const [action] = (await gw.call('GET', '/v1/actions?kind=shell&limit=1', { as: 'alice' })).body.actions
      assert.equal(action.context.reason, 'smoke test')
      const elsewhere = (await agent.callTool({ name: 'run_sql', arguments: { target: 'prod-db', sql: 'SELECT 1' } })) as CallToolResult
      assert.equal(elsewhere.isError, true)
      assert.match(text(elsewhere), /prod-db is not a target you can use with run_sql; use one of: staging-db, mcp-db/)
      const bad = (await agent.callTool({ name: 'run_command', arguments: { target: 'sandbox' } })) as CallToolResult
      assert.equal(bad.isError, true)
      assert.match(text(bad), /invalid arguments: command/)
    })

    it('serves agents only: no token is 401, a human token 403', async () => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
      const anonymous = await fetch(`${url}/mcp`, { method: 'POST', headers, body })
      assert.equal(anonymous.status, 401)
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/)
      const human = await fetch(`${url}/mcp`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${gw.tokens.alice}` }, body })
      assert.equal(human.status, 403)
    })

    it('serves local agents over stdio with countersign mcp, relaying to the gateway', async () => {
      const stdio = new Client({ name: 'local-agent', version: '1.0.0' })
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'mcp', '--upstream', 'tools'],
        env: { PATH: process.env['PATH'] ?? '', COUNTERSIGN_URL: url, COUNTERSIGN_TOKEN: gw.tokens.deployBot },
        stderr: 'pipe',
      })
      await stdio.connect(transport)
      try {
        const names = (await stdio.listTools()).tools.map((tool) => tool.name)
        assert.ok(names.includes('tools__echo') && names.includes('countersign_wait'))
        assert.ok(!names.some((name) => name.startsWith('remote__') || name === 'run_sql'), `--upstream tools offers only its tools: ${names.join(', ')}`)
        assert.equal(text((await stdio.callTool({ name: 'tools__echo', arguments: { text: 'over stdio' } })) as CallToolResult), 'over stdio')
        const denied = (await stdio.callTool({ name: 'tools__fail', arguments: { why: 'x' } })) as CallToolResult
        assert.equal(denied.isError, true)
        assert.match(text(denied), /Failing on purpose is not allowed\./)
      } finally {
        await stdio.close()
      }
    })

    it('reports an --upstream that names no target to the local agent', async () => {
      const stdio = new Client({ name: 'local-agent', version: '1.0.0' })
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'mcp', '--upstream', 'no-such-upstream'],
        env: { PATH: process.env['PATH'] ?? '', COUNTERSIGN_URL: url, COUNTERSIGN_TOKEN: gw.tokens.deployBot },
        stderr: 'pipe',
      })
      try {
        await assert.rejects(stdio.connect(transport), /refused \(HTTP 404\): no target named no-such-upstream/)
      } finally {
        await stdio.close()
      }
    })
  })
}

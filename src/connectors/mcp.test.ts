import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { Hono } from 'hono'
import { serveHttpUpstream } from '../mcp/test-upstream.js'
import { connectorProblems, createConnector, toolSourceOf, type Connector } from './index.js'
import { assertNoSecret, testContext, testRequest, testSecret, testTarget } from './test-support.js'

const ROOT = resolve(import.meta.dirname, '../..')
const UPSTREAM = join(ROOT, 'src/mcp/test-upstream.ts')
const TOKEN = 'upstream_secret_5c1e9a7b3d'
const tokenVar = testSecret(TOKEN)

/** A target whose upstream is the test server run as a process, logging what it receives to `log`. */
function stdioTarget(log: string, options: Record<string, unknown> = {}) {
  return testTarget('mcp', { type: 'mcp', command: [process.execPath, '--import', 'tsx', UPSTREAM], cwd: ROOT, env: { UPSTREAM_LOG: log, UPSTREAM_TOKEN: `env:${tokenVar}` }, timeout: '20s', ...options }, 'tools')
}

const call = (tool: string, args: Record<string, unknown> = {}, server = 'tools') => ({ server, tool, arguments: args })
const received = (log: string) =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { tool: string; arguments: Record<string, unknown> })

describe('mcp connector over stdio', () => {
  const log = join(mkdtempSync(join(tmpdir(), 'countersign-mcp-')), 'calls.jsonl')
  const target = stdioTarget(log)
  let connector: Connector
  before(() => {
    writeFileSync(log, '')
    connector = createConnector(target)
  })
  after(() => connector.close())

  it("lists the upstream's tools with the annotations it declares", async () => {
    const tools = await toolSourceOf(connector)!.listTools()
    const byName = new Map(tools.map((tool) => [tool.name, tool]))
    assert.ok(byName.has('echo') && byName.has('delete_item') && byName.has('crash'))
    assert.equal(byName.get('echo')?.annotations?.readOnlyHint, true)
    assert.equal(byName.get('delete_item')?.annotations?.destructiveHint, true)
  })

  it('runs tools/call with exactly the approved arguments and returns the content and structured content', async () => {
    const result = await connector.execute(testRequest(target, call('delete_item', { id: 'item-7', cascade: true })))
    assert.equal(result.status, 'succeeded', result.error)
    assert.deepEqual(JSON.parse(result.body!), { content: [{ type: 'text', text: 'deleted item-7' }], structuredContent: { deleted: 'item-7' } })
    assert.deepEqual(received(log).at(-1), { tool: 'delete_item', arguments: { id: 'item-7', cascade: true } })
  })

  it('records a tool error as a failed result that keeps what the tool said', async () => {
    const result = await connector.execute(testRequest(target, call('fail', { why: 'the disk is full' })))
    assert.equal(result.status, 'failed')
    assert.equal(result.error, 'the tool reported an error: failed because the disk is full')
    assert.deepEqual(JSON.parse(result.body!).content, [{ type: 'text', text: 'failed because the disk is full' }])
  })

  it('gives the upstream its credential and masks it wherever the upstream repeats it', async () => {
    const result = await connector.execute(testRequest(target, call('show_credential')))
    assert.equal(result.status, 'succeeded', result.error)
    assert.match(result.body!, /my credential is \*\*\*/)
    assertNoSecret(result, TOKEN)
  })

  it("runs the call on its target's upstream whatever name the agent gives the server", async () => {
    const result = await connector.execute(testRequest(target, call('echo', { text: 'hi' }, 'what-claude-calls-it')))
    assert.equal(result.status, 'succeeded', result.error)
    assert.deepEqual(received(log).at(-1), { tool: 'echo', arguments: { text: 'hi' } })
  })

  it('fails a call whose upstream process dies during it, and reconnects for the next call', async () => {
    const crashed = await connector.execute(testRequest(target, call('crash')))
    assert.equal(crashed.status, 'failed')
    assert.match(crashed.error!, /may have partly run/)
    const next = await connector.execute(testRequest(target, call('echo', { text: 'again' })))
    assert.equal(next.status, 'succeeded', next.error)
    assert.deepEqual(JSON.parse(next.body!).content, [{ type: 'text', text: 'again' }])
  })

  it("cuts a result longer than max_result and says how long it was", async () => {
    const small = stdioTarget(log, { max_result: '1KiB' })
    const bounded = createConnector(small)
    try {
      const result = await bounded.execute(testRequest(small, call('echo', { text: 'x'.repeat(5000) })))
      assert.equal(result.status, 'succeeded', result.error)
      assert.equal(result.truncated, true)
      assert.equal(Buffer.byteLength(result.body!), 1024)
      assert.ok(result.output_bytes_total! > 5000)
    } finally {
      await bounded.close()
    }
  })
})

describe('mcp connector over Streamable HTTP', () => {
  let upstream: Awaited<ReturnType<typeof serveHttpUpstream>>
  before(async () => {
    upstream = await serveHttpUpstream(TOKEN)
  })
  after(() => upstream.close())

  it('calls the upstream with the bearer token only Countersign holds', async () => {
    const target = testTarget('mcp', { type: 'mcp', endpoint: upstream.url, auth: { type: 'bearer', token: `env:${tokenVar}` } }, 'tools')
    const connector = createConnector(target)
    try {
      assert.ok((await toolSourceOf(connector)!.listTools()).some((tool) => tool.name === 'echo'))
      const result = await connector.execute(testRequest(target, call('echo', { text: 'over http' })))
      assert.equal(result.status, 'succeeded', result.error)
      assert.deepEqual(JSON.parse(result.body!).content, [{ type: 'text', text: 'over http' }])
      assert.deepEqual(upstream.calls.at(-1), { tool: 'echo', arguments: { text: 'over http' } })
    } finally {
      await connector.close()
    }
  })

  it('reports an upstream that refuses the credential, and runs nothing', async () => {
    const wrong = testSecret('not-the-token-1234')
    const target = testTarget('mcp', { type: 'mcp', endpoint: upstream.url, auth: { type: 'bearer', token: `env:${wrong}` } }, 'tools')
    const connector = createConnector(target)
    const calls = upstream.calls.length
    try {
      await assert.rejects(toolSourceOf(connector)!.listTools(), (error: Error) => /401/.test(error.message) && !error.message.includes('not-the-token-1234'))
      const result = await connector.execute(testRequest(target, call('echo', { text: 'x' })))
      assert.equal(result.status, 'failed')
      assert.match(result.error!, /nothing was run/)
      assert.equal(upstream.calls.length, calls)
    } finally {
      await connector.close()
    }
  })
})

describe('mcp connector options', () => {
  const problems = (connector: Record<string, unknown>) => connectorProblems(testTarget('mcp', { type: 'mcp', ...connector }, 'tools'))

  it('takes exactly one of command, endpoint or url', () => {
    assert.match(problems({}).join(), /exactly one of command/)
    assert.match(problems({ command: ['srv'], endpoint: 'https://mcp.example.com/mcp' }).join(), /not command and endpoint/)
    assert.deepEqual(problems({ command: ['npx', '-y', 'some-server'] }), [])
    assert.deepEqual(problems({ endpoint: 'https://mcp.example.com/mcp' }), [])
    assert.deepEqual(problems({ url: `env:${tokenVar}` }), [])
  })

  it('refuses credentials where they would leak or not apply', () => {
    assert.match(problems({ endpoint: 'https://user:pw@mcp.example.com/mcp' }).join(), /must not carry credentials/)
    assert.match(problems({ command: ['srv'], auth: { type: 'bearer', token: `env:${tokenVar}` } }).join(), /auth: applies to an HTTP server/)
    assert.match(problems({ endpoint: 'https://mcp.example.com/mcp', env: { A: 'b' } }).join(), /env: applies to a server Countersign runs/)
    assert.throws(
      () => testTarget('mcp', { type: 'mcp', url: 'https://mcp.example.com/mcp?key=abc' }),
      (error: { details?: { message: string }[] }) => error.details?.some((detail) => /"url" holds a credential/.test(detail.message)) === true,
    )
  })
})

describe('mcp connector identity', () => {
  /** An upstream whose one tool answers with the `_meta` its call carried. */
  async function serveMetaUpstream(): Promise<{ url: string; close(): Promise<void> }> {
    const app = new Hono()
    app.post('/mcp', async (c) => {
      const server = new McpServer({ name: 'meta-upstream', version: '1.0.0' })
      server.registerTool('whoami', { description: 'Returns the _meta of the call' }, async (extra) => ({ content: [{ type: 'text', text: JSON.stringify(extra._meta ?? null) }] }))
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
      await server.connect(transport)
      return transport.handleRequest(c.req.raw)
    })
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started))
    })
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, close: () => new Promise((resolve) => server.close(() => resolve())) }
  }

  it('sends the execution context in the _meta of tools/call, and none where identity: false', async () => {
    const upstream = await serveMetaUpstream()
    try {
      for (const identity of [true, false]) {
        const target = testTarget('mcp', { type: 'mcp', endpoint: upstream.url, identity }, 'tools')
        const connector = createConnector(target)
        const context = testContext()
        try {
          const result = await connector.execute(testRequest(target, call('whoami'), undefined, null, context))
          assert.equal(result.status, 'succeeded', result.error)
          const meta = JSON.parse(JSON.parse(result.body!).content[0].text)
          if (!identity) {
            assert.equal(Object.keys(meta ?? {}).filter((key) => key.startsWith('countersign/') || key === 'traceparent').length, 0)
            continue
          }
          assert.equal(meta['countersign/request_id'], context.request_id)
          assert.equal(meta['countersign/agent'], 'deploy-bot')
          assert.equal(meta['countersign/on_behalf_of'], 'dev@example.com')
          assert.deepEqual(meta['countersign/approvers'], context.approvers)
          assert.deepEqual(meta['countersign/matched_rules'], context.matched_rules)
          assert.match(meta.traceparent, new RegExp(`^00-${context.trace_id}-[0-9a-f]{16}-01$`))
        } finally {
          await connector.close()
        }
      }
    } finally {
      await upstream.close()
    }
  })
})

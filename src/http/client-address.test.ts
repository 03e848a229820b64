import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import { clientAddress, trustedProxies, type ClientInfo } from './client-address.js'

/** A server on 127.0.0.1 that answers with the client it saw, for a `server.trust_proxy` setting. */
function echo(setting: boolean | readonly string[]): Promise<{ url: string; server: ServerType }> {
  const app = new Hono<{ Variables: { client: ClientInfo } }>()
  app.use(clientAddress(trustedProxies(setting)))
  app.get('/', (c) => c.json(c.get('client')))
  return new Promise((done) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => done({ url: `http://127.0.0.1:${info.port}/`, server }))
  })
}

// Each scenario is a request from 127.0.0.1 (the test, standing in for the proxy or a client).
const scenarios: readonly { name: string; trust: boolean | readonly string[]; headers: Record<string, string>; client: Partial<ClientInfo> }[] = [
  { name: 'ignores forwarded headers when no proxy is trusted', trust: false, headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', forwarded: 'for=198.51.100.1' }, client: { address: '127.0.0.1', proto: 'http', via: undefined } },
  { name: 'ignores forwarded headers from a peer that is not a listed proxy', trust: ['10.0.0.0/8', '192.168.1.1'], headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' }, client: { address: '127.0.0.1', proto: 'http', via: undefined } },
  { name: 'believes X-Forwarded-For/-Proto/-Host from a listed proxy', trust: ['127.0.0.1'], headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'cs.example.com' }, client: { address: '203.0.113.9', proto: 'https', host: 'cs.example.com', via: '127.0.0.1' } },
  { name: 'trusts loopback proxies with `true`', trust: true, headers: { 'x-forwarded-for': '203.0.113.9' }, client: { address: '203.0.113.9', via: '127.0.0.1' } },
  { name: 'takes the nearest untrusted hop: an address the client wrote itself is not believed', trust: ['127.0.0.1'], headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' }, client: { address: '203.0.113.9' } },
  { name: 'walks through a chain of trusted proxies (CIDR)', trust: ['127.0.0.1', '10.0.0.0/8'], headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.1.2.3' }, client: { address: '203.0.113.9' } },
  { name: 'stops at an unreadable hop, believing no further than the proxy that wrote it', trust: ['127.0.0.1', '10.0.0.0/8'], headers: { 'x-forwarded-for': '203.0.113.9, unknown, 10.1.2.3' }, client: { address: '10.1.2.3' } },
  { name: 'reads Forwarded (RFC 7239), which wins over X-Forwarded-*', trust: ['127.0.0.1'], headers: { forwarded: 'for=198.51.100.7;proto=https;host=cs.example.com', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http' }, client: { address: '198.51.100.7', proto: 'https', host: 'cs.example.com' } },
  { name: 'reads IPv6 nodes with ports in Forwarded', trust: ['127.0.0.1'], headers: { forwarded: 'for="[2001:db8:cafe::17]:4711"' }, client: { address: '2001:db8:cafe::17' } },
  { name: 'keeps the connection\'s scheme when the proxy says something else', trust: ['127.0.0.1'], headers: { 'x-forwarded-proto': 'gopher' }, client: { address: '127.0.0.1', proto: 'http' } },
]

describe('clientAddress over HTTP (server.trust_proxy)', () => {
  const servers: ServerType[] = []
  after(() => Promise.all(servers.map((server) => new Promise((done) => server.close(done)))))

  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const { url, server } = await echo(scenario.trust)
      servers.push(server)
      const client = (await (await fetch(url, { headers: scenario.headers })).json()) as ClientInfo
      for (const [key, value] of Object.entries(scenario.client)) assert.equal(client[key as keyof ClientInfo], value, key)
    })
  }
})

describe('trustedProxies', () => {
  let list: ReturnType<typeof trustedProxies>
  before(() => (list = trustedProxies(['10.0.0.0/8', 'fd00::/8', '192.0.2.1'])))
  it('matches addresses and CIDR blocks of both families', () => {
    assert.equal(list!.check('10.200.0.1', 'ipv4'), true)
    assert.equal(list!.check('11.0.0.1', 'ipv4'), false)
    assert.equal(list!.check('fd12::1', 'ipv6'), true)
    assert.equal(list!.check('192.0.2.1', 'ipv4'), true)
    assert.equal(list!.check('192.0.2.2', 'ipv4'), false)
  })
  it('is none for false', () => assert.equal(trustedProxies(false), undefined))
})

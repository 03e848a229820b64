import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { resolveRequestUrl } from './http-request.js'
import { connectorProblems, createConnector } from './index.js'
import { assertNoSecret, testContext, testRequest, testSecret, testTarget } from './test-support.js'

const TOKEN = 'ghp_test_7f6e5d4c3b2a1908'
const tokenVar = testSecret(TOKEN)
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = []

/** A small API: echoes what it got, and a few paths that misbehave on purpose. */
const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8')
    seen.push({ method: request.method!, url: request.url!, headers: request.headers, body })
    const path = request.url!.split('?')[0]
    if (path === '/api/redirect') return response.writeHead(302, { location: 'http://127.0.0.2:1/elsewhere' }).end()
    if (path === '/api/missing') return response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}')
    if (path === '/api/slow') return void setTimeout(() => response.end('late'), 3000)
    if (path === '/api/big') return response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '300000' }).end('z'.repeat(300_000))
    if (path === '/api/binary') return response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 1, 2, 255]))
    if (path === '/api/leak') return response.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': 'session=abc' }).end(`you sent ${request.headers.authorization}`)
    response.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'r-1', 'set-cookie': 'session=abc' })
    response.end(JSON.stringify({ method: request.method, url: request.url, body }))
  })
})
let base = ''

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(async () => {
  await new Promise((resolve) => server.close(resolve))
})

const apiTarget = (options: Record<string, unknown> = {}) =>
  testTarget('http', { type: 'http', base_url: `${base}/api`, auth: { type: 'bearer', token: `env:${tokenVar}` }, timeout: '1s', max_response: '64KiB', ...options }, 'github')

async function send(payload: Record<string, unknown>, options: Record<string, unknown> = {}, signal?: AbortSignal) {
  const target = apiTarget(options)
  const connector = createConnector(target)
  try {
    return await connector.execute(testRequest(target, payload, signal))
  } finally {
    await connector.close()
  }
}

describe('http connector', () => {
  it('sends the request under the base URL with the credential, and returns status, safe headers and body', async () => {
    seen.length = 0
    const result = await send({ method: 'post', url: '/repos/acme/app/issues?x=1', headers: { 'X-Trace': 't-1' }, body: { title: 'Bug' } })
    assert.equal(result.status, 'succeeded', result.error)
    assert.equal(result.http_status, 201)
    assert.deepEqual(JSON.parse(result.body ?? ''), { method: 'POST', url: '/api/repos/acme/app/issues?x=1', body: '{"title":"Bug"}' })
    assert.equal(result.headers?.['x-request-id'], 'r-1')
    assert.equal(result.headers?.['set-cookie'], undefined)
    assert.equal(seen[0]!.headers.authorization, `Bearer ${TOKEN}`)
    assert.equal(seen[0]!.headers['content-type'], 'application/json')
    assert.equal(seen[0]!.headers['x-trace'], 't-1')
    assertNoSecret(result, TOKEN)
  })

  it('injects basic and header credentials', async () => {
    seen.length = 0
    const password = testSecret('basic-pw-1234')
    await send({ method: 'GET', url: 'users' }, { auth: { type: 'basic', username: 'bot', password: `env:${password}` } })
    await send({ method: 'GET', url: 'users', body: undefined }, { auth: { type: 'header', name: 'X-Api-Key', secret: `env:${tokenVar}` } })
    assert.equal(seen[0]!.headers.authorization, `Basic ${Buffer.from('bot:basic-pw-1234').toString('base64')}`)
    assert.equal(seen[1]!.headers['x-api-key'], TOKEN)
    assert.equal(seen[1]!.headers.authorization, undefined)
  })

  it('refuses a URL outside the base URL, and sends nothing', async () => {
    seen.length = 0
    for (const url of ['http://127.0.0.2:1/api/x', `${base}/admin`, '../admin', '/%2e%2e/admin', '//127.0.0.2/api/x', '\\\\127.0.0.2/api', 'https://127.0.0.1/api/x', `${base.replace('http://', 'http://u:p@')}/api/x`, 'a/..%2f..%2fadmin', '..;/admin', `${base}/api/..;/admin`, '%252e%252e/admin', '%c0%ae%c0%ae/admin']) {
      const result = await send({ method: 'GET', url })
      assert.equal(result.status, 'failed', url)
      assert.match(result.error ?? '', /refused|not the target's origin/, url)
    }
    assert.equal(seen.length, 0)
    const inside = await send({ method: 'GET', url: `${base}/api/repos` })
    assert.equal(inside.status, 'succeeded')
  })

  it('refuses a payload that sets the credential header or framing headers', async () => {
    seen.length = 0
    for (const headers of [{ Authorization: 'Bearer mine' }, { host: 'evil.example' }, { 'content-length': '1' }]) {
      const result = await send({ method: 'GET', url: 'x', headers })
      assert.match(result.error ?? '', /may not set the .* header/)
    }
    const custom = await send({ method: 'GET', url: 'x', headers: { 'x-api-key': 'mine' } }, { auth: { type: 'header', name: 'X-Api-Key', secret: `env:${tokenVar}` } })
    assert.match(custom.error ?? '', /may not set the x-api-key header/)
    assert.equal(seen.length, 0)
  })

  it('does not follow redirects: the 3xx is the result', async () => {
    const result = await send({ method: 'GET', url: 'redirect' })
    assert.equal(result.status, 'succeeded')
    assert.equal(result.http_status, 302)
    assert.equal(result.headers?.location, 'http://127.0.0.2:1/elsewhere')
  })

  it('reports 4xx and 5xx as failed with the status', async () => {
    const result = await send({ method: 'GET', url: 'missing' })
    assert.equal(result.status, 'failed')
    assert.equal(result.http_status, 404)
    assert.equal(result.error, 'HTTP 404 Not Found')
    assert.equal(result.body, '{"message":"Not Found"}')
  })

  it('cuts the body at max_response and says how long it was', async () => {
    const result = await send({ method: 'GET', url: 'big' })
    assert.equal(result.truncated, true)
    assert.equal(result.body?.length, 65_536)
    assert.equal(result.output_bytes_total, 300_000)
  })

  it('returns a binary body as base64, saying so', async () => {
    const result = await send({ method: 'GET', url: 'binary' })
    assert.equal(result.body, 'AAEC/w==')
    assert.equal(result.body_encoding, 'base64')
  })

  it('gives up at the timeout', async () => {
    const result = await send({ method: 'GET', url: 'slow' })
    assert.equal(result.status, 'failed')
    assert.equal(result.error, 'the request did not finish within 1s')
  })

  it('stops when the signal aborts', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('the gateway is shutting down')), 100)
    const result = await send({ method: 'GET', url: 'slow' }, { timeout: '10s' }, controller.signal)
    assert.equal(result.error, 'stopped: the gateway is shutting down')
  })

  it('masks the credential when the server echoes it back', async () => {
    const result = await send({ method: 'GET', url: 'leak' })
    assert.equal(result.body, 'you sent Bearer ***')
    assertNoSecret(result, TOKEN)
  })

  it('refuses methods outside allowed_methods', async () => {
    const result = await send({ method: 'DELETE', url: 'repos/x' }, { allowed_methods: ['get', 'post'] })
    assert.match(result.error ?? '', /DELETE is not allowed on this target \(allowed: GET, POST\)/)
  })

  it('resolves paths against the base path and refuses escapes', () => {
    const api = new URL('https://api.example.com/v1/')
    const href = (url: string) => {
      const resolved = resolveRequestUrl(api, url)
      return 'problem' in resolved ? 'refused' : resolved.href
    }
    assert.equal(href('/users/1'), 'https://api.example.com/v1/users/1')
    assert.equal(href('users?q=a#frag'), 'https://api.example.com/v1/users?q=a')
    assert.equal(href('https://api.example.com/v1'), 'https://api.example.com/v1')
    assert.equal(href('https://API.example.com:443/v1/x'), 'https://api.example.com/v1/x')
    assert.equal(href('projects/group%2Fapp'), 'https://api.example.com/v1/projects/group%2Fapp')
    for (const escape of ['https://api.example.com/v2/x', 'https://api.example.com.evil.com/v1/', 'http://api.example.com/v1/', '../v2', 'x/../../v2', '%2e%2e/v2', 'a/..%2F..%2Fv2', 'javascript:alert(1)', '//evil.com/v1/']) {
      assert.equal(href(escape), 'refused', escape)
    }
  })

  it('refuses every path a common server could read outside the base path, or read differently (bypass 9)', () => {
    const api = new URL('https://api.example.com/v1/')
    const refused = (url: string) => 'problem' in resolveRequestUrl(api, url)
    const escapes = [
      // Path parameters: Tomcat, Jetty and Spring read "..;" as "..", and cut ";x" out of any segment.
      '..;/admin', 'users/..;/..;/admin', '/v1/..;/admin', 'https://api.example.com/v1/..;/admin', 'users/..;x=1/../admin', 'users;jsessionid=1', 'a/.;/b', '..%3b/admin', '..%3B/admin',
      // Dot segments in every encoding, resolved inside the base or not.
      './users', 'users/./1', 'users/.', 'users/..', 'a/b/../../..', '%2e/users', '.%2e/admin', '%2E%2E/admin', '%2e%2e%2fadmin', 'a%2f..%2f..%2fadmin', '..%5cadmin', 'a/%2e%2e%5c..%5cadmin',
      // Backslashes, raw or encoded into a dot segment.
      '..\\admin', 'users\\..\\..\\admin', 'a\\b',
      // Double and triple encoding, as a proxy and an application each decode.
      '%252e%252e/admin', '%25252e%25252e/admin', 'a/%252e%252e%252fadmin', '..%253b/admin',
      // Overlong and non-UTF-8 encodings of "." and "/", IIS %u escapes.
      '%c0%ae%c0%ae/admin', '%e0%80%ae%e0%80%ae/admin', 'a%c0%afb', '%u002e%u002e/admin', '%ff',
      // Unicode dots that normalise to ".", and Windows' trailing dots and spaces.
      '\uff0e\uff0e/admin', '%ef%bc%8e%ef%bc%8e/admin', '\u2025/admin', '.../admin', '.. /admin', '%2e%20/admin',
      // NUL and control characters (truncation, header injection).
      'users%00/../admin', 'users%0d%0aX: y', 'users\t1',
      // Another host: trailing dot, userinfo, scheme-relative.
      'https://api.example.com./v1/users', 'https://user@api.example.com/v1/users', '//api.example.com./v1/users',
    ]
    for (const url of escapes) assert.equal(refused(url), true, url)
    // What stays as it is: ordinary names with dots, an encoded slash inside a name (GitLab's project ids), a query with dots.
    for (const url of ['users/1', 'files/report.v2.json', '.well-known/x', 'a..b', 'projects/group%2Fapp', 'search?q=../../etc&x=;', 'users/%C3%A9t%C3%A9', 'a%25b']) {
      assert.equal(refused(url), false, url)
    }
  })

  it('refuses an ambiguous base URL', () => {
    for (const base_url of ['https://api.example.com./v1/', 'https://api.example.com/v1/..;/x/', 'https://api.example.com/v1;x/', 'https://api.example.com/%2e%2e/v1/']) {
      assert.match(connectorProblems(testTarget('http', { type: 'http', base_url }, 'api')).join('\n'), /connector option base_url: the base URL/, base_url)
    }
  })

  it('reports option problems naming the target and the option', () => {
    assert.deepEqual(connectorProblems(apiTarget()), [])
    assert.deepEqual(connectorProblems(testTarget('http', { type: 'http', base_url: 'ftp://x/?a', auth: { type: 'oauth' }, max_response: 'lots' }, 'github')), [
      'target github: connector option base_url: expected an http:// or https:// URL',
      'target github: connector option auth.type: expected auth with type bearer (token), basic (username, password) or header (name, secret)',
      'target github: connector option max_response: expected a size from 1024 bytes to 64MiB, such as 1MiB or 512KiB',
    ])
  })

  it('sends the Countersign-* identity headers and a traceparent; a hostile value cannot add a header; the payload cannot pose as them', async () => {
    const target = apiTarget()
    const connector = createConnector(target)
    const context = testContext({ agent: 'bot\r\nX-Evil: 1' })
    try {
      seen.length = 0
      const result = await connector.execute(testRequest(target, { method: 'GET', url: '/repos' }, undefined, null, context))
      assert.equal(result.status, 'succeeded', result.error)
      const headers = seen[0]!.headers
      assert.equal(headers['countersign-request-id'], context.request_id)
      assert.equal(headers['countersign-agent'], 'bot%0D%0AX-Evil:%201')
      assert.equal(headers['x-evil'], undefined)
      assert.equal(headers['countersign-on-behalf-of'], 'dev@example.com')
      assert.equal(headers['countersign-approvers'], 'alice@example.com,bob@example.com')
      assert.equal(headers['countersign-digest'], context.digest)
      assert.match(String(headers['traceparent']), new RegExp(`^00-${context.trace_id}-[0-9a-f]{16}-01$`))
      const posing = await connector.execute(testRequest(target, { method: 'GET', url: '/repos', headers: { 'Countersign-Approvers': 'ceo@example.com' } }))
      assert.equal(posing.status, 'failed')
      assert.match(posing.error ?? '', /may not set the countersign-approvers header: the connector sets it/)
    } finally {
      await connector.close()
    }
    seen.length = 0
    assert.equal((await send({ method: 'GET', url: '/repos' }, { identity: false })).status, 'succeeded')
    assert.deepEqual(Object.keys(seen[0]!.headers).filter((name) => name.startsWith('countersign-') || name === 'traceparent'), [])
  })
})

import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { CountersignError } from '../errors/index.js'
import { ApiClient } from './http-client.js'
import { startStandIn, type StandIn } from './test-api-stand-in.js'

describe('ApiClient', () => {
  let standIn: StandIn
  before(async () => (standIn = await startStandIn()))
  after(() => standIn.close())

  for (const [status, code, expected] of [
    [400, 'INVALID', 'INVALID'],
    [401, 'UNAUTHENTICATED', 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN', 'FORBIDDEN'],
    [404, 'NOT_FOUND', 'NOT_FOUND'],
    [409, 'CONFLICT', 'CONFLICT'],
    [409, 'ALREADY_DECIDED', 'ALREADY_DECIDED'],
    [413, 'INVALID', 'INVALID'],
    [500, 'INTERNAL', 'INTERNAL'],
    [503, 'SOMETHING_NEW', 'INTERNAL'],
  ] as const) {
    it(`turns a ${status} ${code} problem into ${expected} with the problem's detail`, async () => {
      standIn.refuseWith = { status, code, detail: `refused with ${status}` }
      try {
        const client = new ApiClient(standIn.url, standIn.token)
        await assert.rejects(client.request('GET', '/v1/actions'), (error: CountersignError) => {
          assert.ok(error instanceof CountersignError)
          assert.equal(error.code, expected)
          assert.equal(error.message, `refused with ${status}`)
          return true
        })
      } finally {
        standIn.refuseWith = undefined
      }
    })
  }

  it('says in one line that the gateway cannot be reached, without the token', async () => {
    const port = await freePort()
    const client = new ApiClient(`http://127.0.0.1:${port}`, 'cs_user_supersecret_supersecret_supersecret')
    await assert.rejects(client.request('GET', '/v1/me'), (error: CountersignError) => {
      assert.equal(error.code, 'INTERNAL')
      assert.equal(error.message, `cannot reach Countersign at http://127.0.0.1:${port}: connection refused (is the gateway running? set COUNTERSIGN_URL or --url)`)
      assert.doesNotMatch(error.message, /supersecret/)
      return true
    })
  })

  it('says how to give a token when none was given and the gateway wants one', async () => {
    await assert.rejects(new ApiClient(standIn.url, undefined).request('GET', '/v1/actions'), /no token given: set COUNTERSIGN_TOKEN or --token/)
  })

  it('keeps a path prefix of the base URL, and takes a base URL ending in the API\'s own /v1 (as the quickstart prints it)', async () => {
    for (const base of [`${standIn.url}/v1`, `${standIn.url}/v1/`, standIn.url]) {
      const client = new ApiClient(base, standIn.token)
      const page = await client.request<{ actions: unknown[] }>('GET', '/v1/actions')
      assert.ok(Array.isArray(page.actions))
      assert.equal(standIn.requests.at(-1)?.path, '/v1/actions', base)
      assert.equal(client.url, standIn.url)
    }
    assert.equal(new ApiClient('https://example.com/countersign/v1', undefined).url, 'https://example.com/countersign')
    assert.equal(new ApiClient('https://example.com/countersign/', undefined).url, 'https://example.com/countersign')
  })

  it('refuses a URL that is not http(s)', () => {
    assert.throws(() => new ApiClient('ftp://example.com', undefined), /must be http\(s\), not ftp:/)
    assert.throws(() => new ApiClient('not a url', undefined), /is not a URL: not a url/)
    assert.throws(() => new ApiClient('http://user:secret@127.0.0.1:8470', undefined), (error: Error) => /must not contain a user name or password/.test(error.message) && !error.message.includes('secret@'))
  })
})

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

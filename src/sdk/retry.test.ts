import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, beforeEach, describe, it } from 'node:test'
import { ApiError, Countersign, type ActionInput } from './index.js'
import { servedGateway, type ServedGateway } from './test-served-gateway.js'

const readOnly: ActionInput = { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT 1' } }

/**
 * A reverse proxy in front of the gateway that answers the next requests itself (503, 429…) as a
 * load balancer or rate limiter would, then forwards. It counts what reached it and the gateway.
 */
class FlakyProxy {
  readonly server: Server
  refusals: { status: number; headers?: Record<string, string> }[] = []
  received = 0
  forwarded = 0

  constructor(private readonly target: string) {
    this.server = createServer((incoming, outgoing) => this.#handle(incoming, outgoing))
  }

  async listen(port = 0): Promise<string> {
    this.server.listen(port, '127.0.0.1')
    await once(this.server, 'listening')
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  #handle(incoming: IncomingMessage, outgoing: ServerResponse): void {
    this.received++
    const refusal = this.refusals.shift()
    if (refusal) {
      incoming.resume()
      outgoing.writeHead(refusal.status, { 'content-type': 'text/html', ...refusal.headers }).end('<h1>try later</h1>')
      return
    }
    this.forwarded++
    const upstream = httpRequest(`${this.target}${incoming.url}`, { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(outgoing)
    })
    incoming.pipe(upstream)
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

describe('SDK retries', () => {
  let served: ServedGateway
  let proxy: FlakyProxy
  let client: Countersign
  before(async () => {
    served = await servedGateway()
    proxy = new FlakyProxy(served.url)
    client = new Countersign({ url: await proxy.listen(), token: served.gw.tokens.deployBot, retries: 3 })
  })
  beforeEach(() => {
    proxy.refusals = []
    proxy.received = 0
    proxy.forwarded = 0
  })
  after(async () => {
    await proxy.close()
    await served.close()
  })

  it('reads again after 503s from a proxy, and gets the answer', async () => {
    const action = await client.submit(readOnly)
    proxy.received = 0
    proxy.refusals = [{ status: 503 }, { status: 503, headers: { 'retry-after': '0' } }]
    const read = await client.get(action.id)
    assert.equal(read.id, action.id)
    assert.equal(proxy.received, 3)
  })

  it('never sends a submission again after a 503: the gateway may have acted on it', async () => {
    proxy.refusals = [{ status: 503 }]
    const error = await client.submit(readOnly).catch((caught: unknown) => caught)
    assert.ok(error instanceof ApiError, String(error))
    assert.equal(error.status, 503)
    assert.equal(error.code, 'INTERNAL')
    assert.equal(proxy.received, 1)
  })

  it('sends a submission again after a 429, honoring Retry-After: the gateway did not act on it', async () => {
    proxy.refusals = [{ status: 429, headers: { 'retry-after': '0' } }]
    const action = await client.submit(readOnly)
    assert.equal(action.status, 'allowed')
    assert.equal(proxy.received, 2)
    assert.equal(proxy.forwarded, 1)
  })

  it('gives up after its retries with the last status', async () => {
    proxy.refusals = [{ status: 502 }, { status: 502 }, { status: 502 }, { status: 502 }, { status: 502 }]
    const error = await client.get('act_00000000000000000000000000').catch((caught: unknown) => caught)
    assert.ok(error instanceof ApiError && error.status === 502, String(error))
    assert.equal(proxy.received, 4)
  })

  it('does not wait out a Retry-After longer than a minute', async () => {
    proxy.refusals = [{ status: 429, headers: { 'retry-after': '3600' } }]
    const error = await client.get('act_00000000000000000000000000').catch((caught: unknown) => caught)
    assert.ok(error instanceof ApiError && error.status === 429, String(error))
    assert.equal(proxy.received, 1)
  })

  it('sends a submission again when the connection was refused: nothing was sent', async () => {
    // A port that refuses connections until a proxy starts listening on it.
    const probe = createServer()
    probe.listen(0, '127.0.0.1')
    await once(probe, 'listening')
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const late = new FlakyProxy(served.url)
    const patient = new Countersign({ url: `http://127.0.0.1:${port}`, token: served.gw.tokens.deployBot, retries: 6 })
    const submitting = patient.submit(readOnly)
    setTimeout(() => void late.listen(port), 200)
    try {
      assert.equal((await submitting).status, 'allowed')
      assert.equal(late.forwarded, 1)
    } finally {
      await late.close()
    }
  })

  it('stops retrying when the signal aborts', async () => {
    proxy.refusals = [{ status: 503, headers: { 'retry-after': '30' } }]
    const controller = new AbortController()
    const reading = client.get('act_00000000000000000000000000', { signal: controller.signal })
    setTimeout(() => controller.abort(), 100)
    await assert.rejects(reading, (error: Error) => error.name === 'AbortError')
    assert.equal(proxy.received, 1)
  })
})

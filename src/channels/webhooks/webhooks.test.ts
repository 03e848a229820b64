import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Webhook } from 'standardwebhooks'
import { testGateway, type TestGateway } from '../../server/test-gateway.js'
import { testStores } from '../../store/connection/index.js'

const SECRET = `whsec_${randomBytes(32).toString('base64')}`
process.env['TEST_WEBHOOK_SECRET'] = SECRET

/** A receiver that checks every signature, and fails its first `failures` deliveries with HTTP 500. */
async function receiver(failures: number) {
  const verifier = new Webhook(SECRET)
  const received: { id: string; type: string; seq: number }[] = []
  let requests = 0
  let badSignatures = 0
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      requests++
      let event: { type: string; data: { seq: number } }
      try {
        event = verifier.verify(body, request.headers as Record<string, string>) as typeof event
      } catch {
        badSignatures++
        return response.writeHead(400).end()
      }
      if (requests <= failures) return response.writeHead(500).end()
      received.push({ id: String(request.headers['webhook-id']), type: event.type, seq: event.data.seq })
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks?token=abc`,
    received,
    get requests() {
      return requests
    },
    get badSignatures() {
      return badSignatures
    },
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  }
}

for (const store of testStores()) {
  describe(`signed webhooks on ${store.name}`, () => {
    let gw: TestGateway
    let drop: () => Promise<void>
    let flaky: Awaited<ReturnType<typeof receiver>>
    let approvals: Awaited<ReturnType<typeof receiver>>
    before(async () => {
      flaky = await receiver(2)
      approvals = await receiver(0)
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection, {
        channels: { webhooks: [{ url: flaky.url, secret: 'env:TEST_WEBHOOK_SECRET' }, { url: approvals.url, secret: 'env:TEST_WEBHOOK_SECRET', events: ['action.approved', 'action.denied'] }] },
        assemble: { webhooks: { pollMs: 20, retryBaseMs: 20 } },
      })
    })
    after(async () => {
      await gw.close()
      await drop()
      await flaky.close()
      await approvals.close()
    })

    it('delivers every event once and in order, signed, though the receiver fails twice first', async () => {
      const { body } = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' } } })
      await gw.call('POST', `/v1/actions/${body.id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'ok' } })
      await gw.call('POST', `/v1/actions/${body.id}/reviews`, { as: 'bob', body: { decision: 'approve', reason: 'ok too' } })
      for (let i = 0; i < 200 && flaky.received.length < 5; i++) await sleep(25)
      assert.deepEqual(flaky.received.map((event) => event.type), ['action.submitted', 'action.pending', 'review.approve', 'review.approve', 'action.approved'])
      assert.equal(new Set(flaky.received.map((event) => event.id)).size, 5, 'each event once')
      assert.deepEqual(flaky.received.map((event) => event.seq), [...flaky.received.map((event) => event.seq)].sort((a, b) => a - b))
      assert.equal(flaky.requests, 7, 'two failed attempts, then five deliveries')
      assert.equal(flaky.badSignatures, 0)
      await sleep(100)
      assert.equal(flaky.received.length, 5, 'nothing is delivered twice')
    })

    it('sends an endpoint only the events it asked for', async () => {
      for (let i = 0; i < 200 && approvals.received.length < 1; i++) await sleep(25)
      assert.deepEqual(approvals.received.map((event) => event.type), ['action.approved'])
    })
  })
}

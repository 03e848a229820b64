import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Webhook } from 'standardwebhooks'
import { z } from 'zod'
import { testGateway, type TestGateway } from '../../server/test-gateway.js'
import { testStores } from '../../store/connection/index.js'

const SECRET = `whsec_${randomBytes(32).toString('base64')}`
process.env['TEST_SIEM_WEBHOOK_SECRET'] = SECRET

// The schemas the SIEM export is validated with (src/audit/fixtures/), read here as a receiver would.
const schema = (file: string) => z.fromJSONSchema(JSON.parse(readFileSync(new URL(`../../audit/fixtures/${file}`, import.meta.url), 'utf8')))
const OCSF_SCHEMAS: Record<number, ReturnType<typeof schema>> = {
  6003: schema('ocsf-api-activity.schema.json'),
  3001: schema('ocsf-account-change.schema.json'),
  6002: schema('ocsf-application-lifecycle.schema.json'),
}
const CLOUD_EVENT = schema('cloudevents-1.0.schema.json')

/** A SIEM's HTTP collector on loopback: checks each signature and keeps each body with its media type. */
async function collector() {
  const verifier = new Webhook(SECRET)
  const received: { type: string | undefined; body: Record<string, unknown> }[] = []
  let badSignatures = 0
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      try {
        received.push({ type: request.headers['content-type'], body: verifier.verify(body, request.headers as Record<string, string>) as Record<string, unknown> })
      } catch {
        badSignatures++
        return response.writeHead(400).end()
      }
      response.writeHead(202).end()
    })
  })
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`,
    received,
    get badSignatures() {
      return badSignatures
    },
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  }
}

for (const store of testStores()) {
  describe(`SIEM formats through webhooks on ${store.name}`, () => {
    let gw: TestGateway
    let drop: () => Promise<void>
    let ocsf: Awaited<ReturnType<typeof collector>>
    let cloudEvents: Awaited<ReturnType<typeof collector>>
    before(async () => {
      ocsf = await collector()
      cloudEvents = await collector()
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection, {
        audit: { origin: 'countersign.test/audit' },
        channels: { webhooks: [{ url: ocsf.url, secret: 'env:TEST_SIEM_WEBHOOK_SECRET', format: 'ocsf' }, { url: cloudEvents.url, secret: 'env:TEST_SIEM_WEBHOOK_SECRET', format: 'cloudevents' }] },
        assemble: { webhooks: { pollMs: 20, retryBaseMs: 20 } },
      })
    })
    after(async () => {
      await gw.close()
      await drop()
      await ocsf.close()
      await cloudEvents.close()
    })

    it('delivers each event as an OCSF event, or a CloudEvents envelope, that validates against its schema', async () => {
      const { body } = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' } } })
      await gw.call('POST', `/v1/actions/${body.id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'ok' } })
      await gw.call('POST', `/v1/actions/${body.id}/reviews`, { as: 'bob', body: { decision: 'approve', reason: 'ok too' } })
      // An Account Change too: a token issued at run time.
      assert.equal((await gw.call('POST', '/v1/tokens', { as: 'carol', body: { agent: 'deploy-bot', name: 'siem-test' } })).status, 201)
      const expected = 6
      for (let i = 0; i < 400 && (ocsf.received.length < expected || cloudEvents.received.length < expected); i++) await sleep(25)

      assert.equal(ocsf.badSignatures + cloudEvents.badSignatures, 0)
      assert.equal(ocsf.received.length, expected)
      for (const { type, body: event } of ocsf.received) {
        assert.equal(type, 'application/json')
        const result = OCSF_SCHEMAS[event['class_uid'] as number]?.safeParse(event)
        assert.ok(result?.success, `${JSON.stringify(event['unmapped'])}: ${JSON.stringify(result?.error?.issues)}`)
        assert.match(String((event['metadata'] as { uid: string }).uid), /^countersign\.test\/audit\/\d+$/)
      }
      const types = ocsf.received.map(({ body: event }) => (event['unmapped'] as { countersign: { type: string } }).countersign.type)
      assert.deepEqual(types, ['action.submitted', 'action.pending', 'review.approve', 'review.approve', 'action.approved', 'token.created'])
      assert.equal(ocsf.received[5]!.body['class_uid'], 3001)
      assert.equal(ocsf.received[2]!.body['class_uid'], 6003)
      assert.equal((ocsf.received[2]!.body['actor'] as { user: { email_addr: string } }).user.email_addr, 'alice@example.com')

      assert.equal(cloudEvents.received.length, expected)
      for (const { type, body: envelope } of cloudEvents.received) {
        assert.equal(type, 'application/cloudevents+json')
        const result = CLOUD_EVENT.safeParse(envelope)
        assert.ok(result.success, JSON.stringify(result.error?.issues))
      }
      assert.deepEqual(cloudEvents.received.map(({ body: envelope }) => envelope['type']), types.map((type) => `com.countersign.audit.${type}`))
      assert.equal(cloudEvents.received[0]!.body['subject'], body.id)
    })
  })
}

import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { testGateway, type Person, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'
import { until } from '../channels/test-support.js'

const PD_KEY = 'pd-test-key-0123456789'
const OG_KEY = 'og-test-key-0123456789'
process.env['CS_TEST_PD_KEY'] = PD_KEY
process.env['CS_TEST_OG_KEY'] = OG_KEY
const ROUTING_KEY = 'R0123456789abcdef0123456789abcdef'
process.env['CS_TEST_PD_ROUTING'] = ROUTING_KEY

/**
 * Local stand-ins speaking the vendors' published shapes: PagerDuty `GET /oncalls` (Token auth,
 * the v2 Accept header, `schedule_ids[]`, `include[]=users`) and Opsgenie `GET
 * /v2/schedules/{identifier}/on-calls?flat=true` (GenieKey auth).
 */
async function standIn(handle: (request: IncomingMessage, url: URL) => { status: number; body: unknown }): Promise<{ url: string; server: Server; requests: URL[] }> {
  const requests: URL[] = []
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://stand-in')
    requests.push(url)
    const { status, body } = handle(request, url)
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests }
}

let pagerDutyDown = false
const POLICY = `
version: 1
default: deny
rules:
  - id: db-oncall
    match: { kind: sql }
    effect: review
    review: { approvers: [oncall:pagerduty:PSCHED1] }
  - id: shell-oncall
    match: { kind: shell }
    effect: review
    review: { approvers: [oncall:opsgenie:platform_schedule] }
`

const store = testStores()[0]!
describe('on-call approvers resolved through PagerDuty and Opsgenie', () => {
  let pagerDuty: Awaited<ReturnType<typeof standIn>>
  let opsgenie: Awaited<ReturnType<typeof standIn>>
  let events: { url: string; server: Server; received: Record<string, any>[] }
  let gw: TestGateway
  let drop: () => Promise<void>
  before(async () => {
    pagerDuty = await standIn((request, url) => {
      if (pagerDutyDown) return { status: 500, body: { error: { message: 'Internal Server Error', code: 2001 } } }
      if (request.headers.authorization !== `Token token=${PD_KEY}`) return { status: 401, body: { error: { message: 'Unauthorized', code: 2006 } } }
      if (request.headers.accept !== 'application/vnd.pagerduty+json;version=2' || url.pathname !== '/oncalls') return { status: 400, body: { error: { message: 'Invalid Input Provided', code: 2001 } } }
      const user = (id: string, email: string) => ({ id, type: 'user', summary: email.split('@')[0], self: `https://api.pagerduty.com/users/${id}`, html_url: `https://acme.pagerduty.com/users/${id}`, name: email.split('@')[0], email, time_zone: 'Europe/Paris' })
      const oncalls = url.searchParams.getAll('schedule_ids[]').includes('PSCHED1') && url.searchParams.getAll('include[]').includes('users')
        ? [{ escalation_policy: { id: 'PEP1', type: 'escalation_policy_reference' }, escalation_level: 1, schedule: { id: 'PSCHED1', type: 'schedule_reference' }, user: user('PUSER1', 'Erin@Example.com'), start: '2026-12-07T00:00:00Z', end: '2026-12-08T00:00:00Z' }]
        : []
      return { status: 200, body: { oncalls, limit: 25, offset: 0, more: false, total: null } }
    })
    opsgenie = await standIn((request, url) => {
      if (request.headers.authorization !== `GenieKey ${OG_KEY}`) return { status: 401, body: { message: 'Could not authenticate', took: 0.001, requestId: 'r1' } }
      const match = /^\/v2\/schedules\/([^/]+)\/on-calls$/.exec(url.pathname)
      if (!match || url.searchParams.get('flat') !== 'true' || url.searchParams.get('scheduleIdentifierType') !== 'name') return { status: 404, body: { message: 'Schedule not found', took: 0.001, requestId: 'r2' } }
      return { status: 200, body: { data: { _parent: { id: 'd875alp4-9b4e-4219-alp3-0c26936d18de', name: decodeURIComponent(match[1]!), enabled: true }, onCallRecipients: ['frank@example.com'] }, took: 0.1, requestId: 'r3' } }
    })
    // The Events API v2: POST /v2/enqueue answers 202 {status, message, dedup_key}.
    const received: Record<string, any>[] = []
    const eventsServer = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk) => (body += chunk))
      request.on('end', () => {
        const event = JSON.parse(body) as Record<string, any>
        if (request.url !== '/v2/enqueue' || event['routing_key'] !== ROUTING_KEY) return void response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ['bad routing key'] }))
        received.push(event)
        response.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: event['dedup_key'] }))
      })
    })
    await new Promise<void>((resolve) => eventsServer.listen(0, '127.0.0.1', resolve))
    events = { url: `http://127.0.0.1:${(eventsServer.address() as AddressInfo).port}/v2/enqueue`, server: eventsServer, received }
    const connection = await store.open()
    drop = connection.drop
    gw = await testGateway(connection, {
      policy: POLICY,
      assemble: { channels: { pollMs: 50, retryBaseMs: 100, maxRetryMs: 1_000 } },
      oncall: { pagerduty: { api_key: 'env:CS_TEST_PD_KEY', api_url: pagerDuty.url, events: { routing_key: 'env:CS_TEST_PD_ROUTING', url: events.url } }, opsgenie: { api_key: 'env:CS_TEST_OG_KEY', api_url: opsgenie.url }, cache: '0s' },
    })
  })
  after(async () => {
    await gw.close()
    await new Promise((resolve) => pagerDuty.server.close(resolve))
    await new Promise((resolve) => opsgenie.server.close(resolve))
    await new Promise((resolve) => events.server.close(resolve))
    await drop()
  })

  const submit = async (body: Record<string, unknown>) => {
    const response = await gw.call('POST', '/v1/actions', { as: 'deployBot', body })
    assert.equal(response.status, 201, JSON.stringify(response.body))
    return response.body as { id: string; decision: { requirements: { approvers: string[]; oncall?: Record<string, { emails: string[]; error?: string }> }[] } }
  }
  const approve = (id: string, as: Person) => gw.call('POST', `/v1/actions/${id}/reviews`, { as, body: { decision: 'approve', reason: 'on call' } })

  it('asks who is on call on the PagerDuty schedule now, and only they may approve', async () => {
    const { id, decision } = await submit({ kind: 'sql', target: 'prod-db', payload: { sql: 'UPDATE users SET plan = 2 WHERE id = 1' } })
    assert.deepEqual(decision.requirements[0]!.approvers, ['oncall:pagerduty:PSCHED1', 'user:erin@example.com'])
    assert.deepEqual(decision.requirements[0]!.oncall, { 'oncall:pagerduty:PSCHED1': { emails: ['erin@example.com'] } })
    assert.equal((await approve(id, 'bob')).status, 403, 'a DBA not on call is no approver here')
    assert.equal((await approve(id, 'erin')).body.status, 'approved')
    const asked = pagerDuty.requests.at(-1)!
    assert.deepEqual(asked.searchParams.getAll('schedule_ids[]'), ['PSCHED1'])
    // The request paged on call through the Events API, and the incident is resolved once it is decided.
    await until(() => events.received.some((event) => event['dedup_key'] === `countersign-${id}` && event['event_action'] === 'resolve'), 'the resolve event')
    const trigger = events.received.find((event) => event['dedup_key'] === `countersign-${id}` && event['event_action'] === 'trigger')!
    assert.equal(trigger['payload'].source, 'countersign')
    assert.equal(trigger['payload'].severity, 'critical')
    assert.match(trigger['payload'].summary, new RegExp(`Approval needed: sql on prod-db \\(prod\\) \\(${id}\\)`))
    assert.equal(trigger['payload'].custom_details.what_will_run, 'UPDATE users SET plan = 2 WHERE id = 1')
    assert.deepEqual(trigger['links'], [{ href: `https://countersign.test/actions/${id}`, text: 'Review in Countersign' }])
    assert.ok(!events.received.some((event) => String(event['dedup_key']).includes('shell')), 'only requests asking a PagerDuty schedule page')
  })

  it('asks Opsgenie by schedule name, flat', async () => {
    const { id, decision } = await submit({ kind: 'shell', target: 'build-host', payload: { command: 'systemctl restart app' } })
    assert.deepEqual(decision.requirements[0]!.approvers, ['oncall:opsgenie:platform_schedule', 'user:frank@example.com'])
    assert.equal(opsgenie.requests.at(-1)!.pathname, '/v2/schedules/platform_schedule/on-calls')
    assert.equal((await approve(id, 'frank')).body.status, 'approved')
  })

  it('resolves to nobody when the vendor fails: an unknown on-call never widens who may approve', async () => {
    pagerDutyDown = true
    try {
      const { id, decision } = await submit({ kind: 'sql', target: 'prod-db', payload: { sql: 'UPDATE users SET plan = 3 WHERE id = 1' } })
      assert.deepEqual(decision.requirements[0]!.approvers, ['oncall:pagerduty:PSCHED1'])
      assert.match(decision.requirements[0]!.oncall!['oncall:pagerduty:PSCHED1']!.error!, /HTTP 500/)
      for (const person of ['alice', 'bob', 'erin', 'carol'] as const) assert.equal((await approve(id, person)).status, 403, person)
    } finally {
      pagerDutyDown = false
    }
  })
})

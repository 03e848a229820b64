import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { PEOPLE, testGateway, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'
import { NO_TELEMETRY, startTelemetry, submitSpanId, traceOrigin } from './index.js'

/** An HTTP call to the API needs one DBA's approval. */
const POLICY = `
version: 1
default: review
default_review: { approvers: [group:dba], timeout: 1h, execute_within: 10m }
rules: []
`

/** A span as OTLP/JSON carries it, with its attributes flattened to plain values. */
interface ReceivedSpan {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string
  readonly attributes: Record<string, unknown>
}

/** A loopback OTLP/HTTP receiver: every export request's JSON body, decoded. */
class OtlpReceiver {
  readonly bodies: string[] = []
  readonly paths: string[] = []
  #waiting: { count: number; resolve: () => void } | undefined
  readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      this.paths.push(`${request.method} ${request.url} ${request.headers['content-type']} ${request.headers['x-api-key'] ?? ''}`)
      this.bodies.push(Buffer.concat(chunks).toString('utf8'))
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      if (this.#waiting && this.spans().length >= this.#waiting.count) this.#waiting.resolve()
    })
  })

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  /** Resolves once `count` spans have arrived (the exporter sends a batch about every second). */
  arrived(count: number): Promise<void> {
    if (this.spans().length >= count) return Promise.resolve()
    return new Promise((resolve) => (this.#waiting = { count, resolve }))
  }

  spans(): ReceivedSpan[] {
    return this.bodies.flatMap((body) =>
      (JSON.parse(body).resourceSpans as any[]).flatMap((resource) => {
        const service = resource.resource.attributes.find((a: any) => a.key === 'service.name')?.value.stringValue
        return (resource.scopeSpans as any[]).flatMap((scope) =>
          (scope.spans as any[]).map((span) => ({
            name: span.name,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            attributes: { 'service.name': service, ...Object.fromEntries((span.attributes as any[]).map((a) => [a.key, valueOf(a.value)])) },
          })),
        )
      }),
    )
  }
}

function valueOf(value: any): unknown {
  if ('stringValue' in value) return value.stringValue
  if ('boolValue' in value) return value.boolValue
  if ('intValue' in value) return Number(value.intValue)
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(valueOf)
  return value
}

const store = testStores().find((candidate) => candidate.name === 'pglite')!
const SECRET_IN_PAYLOAD = 'card-4111-1111-1111-1111-do-not-trace'

describe('OpenTelemetry traces over OTLP/HTTP', () => {
  const seen: IncomingHttpHeaders[] = []
  const api = createServer((request, response) => {
    seen.push(request.headers)
    request.resume()
    request.on('end', () => response.end('ok'))
  })
  let apiUrl = ''

  before(async () => {
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/`
  })
  after(() => api.close())

  /** A gateway exporting to a fresh receiver; the action is submitted, approved by alice, run, and the gateway closed (which flushes). */
  async function traced(headers: Record<string, string>): Promise<{ receiver: OtlpReceiver; done: any }> {
    const receiver = new OtlpReceiver()
    const endpoint = await receiver.start()
    const connection = await store.open()
    process.env['CS_OTLP_KEY'] = 'otlp-key-for-the-collector'
    let gw: TestGateway | undefined
    try {
      gw = await testGateway(connection, {
        policy: POLICY,
        telemetry: { otlp_endpoint: endpoint, headers: { 'x-api-key': 'env:CS_OTLP_KEY' } },
        targets: [{ name: 'billing-api', kind: 'http', connector: { type: 'http', base_url: apiUrl, timeout: '20s' } }],
      })
      const body = { kind: 'http', target: 'billing-api', payload: { method: 'POST', url: 'charges', body: { card: SECRET_IN_PAYLOAD } }, context: { reason: `refund ${SECRET_IN_PAYLOAD}` } }
      const submitted = (await gw.call('POST', '/v1/actions', { as: 'deployBot', body, headers })).body
      assert.equal(submitted.status, 'pending', JSON.stringify(submitted))
      assert.equal((await gw.call('POST', `/v1/actions/${submitted.id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'ok' } })).status, 200)
      const done = (await gw.call('GET', `/v1/actions/${submitted.id}?wait=20`, { as: 'deployBot' })).body
      assert.equal(done.status, 'succeeded', JSON.stringify(done.result))
      // Every span has ended once the result is recorded: submit, analysis, decision, review, wait, execute.
      await receiver.arrived(6)
      await gw.close()
      gw = undefined
      return { receiver, done }
    } finally {
      await gw?.close()
      await connection.drop()
      receiver.server.close()
    }
  }

  it("continues the agent's traceparent through submit, analysis, decision, review, wait and execution, and the target gets the execution's span", async () => {
    const agentTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
    const agentSpan = '00f067aa0ba902b7'
    const { receiver, done } = await traced({ traceparent: `00-${agentTrace}-${agentSpan}-01` })
    assert.match(receiver.paths[0] ?? '', /^POST \/v1\/traces application\/json otlp-key-for-the-collector$/)
    const spans = receiver.spans()
    const byName = new Map(spans.map((span) => [span.name, span]))
    assert.deepEqual([...byName.keys()].sort(), ['countersign.analysis', 'countersign.decision', 'countersign.execute', 'countersign.review', 'countersign.submit', 'countersign.wait'])
    for (const span of spans) {
      assert.equal(span.traceId, agentTrace, `${span.name} is in the agent's trace`)
      assert.equal(span.attributes['service.name'], 'countersign')
    }
    const submit = byName.get('countersign.submit')!
    assert.equal(submit.parentSpanId, agentSpan, "the submission continues the agent's span")
    assert.equal(submit.spanId, submitSpanId(done.id))
    for (const name of ['countersign.analysis', 'countersign.decision', 'countersign.review', 'countersign.wait', 'countersign.execute']) {
      assert.equal(byName.get(name)!.parentSpanId, submit.spanId, `${name} is a child of the submission`)
    }
    assert.equal(submit.attributes['countersign.action.id'], done.id)
    assert.equal(submit.attributes['countersign.status'], 'pending')
    assert.equal(byName.get('countersign.decision')!.attributes['countersign.decision.effect'], 'review')
    assert.equal(byName.get('countersign.review')!.attributes['countersign.review.decision'], 'approve')
    assert.equal(byName.get('countersign.wait')!.attributes['countersign.status'], 'approved')
    assert.equal(byName.get('countersign.execute')!.attributes['countersign.status'], 'succeeded')
    assert.equal(byName.get('countersign.execute')!.attributes['countersign.connector'], 'http')
    // One trace id everywhere: the execution's context, its result, the traceparent the target got.
    assert.equal(done.context.trace_id, `00-${agentTrace}-${agentSpan}-01`)
    assert.equal(done.result.trace_id, agentTrace)
    assert.equal(seen.at(-1)!['traceparent'], `00-${agentTrace}-${byName.get('countersign.execute')!.spanId}-01`)
    // Ids, kinds, effects and rule names only: nothing of the payload or the reason.
    for (const body of receiver.bodies) assert.ok(!body.includes(SECRET_IN_PAYLOAD) && !body.includes('charges') && !body.includes('otlp-key'), 'no payload text in the export')
  })

  it('gives an action without a trace of its own one trace, derived from its id, rooted at its submission', async () => {
    const { receiver, done } = await traced({})
    const spans = receiver.spans()
    assert.equal(spans.length, 6)
    const traceId = traceOrigin(done.id, undefined).traceId
    assert.equal(done.result.trace_id, traceId)
    for (const span of spans) assert.equal(span.traceId, traceId)
    assert.equal(spans.find((span) => span.name === 'countersign.submit')!.parentSpanId, '')
    assert.equal(seen.at(-1)!['traceparent'], `00-${traceId}-${spans.find((span) => span.name === 'countersign.execute')!.spanId}-01`)
  })

  it('keeps working when the collector is down: spans are lost, actions are not', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const connection = await store.open()
    const gw = await testGateway(connection, { policy: POLICY, telemetry: { otlp_endpoint: endpoint } })
    try {
      const submitted = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'prod-db', payload: { sql: 'UPDATE t SET a = 1 WHERE id = 1' } } })
      assert.equal(submitted.status, 201)
      assert.equal((await gw.call('POST', `/v1/actions/${submitted.body.id}/reviews`, { as: 'bob', body: { decision: 'deny', reason: 'no' } })).body.status, 'denied')
    } finally {
      await gw.close()
      await connection.drop()
    }
  })

  it('makes nothing and loads no SDK when no endpoint is configured', async () => {
    assert.equal(await startTelemetry(undefined), NO_TELEMETRY)
    assert.equal(await startTelemetry({ service_name: 'countersign', headers: {} }), NO_TELEMETRY)
    assert.equal(NO_TELEMETRY.enabled, false)
  })
})

describe('trace origin', () => {
  it('reads a traceparent or a bare trace id, and derives a stable one otherwise', () => {
    assert.deepEqual(traceOrigin('act_1', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentSpanId: '00f067aa0ba902b7' })
    assert.deepEqual(traceOrigin('act_1', '4bf92f3577b34da6a3ce929d0e0e4736'), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736' })
    assert.deepEqual(traceOrigin('act_1', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736' })
    for (const junk of [undefined, 't', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', 42]) {
      assert.deepEqual(traceOrigin('act_1', junk), traceOrigin('act_1', undefined))
    }
    assert.match(traceOrigin('act_1', undefined).traceId, /^[0-9a-f]{32}$/)
    assert.notEqual(traceOrigin('act_1', undefined).traceId, traceOrigin('act_2', undefined).traceId)
    assert.match(submitSpanId('act_1'), /^[0-9a-f]{16}$/)
  })
})

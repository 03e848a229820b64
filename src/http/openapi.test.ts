import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'

interface Operation {
  readonly operationId?: string
  readonly tags?: readonly string[]
  readonly summary?: string
  readonly security?: readonly Record<string, readonly string[]>[]
  readonly parameters?: readonly { readonly name: string; readonly in: string }[]
  readonly responses?: Record<string, unknown>
}

/** Routes anyone may call: health, readiness, metrics, the receipt keys. */
const PUBLIC = ['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /.well-known/jwks.json']

// What an OpenAPI linter (Spectral's `oas` rules, Redocly's recommended set) checks, on the
// document the gateway serves, and that the document tells the truth about authentication.
describe('the OpenAPI document (/openapi.json)', () => {
  let gw: TestGateway
  let drop: () => Promise<void>
  let doc: { servers?: { url: string }[]; security?: unknown; tags?: { name: string }[]; paths: Record<string, Record<string, Operation>>; components?: { securitySchemes?: Record<string, unknown> } }
  let operations: { key: string; path: string; method: string; operation: Operation }[]
  before(async () => {
    const connection = await testStores()[0]!.open()
    drop = connection.drop
    gw = await testGateway(connection)
    doc = (await gw.call('GET', '/openapi.json')).body
    operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, operation })))
  })
  after(async () => {
    await gw.close()
    await drop()
  })

  it('names the server it is served by', () => {
    assert.deepEqual(doc.servers?.map((server) => server.url), [gw.config.server.public_url])
  })

  it('gives every operation a unique operationId, a declared tag, a summary and a success response', () => {
    const declared = new Set(doc.tags?.map((tag) => tag.name))
    const ids = operations.map(({ operation }) => operation.operationId)
    for (const { key, operation } of operations) {
      assert.match(operation.operationId ?? '', /^[a-z][A-Za-z]+$/, `${key} has an operationId`)
      assert.ok(operation.tags?.length && operation.tags.every((tag) => declared.has(tag)), `${key} has declared tags`)
      assert.ok(operation.summary, `${key} has a summary`)
      assert.ok(Object.keys(operation.responses ?? {}).some((status) => /^2\d\d$/.test(status)), `${key} has a success response`)
    }
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique')
  })

  it('declares every path parameter', () => {
    for (const { key, path, operation } of operations) {
      for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) assert.ok(operation.parameters?.some((p) => p.in === 'path' && p.name === name), `${key} declares {${name}}`)
    }
  })

  it('documents the health, readiness, metrics and key endpoints as public', () => {
    for (const key of PUBLIC) {
      const found = operations.find((entry) => entry.key === key)
      assert.ok(found, `${key} is in the document`)
      assert.deepEqual(found.operation.security, [], `${key} needs no token`)
    }
  })

  it('requires the bearer token everywhere else, and the gateway does refuse a call without one', async () => {
    assert.deepEqual(doc.security, [{ bearer: [] }])
    assert.ok(doc.components?.securitySchemes?.['bearer'])
    for (const { key, path, method, operation } of operations) {
      if (PUBLIC.includes(key)) {
        assert.equal((await gw.call(method.toUpperCase(), path)).status, 200, `${key} answers without a token`)
        continue
      }
      assert.deepEqual(operation.security ?? doc.security, [{ bearer: [] }], `${key} needs a token`)
      const concrete = path.replace('{id}', 'act_00000000000000000000000000').replace('{sha256}', '0'.repeat(64))
      assert.equal((await gw.call(method.toUpperCase(), concrete)).status, 401, `${key} refuses a call without a token`)
    }
  })
})

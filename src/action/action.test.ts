import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ActionDraftSchema, ActionSchema } from './index.js'

describe('action validation', () => {
  const valid = [
    { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT 1' } },
    { kind: 'shell', target: 'build-host', payload: { command: 'ls -la' } },
    { kind: 'shell', target: 'build-host', payload: { argv: ['ls', '-la'] } },
    { kind: 'terraform', target: 'infra', payload: { plan: { format_version: '1.2' }, plan_sha256: 'a'.repeat(64) } },
    { kind: 'terraform', target: 'infra', payload: { plan: { format_version: '1.2' }, saved_plan: 'UEsDBBQAAAAIAA==' } },
    { kind: 'kubernetes', target: 'k8s', payload: { command: 'kubectl get pods' } },
    { kind: 'kubernetes', target: 'k8s', payload: { request: { method: 'DELETE', path: '/api/v1/namespaces/x' } } },
    { kind: 'kubernetes', target: 'k8s', payload: { manifest: 'kind: Pod' } },
    { kind: 'http', target: 'api', payload: { method: 'POST', url: 'https://api.example.com/x', headers: { a: 'b' }, body: { x: 1 } } },
    { kind: 'mcp', target: 'github-mcp', payload: { server: 'github', tool: 'create_issue', arguments: { title: 't' } } },
    { kind: 'custom', target: 'anything', payload: { whatever: [1, 2] } },
  ]
  for (const action of valid) {
    it(`accepts a ${action.kind} action shaped ${Object.keys(action.payload).join('+')}`, () => {
      const parsed = ActionSchema.parse(action)
      assert.deepEqual(parsed.payload, action.kind === 'mcp' ? { ...action.payload } : action.payload)
      assert.deepEqual(parsed.context, {})
    })
  }

  const invalid = [
    { name: 'an unknown kind', action: { kind: 'sequel', target: 't', payload: {} }, path: 'kind' },
    { name: 'a payload key the kind does not have', action: { kind: 'sql', target: 't', payload: { sql: 'SELECT 1', database: 'x' } }, path: 'payload' },
    { name: 'an empty SQL text', action: { kind: 'sql', target: 't', payload: { sql: '' } }, path: 'payload.sql' },
    { name: 'a shell payload with both forms', action: { kind: 'shell', target: 't', payload: { command: 'ls', argv: ['ls'] } }, path: 'payload' },
    { name: 'an empty argv', action: { kind: 'shell', target: 't', payload: { argv: [] } }, path: 'payload.argv' },
    { name: 'a bad plan digest', action: { kind: 'terraform', target: 't', payload: { plan: {}, plan_sha256: 'xyz' } }, path: 'payload.plan_sha256' },
    { name: 'a saved plan that is not base64', action: { kind: 'terraform', target: 't', payload: { plan: {}, saved_plan: 'UEsD\nBBQ' } }, path: 'payload.saved_plan' },
    { name: 'a target name with spaces', action: { kind: 'sql', target: 'prod db', payload: { sql: 'SELECT 1' } }, path: 'target' },
    { name: 'a missing target', action: { kind: 'sql', payload: { sql: 'SELECT 1' } }, path: 'target' },
    { name: 'an unknown context key', action: { kind: 'sql', target: 't', payload: { sql: 'SELECT 1' }, context: { reasn: 'x' } }, path: 'context' },
    { name: 'an unknown top-level key', action: { kind: 'sql', target: 't', payload: { sql: 'SELECT 1' }, approved: true }, path: '' },
    { name: 'a __proto__ key hidden in a payload', action: JSON.parse('{"kind":"custom","target":"t","payload":{"cmd":"ls","__proto__":{"cmd":"rm -rf /"}}}') as object, path: 'payload' },
    { name: 'an oversized SQL text', action: { kind: 'sql', target: 't', payload: { sql: 'x'.repeat(1_000_001) } }, path: 'payload.sql' },
  ]
  it('says which shell forms exist when given both', () => {
    const parsed = ActionSchema.safeParse({ kind: 'shell', target: 't', payload: { command: 'ls', argv: ['ls'] } })
    assert.match(parsed.error?.issues[0]?.message ?? '', /either command \(one string\) or argv/)
  })

  for (const { name, action, path } of invalid) {
    it(`refuses ${name}, pointing at ${path || 'the action'}`, () => {
      const parsed = ActionSchema.safeParse(action)
      assert.equal(parsed.success, false)
      assert.equal(parsed.error?.issues[0]?.path.join('.'), path)
    })
  }

  it('lets a draft (policy cases, dry runs) leave out the target, as an empty one', () => {
    assert.equal(ActionDraftSchema.parse({ kind: 'sql', payload: { sql: 'SELECT 1' } }).target, '')
    assert.equal(ActionDraftSchema.safeParse({ kind: 'sql', target: 'bad name', payload: { sql: 'SELECT 1' } }).success, false)
  })
})

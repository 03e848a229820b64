import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, beforeEach, describe, it } from 'node:test'
import type { ActionView } from './api-types.js'
import { cliAgainst, startStandIn, type StandIn } from './test-api-stand-in.js'

describe('countersign submit', () => {
  let standIn: StandIn
  before(async () => (standIn = await startStandIn()))
  after(() => standIn.close())
  beforeEach(() => {
    standIn.requests.length = 0
    standIn.submitStatus = 'pending'
    standIn.refuseWith = undefined
  })
  const submit = (...argv: string[]) => cliAgainst(standIn, ['submit', ...argv])

  it('sends a sql action with its context and prints the decision and what it needs', async () => {
    const result = await submit('--target', 'prod-db', '--sql', 'DELETE FROM users WHERE id = 42', '--reason', 'cleanup', '--on-behalf-of', 'bob@example.com')
    assert.equal(result.code, 10, result.stderr)
    const request = standIn.requests.at(-1)
    assert.equal(request?.method, 'POST')
    assert.equal(request?.path, '/v1/actions')
    assert.equal(request?.query.has('wait'), false)
    assert.equal(request?.authorization, `Bearer ${standIn.token}`)
    assert.deepEqual(request?.body, { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users WHERE id = 42' }, context: { reason: 'cleanup', on_behalf_of: 'bob@example.com' } })
    assert.match(result.stdout, /^act_\w{26} {2}pending {2}sql on prod-db\n/)
    assert.match(result.stdout, /decision: review: destructive-sql-prod requires review/)
    assert.match(result.stdout, /requires: 0 of 2 approvals from group:dba \(destructive-sql-prod\); reason required; expires after 30m/)
  })

  it('makes a shell action of --command and a kubernetes one with --kind kubernetes', async () => {
    await submit('--target', 'build-host', '--command', 'ls -la')
    assert.deepEqual(standIn.requests.at(-1)?.body, { kind: 'shell', target: 'build-host', payload: { command: 'ls -la' } })
    await submit('--target', 'cluster', '--kind', 'kubernetes', '--command', 'kubectl get pods')
    assert.deepEqual(standIn.requests.at(-1)?.body, { kind: 'kubernetes', target: 'cluster', payload: { command: 'kubectl get pods' } })
  })

  it('reads --payload from @file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'countersign-cli-')), 'call.json')
    writeFileSync(file, JSON.stringify({ server: 'github', tool: 'create_issue', arguments: { title: 'x' } }))
    await submit('--target', 'github-mcp', '--kind', 'mcp', '--payload', `@${file}`)
    assert.deepEqual(standIn.requests.at(-1)?.body, { kind: 'mcp', target: 'github-mcp', payload: { server: 'github', tool: 'create_issue', arguments: { title: 'x' } } })
  })

  for (const [name, argv, message] of [
    ['no target', ['--sql', 'SELECT 1'], /required option '--target <name>' not specified/],
    ['no payload at all', ['--target', 'prod-db'], /give the action with --sql, --command or --payload/],
    ['two payloads', ['--target', 'prod-db', '--sql', 'SELECT 1', '--command', 'ls'], /give only one of --sql, --command/],
    ['an unknown kind', ['--target', 'prod-db', '--kind', 'sq1', '--payload', '{}'], /argument 'sq1' is invalid\. Allowed choices are sql, shell/],
    ['--sql with another kind', ['--target', 'prod-db', '--kind', 'shell', '--sql', 'SELECT 1'], /--sql makes a sql action, not shell/],
    ['--payload without --kind', ['--target', 'prod-db', '--payload', '{"sql":"SELECT 1"}'], /--payload needs --kind/],
    ['a payload that is not JSON', ['--target', 'prod-db', '--kind', 'sql', '--payload', '{sql'], /--payload is not valid JSON/],
    ['a payload that is not an object', ['--target', 'prod-db', '--kind', 'sql', '--payload', '[1]'], /--payload must be a JSON object/],
    ['a wait that is not a number', ['--target', 'prod-db', '--sql', 'SELECT 1', '--wait', 'soon'], /--wait: expected a number of seconds/],
  ] as const) {
    it(`refuses ${name} in one line with exit 2, sending nothing`, async () => {
      const result = await submit(...argv)
      assert.equal(result.code, 2)
      assert.match(result.stderr, message)
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr)
      assert.equal(result.stdout, '')
      assert.equal(standIn.requests.length, 0)
    })
  }

  for (const [status, code] of [
    ['allowed', 0],
    ['denied', 11],
    ['pending', 10],
  ] as const) {
    it(`exits ${code} when the action is ${status}`, async () => {
      standIn.submitStatus = status
      const result = await submit('--target', 'prod-db', '--sql', 'SELECT 1')
      assert.equal(result.code, code)
      assert.match(result.stdout, new RegExp(`^act_\\w{26} {2}${status} `))
    })
  }

  it('holds the submission with ?wait until a pending action is approved, then exits 0', async () => {
    const running = submit('--target', 'prod-db', '--sql', 'DELETE FROM users', '--wait')
    const posted = await eventually(() => [...standIn.actions.values()].find((action) => action.payload['sql'] === 'DELETE FROM users' && action.status === 'pending'))
    standIn.change(posted.id, { status: 'approved', execute_by: new Date(Date.now() + 900_000).toISOString() })
    const result = await running
    assert.equal(result.code, 0, result.stderr)
    assert.equal(standIn.requests.length, 1)
    assert.equal(standIn.requests[0]?.query.get('wait'), '60')
    assert.match(result.stdout, /^act_\w{26} {2}approved {2}sql on prod-db\n/)
  })

  it('keeps asking with GET ?wait while the action stays pending, through reviews, until it is decided', async () => {
    standIn.holdSubmit = false
    try {
      const running = submit('--target', 'prod-db', '--sql', 'DELETE FROM carts', '--wait', '600')
      await eventually(() => standIn.requests.find((request) => request.method === 'GET'))
      const id = standIn.requests.find((request) => request.method === 'GET')!.path.split('/').at(-1)!
      standIn.change(id, { reviews: [{ reviewer: 'alice@example.com', decision: 'approve', reason: 'ok', channel: 'slack', at: new Date().toISOString() }] })
      await eventually(() => (standIn.requests.filter((request) => request.method === 'GET').length >= 2 ? true : undefined))
      standIn.change(id, { status: 'denied' })
      const result = await running
      assert.equal(result.code, 11, result.stderr)
      assert.match(result.stderr, /is pending; waiting for review \(up to 600s\):\n {2}0 of 2 approvals from group:dba/)
      const gets = standIn.requests.filter((request) => request.method === 'GET')
      assert.equal(gets.length, 2)
      assert.ok(gets.every((request) => request.path === `/v1/actions/${id}` && request.query.get('wait') === '60'))
      assert.match(result.stdout, /^act_\w{26} {2}denied /)
    } finally {
      standIn.holdSubmit = true
    }
  })

  it('exits 10 when the wait ends while the action is still pending', async () => {
    const result = await submit('--target', 'prod-db', '--sql', 'DELETE FROM orders', '--wait', '1')
    assert.equal(result.code, 10)
    assert.equal(standIn.requests[0]?.query.get('wait'), '1')
    assert.match(result.stdout, / pending /)
  })

  it('prints the action as JSON with --json, with the same exit code', async () => {
    standIn.submitStatus = 'denied'
    const result = await submit('--target', 'prod-db', '--sql', 'DROP DATABASE prod', '--json')
    assert.equal(result.code, 11)
    const action = JSON.parse(result.stdout) as ActionView
    assert.equal(action.status, 'denied')
    assert.deepEqual(action.payload, { sql: 'DROP DATABASE prod' })
  })

  for (const [status, code, exit] of [
    [400, 'INVALID', 2],
    [401, 'UNAUTHENTICATED', 3],
    [403, 'FORBIDDEN', 3],
    [404, 'NOT_FOUND', 4],
    [409, 'CONFLICT', 5],
    [500, 'INTERNAL', 1],
  ] as const) {
    it(`exits ${exit} with the problem's detail in one line for a ${status} ${code}`, async () => {
      standIn.refuseWith = { status, code, detail: `the gateway says ${code.toLowerCase()}` }
      const result = await submit('--target', 'prod-db', '--sql', 'SELECT 1')
      assert.equal(result.code, exit)
      assert.equal(result.stderr, `countersign: the gateway says ${code.toLowerCase()}\n`)
      assert.equal(result.stdout, '')
    })
  }

  it('prints the located errors of an invalid request under its message', async () => {
    const result = await cliAgainst(standIn, ['submit', '--target', 'nowhere', '--sql', 'SELECT 1'])
    assert.equal(result.code, 2)
    assert.equal(result.stderr, 'countersign: unknown target "nowhere"\n')
  })

  it('never prints the token, even when the gateway refuses it', async () => {
    const result = await cliAgainst(standIn, ['submit', '--target', 'prod-db', '--sql', 'SELECT 1'], { COUNTERSIGN_TOKEN: 'cs_agent_wrongwrongwrongwrongwrongwrongwrong' })
    assert.equal(result.code, 3)
    assert.equal(result.stderr, 'countersign: a valid bearer token is required (Authorization: Bearer cs_…)\n')
  })
})

/** Polls `find` until it returns something (the CLI runs concurrently in this process). */
async function eventually<T>(find: () => T | undefined): Promise<T> {
  for (;;) {
    const found = find()
    if (found !== undefined) return found
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

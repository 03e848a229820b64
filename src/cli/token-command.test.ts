import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, beforeEach, describe, it } from 'node:test'
import { cliAgainst, startStandIn, type StandIn } from './test-api-stand-in.js'

describe('countersign token create', () => {
  let standIn: StandIn
  before(async () => (standIn = await startStandIn()))
  after(() => standIn.close())
  beforeEach(() => (standIn.requests.length = 0))

  for (const [flag, subject, prefix] of [
    ['--agent', 'deploy-bot', 'cs_agent_'],
    ['--user', 'Alice@Example.com', 'cs_user_'],
  ] as const) {
    it(`offline, prints exactly a ${prefix} token and its SHA-256 on two lines, sending nothing`, async () => {
      const result = await cliAgainst(standIn, ['token', 'create', flag, subject])
      assert.equal(result.code, 0, result.stderr)
      const lines = result.stdout.split('\n')
      assert.equal(lines.length, 3)
      assert.equal(lines[2], '')
      const [token, sha256] = lines as [string, string]
      assert.match(token, new RegExp(`^${prefix}[A-Za-z0-9_-]{43}$`))
      assert.equal(sha256, createHash('sha256').update(token).digest('hex'))
      assert.match(result.stderr, /^note: put the second line in the token_sha256 list of identities\./)
      assert.equal(standIn.requests.length, 0)
    })
  }

  it('makes a different token each time', async () => {
    const [one, two] = await Promise.all([cliAgainst(standIn, ['token', 'create', '--agent', 'a']), cliAgainst(standIn, ['token', 'create', '--agent', 'a'])])
    assert.notEqual(one.stdout, two.stdout)
  })

  it('with --api, issues it through POST /v1/tokens and prints the same two lines', async () => {
    const result = await cliAgainst(standIn, ['token', 'create', '--agent', 'deploy-bot', '--api', '--name', 'ci', '--expires-in', '1d12h'])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(standIn.requests.at(-1)?.body, { agent: 'deploy-bot', name: 'ci', expires_in: 129_600 })
    const [token, sha256, rest] = result.stdout.split('\n')
    assert.equal(token, `cs_agent_${'k'.repeat(43)}`)
    assert.equal(sha256, createHash('sha256').update(token ?? '').digest('hex'))
    assert.equal(rest, '')
    assert.match(result.stderr, /^note: issued by the gateway for agent deploy-bot, never expires/)
  })

  for (const [name, argv, message] of [
    ['neither --agent nor --user', [], /give exactly one of --agent ID or --user EMAIL/],
    ['both --agent and --user', ['--agent', 'a', '--user', 'a@b.c'], /give exactly one of --agent ID or --user EMAIL/],
    ['an email as an agent id', ['--agent', 'bot@example.com'], /--agent: not an agent id/],
    ['a user that is not an email', ['--user', 'alice'], /--user: not an email address/],
    ['--expires-in without --api', ['--agent', 'a', '--expires-in', '30d'], /--expires-in only with --api/],
    ['a duration without a unit', ['--agent', 'a', '--api', '--expires-in', '3600'], /--expires-in: expected a duration such as 12h/],
  ] as const) {
    it(`refuses ${name} in one line with exit 2, printing no token and sending nothing`, async () => {
      const result = await cliAgainst(standIn, ['token', 'create', ...argv])
      assert.equal(result.code, 2)
      assert.match(result.stderr, message)
      assert.equal(result.stderr.trimEnd().split('\n').length, 1)
      assert.equal(result.stdout, '')
      assert.equal(standIn.requests.length, 0)
    })
  }
})

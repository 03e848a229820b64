import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { renderActionTable } from './action-table.js'
import { cliAgainst, sampleAction, startStandIn, type StandIn } from './test-api-stand-in.js'

describe('countersign list', () => {
  let standIn: StandIn
  before(async () => (standIn = await startStandIn()))
  after(() => standIn.close())
  beforeEach(() => {
    standIn.requests.length = 0
    standIn.actions.clear()
  })

  it('prints a table, newest first, with id, age, status, agent, target, kind and summary', async () => {
    const older = standIn.add({ status: 'allowed', kind: 'shell', target: 'build-host', impact: { summary: 'runs ls', highlights: [] } })
    const newer = standIn.add()
    const result = await cliAgainst(standIn, ['list'])
    assert.equal(result.code, 0, result.stderr)
    const rows = result.stdout.trimEnd().split('\n').map((line) => line.split(/ {2,}/))
    assert.deepEqual(rows, [
      ['ID', 'AGE', 'STATUS', 'AGENT', 'TARGET', 'KIND', 'SUMMARY'],
      [newer.id, '1m', 'pending', 'deploy-bot', 'prod-db', 'sql', 'DELETE on users (1 statement)'],
      [older.id, '1m', 'allowed', 'deploy-bot', 'build-host', 'shell', 'runs ls'],
    ])
  })

  it('passes the filters and limit to the API', async () => {
    await cliAgainst(standIn, ['list', '--status', 'pending, approved', '--target', 'prod-db', '--agent', 'deploy-bot', '--kind', 'sql', '--limit', '5'])
    const query = standIn.requests.at(-1)?.query
    assert.equal(query?.get('status'), 'pending,approved')
    assert.equal(query?.get('target'), 'prod-db')
    assert.equal(query?.get('agent'), 'deploy-bot')
    assert.equal(query?.get('kind'), 'sql')
    assert.equal(query?.get('limit'), '5')
  })

  for (const [name, argv, message] of [
    ['an unknown status', ['--status', 'pending,aproved'], /--status: unknown status "aproved"/],
    ['a limit out of range', ['--limit', '0'], /--limit: expected a whole number from 1 to 200/],
    ['a cursor that is not an action id', ['--cursor', 'x'], /not an action id/],
  ] as const) {
    it(`refuses ${name} with exit 2, sending nothing`, async () => {
      const result = await cliAgainst(standIn, ['list', ...argv])
      assert.equal(result.code, 2)
      assert.match(result.stderr, message)
      assert.equal(standIn.requests.length, 0)
    })
  }

  it('says where the next page starts', async () => {
    for (let i = 0; i < 3; i++) standIn.add()
    const result = await cliAgainst(standIn, ['list', '--limit', '2'])
    assert.match(result.stderr, /^more: add --cursor act_\w{26}\n$/)
  })

  it('prints the page as JSON with --json', async () => {
    const action = standIn.add()
    const result = await cliAgainst(standIn, ['list', '--json'])
    assert.deepEqual(JSON.parse(result.stdout), { actions: [JSON.parse(JSON.stringify(action))], next_cursor: null })
  })
})

describe('renderActionTable', () => {
  const now = new Date()

  it('cuts rows to the terminal width, the summary first, and keeps ids whole', () => {
    const action = sampleAction({ target: 'a-very-long-target-name-that-goes-on', impact: { summary: 'x'.repeat(200), highlights: [] } })
    const lines = renderActionTable([action], now, 100).trimEnd().split('\n')
    for (const line of lines) assert.ok([...line].length <= 100, line)
    assert.ok(lines[1]?.startsWith(`${action.id}  `))
    assert.match(lines[1] ?? '', /a-very-long-target-name…/)
    assert.match(lines[1] ?? '', /x…$/)
  })

  it('escapes invisible characters in cells', () => {
    const table = renderActionTable([sampleAction({ impact: { summary: 'rm \u202Efdp.exe\nnext', highlights: [] } })], now)
    assert.match(table, /rm \\u\{202E\}fdp\.exe\\u\{000A\}next/)
  })
})

import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pino } from 'pino'
import { loadConfig } from '../config/index.js'
import { startGateway, type RunningGateway } from '../server/index.js'
import { TEST_POLICY } from '../server/test-gateway.js'
import { callApi, writeTestConfig, type TestConfigFile } from '../server/test-process.js'
import { cliAgainst } from './test-api-stand-in.js'

const TIGHTENED = `${TEST_POLICY}
  - id: users-reads-reviewed
    match: { kind: sql, env: prod }
    when: '"users" in sql.tables && sql.read_only'
    effect: review
`

describe('countersign policy replay', () => {
  let config: TestConfigFile
  let gateway: RunningGateway | undefined
  let usersRead: string
  const candidates = mkdtempSync(join(tmpdir(), 'countersign-replay-'))
  const same = join(candidates, 'same.yaml')
  const tightened = join(candidates, 'tightened.yaml')
  const broken = join(candidates, 'broken.yaml')

  before(async () => {
    writeFileSync(same, TEST_POLICY)
    writeFileSync(tightened, TIGHTENED)
    writeFileSync(broken, 'version: 1\nrules:\n  - { id: a, effect: allow, when: sql.nope }\n')
    config = writeTestConfig({ data_dir: join(mkdtempSync(join(tmpdir(), 'countersign-replay-store-')), 'data') })
    gateway = await startGateway(loadConfig(config.file), { logger: pino({ level: 'silent' }) })
    for (const sql of ['SELECT 1', 'SELECT email FROM users WHERE id = 1', 'DELETE FROM users WHERE id = 1']) {
      const submitted = await callApi(gateway.url, 'POST', '/v1/actions', config.tokens.agent, { kind: 'sql', target: 'prod-db', payload: { sql } })
      assert.equal(submitted.status, 201)
      if (sql.includes('email')) usersRead = submitted.body.id
    }
  })
  after(async () => {
    await gateway?.close()
  })

  it('through the gateway: reports the actions a tightened rule catches, for auditors only', async () => {
    const as = (token: string, argv: string[]) => cliAgainst({ url: gateway!.url, token }, argv)
    const unchanged = await as(config.tokens.alice, ['policy', 'replay', same, '--fail-on-change'])
    assert.equal(unchanged.code, 0, unchanged.stderr)
    assert.match(unchanged.stdout, /^replayed 3 actions since \S+ under policy [0-9a-f]{12} \(facts: 3 analyzed again, 0 as recorded\)\nno decision would change\nunchanged: allow 2, review 1\n$/)

    const changed = await as(config.tokens.alice, ['policy', 'replay', tightened, '--since', '1d', '--fail-on-change'])
    assert.equal(changed.code, 1, changed.stderr)
    assert.match(changed.stdout, /^1 action would be decided differently:\n {2}allow → review: 1\nrules responsible:\n {2}users-reads-reviewed: 1 action\nchanged actions:\n/m)
    assert.match(changed.stdout, new RegExp(`^  ${usersRead} .* sql on prod-db by deploy-bot\\n    allow \\[read-only\\] → review \\[read-only, users-reads-reviewed\\], because of users-reads-reviewed\\n    http://127\\.0\\.0\\.1:\\d+/actions/${usersRead}$`, 'm'))

    const json = await as(config.tokens.alice, ['policy', 'replay', tightened, '--json', '--target', 'prod-db'])
    assert.equal(json.code, 0, json.stderr)
    const report = JSON.parse(json.stdout)
    assert.deepEqual(report.changes.map((change: { id: string }) => change.id), [usersRead])
    assert.deepEqual(report.targets, ['prod-db'])

    const agent = await as(config.tokens.agent, ['policy', 'replay', tightened])
    assert.equal(agent.code, 3)
    assert.match(agent.stderr, /only auditors and admins/)
    const dba = await as(config.tokens.bob, ['policy', 'replay', tightened])
    assert.equal(dba.code, 3)

    const invalid = await as(config.tokens.alice, ['policy', 'replay', broken])
    assert.equal(invalid.code, 2)
    assert.match(invalid.stderr, /unknown field "nope"/)
    const badSince = await as(config.tokens.alice, ['policy', 'replay', same, '--since', 'yesterday'])
    assert.equal(badSince.code, 2)
    assert.match(badSince.stderr, /since: expected a duration/)
  })

  it('offline (--config): reads the store directly once the gateway is stopped', async () => {
    await gateway!.close()
    gateway = undefined
    const offline = (argv: string[]) => cliAgainst({ url: 'http://127.0.0.1:9', token: '' }, argv)
    const report = await offline(['policy', 'replay', tightened, '--config', config.file, '--json', '--facts', 'recorded'])
    assert.equal(report.code, 0, report.stderr)
    const parsed = JSON.parse(report.stdout)
    assert.equal(parsed.replayed, 3)
    assert.deepEqual(parsed.facts, { analyzed: 0, recorded: 3 })
    assert.deepEqual(parsed.changes.map((change: { id: string }) => change.id), [usersRead])
    assert.match(parsed.changes[0].link, new RegExp(`/actions/${usersRead}$`))

    const diff = await offline(['policy', 'diff', same, tightened, '--config', config.file])
    assert.equal(diff.code, 0, diff.stderr)
    assert.match(diff.stdout, /^\+ users-reads-reviewed \(review\)\nreplayed 3 actions since .*\n1 action would be decided differently:\n/)
    const plain = await offline(['policy', 'diff', tightened, same])
    assert.equal(plain.stdout, '- users-reads-reviewed\n')
    assert.equal((await offline(['policy', 'diff', same, same])).stdout, 'no rule differs\n')

    const unknownTarget = await offline(['policy', 'replay', tightened, '--config', config.file, '--target', 'nope-db'])
    assert.equal(unknownTarget.code, 2)
    assert.match(unknownTarget.stderr, /--target: unknown target "nope-db"/)
  })
})

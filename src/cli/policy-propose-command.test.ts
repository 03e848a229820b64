import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { pino } from 'pino'
import { loadConfig } from '../config/index.js'
import { startGateway, type RunningGateway } from '../server/index.js'
import { TEST_POLICY } from '../server/test-gateway.js'
import { writeTestConfig, type TestConfigFile } from '../server/test-process.js'
import { TEST_POSTGRES_URL } from '../store/connection/index.js'
import { cliAgainst } from './test-api-stand-in.js'

describe('countersign policy propose', () => {
  const databases = [`cs_propose_${randomBytes(6).toString('hex')}`, `cs_propose_${randomBytes(6).toString('hex')}`]
  let stored: { config: TestConfigFile; gateway: RunningGateway }
  let filed: { config: TestConfigFile; gateway: RunningGateway }

  const start = async (database: string, source: 'file' | 'store') => {
    const config = writeTestConfig({ database_url: TEST_POSTGRES_URL.replace(/\/[^/]*$/, `/${database}`) })
    if (source === 'store') writeFileSync(config.file, readFileSync(config.file, 'utf8').replace('policy: ./policy.yaml', 'policy:\n  source: store\n  file: ./policy.yaml'))
    return { config, gateway: await startGateway(loadConfig(config.file), { logger: pino({ level: 'silent' }), policyPollMs: 0 }) }
  }
  before(async () => {
    const admin = new pg.Client(TEST_POSTGRES_URL)
    await admin.connect()
    for (const database of databases) await admin.query(`create database ${database}`)
    await admin.end()
    stored = await start(databases[0]!, 'store')
    filed = await start(databases[1]!, 'file')
  })
  after(async () => {
    await stored?.gateway.close()
    await filed?.gateway.close()
    const admin = new pg.Client(TEST_POSTGRES_URL)
    await admin.connect()
    for (const database of databases) await admin.query(`drop database if exists ${database} with (force)`)
    await admin.end()
  })

  it('submits the change with the policy in force as its base, pending review (exit 10), shown with its diff and replay', async () => {
    const proposed = join(stored.config.dir, 'proposed.yaml')
    writeFileSync(proposed, `${TEST_POLICY}  - { id: no-truncate, when: 'sql.statements.exists(s, s.type == "truncate")', effect: deny }\n`)
    const result = await cliAgainst({ url: stored.gateway.url, token: stored.config.tokens.carol }, ['policy', 'propose', proposed, '--reason', 'never truncate', '--json'])
    assert.equal(result.code, 10, result.stderr)
    const action = JSON.parse(result.stdout)
    assert.equal(action.kind, 'policy')
    assert.equal(action.status, 'pending')
    assert.equal(action.payload.base, stored.gateway.policy.current.version)
    assert.deepEqual(action.impact.facts.diff.added, ['no-truncate'])
    // The policy has no rule for policy changes and its default reviews: oncall approves; carol may not.
    const own = await cliAgainst({ url: stored.gateway.url, token: stored.config.tokens.carol }, ['approve', action.id, '--reason', 'mine'])
    assert.equal(own.code, 3)
    const text = await cliAgainst({ url: stored.gateway.url, token: stored.config.tokens.carol }, ['policy', 'propose', proposed])
    assert.equal(text.code, 10, text.stderr)
    assert.match(text.stdout, /policy change: 1 rule added, 0 removed, 0 changed/)
  })

  it('refuses, in one line, a gateway whose policy is its file', async () => {
    const result = await cliAgainst({ url: filed.gateway.url, token: filed.config.tokens.carol }, ['policy', 'propose', join(filed.config.dir, 'policy.yaml')])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /comes from its file \(policy\.source: file\)/)
  })
})

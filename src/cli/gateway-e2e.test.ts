import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { pino } from 'pino'
import { loadConfig } from '../config/index.js'
import { startGateway, type RunningGateway } from '../server/index.js'
import { writeTestConfig, type TestConfigFile } from '../server/test-process.js'
import { TEST_POSTGRES_URL } from '../store/connection/index.js'
import { cliAgainst } from './test-api-stand-in.js'

describe('the CLI against a real gateway', () => {
  const database = `cs_cli_${randomBytes(6).toString('hex')}`
  let config: TestConfigFile
  let gateway: RunningGateway
  const as = (token: string, argv: string[]) => cliAgainst({ url: gateway.url, token }, argv)

  before(async () => {
    const admin = new pg.Client(TEST_POSTGRES_URL)
    await admin.connect()
    await admin.query(`create database ${database}`)
    await admin.end()
    config = writeTestConfig({ database_url: TEST_POSTGRES_URL.replace(/\/[^/]*$/, `/${database}`) })
    gateway = await startGateway(loadConfig(config.file), { logger: pino({ level: 'silent' }) })
  })
  after(async () => {
    await gateway.close()
    const admin = new pg.Client(TEST_POSTGRES_URL)
    await admin.connect()
    await admin.query(`drop database if exists ${database} with (force)`)
    await admin.end()
  })

  it('submits, is refused self-approval, approves, shows and verifies the audit chain', async () => {
    const submitted = await as(config.tokens.agent, ['submit', '--target', 'prod-db', '--sql', 'DELETE FROM users', '--reason', 'cleanup', '--json'])
    assert.equal(submitted.code, 10, submitted.stderr)
    const id = JSON.parse(submitted.stdout).id as string

    // carol owns the agent: refused, with a one-line message and a non-zero exit.
    const own = await as(config.tokens.carol, ['approve', id, '--reason', 'mine'])
    assert.equal(own.code, 3)
    assert.match(own.stderr, /^countersign: .*owner/m)
    const byAgent = await as(config.tokens.agent, ['approve', id])
    assert.equal(byAgent.code, 3)

    assert.equal((await as(config.tokens.alice, ['approve', id, '--reason', 'checked'])).code, 0)
    const second = await as(config.tokens.bob, ['approve', id, '--reason', 'checked too'])
    assert.equal(second.code, 0, second.stderr)
    assert.match(second.stdout, /approved/)

    const shown = await as(config.tokens.alice, ['show', id])
    assert.match(shown.stdout, /DELETE FROM users/)
    assert.match(shown.stdout, /review\.approve by human:alice@example\.com via cli/)

    const denyWithoutReason = await as(config.tokens.erin, ['deny', id])
    assert.equal(denyWithoutReason.code, 2)

    const verified = await as(config.tokens.alice, ['audit', 'verify'])
    assert.equal(verified.code, 0, verified.stderr)
    assert.match(verified.stdout, /^audit chain OK/)
    const offline = await as(config.tokens.alice, ['audit', 'verify', '--config', config.file])
    assert.equal(offline.code, 0, offline.stderr)
    assert.match(offline.stdout, /^audit chain OK/)
  })

  it('waits for a decision with submit --wait and exits with the outcome', async () => {
    const waiting = as(config.tokens.agent, ['submit', '--target', 'prod-db', '--sql', 'UPDATE users SET plan = 9 WHERE id = 9', '--wait', '30', '--json'])
    let id: string | undefined
    while (!id) {
      const listed = await as(config.tokens.alice, ['list', '--status', 'pending', '--json'])
      id = (JSON.parse(listed.stdout) as { actions: { id: string; payload: { sql: string } }[] }).actions.find((a) => a.payload.sql.includes('plan = 9'))?.id
    }
    assert.equal((await as(config.tokens.erin, ['deny', id, '--reason', 'not today'])).code, 0)
    const outcome = await waiting
    assert.equal(outcome.code, 11, outcome.stderr)
    assert.equal(JSON.parse(outcome.stdout).status, 'denied')
  })

  it('says a deny\'s policy message once', async () => {
    const denied = await as(config.tokens.agent, ['submit', '--target', 'prod-db', '--sql', 'DROP TABLE users'])
    assert.equal(denied.code, 11, denied.stderr)
    assert.equal(denied.stdout.split('Dropping is never allowed.').length - 1, 1, denied.stdout)
    const id = /^(act_\w+)/.exec(denied.stdout)![1]!
    const shown = await as(config.tokens.alice, ['show', id])
    assert.equal(shown.stdout.split('Dropping is never allowed.').length - 1, 1, shown.stdout)
  })
})

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { RunningGateway } from '../server/index.js'
import type { TestConfigFile } from '../server/test-process.js'
import { cliAgainst } from './test-api-stand-in.js'
import { startTestGatewayOnPostgres, type RunningTestGateway } from './test-running-gateway.js'

describe('the CLI against a real gateway', () => {
  let config: TestConfigFile
  let gateway: RunningGateway
  let running: RunningTestGateway
  const as = (token: string, argv: string[]) => cliAgainst({ url: gateway.url, token }, argv)

  before(async () => {
    running = await startTestGatewayOnPostgres('cs_cli')
    ;({ config, gateway } = running)
  })
  after(() => running.close())

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

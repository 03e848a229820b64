import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { loadConfig } from '../config/index.js'
import { startGateway, type RunningGateway } from '../server/index.js'
import { TEST_POLICY } from '../server/test-gateway.js'
import { writeTestConfig, type TestConfigFile } from '../server/test-process.js'
import { cliAgainst } from './test-api-stand-in.js'

describe('countersign exec against a real gateway', () => {
  let config: TestConfigFile
  let gateway: RunningGateway
  const work = mkdtempSync(join(tmpdir(), 'countersign-exec-'))
  const exec = (argv: string[]) => cliAgainst({ url: gateway.url, token: config.tokens.agent }, ['exec', '--target', 'build-host', ...argv])
  const api = async (token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${gateway.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) })
    return response.json() as Promise<any>
  }
  /** Waits for the agent's next pending action and reviews it as alice. */
  const reviewNext = async (decision: 'approve' | 'deny', reason: string) => {
    for (;;) {
      const { actions } = await api(config.tokens.alice, 'GET', '/v1/actions?status=pending&target=build-host')
      if (actions.length > 0) return api(config.tokens.alice, 'POST', `/v1/actions/${actions[0].id}/reviews`, { decision, reason })
      await sleep(50)
    }
  }

  before(async () => {
    config = writeTestConfig({ data_dir: join(work, 'data') }, TEST_POLICY, { targets: [{ name: 'build-host', kind: 'shell', labels: { env: 'staging' } }] })
    gateway = await startGateway(loadConfig(config.file), { logger: pino({ level: 'silent' }) })
  })
  after(() => gateway.close())

  it('runs an allowed command at once, streams its output and records the outcome', async () => {
    const run = await exec(['--', 'echo', 'hello from exec'])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, 'hello from exec\n')
    const { actions } = await api(config.tokens.alice, 'GET', '/v1/actions?target=build-host&limit=1')
    assert.equal(actions[0].status, 'succeeded')
    assert.deepEqual(actions[0].payload, { argv: ['echo', 'hello from exec'] })
    assert.equal(actions[0].result.output, 'hello from exec\n')
    assert.equal(actions[0].result.exit_code, 0)
  })

  it('cancels the action when it cannot redeem the receipt (a human who is not an admin), so nothing is left allowed', async () => {
    const run = await cliAgainst({ url: gateway.url, token: config.tokens.bob }, ['exec', '--target', 'build-host', '--', 'echo', 'bob was here'])
    assert.notEqual(run.code, 0)
    assert.equal(run.stdout, '')
    const { actions } = await api(config.tokens.alice, 'GET', '/v1/actions?target=build-host&limit=1')
    assert.deepEqual(actions[0].payload, { argv: ['echo', 'bob was here'] })
    assert.equal(actions[0].status, 'cancelled')
  })

  it('gives an allowed action an execute_by, as an approved one has', async () => {
    const submitted = await api(config.tokens.agent, 'POST', '/v1/actions', { kind: 'shell', target: 'build-host', payload: { argv: ['echo', 'later'] } })
    assert.equal(submitted.status, 'allowed')
    assert.ok(submitted.execute_by, JSON.stringify(submitted))
    assert.equal(Date.parse(submitted.execute_by) - Date.parse(submitted.created_at), 15 * 60_000)
  })

  it('waits for an approval, then runs the command and exits with its code', async () => {
    const marker = join(work, 'approved-ran')
    const [run, reviewed] = await Promise.all([exec(['--reason', 'needs a human', '--', 'sh', '-c', `touch ${marker}; exit 3`]), reviewNext('approve', 'fine')])
    assert.equal(reviewed.status, 'approved')
    assert.equal(run.code, 3, run.stderr)
    assert.ok(existsSync(marker))
    assert.match(run.stderr, /waiting for approval: .*group:oncall/)
    const action = await api(config.tokens.alice, 'GET', `/v1/actions/${reviewed.id}`)
    assert.equal(action.status, 'failed')
    assert.equal(action.result.exit_code, 3)
    assert.deepEqual(action.timeline.map((event: { type: string }) => event.type), ['action.submitted', 'action.pending', 'review.approve', 'action.approved', 'action.executing', 'action.failed'])
  })

  it('runs an approved command with the identity context a brokered target gets, and the redeemed receipt', async () => {
    const script = 'printf "%s|%s|%s|%s|%s" "$COUNTERSIGN_REQUEST_ID" "$COUNTERSIGN_AGENT" "$COUNTERSIGN_APPROVERS" "$COUNTERSIGN_ON_BEHALF_OF" "$TRACEPARENT"; printf "\\n%s" "$COUNTERSIGN_RECEIPT"'
    const [run, reviewed] = await Promise.all([exec(['--reason', 'needs a human', '--on-behalf-of', 'Dave@Example.com', '--', 'sh', '-c', script]), reviewNext('approve', 'fine')])
    assert.equal(run.code, 0, run.stderr)
    const [line, receipt] = run.stdout.split('\n')
    const trace = /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/.exec(line!.split('|')[4]!)
    assert.ok(trace, line)
    assert.equal(line!.split('|').slice(0, 4).join('|'), `${reviewed.id}|deploy-bot|alice@example.com|dave@example.com`)
    // The receipt is the signed approval itself: its claims name the action and its approvers.
    const claims = JSON.parse(Buffer.from(receipt!.split('.')[1]!, 'base64url').toString('utf8'))
    assert.equal(claims.sub, reviewed.id)
    assert.deepEqual(claims.approvers, ['alice@example.com'])
  })

  it('never runs a denied command, and says why with its own exit code', async () => {
    const marker = join(work, 'denied-ran')
    const [run] = await Promise.all([exec(['--', 'touch', marker]), reviewNext('deny', 'not today')])
    assert.equal(run.code, 11)
    assert.match(run.stderr, /is denied: not today; the command was not run/)
    assert.equal(existsSync(marker), false)
  })

  it('gives up when --wait ends before a decision, without running it', async () => {
    const marker = join(work, 'late-ran')
    const run = await exec(['--wait', '1', '--', 'touch', marker])
    assert.equal(run.code, 10)
    assert.equal(existsSync(marker), false)
  })
  it('cancels the request when interrupted while waiting (Ctrl-C), and exits 130', async () => {
    const child = spawn(process.execPath, [resolve(import.meta.dirname, '../../bin/countersign.js'), 'exec', '--target', 'build-host', '--', 'touch', join(work, 'interrupted-ran')], {
      env: { ...process.env, COUNTERSIGN_URL: gateway.url, COUNTERSIGN_TOKEN: config.tokens.agent },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
    await new Promise<void>((waiting) => child.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), /waiting for approval/.test(stderr) && waiting())))
    const id = /(act_[0-9a-z]{26})/.exec(stderr)![1]
    child.kill('SIGINT')
    assert.equal(await exited, 130, stderr)
    assert.match(stderr, new RegExp(`cancelled ${id}`))
    const action = await api(config.tokens.alice, 'GET', `/v1/actions/${id}`)
    assert.equal(action.status, 'cancelled')
    assert.equal(existsSync(join(work, 'interrupted-ran')), false)
  })
})

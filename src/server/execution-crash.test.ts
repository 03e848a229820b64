import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { TEST_POSTGRES_URL } from '../store/connection/index.js'
import { callApi, spawnGateway, writeTestConfig, type GatewayProcess, type TestConfigFile } from './test-process.js'

const POLICY = `
version: 1
default: review
rules:
  - id: shell
    match: { kind: shell }
    effect: allow
`

describe('a replica that dies while it executes an action', () => {
  const database = `cs_crash_${randomBytes(6).toString('hex')}`
  const dir = mkdtempSync(join(tmpdir(), 'countersign-crash-'))
  // A sleep no other test uses, so the command left running by the killed replica can be found and ended.
  const nap = `${20 + Math.floor(Math.random() * 900) / 1000}`
  let config: TestConfigFile
  let replicas: GatewayProcess[] = []

  before(async () => {
    const admin = new pg.Client(TEST_POSTGRES_URL)
    await admin.connect()
    await admin.query(`create database ${database}`)
    await admin.end()
    config = writeTestConfig({ database_url: TEST_POSTGRES_URL.replace(/\/[^/]*$/, `/${database}`) }, POLICY, {
      targets: [{ name: 'ops-host', kind: 'shell', labels: { env: 'staging' }, connector: { type: 'shell', cwd: dir, timeout: '60s', run_as_gateway_user: true, sandbox: 'off' } }], // the policy lets its writes through without review
      execution: { lease: '2s' },
    })
  })
  after(async () => {
    for (const replica of replicas) {
      replica.child.kill('SIGKILL')
      await replica.exited
    }
    try {
      execFileSync('pkill', ['-f', `sleep ${nap}`])
    } catch {
      // Nothing left running.
    }
    const admin = new pg.Client(TEST_POSTGRES_URL)
    await admin.connect()
    await admin.query(`drop database if exists ${database} with (force)`)
    await admin.end()
  })

  it('is failed by another replica once its lease ends, and is never run again', async () => {
    const a = await spawnGateway(config.file)
    replicas.push(a)
    const log = join(dir, 'crash.log')
    const submitted = await callApi(a.url, 'POST', '/v1/actions', config.tokens.agent, { kind: 'shell', target: 'ops-host', payload: { command: `echo started >> crash.log; sleep ${nap}; echo finished >> crash.log` } })
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body))
    while (!existsSync(log)) await sleep(20)
    a.child.kill('SIGKILL')
    await a.exited

    const b = await spawnGateway(config.file)
    replicas.push(b)
    let action: any
    for (let i = 0; i < 200; i++) {
      action = (await callApi(b.url, 'GET', `/v1/actions/${submitted.body.id}`, config.tokens.agent)).body
      if (action.status !== 'executing') break
      await sleep(50)
    }
    assert.equal(action.status, 'failed')
    assert.match(action.result.error, /stopped before reporting a result; the action was not re-run/)
    assert.deepEqual(action.timeline.map((event: { type: string }) => event.type), ['action.submitted', 'action.allowed', 'action.executing', 'action.failed'])
    // Replica B scans for runnable actions every 2 s: give it the chance to (wrongly) run it again.
    await sleep(2500)
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['started'])
    const verified = await callApi(b.url, 'GET', '/v1/audit/verify', config.tokens.alice)
    assert.equal(verified.body.ok, true)
  })
})

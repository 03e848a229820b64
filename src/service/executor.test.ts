import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { canonicalJson } from '../action/index.js'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { openPostgres, testStores } from '../store/connection/index.js'

/** Shell commands run at once, except `touch`, which one on-call human must approve. */
const POLICY = `
version: 1
default: review
default_review: { approvers: [group:oncall], timeout: 1h, execute_within: 10m }
rules:
  - id: shell-without-touch
    match: { kind: shell }
    when: '!shell.programs.exists(p, p == "touch")'
    effect: allow
`

const opsHost = (dir: string) => ({ name: 'ops-host', kind: 'shell', labels: { env: 'staging' }, connector: { type: 'shell', cwd: dir, timeout: '20s', run_as_gateway_user: true } })
const shell = (command: string) => ({ kind: 'shell', target: 'ops-host', payload: { command }, context: { reason: 'test' } })

for (const store of testStores()) {
  describe(`brokered execution on ${store.name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-exec-'))
    let gw: TestGateway
    let drop: () => Promise<void>
    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection, { policy: POLICY, targets: [opsHost(dir)] })
    })
    after(async () => {
      await gw.close()
      await drop()
    })

    it('runs an allowed action with the connector and answers the waiting agent with the result', async () => {
      const { status, body } = await gw.call('POST', '/v1/actions?wait=20', { as: 'deployBot', body: shell('echo "hello $USER-less world" && pwd') })
      assert.equal(status, 201)
      assert.equal(body.status, 'succeeded', JSON.stringify(body.result))
      assert.equal(body.brokered, true)
      assert.equal(body.result.exit_code, 0)
      assert.equal(body.result.stdout, `hello -less world\n${dir}\n`)
      const action = (await gw.call('GET', `/v1/actions/${body.id}`, { as: 'deployBot' })).body
      assert.deepEqual(action.timeline.map((event: { type: string }) => event.type), ['action.submitted', 'action.allowed', 'action.executing', 'action.succeeded'])
      // The log vouches for the stored result by its hash.
      const finished = action.timeline.at(-1)
      assert.equal(finished.data.result_sha256, createHash('sha256').update(canonicalJson(action.result)).digest('hex'))
      assert.equal((await gw.auditLog.verify()).ok, true)
    })

    it('claims an allowed action for a waiting agent as it records it: this replica runs it, no other claim wins', async () => {
      const flag = join(dir, 'claimed-flag')
      const waiting = gw.call('POST', '/v1/actions?wait=20', { as: 'deployBot', body: shell(`until [ -e ${flag} ]; do sleep 0.01; done; echo ran`) })
      let running: { id: string; status: string } | undefined
      while (!running) {
        running = (await gw.call('GET', '/v1/actions?status=executing', { as: 'carol' })).body.actions[0]
        if (!running) await sleep(5)
      }
      const stored = await gw.gateway.store.getAction(running.id)
      assert.equal(stored?.leaseOwner, gw.executor.id)
      assert.equal(await gw.gateway.claimExecution(running.id, 'executor:another', 1000), undefined, 'one claim: the one made as it was recorded')
      writeFileSync(flag, '')
      const done = (await waiting).body
      assert.equal(done.status, 'succeeded', JSON.stringify(done.result))
      assert.equal(done.result.stdout, 'ran\n')
      const timeline = (await gw.call('GET', `/v1/actions/${done.id}`, { as: 'deployBot' })).body.timeline
      assert.deepEqual(timeline.map((event: { type: string }) => event.type), ['action.submitted', 'action.allowed', 'action.executing', 'action.succeeded'])
      assert.equal(timeline[2].data.executor, gw.executor.id)
    })

    it('records an allowed action for a waiting agent as allowed when the executor has no slot free, and runs it once one is', async () => {
      const slots = []
      for (let slot = gw.executor.reserve(); slot; slot = gw.executor.reserve()) slots.push(slot)
      assert.ok(slots.length > 0)
      const waiting = gw.call('POST', '/v1/actions?wait=20', { as: 'deployBot', body: shell('echo later') })
      let allowed: { id: string } | undefined
      while (!allowed) {
        allowed = (await gw.call('GET', '/v1/actions?status=allowed', { as: 'carol' })).body.actions[0]
        if (!allowed) await sleep(5)
      }
      for (const slot of slots) slot.release()
      const done = (await waiting).body
      assert.equal(done.id, allowed.id)
      assert.equal(done.status, 'succeeded')
      assert.equal(done.result.stdout, 'later\n')
    })

    it('runs an approved action once its approval lands, and the agent waiting on it gets the result', async () => {
      const marker = join(dir, 'approved-marker')
      const submitted = (await gw.call('POST', '/v1/actions', { as: 'deployBot', body: shell(`touch ${marker} && echo touched`) })).body
      assert.equal(submitted.status, 'pending')
      const waiting = gw.call('GET', `/v1/actions/${submitted.id}?wait=20`, { as: 'deployBot' })
      await sleep(50)
      assert.equal(existsSync(marker), false, 'nothing runs before the approval')
      assert.equal((await gw.call('POST', `/v1/actions/${submitted.id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'ok' } })).body.status, 'approved')
      const done = (await waiting).body
      assert.equal(done.status, 'succeeded')
      assert.equal(done.result.stdout, 'touched\n')
      assert.ok(existsSync(marker))
    })

    it('records a failing command as failed, with its exit code and output', async () => {
      const { body } = await gw.call('POST', '/v1/actions?wait=20', { as: 'deployBot', body: shell('echo oops >&2; exit 4') })
      assert.equal(body.status, 'failed')
      assert.equal(body.result.exit_code, 4)
      assert.equal(body.result.stderr, 'oops\n')
    })

    it('refuses an outcome report or a receipt for a brokered action: Countersign reports it', async () => {
      const { body } = await gw.call('POST', '/v1/actions?wait=20', { as: 'deployBot', body: shell('true') })
      assert.equal((await gw.call('POST', `/v1/actions/${body.id}/outcome`, { as: 'deployBot', body: { status: 'failed' } })).status, 403)
      assert.equal((await gw.call('GET', `/v1/actions/${body.id}/receipt`, { as: 'deployBot' })).status, 409)
    })

    it('fails, and does not re-run, an action whose executor stopped renewing its lease', async () => {
      const marker = join(dir, 'lease-marker')
      // This replica's executor is stopped: an executor of another (now dead) replica claims the action, and nobody renews its lease.
      await gw.executor.stop()
      const submitted = (await gw.call('POST', '/v1/actions', { as: 'deployBot', body: shell(`echo ran > ${marker}`) })).body
      assert.equal(submitted.status, 'allowed')
      const claimed = await gw.gateway.claimExecution(submitted.id, 'executor:dead-replica', 1000)
      assert.ok(claimed)
      assert.equal(await gw.gateway.claimExecution(submitted.id, 'executor:another', 1000), undefined, 'one claim wins')
      gw.executor.start()
      gw.advance(1500)
      await gw.gateway.expireDue()
      const action = (await gw.call('GET', `/v1/actions/${submitted.id}`, { as: 'deployBot' })).body
      assert.equal(action.status, 'failed')
      assert.match(action.result.error, /executor \(executor:dead-replica\) stopped before reporting a result; the action was not re-run/)
      gw.executor.wake(submitted.id)
      await gw.executor.scan()
      await sleep(100)
      assert.equal(existsSync(marker), false)
      assert.equal((await gw.gateway.finishExecution(claimed, 'executor:dead-replica', { status: 'succeeded', duration_ms: 1, truncated: false })), undefined, 'a late result of a lost lease is not recorded')
    })

    it('never runs an approval that expired before an executor claimed it', async () => {
      const submitted = (await gw.call('POST', '/v1/actions', { as: 'deployBot', body: shell(`touch ${join(dir, 'never')}`) })).body
      await gw.executor.stop()
      try {
        await gw.call('POST', `/v1/actions/${submitted.id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'ok' } })
        gw.advance(11 * 60_000)
        assert.equal(await gw.gateway.claimExecution(submitted.id, 'executor:late', 30_000), undefined)
        assert.equal((await gw.call('GET', `/v1/actions/${submitted.id}`, { as: 'deployBot' })).body.status, 'expired')
      } finally {
        gw.executor.start()
      }
    })
  })
}

describe('brokered execution with two replicas on one PostgreSQL database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-exec-replicas-'))
  let a: TestGateway
  let b: TestGateway
  let drop: () => Promise<void>
  before(async () => {
    const first = await testStores().find((factory) => factory.name === 'postgres')!.open()
    drop = first.drop
    // The policy lets these writes through without review: the target opts out of the read-only sandbox.
    const host = { ...opsHost(dir), connector: { ...opsHost(dir).connector, sandbox: 'off' } }
    a = await testGateway(first, { policy: POLICY, targets: [host] })
    b = await testGateway(await openPostgres({ url: first.url!, poolSize: 4 }), { policy: POLICY, targets: [host] })
  })
  after(async () => {
    await b.close()
    await a.close()
    await drop()
  })

  it('runs each action exactly once when both replicas try to run all of them at once', async () => {
    const ids: string[] = []
    for (let i = 0; i < 20; i++) {
      const submitted = (await a.call('POST', '/v1/actions', { as: 'deployBot', body: shell(`echo run-${i} >> ledger`) })).body
      ids.push(submitted.id)
      a.executor.wake(submitted.id)
      b.executor.wake(submitted.id)
    }
    for (const id of ids) {
      const state = (await a.call('GET', `/v1/actions/${id}?wait=20`, { as: 'deployBot' })).body
      assert.equal(state.status, 'succeeded')
      assert.equal(state.timeline.filter((event: { type: string }) => event.type === 'action.executing').length, 1)
    }
    const lines = readFileSync(join(dir, 'ledger'), 'utf8').trim().split('\n').sort()
    assert.deepEqual(lines, Array.from({ length: 20 }, (_, i) => `run-${i}`).sort())
    assert.equal((await a.auditLog.verify()).ok, true)
  })
})

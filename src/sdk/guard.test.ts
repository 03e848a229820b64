import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Countersign, Denied, guard, StillPending } from './index.js'
import { servedGateway, type ServedGateway } from './test-served-gateway.js'

describe('guard around a tool function', () => {
  let served: ServedGateway
  let agent: Countersign
  let alice: Countersign
  before(async () => {
    served = await servedGateway()
    agent = served.client('deployBot')
    alice = served.client('alice')
  })
  after(() => served.close())

  const latest = async (target: string) => (await alice.list({ target, limit: 1 })).actions[0]!

  it('runs an allowed call once, after redeeming its receipt, and records the outcome', async () => {
    const calls: string[] = []
    const query = guard(async ({ sql }: { sql: string }) => (calls.push(sql), { rows: [[42]] }), {
      client: agent,
      target: 'prod-db',
      kind: 'sql',
      toPayload: ({ sql }) => ({ sql }),
      context: ({ sql }) => ({ reason: `the model asked for ${sql.length} characters of SQL`, model: 'test-model' }),
    })
    assert.deepEqual(await query({ sql: 'SELECT count(*) FROM users' }), { rows: [[42]] })
    assert.deepEqual(calls, ['SELECT count(*) FROM users'])
    const recorded = await alice.get((await latest('prod-db')).id)
    assert.equal(recorded.status, 'succeeded')
    assert.equal(recorded.result?.['output'], '{"rows":[[42]]}')
    assert.equal(recorded.context['model'], 'test-model')
    assert.deepEqual(recorded.timeline?.map((event) => event.type), ['action.submitted', 'action.allowed', 'action.executing', 'action.succeeded'])
  })

  it('never runs a denied call, and throws the policy reason for the model', async () => {
    let ran = false
    const query = guard(async (_sql: string) => (ran = true), { client: agent, target: 'prod-db', kind: 'sql', toPayload: (sql) => ({ sql }) })
    await assert.rejects(query('DROP TABLE users'), (error: unknown) => error instanceof Denied && /Dropping is never allowed/.test(error.message))
    assert.equal(ran, false)
  })

  it('runs a call once a human approves it', async () => {
    const ran: string[] = []
    const restart = guard(async (service: string) => (ran.push(service), `restarted ${service}`), { client: agent, target: 'build-host', kind: 'shell', toPayload: (service) => ({ argv: ['systemctl', 'restart', service] }) })
    const approving = (async () => {
      for (;;) {
        const pending = (await alice.list({ status: 'pending', target: 'build-host' })).actions[0]
        if (pending) return alice.review(pending.id, 'approve', 'fine')
        await sleep(20)
      }
    })()
    const [result] = await Promise.all([restart('nginx'), approving])
    assert.equal(result, 'restarted nginx')
    assert.deepEqual(ran, ['nginx'])
    assert.equal((await latest('build-host')).status, 'succeeded')
  })

  it('gives up when nobody decides in time, without running', async () => {
    let ran = false
    const restart = guard(async () => (ran = true), { client: agent, target: 'build-host', kind: 'shell', toPayload: () => ({ command: 'reboot' }), timeoutMs: 200 })
    const error = await restart().catch((caught: unknown) => caught)
    assert.ok(error instanceof StillPending, String(error))
    assert.equal(ran, false)
    await agent.cancel(error.action.id)
  })

  it('reports a call that throws as failed, and throws its error', async () => {
    const broken = guard(async (_sql: string) => {
      throw new Error('connection lost')
    }, { client: agent, target: 'prod-db', kind: 'sql', toPayload: (sql) => ({ sql }) })
    await assert.rejects(broken('SELECT 1'), /connection lost/)
    const recorded = await latest('prod-db')
    assert.equal(recorded.status, 'failed')
    assert.equal(recorded.result?.['error'], 'connection lost')
  })

  it('returns what Countersign ran on a brokered target, without calling the function', async () => {
    let ran = false
    const run = guard(async (_command: string) => (ran = true), { client: agent, target: 'runner', kind: 'shell', toPayload: (command) => ({ command }) })
    const result = await run('echo from the target')
    assert.equal(ran, false)
    assert.ok(typeof result === 'object' && result.brokered === true)
    assert.equal(result.result?.['stdout'], 'from the target\n')
  })
})

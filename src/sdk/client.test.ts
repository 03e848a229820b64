import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { ApiError, Cancelled, Countersign, Denied, Expired, Failed, StillPending, type Action, type ActionEvent, type ActionInput } from './index.js'
import { servedGateway, type ServedGateway } from './test-served-gateway.js'

const readOnly: ActionInput = { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT count(*) FROM users' } }
const dropTable: ActionInput = { kind: 'sql', target: 'prod-db', payload: { sql: 'DROP TABLE users' } }
const restart = (n: number): ActionInput => ({ kind: 'shell', target: 'build-host', payload: { command: `systemctl restart app-${n}` }, context: { reason: 'deploy' } })

describe('the SDK client against a real gateway', () => {
  let served: ServedGateway
  let agent: Countersign
  let alice: Countersign
  let counter = 0
  before(async () => {
    served = await servedGateway({ sweepMs: 100 })
    agent = served.client('deployBot')
    alice = served.client('alice')
  })
  after(() => served.close())

  /** The next pending action of build-host, as a reviewer finds it. */
  const nextPending = async (): Promise<Action> => {
    for (;;) {
      const { actions } = await alice.list({ status: 'pending', target: 'build-host', limit: 1 })
      if (actions[0]) return actions[0]
      await sleep(20)
    }
  }

  it('runs an allowed action at once and returns it for the agent to run', async () => {
    const action = await agent.run(readOnly)
    assert.equal(action.status, 'allowed')
    assert.equal(action.brokered, false)
    assert.deepEqual(action.decision.matched_rules, ['read-only'])
  })

  it('returns the result of a brokered action Countersign ran', async () => {
    const action = await agent.run({ kind: 'shell', target: 'runner', payload: { command: 'echo brokered' } })
    assert.equal(action.status, 'succeeded')
    assert.equal(action.result?.['stdout'], 'brokered\n')
  })

  it('throws Failed with the action when a brokered run fails', async () => {
    const failed = await agent.run({ kind: 'shell', target: 'runner', payload: { command: 'echo no >&2; exit 3' } }).catch((error: unknown) => error)
    assert.ok(failed instanceof Failed, String(failed))
    assert.equal(failed.action.status, 'failed')
    assert.equal(failed.action.result?.['exit_code'], 3)
  })

  it('throws Denied with the policy message', async () => {
    const denied = await agent.run(dropTable).catch((error: unknown) => error)
    assert.ok(denied instanceof Denied, String(denied))
    assert.equal(denied.reason, 'Dropping is never allowed.')
    assert.match(denied.message, /was denied: Dropping is never allowed\./)
    assert.equal(denied.action.status, 'denied')
  })

  it('waits while a human approves, then returns the approved action', async () => {
    const [action, reviewed] = await Promise.all([agent.run(restart(++counter)), nextPending().then((pending) => alice.review(pending.id, 'approve', 'looks right'))])
    assert.equal(reviewed.status, 'approved')
    assert.equal(action.id, reviewed.id)
    assert.equal(action.status, 'approved')
    assert.deepEqual(action.reviews.map((review) => `${review.reviewer} ${review.decision}`), ['alice@example.com approve'])
  })

  it('throws Denied with the reviewer and reason when a human denies', async () => {
    const [denied] = await Promise.all([agent.run(restart(++counter)).catch((error: unknown) => error), nextPending().then((pending) => alice.review(pending.id, 'deny', 'not during the freeze'))])
    assert.ok(denied instanceof Denied, String(denied))
    assert.equal(denied.reason, 'alice@example.com: not during the freeze')
  })

  it('throws StillPending when the wait ends first, with what it needs and where to decide', async () => {
    const pending = await agent.run(restart(++counter), { timeoutMs: 300 }).catch((error: unknown) => error)
    assert.ok(pending instanceof StillPending, String(pending))
    assert.equal(pending.action.status, 'pending')
    assert.match(pending.message, new RegExp(`action ${pending.action.id} is still pending approval \\(needs 1 of group:oncall\\): https://countersign.test/actions/${pending.action.id}`))
    await agent.cancel(pending.action.id, 'test over')
  })

  it('throws Cancelled when the request is cancelled while it waits', async () => {
    const [cancelled] = await Promise.all([agent.run(restart(++counter)).catch((error: unknown) => error), nextPending().then((pending) => agent.cancel(pending.id, 'changed my mind'))])
    assert.ok(cancelled instanceof Cancelled, String(cancelled))
    assert.equal(cancelled.action.status, 'cancelled')
  })

  it('throws Expired when nobody decides before the request times out', async () => {
    const [expired] = await Promise.all([agent.run(restart(++counter)).catch((error: unknown) => error), nextPending().then(() => served.gw.advance(2 * 3600_000))])
    assert.ok(expired instanceof Expired, String(expired))
    assert.equal(expired.action.status, 'expired')
  })

  it('stops waiting when the signal aborts, and leaves the action pending', async () => {
    const submitted = await agent.submit(restart(++counter))
    const controller = new AbortController()
    const waiting = agent.waitFor(submitted.id, { signal: controller.signal })
    setTimeout(() => controller.abort(), 100)
    await assert.rejects(waiting, (error: Error) => error.name === 'AbortError')
    assert.equal((await agent.get(submitted.id)).status, 'pending')
    await assert.rejects(agent.run(restart(++counter), { signal: AbortSignal.abort() }), (error: Error) => error.name === 'AbortError')
  })

  it('streams the transitions in order, and the action at each change until it is final', async () => {
    const submitted = await agent.submit(restart(++counter))
    const events: ActionEvent[] = []
    const streaming = (async () => {
      for await (const event of agent.events(submitted.id)) {
        events.push(event)
        if (event.type === 'action' && event.action.status === 'pending' && events.filter((seen) => seen.type === 'action').length === 1) await alice.review(submitted.id, 'approve', 'ok')
        if (event.type === 'action' && event.action.status === 'approved') {
          const { receipt } = await agent.receipt(submitted.id)
          await agent.redeem({ receipt, target: 'build-host', action: { kind: submitted.kind, target: submitted.target, payload: submitted.payload } })
          await agent.reportOutcome(submitted.id, { status: 'succeeded', exit_code: 0, output: 'restarted' })
        }
      }
    })()
    await streaming
    const transitions = events.flatMap((event) => (event.type === 'transition' ? [event.event['type']] : []))
    assert.deepEqual(transitions, ['action.submitted', 'action.pending', 'review.approve', 'action.approved', 'action.executing', 'action.succeeded'])
    const seqs = events.flatMap((event) => (event.type === 'transition' ? [event.seq] : []))
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b))
    const last = events.at(-1)
    assert.equal(last?.type, 'action')
    assert.equal(last.type === 'action' && last.action.status, 'succeeded')
  })

  it('ends the event stream when its signal aborts', async () => {
    const submitted = await agent.submit(restart(++counter))
    const controller = new AbortController()
    const seen: string[] = []
    await assert.rejects(
      (async () => {
        for await (const event of agent.events(submitted.id, { signal: controller.signal })) {
          seen.push(event.type)
          if (event.type === 'action') controller.abort()
        }
      })(),
      (error: Error) => error.name === 'AbortError',
    )
    assert.deepEqual(seen, ['transition', 'transition', 'action'])
    await agent.cancel(submitted.id)
  })

  it('redeems a receipt once: a second redemption is refused with the problem code', async () => {
    const action = await agent.run(readOnly)
    const { receipt, digest } = await agent.receipt(action.id)
    assert.equal(digest, action.digest)
    const executing = await agent.redeem({ receipt, target: 'prod-db', action: readOnly })
    assert.equal(executing.status, 'executing')
    const again = await agent.redeem({ receipt, target: 'prod-db', digest }).catch((error: unknown) => error)
    assert.ok(again instanceof ApiError, String(again))
    assert.equal(again.code, 'ALREADY_DECIDED')
    assert.equal(again.status, 409)
    const done = await agent.reportOutcome(action.id, { status: 'succeeded', output: '42' })
    assert.equal(done.status, 'succeeded')
  })

  it('takes a gateway URL that ends in the API\'s own /v1', async () => {
    for (const url of [`${served.url}/v1`, `${served.url}/v1/`]) {
      const client = new Countersign({ url, token: served.gw.tokens.deployBot })
      assert.equal(client.url, served.url)
      assert.equal((await client.me()).id, 'deploy-bot')
    }
  })

  it('carries the problem code of every refusal', async () => {
    const missing = await agent.get('act_00000000000000000000000000').catch((error: unknown) => error)
    assert.ok(missing instanceof ApiError && missing.code === 'NOT_FOUND' && missing.status === 404, String(missing))
    const forged = await new Countersign({ url: served.url, token: 'cs_agent_not-a-real-token-but-long-enough' }).me().catch((error: unknown) => error)
    assert.ok(forged instanceof ApiError && forged.code === 'UNAUTHENTICATED', String(forged))
    const pending = await agent.submit(restart(++counter))
    const selfReview = await agent.review(pending.id, 'approve', 'me').catch((error: unknown) => error)
    assert.ok(selfReview instanceof ApiError && selfReview.code === 'FORBIDDEN', String(selfReview))
    const invalid = await agent.submit({ kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT 1', extra: true } }).catch((error: unknown) => error)
    assert.ok(invalid instanceof ApiError && invalid.code === 'INVALID' && invalid.details.length > 0, String(invalid))
    await agent.cancel(pending.id)
  })

  it('lists for humans with several statuses, page by page', async () => {
    const first = await alice.list({ status: ['cancelled', 'expired'], limit: 1 })
    assert.equal(first.actions.length, 1)
    assert.ok(['cancelled', 'expired'].includes(first.actions[0]!.status))
    assert.ok(first.next_cursor)
    const second = await alice.list({ status: ['cancelled', 'expired'], limit: 1, cursor: first.next_cursor })
    assert.notEqual(second.actions[0]!.id, first.actions[0]!.id)
    assert.deepEqual(await agent.me(), { type: 'agent', id: 'deploy-bot', owner: 'carol@example.com' })
  })
})

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { testStores } from './connection/index.js'
import { OutboxStore, type AnnouncementPlanner } from './index.js'

const deleteAll = { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' } }

/** Announces every pending action to `#a` and `#b`. */
const everywhere: AnnouncementPlanner = (_events, pending) => [...pending.keys()].flatMap((actionId) => [{ actionId, destination: '#a' }, { actionId, destination: '#b' }])

for (const store of testStores()) {
  describe(`channel outbox on ${store.name}`, () => {
    let gw: TestGateway
    let drop: () => Promise<void>
    let offset = 0
    let outbox: OutboxStore
    let channel = 0

    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection)
      outbox = new OutboxStore(gw.store.connection, () => new Date(Date.now() + offset))
    })
    after(async () => {
      await gw.close()
      await drop()
    })

    const submit = async () => (await gw.call('POST', '/v1/actions', { as: 'deployBot', body: deleteAll })).body.id as string
    const approve = (id: string, as: 'alice' | 'bob') => gw.call('POST', `/v1/actions/${id}/reviews`, { as, body: { decision: 'approve', reason: 'ok' } })
    // Each test its own channel: its own cursor, starting at the head of the log.
    const fresh = async () => {
      const name = `test${++channel}`
      await outbox.openCursor(name)
      return name
    }

    it('starts a new channel at the head of the log: what happened before is not announced', async () => {
      const earlier = await submit()
      const name = await fresh()
      assert.deepEqual(await outbox.advance(name, everywhere), { events: 0, announced: 0 })
      const later = await submit()
      const result = await outbox.advance(name, everywhere)
      assert.equal(result.announced, 2)
      assert.deepEqual(await outbox.messages(earlier), [])
      assert.deepEqual((await outbox.messages(later)).map((message) => [message.channel, message.destination, message.sentSeq, message.ref]), [[name, '#a', 0, null], [name, '#b', 0, null]])
      assert.deepEqual(await outbox.advance(name, everywhere), { events: 0, announced: 0 })
    })

    it('marks an announced message behind on every later event of its action, and collapses them into one send', async () => {
      const name = await fresh()
      const id = await submit()
      await outbox.advance(name, (_events, pending) => [...pending.keys()].map((actionId) => ({ actionId, destination: '#a' })))
      const [claimed] = await outbox.claim(name, 'me', 60_000, 10)
      assert.equal(claimed!.actionId, id)
      assert.equal(await outbox.complete(claimed!, 'me', 'ref-1'), true)
      const [sent] = await outbox.messages(id)
      assert.equal(sent!.sentSeq, sent!.wantedSeq)
      assert.deepEqual(await outbox.claim(name, 'me', 60_000, 10), [])

      await approve(id, 'alice')
      await approve(id, 'bob')
      await outbox.advance(name, everywhere)
      const behind = await outbox.claim(name, 'me', 60_000, 10)
      assert.equal(behind.length, 1, 'two reviews and the approval: one send')
      assert.equal(behind[0]!.ref, 'ref-1')
      assert.equal(behind[0]!.wantedSeq, (await gw.auditLog.verify()).head?.seq)
      assert.equal(await outbox.complete(behind[0]!, 'me', 'ignored'), true)
      assert.equal((await outbox.messages(id))[0]!.ref, 'ref-1', 'the first reference stays')
    })

    it('gives a due message to one claimer at a time, and to another once the lease has ended', async () => {
      const name = await fresh()
      const ids = [await submit(), await submit(), await submit()]
      await outbox.advance(name, everywhere)
      const [a, b] = await Promise.all([outbox.claim(name, 'a', 1_000, 6), outbox.claim(name, 'b', 1_000, 6)])
      const keys = [...a!, ...b!].map((message) => `${message.actionId}${message.destination}`)
      assert.equal(keys.length, 6)
      assert.equal(new Set(keys).size, 6)
      assert.ok(ids.every((id) => keys.some((key) => key.startsWith(id))))
      assert.deepEqual(await outbox.claim(name, 'c', 1_000, 6), [])
      offset += 1_001
      const taken = await outbox.claim(name, 'c', 60_000, 6)
      assert.equal(taken.length, 6)
      const mine = a!.length > 0 ? a![0]! : b![0]!
      assert.equal(await outbox.complete(mine, mine.leaseOwner!, 'late'), false, 'a lease that ended is not the holder’s any more')
      for (const message of taken) assert.equal(await outbox.complete(message, 'c', 'r'), true)
    })

    it('retries a failure at its time, and revives a message given up on when its action changes', async () => {
      const name = await fresh()
      const id = await submit()
      await outbox.advance(name, (_events, pending) => [...pending.keys()].map((actionId) => ({ actionId, destination: '#a' })))
      const [first] = await outbox.claim(name, 'me', 60_000, 1)
      const now = Date.now() + offset
      await outbox.fail(first!, 'me', { error: 'HTTP 500', retryAt: new Date(now + 5_000), dead: false })
      assert.deepEqual(await outbox.claim(name, 'me', 60_000, 1), [])
      offset += 5_001
      const [again] = await outbox.claim(name, 'me', 60_000, 1)
      assert.equal(again!.attempts, 1)
      assert.equal(again!.lastError, 'HTTP 500')
      await outbox.fail(again!, 'me', { error: 'channel_not_found', retryAt: new Date(0), dead: true })
      assert.deepEqual(await outbox.claim(name, 'me', 60_000, 1), [])
      assert.ok((await outbox.messages(id))[0]!.deadAt)

      await approve(id, 'alice')
      await outbox.advance(name, everywhere)
      const [revived] = await outbox.claim(name, 'me', 60_000, 1)
      assert.equal(revived!.attempts, 0)
      assert.equal(revived!.deadAt, null)
    })

    it('derives each message once when replicas advance at once', async () => {
      const name = await fresh()
      const ids = await Promise.all(Array.from({ length: 5 }, submit))
      const replicas = [outbox, new OutboxStore(gw.store.connection), new OutboxStore(gw.store.connection)]
      const results = await Promise.all(replicas.map((replica) => replica.advance(name, everywhere)))
      assert.equal(results.reduce((sum, result) => sum + result.announced, 0), 10)
      for (const id of ids) assert.equal((await outbox.messages(id)).filter((message) => message.channel === name).length, 2)
    })

    it('accepts a request id once, and forgets it after it expires', async () => {
      const key = `slack:v0=${Math.random()}`
      const now = Date.now() + offset
      assert.equal(await outbox.acceptRequestId(key, new Date(now + 1_000)), true)
      assert.equal(await outbox.acceptRequestId(key, new Date(now + 1_000)), false)
      offset += 2_000
      assert.equal(await outbox.acceptRequestId(`${key}-other`, new Date(now + 10_000)), true)
      assert.equal(await outbox.acceptRequestId(key, new Date(now + 10_000)), true)
    })
  })
}

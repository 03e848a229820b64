import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { after, before, describe, it } from 'node:test'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'
import type { Store, WatchedAction } from '../store/index.js'
import { Waiters } from './waiters.js'

const deleteAll = { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' } }
const HOUR = 3_600_000
const turn = () => new Promise((resolve) => setImmediate(resolve))

for (const store of testStores()) {
  describe(`waiters on ${store.name}`, () => {
    let gw: TestGateway
    let drop: () => Promise<void>
    /** Every batched read the store was asked for, as the ids it was asked. */
    const reads: string[][] = []

    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection)
      const read = gw.store.watchedActions.bind(gw.store)
      gw.store.watchedActions = (ids) => (reads.push([...ids]), read(ids))
    })
    after(async () => {
      await gw.close()
      await drop()
    })

    const submit = async () => (await gw.call('POST', '/v1/actions', { as: 'deployBot', body: deleteAll })).body.id as string
    const approve = async (id: string) => assert.equal((await gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'ok' } })).status, 200)
    const version = async (id: string) => (await gw.store.getAction(id))!.version
    /** Changes an action's version as a commit whose notification was lost would: no NOTIFY. */
    const changeSilently = (id: string) => sql`update actions set version = version + 1 where id = ${id}`.execute(gw.store.db)
    /** The store as a replica that never hears the notifications of the actions in `lost` sees it. */
    function losing(lost: ReadonlySet<string>): Store {
      const connection = gw.store.connection
      const deaf = { ...connection, listen: (channel: string, onNotify: (id: string) => void) => connection.listen(channel, (id) => lost.has(id) || onNotify(id)) }
      return Object.create(gw.store, { connection: { value: deaf } }) as Store
    }
    const readsOf = (id: string) => reads.filter((ids) => ids.includes(id)).length

    /** Waits on `id` until its version passes `from`, counting the values seen. */
    function waitPast(waiters: Waiters, id: string, from: number, options: { signal?: AbortSignal } = {}) {
      const counter = { views: 0 }
      const view = (action: WatchedAction | undefined) => (counter.views++, action!.record.version)
      const done = waiters.waitFor(id, view, (v) => v > from, 30_000, options.signal)
      return { counter, done }
    }

    it('wakes a waiter at the notification of a change, whatever the sweep interval', async () => {
      const waiters = await Waiters.start(gw.store, { pollMs: HOUR })
      try {
        const id = await submit()
        const { done } = waitPast(waiters, id, await version(id))
        await approve(id)
        assert.ok((await done) > 1)
      } finally {
        await waiters.stop()
      }
    })

    it('wakes a waiter when the change commits after its read and before it waits', async () => {
      const waiters = await Waiters.start(gw.store, { pollMs: HOUR })
      const read = gw.store.watchedActions
      try {
        const id = await submit()
        const from = await version(id)
        // The change commits (and notifies) once the waiter's read has been answered, before it waits.
        gw.store.watchedActions = async (ids) => {
          gw.store.watchedActions = read
          const found = await read(ids)
          await approve(id)
          return found
        }
        assert.ok((await waitPast(waiters, id, from).done) > from)
      } finally {
        gw.store.watchedActions = read
        await waiters.stop()
      }
    })

    it('wakes a waiter whose notification was lost at the next sweep, and re-reads only the actions that changed', async () => {
      const quiet = await submit()
      const lost = new Set([quiet])
      const waiters = await Waiters.start(losing(lost), { pollMs: 10 })
      try {
        const idle = waitPast(waiters, quiet, await version(quiet))
        for (let round = 0; round < 3; round++) {
          const id = await submit()
          lost.add(id)
          const from = await version(id)
          const { done } = waitPast(waiters, id, from)
          await approve(id)
          assert.equal(await done, await version(id))
        }
        assert.equal(idle.counter.views, 1, 'an unchanged action was read again')
        await approve(quiet)
        assert.equal(await idle.done, await version(quiet))
      } finally {
        await waiters.stop()
      }
    })

    it('shares one read among the waiters of an action, and batches the reads asked for together', async () => {
      const waiters = await Waiters.start(gw.store, { pollMs: HOUR })
      try {
        const ids = [await submit(), await submit(), await submit()]
        const from = await version(ids[0]!)
        const before = reads.length
        const controller = new AbortController()
        const waits = ids.flatMap((id) => [waitPast(waiters, id, from, controller), waitPast(waiters, id, from, controller)])
        while (waits.some((wait) => wait.counter.views === 0)) await turn()
        assert.deepEqual(reads.slice(before), [ids])
        // Two waiters of one action wake at its change, and read it once between them.
        await approve(ids[1]!)
        assert.ok((await waits[2]!.done) > from && (await waits[3]!.done) > from)
        assert.deepEqual(reads.slice(before + 1), [[ids[1]]])
        controller.abort()
        await Promise.all(waits.map((wait) => wait.done))
      } finally {
        await waiters.stop()
      }
    })

    it('starts a wait asked again from the last read, with no store read, until a change is announced', async () => {
      const waiters = await Waiters.start(gw.store, { pollMs: HOUR })
      try {
        const id = await submit()
        const from = await version(id)
        const first = new AbortController()
        const held = waitPast(waiters, id, from, first)
        while (held.counter.views === 0) await turn()
        first.abort()
        assert.equal(await held.done, from)
        const before = readsOf(id)
        const renewed = waitPast(waiters, id, from)
        while (renewed.counter.views === 0) await turn()
        assert.equal(readsOf(id), before, 'the renewed wait read the store')
        await approve(id)
        assert.ok((await renewed.done) > from)
        assert.equal(readsOf(id), before + 1)
        // A lost notification leaves the last read stale until a sweep; a value accepted at once is read again.
        await changeSilently(id)
        assert.equal(await waitPast(waiters, id, from).done, await version(id))
      } finally {
        await waiters.stop()
      }
    })

    it('ends a wait when its signal aborts, with the last value read', async () => {
      const waiters = await Waiters.start(gw.store, { pollMs: HOUR })
      try {
        const id = await submit()
        const from = await version(id)
        const controller = new AbortController()
        const { done, counter } = waitPast(waiters, id, from, { signal: controller.signal })
        while (counter.views === 0) await turn()
        controller.abort()
        assert.equal(await done, from)
      } finally {
        await waiters.stop()
      }
    })
  })
}

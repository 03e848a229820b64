import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { after, before, describe, it } from 'node:test'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'
import { Waiters } from './waiters.js'

const deleteAll = { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' } }

for (const store of testStores()) {
  describe(`waiters on ${store.name}`, () => {
    let gw: TestGateway
    let drop: () => Promise<void>

    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection)
    })
    after(async () => {
      await gw.close()
      await drop()
    })

    const submit = async () => (await gw.call('POST', '/v1/actions', { as: 'deployBot', body: deleteAll })).body.id as string
    const version = async (id: string) => (await gw.store.getAction(id))!.version
    /** Changes an action's version as a commit whose notification was lost would: no NOTIFY. */
    const changeSilently = (id: string) => sql`update actions set version = version + 1 where id = ${id}`.execute(gw.store.db)

    /** Waits on `id` until its version passes `from`, counting the reads. */
    function waitPast(waiters: Waiters, id: string, from: number, options: { signal?: AbortSignal } = {}) {
      const counter = { reads: 0 }
      const done = waiters.waitFor(id, async () => (counter.reads++, version(id)), (v) => v > from, 30_000, options.signal)
      return { counter, done }
    }

    it('wakes a waiter at the notification of a change, whatever the sweep interval', async () => {
      const waiters = await Waiters.start(gw.store, { pollMs: 3_600_000 })
      try {
        const id = await submit()
        const { done } = waitPast(waiters, id, await version(id))
        assert.equal((await gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'ok' } })).status, 200)
        assert.ok((await done) > 1)
      } finally {
        await waiters.stop()
      }
    })

    it('wakes a waiter whose notification was lost at the next sweep, and re-reads only the actions that changed', async () => {
      const waiters = await Waiters.start(gw.store, { pollMs: 10 })
      try {
        const quiet = await submit()
        const idle = waitPast(waiters, quiet, await version(quiet))
        for (let round = 0; round < 3; round++) {
          const id = await submit()
          const from = await version(id)
          const { done } = waitPast(waiters, id, from)
          await changeSilently(id)
          assert.equal(await done, from + 1)
        }
        // Its first read, and at most one more when a sweep first saw it: never one per sweep.
        assert.ok(idle.counter.reads <= 2, `an unchanged action was read ${idle.counter.reads} times`)
        await changeSilently(quiet)
        assert.equal(await idle.done, (await version(quiet)))
      } finally {
        await waiters.stop()
      }
    })

    it('ends a wait when its signal aborts, with the last value read', async () => {
      const waiters = await Waiters.start(gw.store, { pollMs: 3_600_000 })
      try {
        const id = await submit()
        const from = await version(id)
        const controller = new AbortController()
        const { done, counter } = waitPast(waiters, id, from, { signal: controller.signal })
        while (counter.reads === 0) await new Promise((resolve) => setImmediate(resolve))
        controller.abort()
        assert.equal(await done, from)
      } finally {
        await waiters.stop()
      }
    })
  })
}

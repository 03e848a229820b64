import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { verifyChain } from '../audit/index.js'
import { openPostgres, testStores } from './connection/index.js'
import type { AuditDraft } from './records.js'
import type { Database } from './schema.js'
import { Store } from './store.js'

const event = (n: number): AuditDraft => ({ type: 'policy.loaded', action_id: null, actor: 'system', channel: 'system', digest: null, policy_version: null, data: { n } })

async function chainOf(store: Store) {
  const events = []
  for await (const stored of store.allAuditEvents()) events.push(stored)
  return { report: await verifyChain(events), head: await store.auditHead(), events }
}

// Each store remembers the head it last wrote and appends with a compare-and-set on it; these
// check that other writers moving the head in between (a second store, another replica, SQL)
// never fork the chain: the append falls back to the locked head.
for (const factory of testStores()) {
  describe(`audit appends on ${factory.name}`, () => {
    it('chains from the head another writer moved, for interleaved and concurrent appends', async () => {
      const connection = await factory.open()
      // On PostgreSQL the second writer is another replica (its own pool); on PGlite, another store on the one connection.
      const other = connection.url ? await openPostgres<Database>({ url: connection.url, poolSize: 4 }) : connection
      try {
        const a = await Store.open(connection)
        const b = await Store.open(other)
        await a.appendEvents([event(1)])
        await b.appendEvents([event(2), event(3)])
        await a.appendEvents([event(4)])
        await Promise.all(Array.from({ length: 20 }, (_, n) => (n % 2 === 0 ? a : b).appendEvents([event(10 + n), event(100 + n)])))
        const { report, head, events } = await chainOf(a)
        assert.equal(report.ok, true, JSON.stringify(report.problems))
        assert.equal(events.length, 44)
        assert.deepEqual(head, { seq: 44, hash: events.at(-1)!.hash })
      } finally {
        if (other !== connection) await other.close()
        await connection.drop()
      }
    })

    it('never writes an action or event after a head that is not the current one', async () => {
      const connection = await factory.open()
      try {
        const store = await Store.open(connection)
        await store.appendEvents([event(1), event(2)])
        // The head rewritten from outside (as a restore or a tampering would): the store's remembered head is stale.
        const { events } = await chainOf(store)
        await sql`update audit_head set seq = 1, hash = ${events[0]!.hash} where id = 1`.execute(store.db)
        await sql`delete from audit_events where seq = 2`.execute(store.db)
        await store.appendEvents([event(3)])
        const after = await chainOf(store)
        assert.equal(after.report.ok, true, JSON.stringify(after.report.problems))
        assert.deepEqual(after.events.map((stored) => stored.seq), [1, 2])
        assert.equal(after.events[1]!.prev_hash, events[0]!.hash)
        assert.deepEqual(JSON.parse(after.events[1]!.event).data, { n: 3 })
      } finally {
        await connection.drop()
      }
    })
  })
}

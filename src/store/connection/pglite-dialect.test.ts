import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { sql, type Kysely } from 'kysely'
import { testStores, type TestStore } from './index.js'

interface CounterDB {
  counters: { id: string; n: number }
}

describe('the PGlite dialect', () => {
  let connection: TestStore
  let db: Kysely<CounterDB>
  before(async () => {
    connection = await testStores().find((store) => store.name === 'pglite')!.open()
    db = connection.db
    await db.schema.createTable('counters').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('n', 'int8', (c) => c.notNull()).execute()
  })
  after(() => connection.drop())

  it('serializes concurrent transactions: 20 read-modify-writes without row locks lose no update', async () => {
    // One PGlite session has no row locks to wait on: only the dialect's mutex keeps these apart.
    await db.insertInto('counters').values({ id: 'serial', n: 0 }).execute()
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.transaction().execute(async (trx) => {
          const { n } = await trx.selectFrom('counters').select('n').where('id', '=', 'serial').executeTakeFirstOrThrow()
          await sleep(1) // let the others try to run in between
          await trx.updateTable('counters').set({ n: n + 1 }).where('id', '=', 'serial').execute()
        }),
      ),
    )
    const row = await db.selectFrom('counters').select('n').where('id', '=', 'serial').executeTakeFirst()
    assert.deepEqual(row, { n: 20 })
  })

  it('makes a query outside the transaction wait until the transaction ends', async () => {
    const events: string[] = []
    const transaction = db.transaction().execute(async (trx) => {
      await trx.insertInto('counters').values({ id: 'waiting', n: 1 }).execute()
      await sleep(50)
      events.push('transaction done')
    })
    await sleep(0)
    const outside = db.selectFrom('counters').select('n').where('id', '=', 'waiting').execute().then((rows) => {
      events.push('outside query done')
      return rows
    })
    await Promise.all([transaction, outside])
    assert.deepEqual(events, ['transaction done', 'outside query done'])
    assert.deepEqual(await outside, [{ n: 1 }])
  })

  it('begins a transaction with the requested isolation level and access mode', async () => {
    await db
      .transaction()
      .setIsolationLevel('serializable')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const { rows } = await sql<{ level: string; read_only: string }>`
          select current_setting('transaction_isolation') as level, current_setting('transaction_read_only') as read_only`.execute(trx)
        assert.deepEqual(rows, [{ level: 'serializable', read_only: 'on' }])
      })
  })

  it('refuses to stream, as the PostgreSQL store does', async () => {
    await assert.rejects(async () => {
      for await (const _row of db.selectFrom('counters').selectAll().stream()) {
        assert.fail('no row expected')
      }
    }, /streaming queries is not supported/)
    // The connection was released: the store still answers.
    assert.ok(Array.isArray(await db.selectFrom('counters').selectAll().execute()))
  })
})

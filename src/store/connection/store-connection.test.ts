import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Migrator, sql, type Kysely, type Migration } from 'kysely'
import { CountersignError } from '../../errors/index.js'
import { testStores, type TestStore } from './index.js'
import { notificationCollector } from './test-support.js'

interface CounterDB {
  counters: { id: string; n: number }
}

for (const store of testStores()) {
  describe(`a ${store.name} store connection`, () => {
    let connection: TestStore
    let db: Kysely<CounterDB>
    before(async () => {
      connection = await store.open()
      db = connection.db
      await db.schema.createTable('counters').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('n', 'int8', (c) => c.notNull()).execute()
    })
    after(() => connection.drop())

    it(`names its dialect ${store.name}`, () => {
      assert.equal(connection.dialect, store.name)
    })

    it('reports the rows an insert, update and delete affected', async () => {
      const inserted = await db.insertInto('counters').values([{ id: 'affected-1', n: 1 }, { id: 'affected-2', n: 2 }]).executeTakeFirstOrThrow()
      assert.equal(inserted.numInsertedOrUpdatedRows, 2n)
      const updated = await db.updateTable('counters').set({ n: 0 }).where('id', 'like', 'affected-%').executeTakeFirstOrThrow()
      assert.equal(updated.numUpdatedRows, 2n)
      const deleted = await db.deleteFrom('counters').where('id', '=', 'affected-1').executeTakeFirstOrThrow()
      assert.equal(deleted.numDeletedRows, 1n)
    })

    it('returns the rows of insert … returning', async () => {
      const rows = await db.insertInto('counters').values({ id: 'returning', n: 7 }).returning(['id', 'n']).execute()
      assert.deepEqual(rows, [{ id: 'returning', n: 7 }])
    })

    it("commits a transaction's writes", async () => {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('counters').values({ id: 'committed', n: 1 }).execute()
        await trx.updateTable('counters').set({ n: 2 }).where('id', '=', 'committed').execute()
      })
      const row = await db.selectFrom('counters').select('n').where('id', '=', 'committed').executeTakeFirst()
      assert.deepEqual(row, { n: 2 })
    })

    it('rolls back a transaction that throws, and stays usable', async () => {
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('counters').values({ id: 'rolled-back', n: 1 }).execute()
          throw new Error('boom')
        }),
        /boom/,
      )
      const row = await db.selectFrom('counters').select('n').where('id', '=', 'rolled-back').executeTakeFirst()
      assert.equal(row, undefined)
    })

    it('rolls back to a savepoint and commits the rest', async () => {
      const trx = await db.startTransaction().execute()
      await trx.insertInto('counters').values({ id: 'before-savepoint', n: 1 }).execute()
      const inner = await trx.savepoint('inner "one"').execute()
      await inner.insertInto('counters').values({ id: 'after-savepoint', n: 1 }).execute()
      await inner.rollbackToSavepoint('inner "one"').execute()
      await trx.commit().execute()
      const ids = await db.selectFrom('counters').select('id').where('id', 'like', '%-savepoint').execute()
      assert.deepEqual(ids, [{ id: 'before-savepoint' }])
    })

    it('reports a unique violation with SQLSTATE 23505', async () => {
      await db.insertInto('counters').values({ id: 'unique', n: 1 }).execute()
      await assert.rejects(db.insertInto('counters').values({ id: 'unique', n: 1 }).execute(), { code: '23505' })
    })

    it('runs several statements sent as one query without parameters', async () => {
      const result = await sql`create table multi_a (id int); create table multi_b (id int); insert into multi_a values (1)`.execute(db)
      assert.deepEqual(result.rows, [])
      const { rows } = await sql<{ id: number }>`select id from multi_a`.execute(db)
      assert.deepEqual(rows, [{ id: 1 }])
    })

    it("runs Kysely's migrator", async () => {
      const migrations: Record<string, Migration> = {
        '0001': { up: (migrationDb) => migrationDb.schema.createTable('migrated').addColumn('id', 'int8').execute() },
      }
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
      const { error, results } = await migrator.migrateToLatest()
      assert.equal(error, undefined)
      assert.deepEqual(results?.map((result) => result.status), ['Success'])
    })

    it('ends 20 concurrent read-modify-write transactions with the right count', async () => {
      await db.insertInto('counters').values({ id: 'concurrent', n: 0 }).execute()
      await Promise.all(
        Array.from({ length: 20 }, () =>
          db.transaction().execute(async (trx) => {
            const { n } = await trx.selectFrom('counters').select('n').where('id', '=', 'concurrent').forUpdate().executeTakeFirstOrThrow()
            await trx.updateTable('counters').set({ n: n + 1 }).where('id', '=', 'concurrent').execute()
          }),
        ),
      )
      const row = await db.selectFrom('counters').select('n').where('id', '=', 'concurrent').executeTakeFirst()
      assert.deepEqual(row, { n: 20 })
    })

    it('delivers a NOTIFY once its transaction commits', { timeout: 20_000 }, async () => {
      const received = notificationCollector()
      const unlisten = await connection.listen('cs_commit', received.onNotify)
      await db.transaction().execute(async (trx) => {
        await sql`select pg_notify('cs_commit', 'committed')`.execute(trx)
        await sql`select 1`.execute(trx)
        assert.deepEqual(received.payloads, [], 'nothing is delivered before COMMIT')
      })
      await received.waitFor('committed')
      await unlisten()
    })

    it('never delivers a NOTIFY of a rolled-back transaction', { timeout: 20_000 }, async () => {
      const received = notificationCollector()
      const unlisten = await connection.listen('cs_rollback', received.onNotify)
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await sql`notify cs_rollback, 'rolled back'`.execute(trx)
          throw new Error('abort')
        }),
      )
      // Notifications arrive in commit order: once the later one is here, the first would be too.
      await sql`select pg_notify('cs_rollback', 'marker')`.execute(db)
      await received.waitFor('marker')
      assert.deepEqual(received.payloads, ['marker'])
      await unlisten()
    })

    it('delivers to every subscriber and stops after unsubscribing', { timeout: 20_000 }, async () => {
      const first = notificationCollector()
      const second = notificationCollector()
      const stopFirst = await connection.listen('select', first.onNotify) // a reserved word works too
      const stopSecond = await connection.listen('select', second.onNotify)
      await sql`select pg_notify('select', 'both')`.execute(db)
      await Promise.all([first.waitFor('both'), second.waitFor('both')])
      await stopFirst()
      await sql`select pg_notify('select', 'second only')`.execute(db)
      await second.waitFor('second only')
      assert.deepEqual(first.payloads, ['both'])
      await stopSecond()
    })

    it('keeps listening when LISTEN is issued while a transaction is open', { timeout: 20_000 }, async () => {
      const received = notificationCollector()
      let listening: Promise<() => Promise<void>> | undefined
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          // Not awaited: on PGlite it waits for this transaction to end.
          listening = connection.listen('cs_during_tx', received.onNotify)
          await sql`select 1`.execute(trx)
          throw new Error('abort')
        }),
      )
      const unlisten = await listening!
      await sql`select pg_notify('cs_during_tx', 'still listening')`.execute(db)
      await received.waitFor('still listening')
      await unlisten()
    })

    it('refuses a channel name that is not a plain lower-case identifier', async () => {
      for (const channel of ['Upper', 'with space', 'semi;colon', '"quoted"', '', '1starts_with_digit', 'x'.repeat(64)]) {
        await assert.rejects(connection.listen(channel, () => {}), (error: unknown) => error instanceof CountersignError && error.code === 'INVALID', channel)
      }
    })
  })
}

import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { CountersignError } from '../../errors/index.js'
import { openPostgres, TEST_POSTGRES_URL, testStores, type TestStore } from './index.js'
import { withDatabase } from './connection-string.js'
import { CONNECTION_MODULE, finished, notificationCollector, spawnScript } from './test-support.js'

describe('the PostgreSQL store', () => {
  let connection: TestStore
  before(async () => {
    connection = await testStores().find((store) => store.name === 'postgres')!.open()
  })
  after(() => connection.drop())

  it('re-listens every channel after its listening connection is killed', { timeout: 60_000 }, async () => {
    const first = notificationCollector()
    const second = notificationCollector()
    const stopFirst = await connection.listen('cs_reconnect_a', first.onNotify)
    const stopSecond = await connection.listen('cs_reconnect_b', second.onNotify)

    const { rows } = await sql<{ killed: boolean }>`
      select pg_terminate_backend(pid) as killed from pg_stat_activity
      where datname = current_database() and query ilike 'listen%'`.execute(connection.db)
    assert.deepEqual(rows, [{ killed: true }])

    // Notifications sent while it reconnects are lost (documented); keep sending until one lands.
    for (let attempt = 0; !first.payloads.includes('back') || !second.payloads.includes('back'); attempt++) {
      await sql`select pg_notify('cs_reconnect_a', 'back'), pg_notify('cs_reconnect_b', 'back')`.execute(connection.db)
      await sleep(Math.min(500, 10 * 2 ** attempt))
    }
    await stopFirst()
    await stopSecond()
  })

  it('ignores an unsubscribe after close', async () => {
    const other = await testStores().find((store) => store.name === 'postgres')!.open()
    const unlisten = await other.listen('cs_after_close', () => {})
    await other.drop()
    await unlisten()
  })

  it('names the server with its password redacted when it cannot connect', async () => {
    const cases = [
      { url: 'postgres://cs_app:hunter2-secret@127.0.0.1:1/countersign', shown: 'postgres://cs_app:***@127.0.0.1:1/countersign' },
      { url: 'postgres://cs_app:hunter2-secret@[::1', shown: 'postgres://cs_app:***@[::1' },
      { url: withPassword(withDatabase(TEST_POSTGRES_URL, 'cs_no_such_database'), 'hunter2-secret'), shown: 'cs_no_such_database' },
    ]
    for (const { url, shown } of cases) {
      await assert.rejects(openPostgres({ url }), (error: unknown) => {
        assert.ok(error instanceof CountersignError)
        assert.equal(error.code, 'INTERNAL')
        assert.ok(error.message.includes(shown), error.message)
        assert.ok(!error.message.includes('hunter2'), error.message)
        assert.equal(error.cause, undefined)
        return true
      })
    }
  })

  it('lets its process exit once closed, even if it ran no Kysely query', { timeout: 60_000 }, async () => {
    const child = spawnScript(`
      import { openPostgres } from ${JSON.stringify(CONNECTION_MODULE)}
      const store = await openPostgres({ url: ${JSON.stringify(TEST_POSTGRES_URL)} })
      await store.close()
      console.log('closed')
    `)
    const { code, stdout, stderr } = await finished(child)
    assert.equal(stderr, '')
    assert.deepEqual([code, stdout], [0, 'closed\n'])
  })
})

function withPassword(url: string, password: string): string {
  const parsed = new URL(url)
  parsed.password = password
  return parsed.toString()
}

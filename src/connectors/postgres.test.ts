import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { TEST_POSTGRES_URL } from '../store/connection/index.js'
import { connectorProblems, createConnector, type Connector } from './index.js'
import { assertNoSecret, testContext, testRequest, testSecret, testTarget } from './test-support.js'

const database = `cs_conn_${randomBytes(5).toString('hex')}`
const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
const urlOf = (db: string) => {
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${db}`
  return url.href
}
const target = testTarget('sql', { type: 'postgres', url: `env:${testSecret(urlOf(database))}`, statement_timeout: '2s', max_rows: 5, max_bytes: '4KiB' }, 'prod-db')
let connector: Connector
let db: pg.Client

before(async () => {
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  db = new pg.Client({ connectionString: urlOf(database) })
  await db.connect()
  await db.query('CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL, balance bigint NOT NULL)')
  connector = createConnector(target)
})

after(async () => {
  await connector.close()
  await db.end()
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.end()
})

const sql = (text: string, signal?: AbortSignal) => connector.execute(testRequest(target, { sql: text }, signal))

describe('postgres connector', () => {
  it("keeps no session state from one action to the next (a search_path, a temporary table)", async () => {
    assert.equal((await sql("CREATE SCHEMA shadow; CREATE TABLE shadow.accounts (id int, owner text); INSERT INTO shadow.accounts VALUES (1, 'mallory')")).status, 'succeeded')
    assert.equal((await sql('SET search_path TO shadow, public; CREATE TEMP TABLE planted (x int)')).status, 'succeeded')
    for (let i = 0; i < 4; i++) {
      const next = await sql("SELECT current_setting('search_path') AS path, to_regclass('pg_temp.planted') IS NULL AS clean")
      assert.deepEqual(next.rows, [['"$user", public', true]])
    }
  })

  it('runs several statements in one transaction and returns the rows of the last that returned rows', async () => {
    const result = await sql(`
      INSERT INTO accounts VALUES (1, 'ada', 9007199254740993), (2, 'bob', 5);
      UPDATE accounts SET balance = balance + 1 WHERE id = 2;
      SELECT id, name, balance, 'x'::bytea AS raw, DATE '2024-02-29' AS day, TIMESTAMPTZ '2024-01-02 03:04:05.123456+00' AS at, 1 AS id FROM accounts ORDER BY 1;
      UPDATE accounts SET name = name WHERE id = 1`)
    assert.equal(result.status, 'succeeded', result.error)
    assert.deepEqual(result.columns, ['id', 'name', 'balance', 'raw', 'day', 'at', 'id'])
    assert.deepEqual(result.rows, [
      [1, 'ada', '9007199254740993', '\\x78', '2024-02-29', '2024-01-02T03:04:05.123456+00:00', 1],
      [2, 'bob', '6', '\\x78', '2024-02-29', '2024-01-02T03:04:05.123456+00:00', 1],
    ])
    assert.equal(result.row_count, 2)
    assert.equal(result.truncated, false)
    const stored = await db.query('SELECT count(*)::int AS n FROM accounts')
    assert.equal(stored.rows[0].n, 2)
  })

  it('reports the count of the last statement when none returned rows', async () => {
    const result = await sql("UPDATE accounts SET name = upper(name); DELETE FROM accounts WHERE name = 'nobody'; UPDATE accounts SET balance = balance")
    assert.equal(result.status, 'succeeded', result.error)
    assert.equal(result.row_count, 2)
    assert.equal(result.columns, undefined)
  })

  it('returns the columns of a query that found no rows', async () => {
    const result = await sql('SELECT id, name FROM accounts WHERE false')
    assert.deepEqual(result.columns, ['id', 'name'])
    assert.deepEqual(result.rows, [])
    assert.equal(result.row_count, 0)
  })

  it('rolls back everything when a later statement fails, and says where', async () => {
    const result = await sql("INSERT INTO accounts VALUES (10, 'carol', 1);\nDELETE FROM accounts;\nSELECT * FROM missing_table")
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /relation "missing_table" does not exist \(SQLSTATE 42P01 at line 3, column 15\); the transaction was rolled back/)
    const stored = await db.query('SELECT id FROM accounts ORDER BY id')
    assert.deepEqual(stored.rows, [{ id: 1 }, { id: 2 }])
  })

  it('cancels and rolls back SQL that runs past the statement timeout', async () => {
    const result = await sql("INSERT INTO accounts VALUES (20, 'dan', 1); SELECT pg_sleep(10)")
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /did not finish within 2s; it was cancelled and rolled back/)
    const stored = await db.query('SELECT count(*)::int AS n FROM accounts WHERE id = 20')
    assert.equal(stored.rows[0].n, 0)
    // The connection is usable again (or replaced).
    assert.equal((await sql('SELECT 1 AS one')).status, 'succeeded')
  })

  it('stops the query when the signal aborts', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('the gateway is shutting down')), 200)
    const result = await sql('SELECT pg_sleep(10)', controller.signal)
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /stopped: the gateway is shutting down; it was cancelled and rolled back/)
    const running = await db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(10)' AND state = 'active'")
    assert.equal(running.rows[0].n, 0)
  })

  it('survives its connection being killed mid-transaction', async () => {
    const result = await sql("INSERT INTO accounts VALUES (30, 'fay', 1); SELECT pg_terminate_backend(pg_backend_pid())")
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /terminat/)
    assert.equal((await db.query('SELECT count(*)::int AS n FROM accounts WHERE id = 30')).rows[0].n, 0)
    assert.equal((await sql('SELECT 1 AS one')).status, 'succeeded')
  })

  it('cuts rows at max_rows and says how many there were', async () => {
    const result = await sql('SELECT g AS n FROM generate_series(1, 12) g')
    assert.equal(result.status, 'succeeded')
    assert.equal(result.truncated, true)
    assert.deepEqual(result.rows, [[1], [2], [3], [4], [5]])
    assert.equal(result.rows_total, 12)
    assert.equal(result.row_count, 12)
  })

  it('cuts rows at max_bytes', async () => {
    const result = await sql("SELECT repeat('x', 1500) AS big FROM generate_series(1, 4)")
    assert.equal(result.truncated, true)
    assert.equal(result.rows?.length, 2)
    assert.equal(result.rows_total, 4)
  })

  it('never shows the password of the URL, not even when the connection fails', async () => {
    const password = `pw-${randomBytes(8).toString('hex')}`
    const role = `cs_role_${randomBytes(4).toString('hex')}`
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`)
    try {
      // This server trusts 127.0.0.1, so a wrong password would be accepted: failures come from a closed port and an unknown database.
      for (const url of [`postgres://${role}:${password}@127.0.0.1:1/${database}`, `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:5432/no_such_db_${role}`, `postgres://${role}:${password}@[bad host/x`]) {
        const bad = testTarget('sql', { type: 'postgres', url: `env:${testSecret(url)}` })
        const failing = createConnector(bad)
        const result = await failing.execute(testRequest(bad, { sql: 'SELECT 1' }))
        await failing.close()
        assert.equal(result.status, 'failed')
        assert.match(result.error ?? '', /could not connect/)
        assertNoSecret(result, password)
      }
      const good = testTarget('sql', { type: 'postgres', url: `env:${testSecret(`postgres://${role}:${password}@127.0.0.1:5432/${database}`)}` })
      const working = createConnector(good)
      const result = await working.execute(testRequest(good, { sql: `SELECT '${password}' AS echoed, current_user AS who; SELECT nope` }))
      await working.close()
      assert.equal(result.status, 'failed')
      assertNoSecret(result, password)
    } finally {
      await admin.query(`DROP ROLE ${role}`)
    }
  })

  it('refuses an action of another kind without running it', async () => {
    const result = await connector.execute({ ...testRequest(target, { sql: 'SELECT 1' }), action: { kind: 'shell', target: 'prod-db', payload: { command: 'id' }, context: {} } })
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /runs sql actions, not shell/)
  })

  it('reports option problems naming the target and the option, and an inlined URL', () => {
    assert.deepEqual(connectorProblems(target), [])
    const problems = connectorProblems({ ...target, connector: { type: 'postgres', url: 'postgres://u:p@h/db', max_rows: 0, statement_timeout: '1y' } })
    assert.deepEqual(problems, [
      'target prod-db: connector option url: expected a secret reference (env:NAME or file:PATH), never the value itself',
      'target prod-db: connector option statement_timeout: expected a duration such as 30s, 1m or 1h, got "1y"',
      'target prod-db: connector option max_rows: expected a whole number from 1 to 1000000',
    ])
    assert.deepEqual(connectorProblems({ ...target, kind: 'shell' }), [
      'target prod-db: a postgres connector runs sql actions, but the target is of kind shell (its connectors: shell, ssh)',
    ])
  })

  it('sets the identity in the transaction after a leading SET TRANSACTION, which must come before any query', async () => {
    const context = testContext({ agent: 'deploy bot\n' })
    const result = await connector.execute(
      testRequest(target, { sql: "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE; SELECT current_setting('transaction_isolation'), current_setting('countersign.agent'), current_setting('application_name'), current_setting('countersign.approvers')" }, undefined, null, context),
    )
    assert.equal(result.status, 'succeeded', result.error)
    assert.deepEqual(result.rows, [['serializable', 'deploy%20bot%0A', 'countersign/deploy%20bot%0A', 'alice@example.com,bob@example.com']])
  })

  it('refuses SQL that sets an identity setting itself, in any form', async () => {
    for (const text of ["SET LOCAL countersign.agent = 'alice'", "SELECT set_config('Countersign.Approvers', 'ceo@example.com', true)", 'RESET countersign.request_id']) {
      const result = await sql(text)
      assert.equal(result.status, 'failed', text)
      assert.match(result.error ?? '', /countersign\.\w+( \(set_config\))?, which the connector pins/, text)
    }
  })
})

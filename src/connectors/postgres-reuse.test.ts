import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { TEST_POSTGRES_URL } from '../store/connection/index.js'
import { createConnector, type Connector, type ExecutionResult } from './index.js'
import { testContext, testRequest, testSecret, testTarget } from './test-support.js'

// One connection in the pool: every action after the first runs on the connection the one
// before it used (when it was reused), so what one leaves behind, the next would see.
const database = `cs_reuse_${randomBytes(5).toString('hex')}`
const role = `cs_reuse_low_${randomBytes(4).toString('hex')}`
const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
const urlOf = (db: string) => {
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${db}`
  return url.href
}
const secret = testSecret(urlOf(database))
const target = testTarget('sql', { type: 'postgres', url: `env:${secret}`, statement_timeout: '5s', pool_size: 1 }, 'prod-db')
let connector: Connector
let db: pg.Client

before(async () => {
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  await admin.query(`CREATE ROLE ${role} NOLOGIN`)
  db = new pg.Client({ connectionString: urlOf(database) })
  await db.connect()
  await db.query(`CREATE SEQUENCE counter; GRANT USAGE ON SCHEMA public TO ${role}`)
  connector = createConnector(target)
})

after(async () => {
  await connector.close()
  await db.end()
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.query(`DROP ROLE IF EXISTS ${role}`)
  await admin.end()
})

const sql = (text: string, context = testContext()) => connector.execute(testRequest(target, { sql: text }, undefined, null, context))

async function succeeded(text: string): Promise<ExecutionResult> {
  const result = await sql(text)
  assert.equal(result.status, 'succeeded', result.error)
  return result
}

/** The server process of the pool's connection, as the next action sees it. */
async function backend(): Promise<number> {
  return (await succeeded('SELECT pg_backend_pid()')).rows![0]![0] as number
}

/**
 * Runs `plant` in one action and `check` in the next, and asserts that both ran on the same
 * connection (reused) and that `check` saw nothing of `plant`: it returns `clean`.
 */
async function leaksNothing(plant: string, check: string, clean: unknown[]): Promise<void> {
  const first = await backend()
  await succeeded(plant)
  const seen = await succeeded(`${check}, pg_backend_pid()`)
  assert.deepEqual(seen.rows, [[...clean, first]], 'the check ran on the reused connection and saw a clean session')
}

describe('postgres connector: a reused connection', () => {
  it('is reused from one committed action to the next', async () => {
    const first = await backend()
    assert.equal(await backend(), first)
    assert.equal(await backend(), first)
  })

  it('keeps no SET, set_config(…, false) or search_path of an earlier action', async () => {
    await leaksNothing(
      "SET work_mem = '7MB'; SET search_path TO pg_temp, public; SELECT set_config('app.tenant', 'mallory', false); SET statement_timeout = 0",
      "SELECT current_setting('work_mem'), current_setting('search_path'), coalesce(current_setting('app.tenant', true), ''), current_setting('statement_timeout') <> '0'",
      ['4MB', '"$user", public', '', true],
    )
  })

  it('keeps no temporary table, prepared statement or cursor WITH HOLD', async () => {
    await leaksNothing(
      'CREATE TEMP TABLE planted (x int); PREPARE planted_plan AS SELECT 1; DECLARE planted_cursor CURSOR WITH HOLD FOR SELECT 1',
      "SELECT to_regclass('pg_temp.planted') IS NULL, (SELECT count(*)::int FROM pg_prepared_statements), (SELECT count(*)::int FROM pg_cursors WHERE is_holdable)",
      [true, 0, 0],
    )
  })

  it('holds no session advisory lock and listens on no channel', async () => {
    await leaksNothing(
      'SELECT pg_advisory_lock(4242); LISTEN planted_channel',
      "SELECT (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()), (SELECT count(*)::int FROM pg_listening_channels())",
      [0, 0],
    )
    // Another session can take the lock: it was let go, not only hidden.
    const other = new pg.Client({ connectionString: urlOf(database) })
    await other.connect()
    try {
      assert.equal((await other.query('SELECT pg_try_advisory_lock(4242) AS got')).rows[0].got, true)
    } finally {
      await other.end()
    }
  })

  it('runs as the user it logged in as after SET ROLE and SET SESSION AUTHORIZATION', async () => {
    // (The user's name is in the connection string, which results never show: compared, not returned.)
    const check = `SELECT current_user = session_user, session_user::text <> '${role}', session_user = (SELECT rolname FROM pg_roles WHERE rolsuper AND rolname = session_user)`
    await leaksNothing(`SET ROLE ${role}`, check, [true, true, true])
    await leaksNothing(`SET SESSION AUTHORIZATION ${role}`, check, [true, true, true])
  })

  it("has no currval of a sequence an earlier action advanced", async () => {
    const first = await backend()
    await succeeded("SELECT nextval('counter')")
    const next = await sql('SELECT pg_backend_pid(), currval(\'counter\')')
    assert.equal(next.status, 'failed')
    assert.match(next.error!, /currval of sequence "counter" is not yet defined in this session/)
    assert.notEqual(await backend(), first, 'the failed action’s connection was closed')
  })

  it('closes a connection whose action failed, and runs the next on a new one', async () => {
    const first = await backend()
    const failed = await sql("SET work_mem = '9MB'; SELECT 1 / 0")
    assert.equal(failed.status, 'failed')
    const seen = await succeeded("SELECT current_setting('work_mem'), pg_backend_pid()")
    assert.equal(seen.rows![0]![0], '4MB')
    assert.notEqual(seen.rows![0]![1], first)
  })

  it("sets each action's identity on the reused connection", async () => {
    const check = "SELECT current_setting('application_name'), current_setting('countersign.request_id'), current_setting('countersign.agent'), pg_backend_pid()"
    const first = await sql(check, testContext({ request_id: 'act_first', agent: 'deploy-bot' }))
    const second = await sql(check, testContext({ request_id: 'act_second', agent: 'report-bot' }))
    assert.deepEqual(first.rows![0]!.slice(0, 3), ['countersign/deploy-bot', 'act_first', 'deploy-bot'])
    assert.deepEqual(second.rows![0]!.slice(0, 3), ['countersign/report-bot', 'act_second', 'report-bot'])
    assert.equal(second.rows![0]![3], first.rows![0]![3])
    // Outside a transaction the connection is the pool's own again, as the next action without identity would find it.
    assert.deepEqual((await succeeded("SELECT 1")).status, 'succeeded')
  })

  it('opens a new pool when the connection string changes (a rotated secret)', async () => {
    const first = await backend()
    process.env[secret] = `${urlOf(database)}?connect_timeout=10`
    try {
      assert.notEqual(await backend(), first)
    } finally {
      process.env[secret] = urlOf(database)
    }
  })

  // Last: while dblink is installed in the target database, no connection is reused.
  it('closes the connection when the reset finds state DISCARD ALL does not reach (a dblink connection)', async () => {
    try {
      const first = await backend()
      await succeeded(`CREATE EXTENSION dblink; SELECT dblink_connect('planted', 'dbname=${database} user=postgres host=127.0.0.1')`)
      const seen = await succeeded('SELECT dblink_get_connections(), pg_backend_pid()')
      assert.equal(seen.rows![0]![0], null, 'the next action cannot reach the named dblink connection')
      assert.notEqual(seen.rows![0]![1], first)
      assert.notEqual(await backend(), seen.rows![0]![1], 'nor is any connection reused while dblink is installed')
    } finally {
      await db.query('DROP EXTENSION IF EXISTS dblink')
    }
  })
})

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import mysql2 from 'mysql2/promise'
import { connectorProblems, createConnector, type Connector } from './index.js'
import { assertNoSecret, testContext, testRequest, testSecret, testTarget } from './test-support.js'

const SERVER = process.env['COUNTERSIGN_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306'
const database = `cs_conn_${randomBytes(5).toString('hex')}`
const target = testTarget('sql', { type: 'mysql', url: `env:${testSecret(`${SERVER}/${database}`)}`, statement_timeout: '2s', max_rows: 5, max_bytes: '4KiB' }, 'shop-db')
let connector: Connector
let admin: mysql2.Connection

before(async () => {
  admin = await mysql2.createConnection({ uri: SERVER, multipleStatements: true })
  await admin.query(`CREATE DATABASE ${database}; CREATE TABLE ${database}.accounts (id int PRIMARY KEY, name text NOT NULL, balance bigint NOT NULL) ENGINE=InnoDB`)
  connector = createConnector(target)
})

after(async () => {
  await connector.close()
  await admin.query(`DROP DATABASE IF EXISTS ${database}`)
  await admin.end()
})

const sql = (text: string, signal?: AbortSignal) => connector.execute(testRequest(target, { sql: text }, signal))
/** Runs `text` as an action whose facts say read-only, as the executor hands it over. */
const readOnlySql = (text: string) => connector.execute(testRequest(target, { sql: text }, undefined, { read_only: true }))
const count = async (where = 'true') => ((await admin.query(`SELECT count(*) AS n FROM ${database}.accounts WHERE ${where}`)) as unknown as [{ n: number }[]])[0][0]!.n

describe('mysql connector', () => {
  it('runs several statements in one transaction and returns the rows of the last that returned rows', async () => {
    const result = await sql(`
      INSERT INTO accounts VALUES (1, 'ada', 9007199254740993), (2, 'bob', 5);
      UPDATE accounts SET balance = balance + 1 WHERE id = 2;
      SELECT id, name, balance, x'0102' AS raw, DATE '2024-02-29' AS day, TIMESTAMP '2024-01-02 03:04:05.123456' AS at, 1 AS id FROM accounts ORDER BY 1;
      UPDATE accounts SET name = name WHERE id = 1`)
    assert.equal(result.status, 'succeeded', result.error)
    assert.deepEqual(result.columns, ['id', 'name', 'balance', 'raw', 'day', 'at', 'id'])
    assert.deepEqual(result.rows, [
      [1, 'ada', '9007199254740993', '\\x0102', '2024-02-29', '2024-01-02T03:04:05.123456', 1],
      [2, 'bob', '6', '\\x0102', '2024-02-29', '2024-01-02T03:04:05.123456', 1],
    ])
    assert.equal(result.row_count, 2)
    assert.equal(await count(), 2)
  })

  it('reports the count of the last statement when none returned rows', async () => {
    const result = await sql("UPDATE accounts SET name = upper(name); DELETE FROM accounts WHERE name = 'nobody'; UPDATE accounts SET balance = balance + 0 WHERE id > 0")
    assert.equal(result.status, 'succeeded', result.error)
    assert.equal(result.row_count, 2)
    assert.equal(result.columns, undefined)
  })

  it('rolls back everything when a later statement fails', async () => {
    const result = await sql("INSERT INTO accounts VALUES (10, 'carol', 1); DELETE FROM accounts; SELECT * FROM missing_table")
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /missing_table' doesn't exist \(ER_NO_SUCH_TABLE 1146, SQLSTATE 42S02\); the transaction was rolled back/)
    assert.equal(await count(), 2)
  })

  it('cancels and rolls back SQL that runs past the statement timeout', async () => {
    const result = await sql("INSERT INTO accounts VALUES (20, 'dan', 1); SELECT sleep(10)")
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /did not finish within 2s; it was cancelled and rolled back/)
    assert.equal(await count('id = 20'), 0)
    assert.equal((await sql('SELECT 1 AS one')).status, 'succeeded')
  })

  it('stops the query when the signal aborts', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('the gateway is shutting down')), 200)
    const result = await sql("INSERT INTO accounts VALUES (21, 'eve', 1); SELECT sleep(1.5), 'abort-marker'", controller.signal)
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /stopped: the gateway is shutting down; it was cancelled and rolled back/)
    const [running] = (await admin.query("SELECT count(*) AS n FROM information_schema.processlist WHERE info LIKE '%abort-marker%' AND info NOT LIKE '%processlist%'")) as unknown as [{ n: number }[]]
    assert.equal(running[0]!.n, 0)
    assert.equal(await count('id = 21'), 0)
  })

  it('never lets the server read a file of the gateway', async () => {
    const result = await sql("LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE accounts")
    assert.equal(result.status, 'failed')
    assert.equal(await count(), 2)
  })

  it('cuts rows at max_rows and at max_bytes, saying how many there were', async () => {
    const rows = await sql('WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 12) SELECT n FROM g')
    assert.equal(rows.truncated, true)
    assert.deepEqual(rows.rows, [[1], [2], [3], [4], [5]])
    assert.equal(rows.rows_total, 12)
    const bytes = await sql("SELECT repeat('x', 1500) AS big FROM accounts UNION ALL SELECT repeat('y', 1500) UNION ALL SELECT repeat('z', 1500)")
    assert.equal(bytes.truncated, true)
    assert.equal(bytes.rows?.length, 2)
    assert.equal(bytes.rows_total, 4)
  })

  it('never shows the password of the URL, also when it is refused', async () => {
    const password = `pw-${randomBytes(8).toString('hex')}`
    const user = `cs_user_${randomBytes(4).toString('hex')}`
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'; CREATE USER '${user}'@'localhost' IDENTIFIED BY '${password}'; GRANT ALL ON ${database}.* TO '${user}'@'%'; GRANT ALL ON ${database}.* TO '${user}'@'localhost'`)
    try {
      const host = new URL(SERVER).host
      for (const [url, expected] of [
        [`mysql://${user}:${password}x@${host}/${database}`, /Access denied/],
        [`mysql://${user}:${password}@127.0.0.1:1/${database}`, /ECONNREFUSED/],
        [`mysql://${user}:${password}@${host}/${database}`, /SQL syntax.*near 'SELEC '\*\*\*''/],
      ] as const) {
        const bad = testTarget('sql', { type: 'mysql', url: `env:${testSecret(url)}` })
        const connector = createConnector(bad)
        // The server quotes the SQL near a syntax error: here, the password.
        const result = await connector.execute(testRequest(bad, { sql: `SELECT '${password}' AS echoed; SELEC '${password}'` }))
        await connector.close()
        assert.equal(result.status, 'failed')
        assert.match(result.error ?? '', expected)
        assertNoSecret(result, password)
      }
    } finally {
      await admin.query(`DROP USER '${user}'@'%'; DROP USER '${user}'@'localhost'`)
    }
  })

  it('runs a read-only action in a read-only transaction, so a write the analysis missed fails in the database', async () => {
    const before = await count()
    const read = await readOnlySql('SELECT count(*) AS n FROM accounts')
    assert.equal(read.status, 'succeeded', read.error)
    assert.equal(read.read_only_enforced, true)
    for (const text of [
      "UPDATE accounts SET name = 'x' WHERE id = 1",
      "INSERT INTO accounts VALUES (30, 'x', 1)",
      // DDL commits implicitly; the session stays read-only, so it cannot start a writable transaction.
      'CREATE TABLE sneaky (a int)',
      "CREATE TABLE sneaky (a int); INSERT INTO accounts VALUES (31, 'x', 1)",
      'DROP TABLE accounts',
      'CREATE TEMPORARY TABLE tmp (a int)',
    ]) {
      const result = await readOnlySql(text)
      assert.equal(result.status, 'failed', text)
      assert.equal(result.read_only_enforced, true)
      assert.match(result.error ?? '', /^refused by the database: the action was judged read-only and ran in a read-only transaction.*READ ONLY transaction/, text)
    }
    assert.equal(await count(), before)
    const [tables] = (await admin.query(`SHOW TABLES FROM ${database}`)) as unknown as [unknown[]]
    assert.equal(tables.length, 1)
    // Facts that do not say read-only leave writes to the policy's decision.
    assert.equal((await sql("UPDATE accounts SET name = name WHERE id = 1")).read_only_enforced, undefined)
  })

  it('refuses a read-only action that reads a view: its stored functions may SET GLOBAL or take locks, which a read-only transaction allows', async () => {
    const waitTimeout = async () => ((await admin.query('SELECT @@global.wait_timeout AS w')) as unknown as [{ w: number }[]])[0][0]!.w
    const before = await waitTimeout()
    await admin.query(`CREATE FUNCTION ${database}.tweak() RETURNS int BEGIN SET GLOBAL wait_timeout = 12345; RETURN 1; END`)
    await admin.query(`CREATE VIEW ${database}.Harmless AS SELECT ${database}.tweak() AS x`)
    try {
      for (const text of ['SELECT * FROM Harmless', 'SELECT * FROM harmless', `SELECT x FROM ${database}.harmless`, 'SELECT 1 FROM accounts WHERE id IN (SELECT x FROM harmless)']) {
        const result = await readOnlySql(text)
        assert.equal(result.status, 'failed', text)
        assert.match(result.error ?? '', /^refused: the action was judged read-only, but it reads the view\(s\) /, text)
        assert.equal(await waitTimeout(), before, `${text} changed a global setting`)
      }
      assert.equal((await readOnlySql('SELECT count(*) FROM accounts')).status, 'succeeded')
    } finally {
      await admin.query(`SET GLOBAL wait_timeout = ${Number(before)}`)
      await admin.query(`DROP VIEW ${database}.Harmless; DROP FUNCTION ${database}.tweak`)
    }
  })

  it('sends the statements one by one, split as the server splits them, never as one text', async () => {
    // `--1` is minus minus one, `#` a comment, `@$q$` a variable: the server sees each statement the analysis saw.
    const result = await sql("SELECT 1 --1 AS two; SELECT @$q$ AS v # ; SELECT 'hidden'\n; SELECT 'a''b' AS s")
    assert.equal(result.status, 'succeeded', result.error)
    assert.deepEqual(result.columns, ['s'])
    assert.deepEqual(result.rows, [["a'b"]])
    const server = (await sql('SELECT @@SESSION.sql_mode AS mode, @@SESSION.character_set_client AS cs')).rows
    assert.deepEqual(server, [['STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', 'utf8mb4']])
  })

  it('refuses text it cannot split as the server would, and runs none of it', async () => {
    const before = await count()
    for (const text of ['SELECT 1; /*! DELETE FROM accounts */', 'SELECT 1; /*M!100000 DELETE FROM accounts */', "SELECT 'open; DELETE FROM accounts", 'SELECT 1 /* /* */; DELETE FROM accounts; -- */', 'SELECT 1 \\G']) {
      const result = await sql(text)
      assert.equal(result.status, 'failed', text)
      assert.match(result.error ?? '', /^refused: the SQL cannot be split into statements as the server would read it/, text)
    }
    assert.equal(await count(), before)
  })

  it('reports option problems naming the target and the option', () => {
    assert.deepEqual(connectorProblems(target), [])
    assert.deepEqual(connectorProblems({ ...target, connector: { type: 'mysql', url: { kind: 'env', name: 'X', ref: 'env:X' }, pool_size: 1000, extra: 1 } }), [
      'target shop-db: connector option pool_size: expected a whole number from 1 to 100',
      'target shop-db: connector option extra: unknown option',
    ])
  })

  it('a MariaDB trigger on the written table records the @countersign_* identity; the SQL may not set it', async () => {
    await admin.query(`CREATE TABLE ${database}.identity_audit (request_id text, agent text, on_behalf_of text, approvers text)`)
    await admin.query(
      `CREATE TRIGGER ${database}.accounts_identity AFTER UPDATE ON ${database}.accounts FOR EACH ROW INSERT INTO ${database}.identity_audit VALUES (@countersign_request_id, @countersign_agent, @countersign_on_behalf_of, @countersign_approvers)`,
    )
    await admin.query(`INSERT INTO ${database}.accounts VALUES (900, 'audited', 1)`)
    const context = testContext({ agent: "bot'; DROP TABLE accounts; --" })
    const result = await connector.execute(testRequest(target, { sql: 'UPDATE accounts SET balance = 2 WHERE id = 900; UPDATE accounts SET balance = 3 WHERE id = 900' }, undefined, null, context))
    assert.equal(result.status, 'succeeded', result.error)
    const [rows] = (await admin.query(`SELECT * FROM ${database}.identity_audit`)) as unknown as [Record<string, unknown>[]]
    const expected = { request_id: context.request_id, agent: "bot';%20DROP%20TABLE%20accounts;%20--", on_behalf_of: 'dev@example.com', approvers: 'alice@example.com,bob@example.com' }
    assert.deepEqual(rows.map((row) => ({ ...row })), [expected, expected])
    const spoof = await connector.execute(testRequest(target, { sql: "SET @`COUNTERSIGN_agent` = 'alice'; UPDATE accounts SET balance = 4 WHERE id = 900" }))
    assert.equal(spoof.status, 'failed')
    assert.match(spoof.error ?? '', /names a @countersign_… variable, which the connector sets/)
    await admin.query(`DROP TRIGGER ${database}.accounts_identity`)
  })
})

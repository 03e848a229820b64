import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { loadSqlAnalyzer } from '../analyzers/sql/index.js'
import type { Analyzer } from '../analyzers/analyzer.js'
import type { SqlFacts } from '../analyzers/sql/index.js'
import { TEST_POSTGRES_URL } from '../store/connection/index.js'
import { createConnector, type Connector } from './index.js'
import { testRequest, testSecret, testTarget } from './test-support.js'

// "Analysis decides, execution enforces": the connector runs what the analysis parsed, with the
// settings it assumed, and makes the database refuse writes in what the facts call read-only.

const suffix = randomBytes(5).toString('hex')
const database = `cs_enf_${suffix}`
// A role whose own settings make PostgreSQL lex strings as the analysis does not (bypass 5).
const role = `cs_enf_role_${suffix}`
const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
const urlOf = (db: string, user?: string) => {
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${db}`
  if (user) url.username = user
  return url.href
}
const BYPASS_5 = "SELECT 'a\\''; UPDATE accounts SET balance = 0; --'"

let analyzer: Analyzer<SqlFacts>
let db: pg.Client
let connector: Connector
let target: ReturnType<typeof testTarget>

before(async () => {
  analyzer = await loadSqlAnalyzer()
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  await admin.query(`CREATE ROLE ${role} LOGIN`)
  await admin.query(`ALTER ROLE ${role} SET standard_conforming_strings = off`)
  await admin.query(`ALTER ROLE ${role} SET backslash_quote = on`)
  db = new pg.Client({ connectionString: urlOf(database) })
  await db.connect()
  await db.query('CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)')
  await db.query('INSERT INTO accounts VALUES (1, 100), (2, 200)')
  await db.query(`GRANT ALL ON accounts TO ${role}; GRANT CREATE, USAGE ON SCHEMA public TO ${role}`)
  target = testTarget('sql', { type: 'postgres', url: `env:${testSecret(urlOf(database, role))}`, statement_timeout: '5s' }, 'prod-db')
  connector = createConnector(target)
})

after(async () => {
  await connector.close()
  await db.end()
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.query(`DROP ROLE IF EXISTS ${role}`)
  await admin.end()
})

/** Runs `sql` through the connector with the facts the analysis gives it (or the ones given). */
async function run(sql: string, facts: Record<string, unknown> | null = { ...analyzer.analyze({ sql }).facts }) {
  return connector.execute(testRequest(target, { sql }, undefined, facts))
}

async function balances(): Promise<number[]> {
  return (await db.query('SELECT balance::int AS b FROM accounts ORDER BY id')).rows.map((row: { b: number }) => row.b)
}

describe('postgres connector: bypass 5 (standard_conforming_strings = off on the role)', () => {
  it('the role really lexes the text another way: sent whole, PostgreSQL runs the UPDATE (control, rolled back)', async () => {
    assert.equal(analyzer.analyze({ sql: BYPASS_5 }).facts.read_only, true, 'the analysis reads one SELECT of a string')
    const raw = new pg.Client({ connectionString: urlOf(database, role) })
    await raw.connect()
    try {
      await raw.query('BEGIN')
      await raw.query(BYPASS_5)
      assert.deepEqual((await raw.query('SELECT balance::int AS b FROM accounts ORDER BY id')).rows, [{ b: 0 }, { b: 0 }])
      await raw.query('ROLLBACK')
    } finally {
      await raw.end()
    }
  })

  it('runs the text as the one SELECT the analysis saw, leaving the table unchanged, with facts and without', async () => {
    for (const facts of [undefined, null]) {
      const result = await run(BYPASS_5, facts)
      assert.equal(result.status, 'succeeded', result.error)
      assert.deepEqual(result.rows, [["a\\'; UPDATE accounts SET balance = 0; --"]])
      assert.deepEqual(await balances(), [100, 200])
    }
  })

  it('pins the settings against a connection URL that sets them too', async () => {
    const url = `${urlOf(database, role)}?options=${encodeURIComponent('-c standard_conforming_strings=off -c backslash_quote=on -c transform_null_equals=on')}`
    const other = testTarget('sql', { type: 'postgres', url: `env:${testSecret(url)}` }, 'prod-db')
    const via = createConnector(other)
    try {
      const result = await via.execute(testRequest(other, { sql: `${BYPASS_5}\n;SELECT current_setting('standard_conforming_strings'), current_setting('backslash_quote'), current_setting('transform_null_equals')` }))
      assert.equal(result.status, 'succeeded', result.error)
      assert.deepEqual(result.rows, [['on', 'off', 'off']])
      assert.deepEqual(await balances(), [100, 200])
    } finally {
      await via.close()
    }
  })

  it('pins them again before every statement, so a function an earlier statement called cannot unpin them', async () => {
    await db.query(`CREATE FUNCTION public.unpin() RETURNS text LANGUAGE sql AS $$ SELECT set_config('standard_conforming_strings', 'off', true) $$`)
    try {
      const sql = `SELECT public.unpin(); ${BYPASS_5}`
      assert.equal(analyzer.analyze({ sql }).facts.count, 2)
      const result = await run(sql)
      assert.equal(result.status, 'succeeded', result.error)
      assert.deepEqual(result.rows, [["a\\'; UPDATE accounts SET balance = 0; --"]])
      assert.deepEqual(await balances(), [100, 200])
    } finally {
      await db.query('DROP FUNCTION public.unpin()')
    }
  })
})

describe('postgres connector: read-only facts run in a READ ONLY transaction', () => {
  it('says the read-only transaction was enforced when it succeeds', async () => {
    const result = await run('SELECT sum(balance)::int AS total FROM accounts')
    assert.equal(result.status, 'succeeded', result.error)
    assert.equal(result.read_only_enforced, true)
    assert.deepEqual(result.rows, [[300]])
    const write = await run('UPDATE accounts SET balance = balance WHERE id = 1')
    assert.equal(write.status, 'succeeded', write.error)
    assert.equal(write.read_only_enforced, undefined, 'facts that are not read-only run read-write')
  })

  it('makes the database refuse a write the analysis missed (a user function shadowing lower)', async () => {
    await db.query(`CREATE FUNCTION public.lower(integer) RETURNS text LANGUAGE sql AS $$ UPDATE accounts SET balance = -1 RETURNING 'x' $$`)
    try {
      const facts = analyzer.analyze({ sql: 'SELECT lower(3)' }).facts
      assert.equal(facts.read_only, true, 'the analysis, without the catalog, is fooled')
      const result = await run('SELECT lower(3)')
      assert.equal(result.status, 'failed')
      assert.equal(result.read_only_enforced, true)
      assert.match(result.error ?? '', /^the database refused a write in the read-only transaction: cannot execute UPDATE in a read-only transaction \(SQLSTATE 25006\).*the transaction was rolled back$/)
      assert.deepEqual(await balances(), [100, 200])
    } finally {
      await db.query('DROP FUNCTION public.lower(integer)')
    }
  })

  it('refuses, before anything runs, statements that would end, restart or reopen the enforcing transaction', async () => {
    const refused: readonly (readonly [string, RegExp])[] = [
      ['SELECT 1; COMMIT; UPDATE accounts SET balance = 0', /statement 2 controls the transaction \(COMMIT\)/],
      ['SELECT 1; ROLLBACK; UPDATE accounts SET balance = 0', /statement 2 controls the transaction \(ROLLBACK\)/],
      ['SELECT 1; END; BEGIN; UPDATE accounts SET balance = 0; COMMIT', /statement 2 controls the transaction \(COMMIT\)/],
      ['SELECT 1; BEGIN; SELECT 2', /statement 2 controls the transaction \(BEGIN\)/],
      ['BEGIN READ WRITE; UPDATE accounts SET balance = 0', /statement 1 controls the transaction \(BEGIN\)/],
      ['SELECT 1; COMMIT AND CHAIN', /statement 2 controls the transaction/],
      ["SELECT 1; PREPARE TRANSACTION 'x'", /statement 2 controls the transaction \(PREPARE\)/],
      ["COMMIT PREPARED 'x'", /statement 1 controls the transaction/],
      ['SET TRANSACTION READ WRITE; UPDATE accounts SET balance = 0', /statement 1 changes the transaction's access mode/],
      ['SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE', /changes the transaction's access mode/],
      ['SET transaction_read_only = off', /changes transaction_read_only/],
      ['SET LOCAL default_transaction_read_only TO off', /changes default_transaction_read_only/],
      ['SET standard_conforming_strings = off', /changes standard_conforming_strings/],
      ['SET "Standard_Conforming_Strings" = off', /changes standard_conforming_strings/],
      ['RESET backslash_quote', /changes backslash_quote/],
      ["SET NAMES 'SJIS'", /changes client_encoding/],
      ['RESET ALL', /changes every setting \(RESET ALL\)/],
      ["SELECT set_config('standard_conforming_strings', 'off', false)", /changes standard_conforming_strings \(set_config\)/],
      ["WITH x AS (SELECT pg_catalog.set_config(' Transaction_Read_Only'::text, 'off', true)) SELECT * FROM x", /changes transaction_read_only \(set_config\)/],
      ["SELECT set_config(lower('STANDARD_CONFORMING_STRINGS'), 'off', true)", /a setting named by an expression/],
      ['COPY accounts FROM STDIN', /statement 1 is COPY … FROM STDIN, but an action has no data stream to send/],
    ]
    for (const [sql, reason] of refused) {
      for (const facts of [{ ...analyzer.analyze({ sql }).facts }, { read_only: true }, null]) {
        const result = await run(sql, facts)
        assert.equal(result.status, 'failed', sql)
        assert.match(result.error ?? '', reason, sql)
        assert.match(result.error ?? '', /nothing was run$/, sql)
      }
    }
    assert.deepEqual(await balances(), [100, 200])
  })

  it('accepts a plain BEGIN first and COMMIT last (the transaction it runs anyway), savepoints, and a harmless set_config', async () => {
    // set_config is not on the analysis's allow-list: read-only facts here stand for an approver's.
    const result = await run("BEGIN; SAVEPOINT a; SELECT set_config('app.user', 'ada', true); RELEASE a; SELECT current_setting('app.user'), current_setting('transaction_read_only'); END", { read_only: true })
    assert.equal(result.status, 'succeeded', result.error)
    assert.equal(result.read_only_enforced, true)
    assert.deepEqual(result.rows, [['ada', 'on']])
  })

  it('refuses SQL that does not parse, or that splits otherwise than the analysis said', async () => {
    const unparsed = await run('SELEC 1', null)
    assert.match(unparsed.error ?? '', /^the SQL does not parse, so its statements cannot be run as analysed \(syntax error at or near "SELEC"\); nothing was run$/)
    const miscounted = await run('SELECT 1; SELECT 2', { read_only: true, count: 1 })
    assert.equal(miscounted.error, 'the SQL splits into 2 statements but the analysis saw 1; nothing was run')
    const nul = await run('SELECT 1;\0 UPDATE accounts SET balance = 0', null)
    assert.equal(nul.error, 'the SQL contains a NUL character; nothing was run')
  })

  it('sends each statement on its own, so the server could not split one differently', async () => {
    const result = await run("SELECT $q$;$q$ AS a; SELECT E'it''s;\\n' AS b /* ; */; -- ;\nSELECT 3 AS c")
    assert.equal(result.status, 'succeeded', result.error)
    assert.deepEqual(result.rows, [[3]])
    assert.equal(result.read_only_enforced, true)
    // backslash_quote = off: a \' the analysis's parser accepts is refused by the server, never read otherwise.
    const quoted = await run("SELECT E'a\\'' AS b")
    assert.match(quoted.error ?? '', /^unsafe use of \\' in a string literal \(SQLSTATE 22P06/)
  })
})

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import mysql2 from 'mysql2/promise'
import { runCli } from '../cli/program.js'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'

// Read-only SQL is allowed at once; dropping a database is denied (the example policy's rule, verbatim).
const POLICY = `version: 1
default: review
rules:
  - id: never-drop-database
    when: sql.statements.exists(s, s.type == "drop" && s.object in ["database", "schema"])
    effect: deny
  - id: sql-read-only
    when: sql.read_only
    effect: allow
`
const TARGETS = [
  { name: 'shop-db', kind: 'sql', labels: { env: 'prod' }, connector: { type: 'mysql', url: 'env:SHOP_DB_URL' } },
  // A MySQL database the agent reaches itself with a receipt: no connector to tell the dialect.
  { name: 'legacy-db', kind: 'sql', labels: { env: 'prod' }, dialect: 'mysql' },
  { name: 'pg-db', kind: 'sql', labels: { env: 'prod' } },
]

/** Texts that hide a write from a reader that does not lex as MySQL does (issue 14, bypass 1, and its class). */
export const HIDDEN_WRITES = [
  "SELECT 1 --1; UPDATE users SET plan='x' WHERE id > 0",
  'SELECT 1 --1\n; UPDATE users SET plan = 1 WHERE id > 0',
  "SELECT 1 /* /* */ ; UPDATE users SET plan='x' WHERE id > 0; -- */",
  'SELECT @$q$; DELETE FROM users WHERE id = 2; SELECT @$q$',
  'SELECT $$; DELETE FROM users WHERE id = 2; SELECT $$',
  "SELECT 1 # '\n; DELETE FROM users; -- '",
  "SELECT 'a\\'; DELETE FROM users; -- '",
  'SELECT "a\\"; DELETE FROM users; -- "',
  "SELECT 'a\\\\'; DELETE FROM users WHERE id = 2; -- '",
  "SELECT _utf8mb4'a\\'; DELETE FROM users; -- '",
  "SELECT N'a\\'; DELETE FROM users; -- '",
  'SELECT 1; /*! DELETE FROM users */',
  'SELECT 1 /*!50000 , (SELECT GET_LOCK(1, 1)) */',
  'SELECT 1; /*M!100000 DELETE FROM users */',
  'SELECT 1 /*+ SET_VAR(sql_mode=ANSI_QUOTES) */',
  'SELECT 1 \\G DELETE FROM users',
  'DELIMITER //\nDELETE FROM users//',
  'BEGIN NOT ATOMIC DELETE FROM users; END',
  'SELECT @x := 1',
  'SELECT id INTO @x FROM users LIMIT 1',
  'SELECT id FROM users INTO OUTFILE "/tmp/x"',
  'SELECT id FROM users WHERE id = 1 FOR UPDATE',
  'SELECT id FROM users WHERE id = 1 LOCK IN SHARE MODE',
  'SELECT SLEEP(1)',
  'SELECT `lower`(1)',
  'SELECT count (id) FROM users',
  'SELECT lower/**/(name) FROM users',
  'SELECT shop.lower(1)',
  "SELECT x'41'; DELETE FROM users",
  'SELECT 1 --\u0001; DELETE FROM users',
  'HANDLER users OPEN',
  "LOAD DATA INFILE '/tmp/x' INTO TABLE users",
  'CALL cleanup()',
  'SET @x = 1',
  'DO 1',
]

describe('SQL bound for a MySQL target', () => {
  let gw: TestGateway
  let drop: () => Promise<void>
  before(async () => {
    const connection = await testStores()[0]!.open()
    drop = connection.drop
    gw = await testGateway(connection, { policy: POLICY, targets: TARGETS })
  })
  after(async () => {
    await gw.close()
    await drop()
  })
  const submit = async (sql: string, target = 'shop-db') => (await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target, payload: { sql } } })).body
  const decide = async (sql: string, target = 'shop-db') => (await gw.call('POST', '/v1/decide', { as: 'deployBot', body: { kind: 'sql', target, payload: { sql } } })).body

  for (const sql of HIDDEN_WRITES) {
    it(`never takes a hidden write as read-only: ${JSON.stringify(sql)}`, async () => {
      for (const target of ['shop-db', 'legacy-db']) {
        const action = await submit(sql, target)
        assert.notEqual(action.status, 'allowed', `${target}: ${action.impact.summary}`)
        assert.equal(action.impact.facts.read_only, false)
      }
    })
  }

  it('reads the statements as the server does: SELECT 1 --1 is 1 - -1, and the UPDATE after it is seen', async () => {
    const facts = (await decide("SELECT 1 --1; UPDATE users SET plan='x' WHERE id > 0")).impact.facts
    assert.equal(facts.parse_error, '')
    assert.deepEqual(facts.statements.map((s: { type: string }) => s.type), ['select', 'update'])
    const variable = (await decide('SELECT @$q$; DELETE FROM users WHERE id = 2; SELECT @$q$')).impact.facts
    assert.deepEqual(variable.statements.map((s: { type: string }) => s.type), ['select', 'delete', 'select'])
  })

  it('denies SELECT 1 --1; DROP DATABASE x by never-drop-database, as when sent plainly', async () => {
    for (const sql of ['SELECT 1 --1; DROP DATABASE x', 'DROP DATABASE x', 'SELECT 1 # x\n; DROP SCHEMA x', 'select 1--1;drop database `x`']) {
      for (const target of ['shop-db', 'legacy-db']) {
        const result = await decide(sql, target)
        assert.equal(result.decision.effect, 'deny', `${sql} on ${target}`)
        assert.deepEqual(result.decision.matched_rules, ['never-drop-database'])
      }
    }
  })

  it('parses backtick queries and allows them when read-only', async () => {
    const action = await submit('SELECT `id`, `name` FROM `shop`.`users` WHERE `id` = 1')
    assert.equal(action.status, 'allowed')
    assert.deepEqual(action.impact.facts.tables, ['shop.users'])
    const write = await decide('UPDATE `users` SET `plan` = \'pro\' WHERE `id` = 1')
    assert.equal(write.impact.facts.statements[0].type, 'update')
    assert.deepEqual(write.impact.facts.statements[0].targets, ['users'])
  })

  it('keeps PostgreSQL parsing for a target without a MySQL dialect', async () => {
    const facts = (await decide('SELECT 1; /*! DELETE FROM accounts */', 'pg-db')).impact.facts
    assert.equal(facts.parse_error, '')
    assert.equal(facts.read_only, true)
    assert.match((await decide('SELECT `id` FROM t', 'pg-db')).impact.facts.parse_error, /syntax error/)
  })

  it('gives policy explain and policy test exactly the analysis of /v1/decide', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-mysql-cli-'))
    writeFileSync(join(dir, 'policy.yaml'), POLICY)
    const yaml = `policy: policy.yaml\ntargets:\n${TARGETS.map((t) => `  - ${JSON.stringify(t)}`).join('\n')}\n`
    writeFileSync(join(dir, 'countersign.yaml'), yaml)
    const texts = ['SELECT 1 --1; DROP DATABASE x', "SELECT 1 --1; UPDATE users SET plan='x' WHERE id > 0", 'SELECT `id` FROM `users`', 'SELECT 1 /* /* */ ; DELETE FROM users; -- */']
    const cases: string[] = []
    for (const [index, sql] of texts.entries()) {
      for (const target of ['shop-db', 'legacy-db', 'pg-db']) {
        const action = { kind: 'sql', target, payload: { sql } }
        const api = await decide(sql, target)
        let stdout = ''
        const code = await runCli(['policy', 'explain', join(dir, 'policy.yaml'), '--config', join(dir, 'countersign.yaml'), '--action', JSON.stringify(action), '--json'], {
          stdout: (t) => (stdout += t),
          stderr: () => {},
          env: {},
          cwd: dir,
        })
        assert.equal(code, 0)
        const cli = JSON.parse(stdout)
        assert.deepEqual(cli.analysis.facts, api.impact.facts, `${sql} on ${target}`)
        assert.equal(cli.decision.effect, api.decision.effect, `${sql} on ${target}`)
        cases.push(`- name: case ${index} ${target}\n  action: ${JSON.stringify(action)}\n  expect: { effect: ${api.decision.effect} }`)
      }
    }
    writeFileSync(join(dir, 'cases.yaml'), `${cases.join('\n')}\n`)
    let stdout = ''
    const code = await runCli(['policy', 'test', join(dir, 'policy.yaml'), join(dir, 'cases.yaml'), '--config', join(dir, 'countersign.yaml')], { stdout: (t) => (stdout += t), stderr: () => {}, env: {}, cwd: dir })
    assert.equal(code, 0, stdout)
    assert.match(stdout, /12 passed, 0 failed/)
  })
})

describe('a MySQL action judged read-only, run by the gateway on MariaDB', () => {
  const SERVER = process.env['COUNTERSIGN_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306'
  const database = `cs_gw_${randomBytes(5).toString('hex')}`
  const secret = `CS_TEST_SHOP_DB_${randomBytes(5).toString('hex').toUpperCase()}`
  let gw: TestGateway
  let drop: () => Promise<void>
  let admin: mysql2.Connection
  before(async () => {
    process.env[secret] = `${SERVER}/${database}`
    admin = await mysql2.createConnection({ uri: SERVER, multipleStatements: true })
    // A view whose stored function writes: nothing in SELECT * FROM v shows it, so the analysis calls it read-only.
    await admin.query(`CREATE DATABASE ${database}; USE ${database};
      CREATE TABLE users (id int PRIMARY KEY, plan text) ENGINE=InnoDB; INSERT INTO users VALUES (1, 'free'), (2, 'pro');
      CREATE FUNCTION wipe() RETURNS int MODIFIES SQL DATA BEGIN DELETE FROM users; RETURN 0; END;
      CREATE VIEW v AS SELECT wipe() AS w`)
    const connection = await testStores()[0]!.open()
    drop = connection.drop
    gw = await testGateway(connection, { policy: POLICY, targets: [{ name: 'shop-db', kind: 'sql', labels: {}, connector: { type: 'mysql', url: `env:${secret}` } }] })
  })
  after(async () => {
    await gw.close()
    await drop()
    await admin.query(`DROP DATABASE IF EXISTS ${database}`)
    await admin.end()
  })
  const run = async (sql: string) => (await gw.call('POST', '/v1/actions?wait=20', { as: 'deployBot', body: { kind: 'sql', target: 'shop-db', payload: { sql } } })).body

  it('runs in a read-only transaction, says so in the result and the audit log', async () => {
    const action = await run('SELECT `id`, plan FROM `users` WHERE id = 1')
    assert.equal(action.status, 'succeeded', JSON.stringify(action.result))
    assert.deepEqual(action.result.rows, [[1, 'free']])
    assert.equal(action.result.read_only_enforced, true)
    const timeline = (await gw.call('GET', `/v1/actions/${action.id}`, { as: 'deployBot' })).body.timeline
    assert.equal(timeline.at(-1).data.read_only_enforced, true)
  })

  it('is refused when it reads a view whose body the analysis did not see, and nothing is changed', async () => {
    // (A write the analysis misses otherwise fails in the READ ONLY transaction: see mysql.test.ts.)
    const action = await run('SELECT * FROM v')
    assert.equal(action.impact.facts.read_only, true)
    assert.equal(action.status, 'failed')
    assert.match(action.result.error, /^refused: the action was judged read-only, but it reads the view\(s\) v/)
    const [rows] = (await admin.query(`SELECT count(*) AS n FROM ${database}.users`)) as unknown as [{ n: number }[]]
    assert.equal(rows[0]!.n, 2)
  })
})

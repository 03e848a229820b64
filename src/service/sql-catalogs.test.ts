import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { loadAnalyzers, plannableStatements, type Analyzers, type SqlFacts } from '../analyzers/index.js'
import { configFromObject, directoryOf } from '../config/index.js'
import { testSecret } from '../connectors/test-support.js'
import { PostgresCatalogReader } from '../connectors/postgres-catalog.js'
import { TEST_POLICY, testGateway } from '../server/test-gateway.js'
import { TEST_POSTGRES_URL, testStores } from '../store/connection/index.js'
import { SqlCatalogs, type CatalogSource } from './sql-catalogs.js'

const suffix = randomBytes(5).toString('hex')
const database = `cs_catalog_${suffix}`
/** A role whose search_path holds only its own schema, where nobody planted anything. */
const tidyRole = `cs_tidy_${suffix}`
const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
const urlOf = (db: string, user?: string) => {
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${db}`
  if (user !== undefined) url.username = user
  return url.href
}
let db: pg.Client
let analyzers: Analyzers
let catalogs: SqlCatalogs
let now = Date.parse('2026-12-07T13:00:00Z')

const config = () =>
  configFromObject(
    {
      policy: 'policy.yaml',
      targets: [
        { name: 'app-db', kind: 'sql', connector: { type: 'postgres', url: `env:${testSecret(urlOf(database))}`, catalog_refresh: '1m' } },
        { name: 'tidy-db', kind: 'sql', connector: { type: 'postgres', url: `env:${testSecret(urlOf(database, tidyRole))}` } },
        { name: 'down-db', kind: 'sql', connector: { type: 'postgres', url: `env:${testSecret('postgres://nobody:hunter2secret@127.0.0.1:1/none')}` } },
        { name: 'offline-db', kind: 'sql' },
      ],
    },
    { baseDir: '/tmp' },
  )

before(async () => {
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  await admin.query(`CREATE ROLE ${tidyRole} LOGIN`)
  db = new pg.Client({ connectionString: urlOf(database) })
  await db.connect()
  await db.query(`
    CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, plan text NOT NULL);
    INSERT INTO users SELECT g, 'user' || g, 'free' FROM generate_series(1, 5000) g;
    ANALYZE users;
    CREATE TABLE victims (id int);
    INSERT INTO victims VALUES (1), (2), (3), (4), (5), (6);
    -- bypass 4: any app role may create these in public, which is on everyone's search_path
    CREATE FUNCTION public.lower(integer) RETURNS text LANGUAGE sql AS $$ DELETE FROM victims WHERE id = 1 RETURNING 'x' $$;
    CREATE FUNCTION public.upper(users) RETURNS text LANGUAGE sql AS $$ DELETE FROM victims WHERE id = 2 RETURNING 'y' $$;
    CREATE FUNCTION public.evil_plus(int, bool) RETURNS int LANGUAGE sql AS $$ DELETE FROM victims WHERE id = 3 RETURNING 1 $$;
    CREATE OPERATOR public.+ (LEFTARG = int, RIGHTARG = bool, FUNCTION = public.evil_plus);
    CREATE TYPE mood AS ENUM ('ok', 'sad');
    CREATE FUNCTION public.mood_text(mood) RETURNS text LANGUAGE sql AS $$ DELETE FROM victims WHERE id = 4 RETURNING 'z' $$;
    CREATE CAST (mood AS text) WITH FUNCTION public.mood_text(mood) AS IMPLICIT;
    CREATE TABLE feelings (id int, m mood);
    CREATE FUNCTION public.touch() RETURNS int LANGUAGE sql VOLATILE AS $$ DELETE FROM victims WHERE id = 5 RETURNING 1 $$;
    CREATE VIEW touched AS SELECT public.touch() AS t;
    CREATE VIEW outer_view AS SELECT * FROM touched;
    CREATE VIEW plain_users AS SELECT id, name FROM users WHERE plan = 'free';
    CREATE TABLE secrets (id int);
    ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
    CREATE POLICY reads ON secrets USING (public.touch() > 0);
    CREATE DOMAIN checked_int AS int CHECK (public.touch() > 0);
    CREATE TABLE serials (id serial, v int);
    CREATE FUNCTION public.folded() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;
    CREATE TABLE defaulted (id int, v int DEFAULT public.folded());
    CREATE SCHEMA tidy AUTHORIZATION ${tidyRole};
    CREATE TABLE tidy.items (id int PRIMARY KEY, name text);
    INSERT INTO tidy.items SELECT g, 'item' || g FROM generate_series(1, 200) g;
    ANALYZE tidy.items;
    GRANT SELECT ON tidy.items TO ${tidyRole};
    ALTER ROLE ${tidyRole} IN DATABASE ${database} SET search_path = tidy;
  `)
  analyzers = await loadAnalyzers()
  catalogs = new SqlCatalogs({ directory: directoryOf(config()), clock: () => now })
})

after(async () => {
  await catalogs.close()
  await db.end()
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.query(`DROP ROLE IF EXISTS ${tidyRole}`)
  await admin.end()
})

/** The analysis as the gateway makes it: with the target's catalog and the planner's estimates. */
async function analyze(target: string, sql: string) {
  const catalog = await catalogs.catalogFor(target)
  const estimatedRows = catalog ? await catalogs.estimate(target, plannableStatements(sql, catalog)) : undefined
  const analysis = analyzers.analyze('sql', { sql }, { target, sqlCatalog: catalog, estimatedRows })!
  return { ...analysis, facts: analysis.facts as SqlFacts }
}

async function victims(): Promise<number[]> {
  return (await db.query<{ id: number }>('SELECT id FROM victims ORDER BY id')).rows.map((row) => row.id)
}

describe('SQL judged against the target catalog (bypass 4)', () => {
  it('the planted functions really write: each statement below deletes a row when run', async () => {
    // Shown in a rolled-back transaction, so the fixture stays whole for the other tests. (The RLS
    // policy is left out here: the superuser running this bypasses row-level security; an app role would not.)
    for (const [sql, gone] of [
      ['SELECT lower(3)', 1],
      ['SELECT u.upper FROM users u WHERE u.id = 1', 2],
      ['SELECT 1 + true', 3],
      ["SELECT 'ok'::mood::text", 4],
      ['SELECT * FROM outer_view', 5],
    ] as const) {
      await db.query('BEGIN')
      try {
        await db.query(sql)
        assert.ok(!(await victims()).includes(gone), `${sql} deleted victim ${gone}`)
      } finally {
        await db.query('ROLLBACK')
      }
    }
    assert.deepEqual(await victims(), [1, 2, 3, 4, 5, 6])
  })

  // [SQL, a phrase the highlights must hold]
  const bypasses: readonly [string, string][] = [
    ['SELECT lower(3)', 'public.lower(integer)'],
    ['SELECT upper(u) FROM users u', 'public.upper(users)'],
    ['SELECT u.upper FROM users u', 'public.upper(users) in attribute notation'],
    ['SELECT (u).upper FROM users u', 'public.upper(users) in attribute notation'],
    ['SELECT 1 + true', 'operator + may be public.+(integer, boolean)'],
    ['SELECT 1 + 1', 'operator + may be public.+(integer, boolean)'],
    ['SELECT id FROM users WHERE id BETWEEN 1 AND 2 + 0', 'operator + may be'],
    ["SELECT 'ok'::mood::text", 'cast mood → text by public.mood_text(mood)'],
    ["SELECT CAST('sad'::mood AS text)", 'cast mood → text'],
    ['SELECT length(m) FROM feelings', 'column m with an implicit cast mood → text'],
    ['SELECT * FROM touched', 'view public.touched calls public.touch'],
    ['SELECT * FROM outer_view', 'reads public.touched'],
    ['SELECT count(*) FROM public.outer_view', 'reads public.touched'],
    ['SELECT * FROM secrets', 'row-level security policy of public.secrets calls public.touch'],
    ['SELECT 1::checked_int', 'domain public.checked_int checks calls public.touch'],
    ['SELECT * FROM nowhere', 'nowhere is not in the target'],
    ['EXPLAIN SELECT lower(3)', 'public.lower(integer)'],
    ['PREPARE p AS SELECT lower(3); EXECUTE p', 'public.lower(integer)'],
  ]
  for (const [sql, phrase] of bypasses) {
    it(`${sql} is not read-only once the catalog is checked`, async () => {
      const plain = analyzers.analyze('sql', { sql })!.facts as SqlFacts
      const { facts, highlights } = await analyze('app-db', sql)
      assert.equal(facts.catalog_checked, true)
      assert.equal(facts.read_only, false, `${sql}: ${highlights.join(' | ')}`)
      assert.ok(highlights.some((h) => h.includes(phrase)), `${sql}: expected "${phrase}" in ${highlights.join(' | ')}`)
      // Without the catalog, the name allow-list alone is what judged it (read-only for most).
      assert.equal(plain.catalog_checked, false)
    })
  }

  it('the analysis and its estimates ran nothing: every victim is still there', async () => {
    assert.deepEqual(await victims(), [1, 2, 3, 4, 5, 6])
  })

  it('keeps harmless SQL read-only, with catalog_checked, where nothing is planted on the role\'s search_path', async () => {
    for (const sql of ["SELECT lower('A')", 'SELECT upper(name), id + 1 FROM items WHERE id BETWEEN 1 AND 5 ORDER BY id', 'SELECT i.name FROM items i JOIN items j USING (id)']) {
      const { facts, highlights } = await analyze('tidy-db', sql)
      assert.equal(facts.catalog_checked, true, sql)
      assert.equal(facts.read_only, true, `${sql}: ${highlights.join(' | ')}`)
    }
  })

  it('keeps calls qualified with pg_catalog read-only: they cannot reach the planted objects', async () => {
    for (const sql of ["SELECT pg_catalog.lower('A')", 'SELECT 1 OPERATOR(pg_catalog.+) 1', 'SELECT pg_catalog.upper(name) FROM users WHERE id = 1']) {
      const { facts, highlights } = await analyze('app-db', sql)
      assert.equal(facts.read_only, true, `${sql}: ${highlights.join(' | ')}`)
    }
  })

  it('keeps views over harmless expressions read-only', async () => {
    const { facts, highlights } = await analyze('app-db', 'SELECT name FROM plain_users WHERE id = 7')
    assert.equal(facts.read_only, true, highlights.join(' | '))
    assert.equal(facts.catalog_checked, true)
  })

  it('without a catalog (no connector, or the database is down) judges by name as before, never more permissively', async () => {
    for (const target of ['offline-db', 'down-db']) {
      const { facts } = await analyze(target, 'SELECT lower(3)')
      assert.equal(facts.catalog_checked, false)
      assert.equal(facts.read_only, true)
      assert.equal(facts.statements[0]?.estimated_rows, -1)
    }
    assert.equal((await analyze('down-db', 'SELECT pg_terminate_backend(1)')).facts.read_only, false)
  })
})

describe('estimated_rows from EXPLAIN', () => {
  it('estimates the rows a DELETE or UPDATE touches from the planner (the table was ANALYZEd) and shows them to approvers', async () => {
    const all = await analyze('app-db', 'DELETE FROM users')
    const some = await analyze('app-db', "UPDATE users SET plan = 'pro' WHERE id > 1000")
    const one = await analyze('app-db', 'DELETE FROM users WHERE id = 42')
    const rows = (a: typeof all) => a.facts.statements[0]!.estimated_rows
    assert.equal(rows(all), 5000)
    assert.ok(rows(some) >= 3500 && rows(some) <= 4500, `estimate ${rows(some)}`)
    assert.equal(rows(one), 1)
    assert.equal(all.summary, 'DELETE on users without WHERE (~5,000 rows)')
    assert.equal((await db.query('SELECT count(*)::int AS n FROM users')).rows[0].n, 5000, 'EXPLAIN changed nothing')
  })

  it('estimates each statement of a multi-statement input, and SELECTs by the rows they return', async () => {
    const { facts } = await analyze('app-db', 'SELECT * FROM users WHERE id <= 100; DELETE FROM users WHERE id = 1')
    const [select, del] = facts.statements
    assert.ok(select!.estimated_rows >= 80 && select!.estimated_rows <= 120, `estimate ${select!.estimated_rows}`)
    assert.equal(del!.estimated_rows, 1)
  })

  it('estimates an INSERT into a table with a serial default (nextval is volatile: planning never runs it)', async () => {
    const { facts } = await analyze('app-db', 'INSERT INTO serials (v) VALUES (1), (2)')
    assert.equal(facts.statements[0]!.estimated_rows, 2)
  })

  it('gives no estimate (-1) where planning could run something not known harmless, or the statement is not planned', async () => {
    for (const sql of ['INSERT INTO defaulted (id) VALUES (1)', 'DELETE FROM users WHERE lower(id) = $$x$$', 'SELECT * FROM outer_view', 'DELETE FROM nowhere', 'VACUUM users', 'DELETE FROM users WHERE id = $1']) {
      const { facts } = await analyze('app-db', sql)
      assert.equal(facts.statements[0]!.estimated_rows, -1, sql)
    }
    assert.deepEqual(await victims(), [1, 2, 3, 4, 5, 6])
  })
})

describe('catalog refresh', () => {
  it('reads the catalog again once it is older than catalog_refresh, or when asked to, and not before', async () => {
    let reads = 0
    const reader = new PostgresCatalogReader(directoryOf(config()).target('tidy-db')!)
    const counting: CatalogSource = { read: () => (reads++, reader.read()), estimate: (s) => reader.estimate(s), close: () => reader.close() }
    let clock = Date.parse('2026-12-07T13:00:00Z')
    const own = new SqlCatalogs({ directory: directoryOf(config()), clock: () => clock, sourceFor: () => counting })
    try {
      const first = await own.catalogFor('tidy-db')
      assert.equal(reads, 1)
      assert.equal(first?.functions.has('shout'), false)
      await db.query(`CREATE FUNCTION tidy.shout(text) RETURNS text LANGUAGE sql AS $$ SELECT upper($1) $$`)
      clock += 4 * 60_000 // the default catalog_refresh is 5m
      assert.equal(await own.catalogFor('tidy-db'), first, 'still fresh: no read')
      assert.equal(reads, 1)
      clock += 60_000
      const second = await own.catalogFor('tidy-db')
      assert.equal(reads, 2)
      assert.equal(second?.functions.has('shout'), true)
      await db.query('DROP FUNCTION tidy.shout(text)')
      const third = await own.refresh('tidy-db')
      assert.equal(reads, 3)
      assert.equal(third?.functions.has('shout'), false)
      // Concurrent submissions share one read.
      clock += 10 * 60_000
      await Promise.all([own.catalogFor('tidy-db'), own.catalogFor('tidy-db'), own.catalogFor('tidy-db')])
      assert.equal(reads, 4)
    } finally {
      await own.close()
    }
  })

  it('never puts the connection URL or its password in what it reports', async () => {
    const errors: string[] = []
    const own = new SqlCatalogs({ directory: directoryOf(config()), clock: () => now, onError: (_target, message) => errors.push(message) })
    try {
      assert.equal(await own.catalogFor('down-db'), undefined)
      assert.ok(errors.length > 0)
      for (const message of errors) assert.ok(!message.includes('hunter2secret'), message)
    } finally {
      await own.close()
    }
  })
})

describe('the gateway decides SQL with the target catalog and shows the estimate', () => {
  it('reviews SELECT lower(3) instead of allowing it, on submit and on /v1/decide alike, and shows the blast radius', async () => {
    const connection = await testStores()[0]!.open()
    const policy = `${TEST_POLICY}
  - id: big-writes
    match: { kind: sql }
    when: sql.statements.exists(s, s.type in ["delete", "update"] && s.estimated_rows > 1000)
    effect: review
    review: { approvers: [group:dba], timeout: 1h }
`
    const gw = await testGateway(connection, {
      policy,
      targets: [{ name: 'app', kind: 'sql', labels: { env: 'prod' }, connector: { type: 'postgres', url: `env:${testSecret(urlOf(database))}` } }],
    })
    try {
      const action = (sql: string) => ({ kind: 'sql', target: 'app', payload: { sql } })
      const submitted = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: action('SELECT lower(3)') })
      assert.equal(submitted.status, 201)
      assert.equal(submitted.body.status, 'pending', JSON.stringify(submitted.body.decision))
      assert.equal(submitted.body.impact.facts.catalog_checked, true)
      assert.equal(submitted.body.impact.facts.read_only, false)
      const decided = await gw.call('POST', '/v1/decide', { as: 'deployBot', body: action('SELECT lower(3)') })
      assert.equal(decided.body.decision.effect, 'review')
      assert.equal(decided.body.impact.facts.catalog_checked, true)
      const wide = await gw.call('POST', '/v1/decide', { as: 'deployBot', body: action('DELETE FROM users WHERE id IS NOT NULL') })
      assert.equal(wide.body.impact.summary, 'DELETE on users without WHERE (~5,000 rows)')
      assert.equal(wide.body.impact.facts.statements[0].estimated_rows, 5000)
      assert.deepEqual(wide.body.decision.matched_rules.sort(), ['big-writes', 'unscoped-writes'])
      // A WHERE that reads as scoped still reaches 4,000 rows: a policy can say so whatever the WHERE says.
      const scoped = await gw.call('POST', '/v1/decide', { as: 'deployBot', body: action('DELETE FROM users WHERE id > 1000') })
      assert.deepEqual(scoped.body.decision.matched_rules.sort(), ['big-writes', 'scoped-writes'])
      const small = await gw.call('POST', '/v1/decide', { as: 'deployBot', body: action('DELETE FROM users WHERE id = 7') })
      assert.deepEqual(small.body.decision.matched_rules, ['scoped-writes'])
      assert.deepEqual(await victims(), [1, 2, 3, 4, 5, 6])
    } finally {
      await gw.close()
      await connection.drop()
    }
  })
})

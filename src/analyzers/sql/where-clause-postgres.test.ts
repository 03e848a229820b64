import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { TEST_POSTGRES_URL } from '../../store/connection/index.js'
import type { Analyzer } from '../analyzer.js'
import { loadSqlAnalyzer, type SqlFacts } from './index.js'

// Conditions that look like a limit but keep every row on PostgreSQL: each is run in a
// rolled-back transaction to show it, and has_where must say there is no WHERE.
describe('has_where against PostgreSQL: expressions of the row and outer references are not limits', () => {
  const database = `cs_where_${randomBytes(5).toString('hex')}`
  let admin: pg.Client
  let db: pg.Client
  let sql: Analyzer<SqlFacts>
  before(async () => {
    sql = await loadSqlAnalyzer()
    admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${database}`)
    const url = new URL(TEST_POSTGRES_URL)
    url.pathname = `/${database}`
    db = new pg.Client({ connectionString: url.toString() })
    await db.connect()
    await db.query("CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, created timestamptz NOT NULL DEFAULT now()); INSERT INTO users VALUES (1, 'ada'), (2, 'bob'), (3, 'cy')")
    await db.query("CREATE TABLE flags (k int); INSERT INTO flags VALUES (1)")
  })
  after(async () => {
    await db.end()
    await admin.query(`DROP DATABASE IF EXISTS ${database}`)
    await admin.end()
  })

  const deleted = async (text: string): Promise<number> => {
    await db.query('BEGIN')
    try {
      return (await db.query(text)).rowCount ?? 0
    } finally {
      await db.query('ROLLBACK')
    }
  }
  const hasWhere = (text: string) => sql.analyze({ sql: text }).facts.statements[0]!.has_where

  const everyRow = [
    'WHERE id * 0 = 0', 'WHERE id - id = 0', 'WHERE nullif(id, id) IS NULL', 'WHERE (id IS NULL) IS FALSE', 'WHERE (id IS NULL) = false',
    'WHERE (id > 0 OR id <= 0) IS TRUE', 'WHERE greatest(id, 1) >= 1', "WHERE left(name, 0) = ''", "WHERE pg_typeof(id) = 'integer'::regtype",
    "WHERE concat(name, 'x') LIKE '%x'", 'WHERE -id < 1', 'WHERE id = 1 OR id * 0 = 0', 'WHERE id::bool = true', 'WHERE id >= 1', 'WHERE id > 0.5',
    'WHERE id BETWEEN 1 AND 2147483647', "WHERE name >= ''", "WHERE created > '-infinity'", "WHERE created < 'infinity'",
    'WHERE id IN (SELECT id FROM flags WHERE k = 1)', 'WHERE id = ANY (SELECT id FROM flags WHERE k = 1)',
  ]
  for (const where of everyRow) {
    it(`is false for DELETE … ${where}`, async () => {
      assert.equal(await deleted(`DELETE FROM users ${where}`), 3, 'PostgreSQL deletes every row')
      assert.equal(hasWhere(`DELETE FROM users ${where}`), false)
      assert.equal(hasWhere(`UPDATE users SET name = 'x' ${where}`), false)
    })
  }

  for (const source of ['users s', 'public.users s', '(SELECT id FROM users) s', '(SELECT generate_series(1, 3) AS id) s']) {
    it(`is false for MERGE … USING ${source} ON t.id = s.id (the source is every row)`, async () => {
      const text = `MERGE INTO users t USING ${source} ON t.id = s.id WHEN MATCHED THEN DELETE`
      assert.equal(await deleted(text), 3, 'PostgreSQL deletes every row')
      assert.equal(hasWhere(text), false)
    })
  }
  it('is true for MERGE with a staging table, a VALUES list or a limited query as source', () => {
    for (const source of ['flags s', '(VALUES (1)) s(id)', "(SELECT f.k AS id FROM flags f WHERE f.k = 1) s", '(SELECT 1 AS id) s']) {
      assert.equal(hasWhere(`MERGE INTO users t USING ${source} ON t.id = s.id WHEN MATCHED THEN DELETE`), true, source)
    }
  })

  for (const where of ["WHERE lower(name) = 'ada'", 'WHERE id::text = \'2\'', 'WHERE id IN (SELECT f.k FROM flags f WHERE f.k = 1)', 'WHERE id >= 2', "WHERE created < '2000-01-01'"]) {
    it(`is true for DELETE … ${where}`, () => {
      assert.equal(hasWhere(`DELETE FROM users ${where}`), true)
    })
  }
})

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import mysql2 from 'mysql2/promise'
import { analyzeMysql, loadMysqlParser } from './analyze-mysql.js'

const SERVER = process.env['COUNTERSIGN_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306'

const hasWhere = (text: string) => {
  const { facts } = analyzeMysql(text)
  assert.equal(facts.parse_error, '', text)
  assert.equal(facts.count, 1, text)
  return facts.statements[0]!.has_where
}

describe('MySQL has_where against MariaDB: a WHERE that keeps every row is no WHERE', () => {
  const database = `cs_where_${randomBytes(5).toString('hex')}`
  let db: mysql2.Connection
  before(async () => {
    await loadMysqlParser()
    db = await mysql2.createConnection({ uri: SERVER, multipleStatements: true })
    await db.query(`CREATE DATABASE ${database}; USE ${database}; SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'`)
    await db.query("CREATE TABLE users (id int PRIMARY KEY, name varchar(20), plan varchar(20)) ENGINE=InnoDB; INSERT INTO users VALUES (1, 'ada', 'free'), (2, 'bob', 'pro'), (3, 'cy', 'pro')")
    await db.query("CREATE TABLE bans (uid int, reason varchar(20)) ENGINE=InnoDB; INSERT INTO bans VALUES (1, 'spam')")
  })
  after(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${database}`)
    await db.end()
  })

  /** Rows the server deletes for `text`, in a rolled-back transaction. */
  const deleted = async (text: string): Promise<number> => {
    await db.query('START TRANSACTION')
    try {
      const [result] = await db.query(text)
      return (result as { affectedRows: number }).affectedRows
    } finally {
      await db.query('ROLLBACK')
    }
  }

  // Each deletes every row of users on MariaDB; the analysis must not call them scoped.
  const everyRow = [
    'WHERE id IS NOT NULL', 'WHERE NOT (id IS NULL)', 'WHERE id >= 0 OR id < 0', 'WHERE true IS TRUE', 'WHERE EXISTS (SELECT 1)',
    'WHERE id IN (SELECT uid FROM bans) OR 1', 'WHERE NOT 0', 'WHERE -1', 'WHERE 1=1 AND 1', "WHERE name LIKE '%'", 'WHERE id <=> id',
    'WHERE now()', 'WHERE ~0', 'WHERE id BETWEEN -2147483648 AND 2147483647', 'WHERE 1 IN (1)', 'WHERE @x IS NULL', 'WHERE id = id + 0',
    'WHERE id', 'WHERE name = 0', 'WHERE name = false', 'WHERE name < 1', 'WHERE NOT name', 'WHERE name IS FALSE', 'WHERE id >= 1', "WHERE id > 'abc'",
    'WHERE id * 0 = 0', "WHERE id IN (SELECT id FROM bans WHERE reason = 'spam')", 'WHERE id = 1 || 1', 'WHERE id = 4 XOR 1', 'WHERE id > 0.5', 'WHERE id IN (1) IS NOT TRUE OR id = 1',
  ]
  for (const where of everyRow) {
    it(`is false for DELETE … ${where}`, async () => {
      assert.equal(await deleted(`DELETE FROM users ${where}`), 3, 'the server deletes every row')
      assert.equal(hasWhere(`DELETE FROM users ${where}`), false)
      assert.equal(hasWhere(`UPDATE users SET plan = 'x' ${where}`), false)
    })
  }

  it('with several tables, needs a limit on a written table', async () => {
    const text = "DELETE u FROM users u JOIN bans b ON 1 WHERE b.reason = 'spam'"
    assert.equal(await deleted(text), 3)
    assert.equal(hasWhere(text), false)
    assert.equal(hasWhere("UPDATE users u JOIN bans b ON 1 SET u.plan = 'x' WHERE b.reason = 'spam'"), false)
    assert.equal(hasWhere('DELETE FROM u USING users u JOIN bans b WHERE b.uid = 1'), false)
    assert.equal(hasWhere('DELETE u FROM users u JOIN bans b ON 1 WHERE u.id = 3'), true)
    assert.equal(hasWhere("UPDATE users u JOIN bans b ON u.id = b.uid SET u.plan = 'x' WHERE u.id = 7"), true)
  })

  for (const where of ['WHERE id = 1', 'WHERE id IN (1, 2)', "WHERE name LIKE 'a%'", "WHERE id IN (SELECT b.uid FROM bans b WHERE reason = 'spam')", 'WHERE id > 2', "WHERE (id, name) = (1, 'ada')", 'WHERE id = 1 OR id = 2', 'WHERE id = ?', 'WHERE id IS NULL']) {
    it(`is true for DELETE … ${where}`, () => {
      assert.equal(hasWhere(`DELETE FROM users ${where}`), true)
    })
  }
})

describe('MySQL read-only functions against MariaDB: only names the server has built in', () => {
  const database = `cs_fn_${randomBytes(5).toString('hex')}`
  let db: mysql2.Connection
  before(async () => {
    await loadMysqlParser()
    db = await mysql2.createConnection({ uri: SERVER, multipleStatements: true })
    await db.query(`CREATE DATABASE ${database}; USE ${database}`)
    await db.query("CREATE TABLE users (id int PRIMARY KEY) ENGINE=InnoDB; INSERT INTO users VALUES (1), (2)")
  })
  after(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${database}`)
    await db.end()
  })

  it('never calls read-only a name MariaDB resolves to a stored function (REGEXP_LIKE, ANY_VALUE, MEMBER_OF… are MySQL-only)', async () => {
    for (const name of ['regexp_like', 'any_value', 'grouping', 'is_uuid', 'uuid_to_bin', 'bin_to_uuid', 'months_between', 'json_storage_size', 'member_of']) {
      await db.query(`CREATE FUNCTION ${name}(x int) RETURNS int MODIFIES SQL DATA BEGIN DELETE FROM users; RETURN 0; END`)
      try {
        await db.query('START TRANSACTION')
        await db.query(`SELECT ${name}(1)`)
        const [rows] = await db.query('SELECT count(*) AS n FROM users')
        await db.query('ROLLBACK')
        assert.equal((rows as { n: number }[])[0]!.n, 0, `${name}(1) ran the stored function on MariaDB`)
        assert.equal(analyzeMysql(`SELECT ${name}(1)`).facts.read_only, false, name)
      } finally {
        await db.query(`DROP FUNCTION ${name}`)
      }
    }
  })

  it('every allow-listed name called with no arguments is a built-in of this server, not a missing stored function', async () => {
    const source = (await import('node:fs')).readFileSync(new URL('./mysql-read-only-functions.ts', import.meta.url), 'utf8')
    const list = source.slice(source.indexOf('new Set(['), source.indexOf('])'))
    const names = [...list.matchAll(/'([a-z_0-9]+)'/g)].map((m) => m[1]!)
    assert.ok(names.length > 150, `${names.length} names`)
    for (const name of names) {
      const error = await db.query(`SELECT ${name}()`).then(() => undefined, (e: Error) => e.message)
      assert.doesNotMatch(error ?? '', /does not exist/, name)
    }
  })

  it('UUID_SHORT advances a server-wide counter, which a read-only transaction does not stop', () => {
    assert.equal(analyzeMysql('SELECT uuid_short()').facts.read_only, false)
  })
})

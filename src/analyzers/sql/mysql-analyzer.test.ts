import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import mysql2 from 'mysql2/promise'
import { analyzeMysql, loadMysqlParser } from './analyze-mysql.js'
import { splitMysql } from './mysql-lexer.js'

const SERVER = process.env['COUNTERSIGN_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306'

/** The MySQL corpus the parser was chosen on: `count` is the number of statements the server reads. */
interface CorpusEntry {
  readonly sql: string
  readonly count: number
  readonly types?: readonly string[]
  readonly read_only?: boolean
  readonly invalid?: boolean
  readonly hazard?: boolean
}
const corpus = JSON.parse(readFileSync(new URL('./fixtures/mysql-corpus.json', import.meta.url), 'utf8')) as CorpusEntry[]

before(loadMysqlParser)

describe('MySQL analysis on the corpus', () => {
  for (const entry of corpus) {
    it(`reads ${JSON.stringify(entry.sql)} as the server does, or not at all`, () => {
      const { facts } = analyzeMysql(entry.sql)
      if (entry.read_only === false || entry.invalid || entry.hazard) assert.equal(facts.read_only, false)
      if (facts.parse_error !== '') return assert.equal(facts.read_only, false)
      assert.ok(!entry.invalid && !entry.hazard, 'parsed text the server refuses or runs hidden code in')
      assert.equal(facts.count, entry.count)
      if (entry.types) assert.deepEqual(facts.statements.map((s) => s.type), entry.types)
    })
  }

  it('analyzes at most 1000 statements in one action, and no more', () => {
    assert.equal(analyzeMysql('SELECT 1;'.repeat(1000)).facts.count, 1000)
    assert.match(analyzeMysql('SELECT 1;'.repeat(1001)).facts.parse_error, /1001 statements; at most 1000/)
  })

  it('understands nearly all of the valid corpus', () => {
    const valid = corpus.filter((e) => !e.invalid && !e.hazard)
    const parsed = valid.filter((e) => analyzeMysql(e.sql).facts.parse_error === '')
    assert.ok(parsed.length / valid.length >= 0.8, `${parsed.length}/${valid.length}`)
  })
})

describe('MySQL analysis against MariaDB (differential)', () => {
  const database = `cs_diff_${randomBytes(5).toString('hex')}`
  let db: mysql2.Connection
  before(async () => {
    // The raw server split, as an agent with a receipt might send it: several statements in one request.
    db = await mysql2.createConnection({ uri: SERVER, multipleStatements: true })
    await db.query(`CREATE DATABASE ${database}; USE ${database}; SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'`)
    await db.query("CREATE TABLE users (id int PRIMARY KEY, name text, plan text) ENGINE=InnoDB; INSERT INTO users VALUES (1, 'ada', 'free'), (2, 'bob', 'pro')")
  })
  after(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${database}`)
    await db.end()
  })

  const checksum = async () => JSON.stringify((await db.query('SELECT * FROM users ORDER BY id'))[0])

  /** Generated texts: a read, something that may hide what follows, a write, something that may hide the rest. */
  function generated(): string[] {
    const heads = ['SELECT 1', 'SELECT id FROM users', "SELECT 'x'", 'SELECT `id` FROM `users`', 'SELECT @a', 'SELECT @$q$', 'SELECT $$', 'SELECT 1 AS `a;b`']
    const hiders = [' --1', ' --', ' -- ', '--\t', ' #', ' /* /* */', ' /* */', " '", ' "', " '\\'", ' "\\"', " '\\\\'", ' `', " x'", " N'", " _utf8'", ' @`', ' @"', "\\'", ' /**/', ' /*! ', ' /*M! ', '']
    const writes = ["UPDATE users SET plan = 'x' WHERE id > 0", 'DELETE FROM users WHERE id = 2', "INSERT INTO users VALUES (3, 'c', 'p')"]
    const tails = ['', " -- '", ' # "', ' */', " '", ' "', ' `', ' -- */']
    const texts: string[] = []
    for (const head of heads) for (const hider of hiders) for (const sep of [';', '\n;', ';\n']) for (const tail of tails) texts.push(`${head}${hider}${sep} ${writes[texts.length % writes.length]}${tail}`)
    return texts
  }

  it('never calls read-only a text the server runs a write from, and splits read-only texts as the server does', async (t) => {
    const texts = generated()
    let readOnly = 0
    for (const text of texts) {
      const { facts } = analyzeMysql(text)
      if (!facts.read_only) continue
      readOnly++
      const before = await checksum()
      await db.query('START TRANSACTION')
      let sets: unknown
      try {
        ;[sets] = await db.query(text)
      } catch {
        // The server refused it: nothing ran after the error.
      } finally {
        await db.query('ROLLBACK')
      }
      assert.equal(await checksum(), before, `read-only text changed data: ${JSON.stringify(text)}`)
      if (sets !== undefined) {
        const resultCount = facts.count === 1 ? 1 : (sets as unknown[]).length
        assert.equal(resultCount, facts.count, `statement count differs: ${JSON.stringify(text)}`)
        assert.equal(splitMysql(text).length, facts.count)
      }
    }
    assert.ok(texts.length > 3000, `${texts.length} texts`)
    // Some are read-only indeed: the write sits inside a string or comment for the server too.
    assert.ok(readOnly < texts.length / 2, `${readOnly} read-only`)
    t.diagnostic(`${texts.length} texts, ${readOnly} read-only, all unchanged on MariaDB`)
  })

  it('never takes `count (x)` as the built-in: with a space, MariaDB calls a stored function of that name', async () => {
    await db.query('CREATE FUNCTION `count`(x int) RETURNS int MODIFIES SQL DATA BEGIN DELETE FROM users WHERE id = x; RETURN 0; END')
    try {
      for (const text of ['SELECT count (2)', 'SELECT count/**/(2)', 'SELECT count\n(2) FROM users']) {
        const analysis = analyzeMysql(text)
        assert.equal(analysis.facts.read_only, false, text)
        assert.match(analysis.highlights.join(' '), /calls count with a space before "\("/)
      }
      assert.equal(analyzeMysql('SELECT count(2)').facts.read_only, true)
      // What the space means to the server: the stored function runs (here, in a rolled-back transaction).
      await db.query('START TRANSACTION')
      await db.query('SELECT count (2)')
      assert.equal(((await db.query('SELECT count(*) AS n FROM users'))[0] as { n: number }[])[0]!.n, 1)
      await db.query('ROLLBACK')
    } finally {
      await db.query('DROP FUNCTION `count`')
    }
  })

  it('runs each read-only statement of the corpus on MariaDB without changing anything', async () => {
    for (const entry of corpus) {
      const { facts } = analyzeMysql(entry.sql)
      if (!facts.read_only) continue
      const before = await checksum()
      await db.query('START TRANSACTION')
      await db.query(entry.sql).catch(() => undefined)
      await db.query('ROLLBACK')
      assert.equal(await checksum(), before, entry.sql)
    }
  })
})

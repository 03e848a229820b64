import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { Analyzer } from '../analyzer.js'
import { loadSqlAnalyzer, type SqlFacts } from './index.js'

let sql: Analyzer<SqlFacts>
before(async () => {
  sql = await loadSqlAnalyzer()
})

const hasWhere = (text: string) => {
  const statements = sql.analyze({ sql: text }).facts.statements
  assert.equal(statements.length, 1, text)
  return statements[0]!.has_where
}

describe('has_where reads only clearly restricting conditions as a WHERE', () => {
  // Each row: the condition of `DELETE FROM users …` and why it does not limit the rows.
  const unscoped: readonly [string, string][] = [
    ['WHERE id IS NOT NULL', 'IS NOT NULL holds for every row of a NOT NULL column'],
    ['WHERE NOT (id IS NULL)', 'the same, negated'],
    ['WHERE id IS DISTINCT FROM NULL', 'the same, spelled differently'],
    ['WHERE EXISTS (SELECT 1)', 'an uncorrelated EXISTS is all or nothing'],
    ['WHERE EXISTS (SELECT 1 FROM flags WHERE name = \'go\')', 'an uncorrelated EXISTS with its own WHERE is still all or nothing'],
    ['WHERE id IN (SELECT id FROM users)', 'the table itself'],
    ['WHERE id = ANY (SELECT id FROM users)', 'the table itself, with ANY'],
    ['WHERE id IN (SELECT id FROM users WHERE id IS NOT NULL)', 'the table itself, with a tautological inner WHERE'],
    ['WHERE true OR id = 1', 'an always-true OR branch'],
    ['WHERE id = 1 OR id IS NOT NULL', 'an OR with a non-restricting branch'],
    ['WHERE NOT false', 'NOT false'],
    ['WHERE 1 < 2', 'two numbers compared'],
    ['WHERE 2 = 2', 'two equal numbers'],
    ['WHERE 1 IN (1)', 'a constant in a list of constants'],
    ['WHERE id = id', 'a column compared with itself'],
    ['WHERE id = id + 0', 'a column compared with an expression of the row'],
    ['WHERE coalesce(id, 0) = coalesce(id, 0)', 'an expression compared with itself'],
    ['WHERE id <> 0', '<> keeps nearly every row'],
    ['WHERE id != -1', '!= keeps nearly every row'],
    ['WHERE id NOT IN (0)', 'NOT IN keeps nearly every row'],
    ['WHERE NOT (id = 1)', 'NOT of a comparison keeps nearly every row'],
    ['WHERE id > 0', 'an open lower bound every id meets'],
    ['WHERE id >= -1', 'a negative lower bound'],
    ['WHERE 0 < id', 'the same bound written the other way round'],
    ['WHERE id < 2147483647', 'the largest integer as upper bound'],
    ['WHERE id BETWEEN -1 AND 2147483647', 'a BETWEEN over every integer'],
    ["WHERE name LIKE '%'", 'a pattern of wildcards only'],
    ["WHERE name LIKE '_%'", 'wildcards only, matching every non-empty name'],
    ["WHERE name NOT LIKE 'x'", 'NOT LIKE keeps nearly every row'],
    ["WHERE name ~ ''", 'a regular expression'],
    ['WHERE id = (SELECT id)', 'a scalar subquery of the row itself'],
    ['WHERE (SELECT true)', 'a scalar subquery'],
    ['WHERE is_spam(id)', 'a function call, which may be true everywhere'],
    ["WHERE CASE WHEN id > 5 THEN true ELSE true END", 'a CASE expression'],
    ['WHERE true IS TRUE', 'a constant tested'],
    ["WHERE 't'::bool", 'a cast constant'],
    ['WHERE banned OR NOT banned', 'a flag or its negation'],
    ['WHERE banned IS TRUE OR banned IS NOT TRUE', 'a test or its negation'],
    ['WHERE id < 5 OR id >= 5', 'two ranges covering everything'],
    ['WHERE banned = true OR banned = false OR banned IS NULL', 'every value of a boolean'],
    ["WHERE banned = 't'::boolean OR banned = 'f'::bool", 'every value of a boolean, cast'],
    ['WHERE (banned AND true) OR (NOT banned AND true)', 'complementary branches behind AND'],
    ['WHERE id BETWEEN 1 AND 10 OR id NOT BETWEEN 1 AND 10', 'a BETWEEN or its negation'],
  ]
  for (const [where, why] of unscoped) {
    it(`is false for ${where} (${why})`, () => {
      assert.equal(hasWhere(`DELETE FROM users ${where}`), false)
      assert.equal(hasWhere(`UPDATE users SET plan = 'x' ${where}`), false)
      assert.equal(hasWhere(`WITH d AS (DELETE FROM users ${where} RETURNING *) SELECT * FROM d`), false)
    })
  }

  const scoped: readonly string[] = [
    'WHERE id = 42',
    'WHERE 42 = id',
    'WHERE id = $1',
    "WHERE lower(email) = 'ada@example.com'",
    'WHERE id IN (1, 2, 3)',
    "WHERE id = ANY ('{1,2}'::int[])",
    'WHERE deleted_at IS NULL',
    'WHERE banned',
    'WHERE NOT active',
    'WHERE banned IS TRUE',
    "WHERE created_at < now() - interval '30 days'",
    'WHERE id > 1000',
    'WHERE id BETWEEN 10 AND 20',
    "WHERE email LIKE '%@example.com'",
    "WHERE id IN (SELECT b.user_id FROM bans b WHERE reason = 'spam')",
    'WHERE id = 1 AND true',
    'WHERE id IS NOT NULL AND id = 7',
    'WHERE id = 1 OR id = 2',
    "WHERE id = '1'::int OR id = 2",
    "WHERE (id < 5 AND org = 1) OR (id >= 5 AND org = 1)",
    "WHERE email LIKE 'a%' OR deleted_at IS NULL",
    '(id, org) = (1, 2)'.replace(/^/, 'WHERE '),
    'WHERE CURRENT OF c',
  ]
  for (const where of scoped) {
    it(`is true for ${where}`, () => {
      assert.equal(hasWhere(`DELETE FROM users ${where}`), true)
    })
  }

  it('with USING or FROM, needs a limit on a column of the written table, named by its alias', () => {
    assert.equal(hasWhere("DELETE FROM sessions s USING users u WHERE u.name = 'x'"), false)
    assert.equal(hasWhere('DELETE FROM sessions s USING users u WHERE s.user_id = u.id AND u.banned'), false)
    assert.equal(hasWhere("DELETE FROM sessions s USING users u WHERE s.user_id = u.id AND s.kind = 'web'"), true)
    assert.equal(hasWhere("UPDATE orders SET total = 0 FROM customers c WHERE c.id = 3"), false)
    assert.equal(hasWhere("UPDATE orders SET total = 0 FROM customers c WHERE orders.customer_id = c.id AND orders.id = 3"), true)
  })

  it('for MERGE, needs the join condition to tie the target to the source, or to limit the target', () => {
    const merge = (on: string) => hasWhere(`MERGE INTO users t USING incoming s ON ${on} WHEN MATCHED THEN DELETE`)
    assert.equal(merge('t.id = s.id'), true)
    assert.equal(merge('s.id = t.id AND t.org = s.org'), true)
    assert.equal(merge('t.id = 5'), true)
    for (const on of ['true', '1 = 1', 't.id = t.id', 't.id IS NOT NULL', 't.id > 0', 's.id IS NOT NULL', 'id = id', 't.id = s.id OR true', 's.id = s.id']) {
      assert.equal(merge(on), false, on)
    }
    assert.equal(hasWhere('MERGE INTO users USING (SELECT 1 AS id) AS s ON users.id = s.id WHEN MATCHED THEN DELETE'), true)
  })

  it('says in the highlights that a WHERE does not clearly limit the rows', () => {
    const analysis = sql.analyze({ sql: 'DELETE FROM users WHERE id IS NOT NULL' })
    assert.equal(analysis.summary, 'DELETE on users without WHERE')
    assert.ok(analysis.highlights.includes('DELETE without WHERE on users (its WHERE does not clearly limit the rows)'), analysis.highlights.join('\n'))
  })
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertModeIndependent, MysqlSyntaxError, splitMysql } from './mysql-lexer.js'

const texts = (sql: string) => splitMysql(sql).map((s) => s.text)

describe('MySQL lexer: the statement split as the server reads it', () => {
  const cases: [string, string[]][] = [
    ['SELECT 1 --1; DROP DATABASE x', ['SELECT 1 --1', 'DROP DATABASE x']],
    ['SELECT 1--1;SELECT 2', ['SELECT 1--1', 'SELECT 2']],
    ['SELECT 1 -- ; DROP DATABASE x', ['SELECT 1']],
    ['SELECT 1 --\t; x\n; SELECT 2', ['SELECT 1', 'SELECT 2']],
    ['SELECT 1 --', ['SELECT 1']],
    ['SELECT 1 --\r; x\n', ['SELECT 1']],
    ["SELECT 1 # '\n; DELETE FROM t; -- '", ['SELECT 1', 'DELETE FROM t']],
    ['SELECT @$q$; DELETE FROM t; SELECT @$q$', ['SELECT @$q$', 'DELETE FROM t', 'SELECT @$q$']],
    ['SELECT $$; DELETE FROM t; SELECT $$', ['SELECT $$', 'DELETE FROM t', 'SELECT $$']],
    ["SELECT 'a;b', \"c;d\", `e;f`, 'it''s', `a``b`", ["SELECT 'a;b', \"c;d\", `e;f`, 'it''s', `a``b`"]],
    ["SELECT 'a\\\\'; DELETE FROM t", ["SELECT 'a\\\\'", 'DELETE FROM t']],
    ["SELECT @'a;b', @\"c;d\", @`e;f`, @@session.sql_mode", ["SELECT @'a;b', @\"c;d\", @`e;f`, @@session.sql_mode"]],
    ["SELECT x'41', X'', b'01', B'1', 0x41, _utf8mb4'a;', N'b;'", ["SELECT x'41', X'', b'01', B'1', 0x41, _utf8mb4'a;', N'b;'"]],
    ['SELECT 1 /* ; */ ; /* only a comment */ ; SELECT /* a */ 2 ;;', ['SELECT 1', 'SELECT /* a */ 2']],
    ['SELECT 1e--\n; SELECT 2', ['SELECT 1e', 'SELECT 2']],
  ]
  for (const [sql, expected] of cases) {
    it(`splits ${JSON.stringify(sql)}`, () => assert.deepEqual(texts(sql), expected))
  }

  const refused: [string, RegExp][] = [
    ['SELECT 1; /*! DELETE FROM t */', /executable comment/],
    ['SELECT 1 /*!50000 , 2 */', /executable comment/],
    ['SELECT 1; /*M!100000 DELETE FROM t */', /executable comment/],
    ['SELECT /*+ BKA(t) */ 1', /optimizer hint/],
    ['SELECT 1 /* /* */ ; DELETE FROM t; -- */', /comments do not nest/],
    ['SELECT 1 /* open', /unterminated comment/],
    ["SELECT 'open", /unterminated ' quote/],
    ['SELECT `open', /unterminated ` quote/],
    ['SELECT 1 \\G', /backslash outside quotes/],
    ['SELECT \\N', /backslash outside quotes/],
    ["SELECT x'4G'", /malformed x'…' literal/],
    ["SELECT b'012'", /malformed b'…' literal/],
    ["SELECT x'\\'; DELETE FROM t; -- '", /malformed x'…' literal/],
    ['SELECT 1 --\u0001; DELETE FROM t', /control character U\+0001/],
    ['SELECT 1\u000b; DELETE', /control character U\+000b/],
    ['SELECT 1\0; DELETE FROM t', /control character U\+0000/],
  ]
  for (const [sql, message] of refused) {
    it(`refuses ${JSON.stringify(sql)}`, () => assert.throws(() => splitMysql(sql), (error: unknown) => error instanceof MysqlSyntaxError && message.test(error.message)))
  }
})

describe('MySQL lexer: text that reads the same in every sql_mode', () => {
  it('accepts strings whose end does not depend on backslash escapes', () => {
    for (const sql of ["SELECT 'it''s'", "SELECT 'a\\\\b'", 'SELECT "x" FROM t', "SELECT 'a\\\\'; SELECT 2"]) assertModeIndependent(sql)
  })
  it('refuses strings that end elsewhere under NO_BACKSLASH_ESCAPES or ANSI_QUOTES', () => {
    for (const sql of ["SELECT 'a\\'; DELETE FROM t; -- '", 'SELECT "a\\"; DELETE FROM t; -- "', "SELECT 'it\\'s'", "SELECT @'a\\'; DELETE FROM t; -- '"]) {
      assert.throws(() => assertModeIndependent(sql), MysqlSyntaxError, sql)
    }
  })
})

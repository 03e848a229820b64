import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { redactConnectionString, redactPassword, withDatabase } from './connection-string.js'

describe('redacting connection strings', () => {
  const table = [
    { url: 'postgres://app:s3cret@db.internal:5432/countersign', redacted: 'postgres://app:***@db.internal:5432/countersign' },
    { url: 'postgresql://app:p%40ss@db/cs?sslmode=require', redacted: 'postgresql://app:***@db/cs?sslmode=require' },
    { url: 'postgres://app:p@ss@db/cs', redacted: 'postgres://app:***@db/cs' },
    { url: 'postgres://app:s3cr/et@127.0.0.1:5999/db', redacted: 'postgres://app:***@127.0.0.1:5999/db' },
    { url: 'postgres://app:a/b@c@db/cs', redacted: 'postgres://app:***@db/cs' },
    { url: 'postgres://app:@db/cs', redacted: 'postgres://app:***@db/cs' },
    { url: 'postgres://app@db/cs', redacted: 'postgres://app@db/cs' },
    { url: 'postgres://db/cs?user=app&password=s3cret&sslmode=require', redacted: 'postgres://db/cs?user=app&password=***&sslmode=require' },
    { url: 'postgres://db/cs?PASSWORD=s3cret', redacted: 'postgres://db/cs?PASSWORD=***' },
    { url: 'host=db user=app password=s3cret dbname=cs', redacted: 'host=db user=app password=*** dbname=cs' },
    { url: 'password=s3cret host=db', redacted: 'password=*** host=db' },
    { url: 'postgres://app:s3cret@[::1', redacted: 'postgres://app:***@[::1' },
  ] as const

  for (const { url, redacted } of table) {
    it(`shows ${url} as ${redacted}`, () => {
      assert.equal(redactConnectionString(url), redacted)
    })
  }

  it("removes the URL's password from any text", () => {
    assert.equal(redactPassword('auth for p@ss failed', 'postgres://app:p%40ss@db/cs'), 'auth for *** failed')
    assert.equal(redactPassword('s3cret leaked', 'postgres://db/cs?password=s3cret'), '*** leaked')
    assert.equal(redactPassword('nothing to hide', 'postgres://app@db/cs'), 'nothing to hide')
  })

  it('points a connection string at another database, keeping the rest', () => {
    assert.equal(withDatabase('postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable', 'cs_test_1'), 'postgres://postgres@127.0.0.1:5432/cs_test_1?sslmode=disable')
  })
})

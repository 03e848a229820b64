import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testGateway, type TestGateway } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'

// The test policy allows provably read-only SQL at once.
describe('SQL bound for a MySQL target', () => {
  let gw: TestGateway
  let drop: () => Promise<void>
  before(async () => {
    const connection = await testStores()[0]!.open()
    drop = connection.drop
    gw = await testGateway(connection, { targets: [{ name: 'shop-db', kind: 'sql', labels: { env: 'prod' }, connector: { type: 'mysql', url: 'env:SHOP_DB_URL' } }] })
  })
  after(async () => {
    await gw.close()
    await drop()
  })
  const submit = async (sql: string, target = 'shop-db') => (await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target, payload: { sql } } })).body

  const hidden = [
    "SELECT 1 # '\n; DELETE FROM accounts; -- '",
    'SELECT 1; /*! DELETE FROM accounts */',
    'SELECT 1; /*M!100000 DELETE FROM accounts */',
    "SELECT 'a\\'; DELETE FROM accounts; -- '",
  ]
  for (const sql of hidden) {
    it(`never takes MySQL-only syntax as read-only: ${JSON.stringify(sql)}`, async () => {
      const action = await submit(sql)
      assert.equal(action.status, 'pending')
      assert.equal(action.impact.facts.read_only, false)
      assert.match(action.impact.facts.parse_error, /MySQL-only syntax/)
    })
  }

  it('still allows plain read-only SQL on a MySQL target, and reads the same text on a PostgreSQL target as before', async () => {
    assert.equal((await submit('SELECT id FROM accounts WHERE id = 1')).status, 'allowed')
    assert.equal((await submit('SELECT 1; /*! DELETE FROM accounts */', 'prod-db')).impact.facts.parse_error, '')
  })
})

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { inspect } from 'node:util'
import { sql } from 'kysely'
import { testStores, type TestStore } from './index.js'

// What each column type reads as, identical on both stores (the point of value-types.ts).
const READS = [
  { type: 'int8', sql: sql`9007199254740991::int8`, value: Number.MAX_SAFE_INTEGER },
  { type: 'count(*)', sql: sql`(select count(*) from generate_series(1, 3))`, value: 3 },
  { type: 'int4', sql: sql`42::int4`, value: 42 },
  { type: 'float8', sql: sql`1.5::float8`, value: 1.5 },
  { type: 'numeric', sql: sql`'1.50'::numeric`, value: '1.50' },
  { type: 'bool', sql: sql`true`, value: true },
  { type: 'text', sql: sql`'héllo'::text`, value: 'héllo' },
  { type: 'uuid', sql: sql`'8a6b7a0e-3e0c-4f5e-9d1a-0b6c2d9e4f10'::uuid`, value: '8a6b7a0e-3e0c-4f5e-9d1a-0b6c2d9e4f10' },
  { type: 'date', sql: sql`'2024-01-02'::date`, value: '2024-01-02' },
  { type: 'timestamptz', sql: sql`'2024-01-02 03:04:05.678+02'::timestamptz`, value: new Date('2024-01-02T01:04:05.678Z') },
  { type: 'timestamptz infinity', sql: sql`'infinity'::timestamptz`, value: Infinity },
  { type: 'interval', sql: sql`'1 day 02:00:00'::interval`, value: '1 day 02:00:00' },
  { type: 'jsonb', sql: sql`'{"a":[1,{"b":null}],"c":"d"}'::jsonb`, value: { a: [1, { b: null }], c: 'd' } },
  { type: 'json', sql: sql`'[1,"x"]'::json`, value: [1, 'x'] },
  { type: 'bytea', sql: sql`'\\x00ff10'::bytea`, value: Buffer.from([0, 255, 16]) },
  { type: 'text[]', sql: sql`array['a', null, 'b "q"', 'c,d', '']::text[]`, value: ['a', null, 'b "q"', 'c,d', ''] },
  { type: 'int8[]', sql: sql`array[1, 2]::int8[]`, value: [1, 2] },
  { type: 'int4[]', sql: sql`array[1, 2]::int4[]`, value: [1, 2] },
  { type: 'numeric[]', sql: sql`array[1.5, 2]::numeric[]`, value: ['1.5', '2'] },
  { type: 'timestamptz[]', sql: sql`array['2024-01-02T00:00:00Z'::timestamptz]`, value: [new Date('2024-01-02T00:00:00Z')] },
  { type: 'jsonb[]', sql: sql`array['{"a":1}'::jsonb]`, value: [{ a: 1 }] },
  { type: 'null', sql: sql`null::int8`, value: null },
] as const

for (const store of testStores()) {
  describe(`column values on ${store.name}`, () => {
    let connection: TestStore
    before(async () => {
      connection = await store.open()
    })
    after(() => connection.drop())

    for (const read of READS) {
      it(`reads ${read.type} as ${inspect(read.value, { breakLength: Infinity })}`, async () => {
        const { rows } = await sql<{ value: unknown }>`select ${read.sql} as value`.execute(connection.db)
        assert.deepEqual(rows[0]?.value, read.value)
      })
    }

    it('refuses an int8 beyond 2^53 rather than rounding it', async () => {
      await assert.rejects(sql`select 9007199254740993::int8 as value`.execute(connection.db), /outside the range/)
      // The connection is still usable afterwards.
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(connection.db)
      assert.equal(rows[0]?.one, 1)
    })

    it('round-trips parameters into typed columns and back', async () => {
      await sql`create table value_round_trip (
        n int8, t timestamptz, d date, j jsonb, a text[], b bytea, x numeric
      )`.execute(connection.db)
      const row = {
        n: 1234567890123,
        t: new Date('2024-05-06T07:08:09.123Z'),
        d: '2024-05-06',
        j: { nested: ['list', 1, true, null] },
        a: ['x', 'y z', 'q"uote'],
        b: Buffer.from('bytes'),
        x: '12.340',
      }
      await sql`insert into value_round_trip values (
        ${row.n}, ${row.t}, ${row.d}, ${JSON.stringify(row.j)}, ${row.a}, ${row.b}, ${row.x}
      )`.execute(connection.db)
      const { rows } = await sql`select * from value_round_trip`.execute(connection.db)
      assert.deepEqual(rows, [row])
    })
  })
}

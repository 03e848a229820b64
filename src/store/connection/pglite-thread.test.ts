import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { PGliteThread } from './pglite-thread.js'
import { PREPARE_MARK } from './store-connection.js'

describe('PGlite in its worker thread', () => {
  let dir: string
  let pglite: PGliteThread
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cs-pglite-thread-'))
    pglite = await PGliteThread.open(join(dir, 'pgdata'))
  })
  after(async () => {
    await pglite.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('answers queries with the store’s values: int8 as a number, bytea as a Buffer, timestamptz as a Date', async () => {
    const result = await pglite.query<{ n: number; b: Buffer; t: Date }>("select 42::int8 as n, '\\x0102'::bytea as b, '2026-12-07T10:00:00Z'::timestamptz as t")
    const row = result.rows[0]!
    assert.equal(row.n, 42)
    assert.ok(Buffer.isBuffer(row.b))
    assert.deepEqual([...row.b], [1, 2])
    assert.equal(row.t.toISOString(), '2026-12-07T10:00:00.000Z')
    const [created, inserted] = await pglite.exec('create table t (id int primary key); insert into t values (1), (2)')
    assert.equal(created?.rows.length, 0)
    assert.equal(inserted?.affectedRows, 2)
  })

  it('runs with the memory sized for a gateway and PostgreSQL’s commit durability', async () => {
    const show = async (name: string) => Object.values((await pglite.query<Record<string, string>>(`show ${name}`)).rows[0]!)[0]
    assert.equal(await show('shared_buffers'), '16MB')
    assert.equal(await show('maintenance_work_mem'), '16MB')
    assert.equal(await show('work_mem'), '4MB')
    // A commit's WAL is written before it returns (see openEmbedded on what survives what).
    assert.equal(await show('synchronous_commit'), 'on')
    assert.equal(await show('full_page_writes'), 'on')
  })

  it('rejects with PostgreSQL’s error, its code kept', async () => {
    await assert.rejects(pglite.query('insert into t values ($1)', [1]), (error: Error & { code?: string }) => {
      assert.equal(error.code, '23505')
      assert.match(error.message, /duplicate key/)
      return true
    })
  })

  it('answers a statement marked to be prepared as it answers any, its errors included', async () => {
    await pglite.exec('create table p (id int8 primary key, body text not null, at timestamptz not null, data bytea)')
    const insert = `${PREPARE_MARK} insert into p select r.id, r.body, r.at, $2::bytea from json_populate_recordset(null::p, $1) r returning id, body, at, data, $3::int8 as n`
    const plain = insert.slice(PREPARE_MARK.length)
    const rows = (from: number) => JSON.stringify([{ id: from, body: 'é "q" \\ 😀', at: '2026-12-07T10:00:00.000Z' }, { id: from + 1, body: 'b', at: '2026-12-07T10:00:01.000Z' }])
    // Several calls: the statement is parsed once and then executed by name, with new values each time.
    for (const from of [1, 3, 5, 7, 9, 11, 13]) {
      const marked = await pglite.query<{ id: number; body: string; at: Date; data: Buffer; n: number }>(insert, [rows(from), Buffer.from([from]), from])
      const expected = await pglite.query<{ id: number; body: string; at: Date; data: Buffer; n: number }>(plain, [rows(from + 100), Buffer.from([from]), from])
      assert.deepEqual(
        marked.rows.map((row) => ({ ...row, id: row.id + 100 })),
        expected.rows,
      )
      assert.equal(marked.rows[0]!.at.toISOString(), '2026-12-07T10:00:00.000Z')
      assert.ok(Buffer.isBuffer(marked.rows[0]!.data))
      assert.equal(marked.affectedRows, 2)
    }
    const kept = await pglite.query<{ statement: string }>('select statement from pg_prepared_statements where not from_sql')
    assert.deepEqual(kept.rows.map((row) => row.statement), [insert], 'prepared once, by name')
    // An error (a duplicate key) rejects with PostgreSQL's code, and the next call still works.
    await assert.rejects(pglite.query(insert, [rows(1), null, 0]), (error: Error & { code?: string }) => error.code === '23505')
    assert.deepEqual((await pglite.query<{ id: number }>(insert, [rows(21), null, 0])).rows.map((row) => row.id), [21, 22])
    // A marked statement that does not parse is refused, and is not kept.
    const broken = `${PREPARE_MARK} selec $1::int`
    for (let attempt = 0; attempt < 2; attempt++) await assert.rejects(pglite.query(broken, [1]), (error: Error & { code?: string }) => error.code === '42601')
    assert.equal((await pglite.query<{ one: number }>(`${PREPARE_MARK} select $1::int as one`, [1])).rows[0]!.one, 1)
  })

  it('delivers notifications to every listener of a channel until it unlistens', async () => {
    const heard: string[] = []
    const one = (payload: string) => heard.push(`one:${payload}`)
    const two = (payload: string) => heard.push(`two:${payload}`)
    await pglite.listen('"chan"', one)
    await pglite.listen('"chan"', two)
    const both = new Promise<void>((resolve) => pglite.listen('"chan"', () => resolve()))
    await pglite.query("select pg_notify('chan', 'a')")
    await both
    assert.deepEqual(heard.sort(), ['one:a', 'two:a'])
    await pglite.unlisten('"chan"', one)
    await pglite.query("select pg_notify('chan', 'b')")
    // The notification is delivered with the query's answer or before it: the next round trip is after it.
    await pglite.query('select 1')
    assert.deepEqual(heard.sort(), ['one:a', 'two:a', 'two:b'])
  })

  it('refuses every call once closed', async () => {
    const other = await PGliteThread.open(join(dir, 'other'))
    await other.close()
    assert.equal(other.closed, true)
    await assert.rejects(other.query('select 1'), /closed/)
  })
})

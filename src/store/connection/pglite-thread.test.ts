import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { PGliteThread } from './pglite-thread.js'

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

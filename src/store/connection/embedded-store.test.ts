import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { CountersignError } from '../../errors/index.js'
import { LOCK_FILE_NAME, openEmbedded } from './index.js'
import { CONNECTION_MODULE, finished, printed, spawnScript } from './test-support.js'

describe('the embedded store in a data directory', () => {
  let root: string
  let dataDir: string
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cs-embedded-'))
    dataDir = join(root, 'nested', 'data')
  })
  after(() => rm(root, { recursive: true, force: true }))

  it('keeps committed rows when its process is SIGKILLed right after COMMIT, and takes over its lock', { timeout: 120_000 }, async () => {
    const child = spawnScript(`
      import { sql } from 'kysely'
      import { openEmbedded } from ${JSON.stringify(CONNECTION_MODULE)}
      const store = await openEmbedded({ dataDir: ${JSON.stringify(dataDir)} })
      await sql\`create table durable (id int primary key, note text)\`.execute(store.db)
      await store.db.transaction().execute(async (trx) => {
        await sql\`insert into durable select g, 'row ' || g from generate_series(1, 100) g\`.execute(trx)
      })
      await sql\`insert into durable values (101, 'autocommit')\`.execute(store.db)
      console.log('committed')
      setInterval(() => {}, 60_000) // stay up until killed
    `)
    const exited = finished(child)
    await printed(child, 'committed')
    child.kill('SIGKILL')
    assert.equal((await exited).signal, 'SIGKILL')
    // The killed process's lock is still there, naming a dead pid.
    assert.equal((JSON.parse(await readFile(join(dataDir, LOCK_FILE_NAME), 'utf8')) as { pid: number }).pid, child.pid)

    const store = await openEmbedded({ dataDir })
    try {
      const { rows } = await sql<{ count: number; last: string }>`
        select count(*) as count, max(note) filter (where id = 101) as last from durable`.execute(store.db)
      assert.deepEqual(rows, [{ count: 101, last: 'autocommit' }])
    } finally {
      await store.close()
    }
  })

  it('created the data directory and pgdata readable by its owner only', async () => {
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700)
    assert.equal((await stat(join(dataDir, 'pgdata'))).mode & 0o777, 0o700)
  })

  it('refuses a second open of an open data directory and allows it after close', { timeout: 60_000 }, async () => {
    const first = await openEmbedded({ dataDir })
    await assert.rejects(openEmbedded({ dataDir }), (error: unknown) => error instanceof CountersignError && error.code === 'CONFLICT')
    await first.close()
    await first.close()
    await assert.rejects(readFile(join(dataDir, LOCK_FILE_NAME)), { code: 'ENOENT' })
    const second = await openEmbedded({ dataDir })
    await second.close()
  })

  it('lets its process exit once closed, even if it ran no query', { timeout: 60_000 }, async () => {
    const child = spawnScript(`
      import { openEmbedded } from ${JSON.stringify(CONNECTION_MODULE)}
      const store = await openEmbedded({ dataDir: ${JSON.stringify(dataDir)} })
      await store.close()
      console.log('closed')
    `)
    const { code, stdout, stderr } = await finished(child)
    assert.equal(stderr, '')
    assert.deepEqual([code, stdout], [0, 'closed\n'])
  })
})

import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CountersignError } from '../../errors/index.js'
import { acquireDataDirLock, LOCK_FILE_NAME } from './data-dir-lock.js'
import { CONNECTION_MODULE, deadPid, finished, spawnScript } from './test-support.js'

const inUseMessage = (dir: string, pid: number): string =>
  `the data directory ${dir} is in use by another Countersign process (pid ${pid}); stop it or use another --config/data_dir`

describe('the data directory lock', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cs-lock-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it("takes the lock with this process's pid and removes it on release", async () => {
    const lock = await acquireDataDirLock(dir)
    assert.equal(lock.path, join(dir, LOCK_FILE_NAME))
    const content = JSON.parse(await readFile(lock.path, 'utf8')) as { pid: number; started_at: string }
    assert.equal(content.pid, process.pid)
    assert.ok(!Number.isNaN(Date.parse(content.started_at)))
    await lock.release()
    await lock.release()
    await assert.rejects(readFile(lock.path), { code: 'ENOENT' })
  })

  it('refuses a second lock while the first is held, naming the directory and the pid', async () => {
    const lock = await acquireDataDirLock(dir)
    try {
      await assert.rejects(acquireDataDirLock(dir), (error: unknown) => {
        assert.ok(error instanceof CountersignError)
        assert.equal(error.code, 'CONFLICT')
        assert.equal(error.message, inUseMessage(dir, process.pid))
        return true
      })
    } finally {
      await lock.release()
    }
  })

  it('refuses another process that opens the same data directory', async () => {
    const lock = await acquireDataDirLock(dir)
    try {
      const child = spawnScript(`
        import { openEmbedded } from ${JSON.stringify(CONNECTION_MODULE)}
        try {
          await openEmbedded({ dataDir: ${JSON.stringify(dir)} })
          console.log('opened')
        } catch (error) {
          console.error(error.code + ': ' + error.message)
        }
        process.exit(0)
      `)
      const { stdout, stderr } = await finished(child)
      assert.equal(stdout, '')
      assert.equal(stderr.trim(), `CONFLICT: ${inUseMessage(dir, process.pid)}`)
    } finally {
      await lock.release()
    }
  })

  it('takes over a lock left by a process that died', async () => {
    const path = join(dir, LOCK_FILE_NAME)
    await writeFile(path, JSON.stringify({ pid: await deadPid(), started_at: new Date().toISOString() }))
    const lock = await acquireDataDirLock(dir)
    assert.equal((JSON.parse(await readFile(path, 'utf8')) as { pid: number }).pid, process.pid)
    await lock.release()
  })

  it('takes over a lock file that holds no pid', async () => {
    await writeFile(join(dir, LOCK_FILE_NAME), 'not json')
    const lock = await acquireDataDirLock(dir)
    await lock.release()
  })

  it('leaves alone, on release, a lock that is no longer its own', async () => {
    const lock = await acquireDataDirLock(dir)
    const theirs = JSON.stringify({ pid: process.pid, started_at: 'someone else' })
    await writeFile(lock.path, theirs)
    await lock.release()
    assert.equal(await readFile(lock.path, 'utf8'), theirs)
    await rm(lock.path)
  })
})

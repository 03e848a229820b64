import { randomBytes } from 'node:crypto'
import { link, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CountersignError } from '../../errors/index.js'

/** The lock file's name inside the data directory. */
export const LOCK_FILE_NAME = 'countersign.lock'

/** A held data directory lock. */
export interface DataDirLock {
  /** Absolute path of the lock file. */
  readonly path: string
  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): Promise<void>
}

/**
 * Takes the embedded store's exclusive lock on `dataDir` (an absolute path): a lock file holding
 * this process's pid. A lock whose pid is alive (this process included) is refused with
 * `CONFLICT`; one whose pid is dead was left by a crash or SIGKILL and is taken over.
 */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE_NAME)
  const content = `${JSON.stringify({ pid: process.pid, started_at: new Date().toISOString() })}\n`
  // Written aside and hard-linked into place, so the lock file appears atomically with its
  // content: a reader never sees an empty lock it would mistake for a stale one.
  const staging = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`
  await writeFile(staging, content, { mode: 0o600 })
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(staging, path)
        return { path, release: () => removeIfOurs(path, content) }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const holder = await readHolderPid(path)
      if (holder !== undefined && isAlive(holder)) throw inUse(dataDir, holder)
      await rm(path, { force: true })
    }
    throw inUse(dataDir, await readHolderPid(path))
  } finally {
    await rm(staging, { force: true })
  }
}

async function readHolderPid(path: string): Promise<number | undefined> {
  try {
    const { pid } = JSON.parse(await readFile(path, 'utf8')) as { pid?: unknown }
    return Number.isSafeInteger(pid) && (pid as number) > 0 ? (pid as number) : undefined
  } catch {
    return undefined // vanished or unreadable: nobody live holds it
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function removeIfOurs(path: string, content: string): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => undefined)
  if (current === content) await rm(path, { force: true })
}

function inUse(dataDir: string, pid: number | undefined): CountersignError {
  return new CountersignError(
    'CONFLICT',
    `the data directory ${dataDir} is in use by another Countersign process (pid ${pid ?? 'unknown'}); stop it or use another --config/data_dir`,
  )
}

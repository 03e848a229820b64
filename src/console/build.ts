import { closeSync, existsSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** The console's sources (`console/`), from `src/console` and `dist/console` alike. */
export const CONSOLE_DIR = resolve(import.meta.dirname, '../../console')
/** Where its built assets are served from. */
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist')

/** A build lock older than this was left by a process that died. */
const STALE_LOCK_MS = 5 * 60_000

/**
 * Builds the console with Vite when its assets are missing or older than its sources, and says
 * what it did. An installation without the sources serves what was built (or explains that
 * nothing was). One process builds at a time (a lock file); the build goes to a directory of
 * its own and replaces `dist` by renames, so a gateway serving meanwhile never sees half a build.
 *
 * @example
 * await ensureConsoleBuilt() // 'built' on the first `npm start`, 'fresh' after
 */
export async function ensureConsoleBuilt(options: { readonly dir?: string; readonly force?: boolean; readonly onBuild?: () => void } = {}): Promise<'fresh' | 'built' | 'no-sources'> {
  const dir = options.dir ?? CONSOLE_DIR
  if (!existsSync(join(dir, 'index.html'))) return 'no-sources'
  if (!options.force && isFresh(dir)) return 'fresh'
  const lock = join(dir, '.building')
  while (!take(lock)) {
    await sleep(250)
    // Another process was building: its result will do.
    if (!existsSync(lock) && !options.force && isFresh(dir)) return 'fresh'
  }
  try {
    if (!options.force && isFresh(dir)) return 'fresh'
    options.onBuild?.()
    await build(dir)
    return 'built'
  } finally {
    rmSync(lock, { force: true })
  }
}

async function build(dir: string): Promise<void> {
  // Loaded only here: serving never needs the bundler.
  const vite = await import('vite')
  const dist = join(dir, 'dist')
  const out = join(dir, `.dist-${process.pid}`)
  const old = join(dir, `.dist-old-${process.pid}`)
  try {
    await vite.build({ root: dir, configFile: join(dir, 'vite.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } })
    if (existsSync(dist)) renameSync(dist, old)
    renameSync(out, dist)
  } finally {
    rmSync(out, { recursive: true, force: true })
    rmSync(old, { recursive: true, force: true })
  }
}

function take(lock: string): boolean {
  try {
    closeSync(openSync(lock, 'wx'))
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { force: true })
    } catch {
      // Gone meanwhile: the next try takes it.
    }
    return false
  }
}

function isFresh(dir: string): boolean {
  const index = join(dir, 'dist', 'index.html')
  return existsSync(index) && newestSource(dir) <= statSync(index).mtimeMs
}

/** The latest modification time among the console's sources. */
function newestSource(dir: string): number {
  let newest = 0
  const visit = (path: string): void => {
    const stat = statSync(path)
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry))
    else newest = Math.max(newest, stat.mtimeMs)
  }
  // The console shows payloads through the gateway's own escapeInvisible: a change there is a change of the console.
  for (const entry of ['index.html', 'vite.config.ts', 'tsconfig.json', 'src', 'public', '../src/action/escape-invisible.ts']) if (existsSync(join(dir, entry))) visit(join(dir, entry))
  return newest
}

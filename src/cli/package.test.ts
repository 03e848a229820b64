// The package as users get it: `npm pack` (which builds dist/ on prepack), installed from the
// tarball into an empty project without the network, then run from there. Slow (a full build and
// an install): one pack and one install shared by every case.
import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'

const ROOT = resolve(import.meta.dirname, '../..')
const run = promisify(execFile)
const started = performance.now()

/**
 * The installing project's lockfile: the tarball, and the package's runtime dependencies pinned as
 * this repository's lockfile pins them (with their integrity), so that npm installs them from its
 * cache and asks no registry for metadata.
 */
function lockfileFor(tarball: string): unknown {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> }
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { countersign: `file:${tarball}` } },
    'node_modules/countersign': { version: manifest['version'], resolved: `file:${tarball}`, license: manifest['license'], dependencies: manifest['dependencies'], bin: manifest['bin'], engines: manifest['engines'] },
  }
  for (const [path, entry] of Object.entries(lock.packages)) if (path.startsWith('node_modules/') && !entry.dev) packages[path] = entry
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages }
}

function waitForServing(child: ChildProcess): Promise<string> {
  let output = ''
  return new Promise((done, fail) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /"url":"(http:[^"]+)".*"msg":"countersign is serving"/.exec(output)
      if (match) done(match[1]!)
    })
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', (code) => fail(new Error(`countersign serve exited (${code}) before serving:\n${output}`)))
  })
}

describe('the package, installed from its tarball', { timeout: 20 * 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-package-'))
  const project = join(dir, 'consumer')
  const installed = join(project, 'node_modules/countersign')
  let gateway: ChildProcess
  let url: string
  let agentToken: string

  before(async () => {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })
    const tarball = (JSON.parse(stdout) as { filename: string }[])[0]!.filename
    mkdirSync(project)
    copyFileSync(join(dir, tarball), join(project, tarball))
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { countersign: `file:${tarball}` } }))
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify(lockfileFor(tarball)))
    // Offline: everything comes from npm's cache. No install scripts: none is needed (the package's
    // parsers are WebAssembly), and a native build would want the network.
    await run('npm', ['ci', '--offline', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project, maxBuffer: 64 * 1024 * 1024 })

    const work = join(dir, 'quickstart')
    mkdirSync(work)
    gateway = spawn(process.execPath, [join(project, 'node_modules/.bin/countersign'), 'serve', '--port', '0'], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COUNTERSIGN_CONFIG: '' } })
    url = await waitForServing(gateway)
    agentToken = (JSON.parse(readFileSync(join(work, '.countersign/quickstart-tokens.json'), 'utf8')) as { agent: string }).agent
  })

  after(async () => {
    if (gateway && gateway.exitCode === null) {
      const exited = new Promise((done) => gateway.once('exit', done))
      gateway.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
    console.log(`# the package test took ${((performance.now() - started) / 1000).toFixed(0)} s (pack, install, cases)`)
  })

  it('ships the build and no sources or tests', () => {
    for (const file of ['dist/cli/main.js', 'dist/sdk/index.js', 'dist/sdk/index.d.ts', 'dist/countersign-agent.mjs', 'console/dist/index.html', 'examples/policy.yaml']) {
      assert.ok(existsSync(join(installed, file)), `${file} is in the package`)
    }
    for (const file of ['src', 'dist/cli/package.test.js', 'dist/server/test-gateway.js']) assert.ok(!existsSync(join(installed, file)), `${file} is not in the package`)
  })

  it('serves the built web console, not the "not built" page', async () => {
    const page = await fetch(`${url}/`)
    assert.equal(page.status, 200)
    const html = await page.text()
    assert.doesNotMatch(html, /not built/)
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    assert.ok(script, 'the page loads the app\'s script')
    const asset = await fetch(url + script)
    assert.equal(asset.status, 200)
    assert.match(asset.headers.get('content-type') ?? '', /javascript/)
    assert.equal((await fetch(`${url}/healthz`)).status, 200)
  })

  it('imports countersign/sdk from an ES module, with its types declared', async () => {
    const script = join(project, 'check.mjs')
    writeFileSync(script, `import { Countersign } from 'countersign/sdk'
const cs = new Countersign({ url: process.env.COUNTERSIGN_URL, token: process.env.COUNTERSIGN_TOKEN })
const action = await cs.submit({ kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT 1' } })
console.log(action.status)
`)
    const { stdout } = await run(process.execPath, [script], { cwd: project, env: { ...process.env, COUNTERSIGN_URL: url, COUNTERSIGN_TOKEN: agentToken } })
    assert.equal(stdout.trim(), 'allowed')
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> }
    assert.ok(existsSync(join(installed, manifest.exports['./sdk']!['types']!)))
  })

  it('runs the agent-side CLI as one file with Node alone (no node_modules)', async () => {
    const host = mkdtempSync(join(tmpdir(), 'countersign-agent-host-'))
    try {
      copyFileSync(join(installed, 'dist/countersign-agent.mjs'), join(host, 'countersign-agent.mjs'))
      const env = { ...process.env, COUNTERSIGN_URL: url, COUNTERSIGN_TOKEN: agentToken, NODE_PATH: '' }
      const { stdout } = await run(process.execPath, ['countersign-agent.mjs', 'submit', '--target', 'prod-db', '--sql', 'SELECT 2', '--json'], { cwd: host, env })
      assert.equal((JSON.parse(stdout) as { status: string }).status, 'allowed')
      // The gateway's verbs are not in it.
      await assert.rejects(run(process.execPath, ['countersign-agent.mjs', 'serve'], { cwd: host, env }), (error: { code: number; stderr: string }) => error.code === 2 && /unknown command 'serve'/.test(error.stderr))
    } finally {
      rmSync(host, { recursive: true, force: true })
    }
  })

  it('runs agent verbs through the installed `countersign` command too', async () => {
    const { stdout } = await run(process.execPath, [join(project, 'node_modules/.bin/countersign'), 'submit', '--target', 'prod-db', '--sql', 'SELECT 3', '--json'], { cwd: project, env: { ...process.env, COUNTERSIGN_URL: url, COUNTERSIGN_TOKEN: agentToken } })
    assert.equal((JSON.parse(stdout) as { status: string }).status, 'allowed')
  })
})

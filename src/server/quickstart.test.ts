import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import { callApi } from './test-process.js'

const BIN = resolve(import.meta.dirname, '../../bin/countersign.js')

/** Runs `countersign serve` with no config in `cwd`, as `npm start` does; resolves with the printed banner. */
const children = new Set<ReturnType<typeof spawn>>()
after(() => {
  for (const child of children) child.kill('SIGKILL')
})

function quickstart(cwd: string) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COUNTERSIGN_CONFIG: '', PROD_DB_URL: '' } })
  children.add(child)
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  void exited.then(() => children.delete(child))
  const banner = new Promise<string>((done, fail) => {
    let out = ''
    let err = ''
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('starting it again keeps the data')) done(out)
    })
    void exited.then((code) => fail(new Error(`quickstart exited with ${code}: ${out}${err}`)))
  })
  return { child, exited, banner }
}

/** The banner's command lines (indented, after "Try it:"), with `npx countersign` as this checkout's CLI. */
function printedLines(banner: string): string[] {
  const tour = banner.slice(banner.indexOf('Try it:'))
  return tour
    .split('\n')
    .filter((line) => line.startsWith('  ') && line.includes('countersign '))
    .map((line) => line.trim().replaceAll('npx countersign', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`))
}

/** Runs the printed lines in one bash, as a user pasting them would; each line's output is kept. */
async function paste(lines: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const script = lines.map((line, index) => `${line}\necho "--- $? (line ${index + 1})"`).join('\n')
  return promisify(execFile)('bash', ['-c', script], { timeout: 120_000 })
}

describe('the quickstart (npm start)', () => {
  it('ends well: the printed lines submit, approve and show the UPDATE, which Countersign ran on the demo database', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'countersign-quickstart-'))
    const first = quickstart(cwd)
    const banner = await first.banner
    const url = /API {7}(http:\/\/\S+)\/v1/.exec(banner)![1]!
    const tokens = JSON.parse(readFileSync(join(cwd, '.countersign', 'quickstart-tokens.json'), 'utf8')) as { agent: string; humans: Record<string, string> }
    for (const token of [tokens.agent, tokens.humans['alice@example.com']!, tokens.humans['bob@example.com']!, tokens.humans['carol@example.com']!]) assert.ok(banner.includes(token))

    const [submit, approve, show] = printedLines(banner)
    assert.ok(submit && approve && show, banner)
    const pasted = await paste([submit, approve])
    const id = /^(act_[0-9a-z]{26})$/m.exec(pasted.stdout)?.[1]
    assert.ok(id, pasted.stdout + pasted.stderr)
    assert.match(pasted.stdout, /--- 0 \(line 2\)/)
    // Slack is not configured in the quickstart: no line says the request was asked there.
    assert.doesNotMatch(pasted.stdout + pasted.stderr, /slack/i)

    // Countersign runs the approved UPDATE on prod-db, the demo database.
    let action: any
    for (;;) {
      action = (await callApi(url, 'GET', `/v1/actions/${id}?wait=10&from=approved`, tokens.humans['bob@example.com'])).body
      if (action.status !== 'approved' && action.status !== 'executing') break
    }
    assert.equal(action.status, 'succeeded', JSON.stringify(action.result))
    assert.equal(action.result.row_count, 1)
    const shown = await paste([show.replace('"$ID"', id)])
    assert.match(shown.stdout, /succeeded/)

    // carol owns the agent: her approval is refused.
    const carol = await callApi(url, 'POST', `/v1/actions/${id}/reviews`, tokens.humans['carol@example.com'], { decision: 'approve', reason: 'mine' })
    assert.ok(carol.status === 403 || carol.status === 409, JSON.stringify(carol.body))

    first.child.kill('SIGINT')
    assert.equal(await first.exited, 0)
    const db = await PGlite.create(join(cwd, '.countersign', 'demo-db'))
    assert.deepEqual((await db.query('SELECT plan_id FROM users WHERE id = 42')).rows, [{ plan_id: 2 }])
    await db.close()

    // Started again: the data and the demo database's change are kept.
    const second = quickstart(cwd)
    const url2 = /API {7}(http:\/\/\S+)\/v1/.exec(await second.banner)![1]!
    assert.equal((await callApi(url2, 'GET', `/v1/actions/${id}`, tokens.humans['bob@example.com'])).body.status, 'succeeded')
    assert.equal((await callApi(url2, 'GET', '/v1/audit/verify', tokens.humans['alice@example.com'])).body.ok, true)
    second.child.kill('SIGINT')
    assert.equal(await second.exited, 0)
  })

  it('prints lines that fail in one line, without a stack trace, when the gateway is down', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'countersign-quickstart-'))
    const started = quickstart(cwd)
    const banner = await started.banner
    started.child.kill('SIGINT')
    await started.exited
    const closed = createServer().listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const port = (closed.address() as AddressInfo).port
    await new Promise((done) => closed.close(done))
    const url = /API {7}(http:\/\/\S+)\/v1/.exec(banner)![1]!
    const [submit, approve] = printedLines(banner).map((line) => line.replaceAll(url, `http://127.0.0.1:${port}`))
    const pasted = await paste([submit!, approve!])
    assert.match(pasted.stderr, /^countersign: cannot reach Countersign at http:\/\/127\.0\.0\.1:\d+: connection refused/m)
    assert.match(pasted.stderr, /^countersign: not an action id: ""/m)
    assert.doesNotMatch(pasted.stderr, /\n\s+at /, 'no stack trace')
  })
})

describe('the quickstart and the PostgreSQL wire gateway', () => {
  it('listens on 127.0.0.1:6432 when prod-db is a real PostgreSQL (PROD_DB_URL), not for the embedded demo database', async () => {
    const { quickstartConfig } = await import('./quickstart.js')
    const saved = process.env['PROD_DB_URL']
    try {
      process.env['PROD_DB_URL'] = 'postgres://demo@127.0.0.1:5432/demo'
      const real = quickstartConfig({ dataDir: mkdtempSync(join(tmpdir(), 'cs-quickstart-pg-')) }).config
      assert.deepEqual({ ...real.server.postgres }, { host: '127.0.0.1', port: 6432, hold_ms: 50_000, max_result_bytes: 64 * 1_048_576, tls: undefined })
      process.env['PROD_DB_URL'] = ''
      const demo = quickstartConfig({ dataDir: mkdtempSync(join(tmpdir(), 'cs-quickstart-pg-')) }).config
      assert.equal(demo.server.postgres, undefined)
      assert.equal(demo.targets.find((target) => target.name === 'prod-db')?.connector?.type, 'pglite')
    } finally {
      if (saved === undefined) delete process.env['PROD_DB_URL']
      else process.env['PROD_DB_URL'] = saved
    }
  })
})

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { callApi } from './test-process.js'

const BIN = resolve(import.meta.dirname, '../../bin/countersign.js')

/** Runs `countersign serve` with no config in `cwd`, as `npm start` does; resolves with the printed banner. */
function quickstart(cwd: string) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COUNTERSIGN_CONFIG: '' } })
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  const banner = new Promise<string>((done, fail) => {
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('starting it again keeps the data')) done(out)
    })
    void exited.then((code) => fail(new Error(`quickstart exited with ${code}: ${out}`)))
  })
  return { child, exited, banner }
}

describe('the quickstart (npm start)', () => {
  it('serves the example policy on an embedded store with demo tokens, stops on Ctrl-C and keeps its data', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'countersign-quickstart-'))
    const first = quickstart(cwd)
    const banner = await first.banner
    const url = /API {7}(http:\/\/\S+)\/v1/.exec(banner)![1]!
    const tokens = JSON.parse(readFileSync(join(cwd, '.countersign', 'quickstart-tokens.json'), 'utf8')) as { agent: string; humans: Record<string, string> }
    assert.ok(banner.includes(tokens.agent) && banner.includes(tokens.humans['alice@example.com']!))
    assert.match(banner, /curl -s -X POST/)
    assert.match(banner, /countersign approve \$ID/)

    // What the printed curl line sends, then alice approves as the printed line says.
    const body = JSON.parse(/-d '([^']+)'/.exec(banner)![1]!)
    const submitted = await callApi(url, 'POST', '/v1/actions', tokens.agent, body)
    assert.equal(submitted.body.status, 'pending')
    const approved = await callApi(url, 'POST', `/v1/actions/${submitted.body.id}/reviews`, tokens.humans['alice@example.com'], { decision: 'approve', reason: 'checked the WHERE clause' })
    assert.equal(approved.body.status, 'approved')

    first.child.kill('SIGINT')
    assert.equal(await first.exited, 0)

    const second = quickstart(cwd)
    const url2 = /API {7}(http:\/\/\S+)\/v1/.exec(await second.banner)![1]!
    const kept = await callApi(url2, 'GET', `/v1/actions/${submitted.body.id}`, tokens.humans['bob@example.com'])
    assert.equal(kept.body.status, 'approved')
    assert.equal((await callApi(url2, 'GET', '/v1/audit/verify', tokens.humans['alice@example.com'])).body.ok, true)
    second.child.kill('SIGINT')
    assert.equal(await second.exited, 0)
  })
})

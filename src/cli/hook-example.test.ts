import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { servedGateway, type ServedGateway } from '../sdk/test-served-gateway.js'
import { HOOK_GRACE_SECONDS } from './hook-command.js'

const ROOT = resolve(import.meta.dirname, '../..')

describe('examples/claude-code', () => {
  let served: ServedGateway
  before(async () => {
    served = await servedGateway({ policy: readFileSync(join(ROOT, 'examples/policy.yaml'), 'utf8') })
  })
  after(() => served.close())

  it('demo.sh: allowed and run with its outcome recorded, denied by policy, pending with a link until approved', async () => {
    const state = mkdtempSync(join(tmpdir(), 'countersign-hook-demo-'))
    const env = { ...process.env, COUNTERSIGN_URL: served.url, COUNTERSIGN_TOKEN: served.gw.tokens.deployBot, COUNTERSIGN_HOOK_STATE: state }
    const demo = () => promisify(execFile)('bash', [join(ROOT, 'examples/claude-code/demo.sh')], { env, timeout: 60_000 })
    const first = (await demo()).stdout
    assert.match(first, /\$ df -h\n {2}allow: Countersign request act_\w+ allowed by shell-read-only\.\n {2}\| Filesystem/)
    assert.match(first, /\$ rm -rf \.\/build\n {2}deny: Countersign request act_\w+ was denied: /)
    const id = /\$ touch \/tmp\/countersign-hook-demo\n {2}deny: Countersign request (act_\w+) needs approval/.exec(first)?.[1]
    assert.ok(id, first)
    const alice = served.client('alice')
    const { actions } = await alice.list({ target: 'build-host', status: 'succeeded' })
    assert.equal(actions.length, 1)
    assert.match(String(actions[0]!.result?.['output']), /Filesystem/)
    await alice.review(id, 'approve', 'a file in /tmp is fine')
    const second = (await demo()).stdout
    assert.match(second, new RegExp(`\\$ touch /tmp/countersign-hook-demo\\n {2}allow: Countersign request ${id} approved by alice@example\\.com\\.`))
  })

  it('settings.json wires the hook for Bash and MCP tools, before and after they run', () => {
    const settings = JSON.parse(readFileSync(join(ROOT, 'examples/claude-code/settings.json'), 'utf8'))
    assert.match(settings.hooks.PreToolUse[0].hooks[0].command, /^\/usr\/local\/bin\/countersign hook claude-code --target \S+/)
    assert.ok(settings.hooks.PreToolUse[0].hooks[0].timeout > 100 + HOOK_GRACE_SECONDS, 'the hook timeout exceeds --wait plus the hook\'s grace')
    for (const event of ['PostToolUse', 'PostToolUseFailure']) assert.match(settings.hooks[event][0].hooks[0].command, /^\/usr\/local\/bin\/countersign hook claude-code --post$/)
  })

  describe('the PreToolUse command of settings.json, run with sh -c as Claude Code runs it, blocks when it cannot decide', () => {
    const settings = JSON.parse(readFileSync(join(ROOT, 'examples/claude-code/settings.json'), 'utf8'))
    const configured: string = settings.hooks.PreToolUse[0].hooks[0].command
    const event = JSON.stringify({ session_id: 's', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'rm -rf /srv/app' }, tool_use_id: 'toolu_x' })
    /** Runs the configured command line with `cli` in place of /usr/local/bin/countersign, the event on stdin. */
    async function run(cli: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const child = spawn('sh', ['-c', configured.replace('/usr/local/bin/countersign', cli)], { env: { ...process.env, ...env, XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'hook-state-')) } })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.stdin.end(event)
      const [code] = (await once(child, 'close')) as [number | null]
      return { code, stdout, stderr }
    }

    it('a missing binary: exit 2 (blocking) with the reason on stderr', async () => {
      const result = await run('/nonexistent/countersign', { COUNTERSIGN_URL: served.url })
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, /the Countersign hook failed \(exit 127\), so this call is blocked/)
    })

    it('an unreachable gateway: exit 2 (blocking), the reason on stderr and a deny on stdout', async () => {
      const closed = createServer().listen(0, '127.0.0.1')
      await once(closed, 'listening')
      const port = (closed.address() as AddressInfo).port
      await new Promise((done) => closed.close(done))
      // The installed CLI: this checkout's, at an absolute path as the example wants it.
      const bin = join(mkdtempSync(join(tmpdir(), 'hook-bin-')), 'countersign')
      writeFileSync(bin, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin/countersign.js'))} "$@"\n`)
      chmodSync(bin, 0o755)
      const result = await run(bin, { COUNTERSIGN_URL: `http://127.0.0.1:${port}`, COUNTERSIGN_TOKEN: served.gw.tokens.deployBot })
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, new RegExp(`^Countersign could not decide, so this is denied to be safe: cannot reach Countersign at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED\n`))
      assert.equal(JSON.parse(result.stdout).hookSpecificOutput.permissionDecision, 'deny')
    })
  })
})

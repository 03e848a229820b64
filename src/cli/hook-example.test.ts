import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { servedGateway, type ServedGateway } from '../sdk/test-served-gateway.js'

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
    assert.match(settings.hooks.PreToolUse[0].hooks[0].command, /^npx countersign hook claude-code --target \S+/)
    assert.ok(settings.hooks.PreToolUse[0].hooks[0].timeout > 100, 'the hook timeout exceeds --wait')
    for (const event of ['PostToolUse', 'PostToolUseFailure']) assert.match(settings.hooks[event][0].hooks[0].command, /hook claude-code --post$/)
  })
})

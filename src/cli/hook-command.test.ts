import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Command } from 'commander'
import type { Action } from '../sdk/index.js'
import { servedGateway, type ServedGateway } from '../sdk/test-served-gateway.js'
import { HOOK_GRACE_SECONDS, hookCommand } from './hook-command.js'
import type { CliIo } from './io.js'

const POLICY = `
version: 1
default: review
default_review: { approvers: [group:oncall], timeout: 1h }
rules:
  - id: echo
    match: { kind: shell }
    when: shell.programs.all(p, p == "echo")
    effect: allow
  - id: no-rm
    match: { kind: shell }
    when: shell.programs.exists(p, p == "rm")
    effect: deny
    message: rm is not allowed through agents.
  - id: github-mcp
    match: { kind: mcp, target: github-mcp }
    effect: allow
  - id: runner
    match: { target: runner }
    effect: allow
`

interface HookRun {
  readonly stdout: string
  readonly stderr: string
  readonly code: number
  /** The parsed decision, when one was printed. */
  readonly decision?: { permissionDecision: 'allow' | 'deny'; permissionDecisionReason: string }
}

let toolUse = 0
/** A PreToolUse event for Bash, as Claude Code sends it on stdin. */
const bash = (command: string, extra: Record<string, unknown> = {}) => ({
  session_id: 'a1b2c3d4-session',
  transcript_path: '/home/dev/.claude/projects/-work-app/a1b2c3d4-session.jsonl',
  cwd: '/work/app',
  permission_mode: 'default',
  hook_event_name: 'PreToolUse',
  tool_name: 'Bash',
  tool_input: { command, description: 'Restart the app after the config change' },
  tool_use_id: `toolu_01${String(++toolUse).padStart(6, '0')}`,
  ...extra,
})

describe('countersign hook claude-code against a real gateway', () => {
  let served: ServedGateway
  const stateDir = mkdtempSync(join(tmpdir(), 'countersign-hook-'))
  before(async () => {
    served = await servedGateway({ policy: POLICY, targets: [{ name: 'github-mcp', kind: 'mcp', labels: { env: 'prod' } }] })
  })
  after(() => served.close())

  /** Runs the hook in-process with `event` on stdin. */
  async function hook(args: readonly string[], event: unknown, env: Record<string, string> = {}): Promise<HookRun> {
    let stdout = ''
    let stderr = ''
    let code = 0
    const io: CliIo = {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      env: { COUNTERSIGN_URL: served.url, COUNTERSIGN_TOKEN: served.gw.tokens.deployBot, ...env },
      cwd: process.cwd(),
      setExitCode: (exit) => void (code = exit),
    }
    const program = new Command('countersign').exitOverride().addCommand(hookCommand(io, async () => (typeof event === 'string' ? event : JSON.stringify(event))))
    await program.parseAsync(['hook', 'claude-code', '--state-dir', stateDir, ...args], { from: 'user' })
    const output = stdout ? (JSON.parse(stdout) as { hookSpecificOutput: { hookEventName: string; permissionDecision: 'allow' | 'deny'; permissionDecisionReason: string } }) : undefined
    if (output) assert.equal(output.hookSpecificOutput.hookEventName, 'PreToolUse')
    return { stdout, stderr, code, ...(output && { decision: output.hookSpecificOutput }) }
  }
  const alice = () => served.client('alice')
  const latest = async (target = 'build-host'): Promise<Action> => alice().get((await alice().list({ target, limit: 1 })).actions[0]!.id)
  const nextPending = async (): Promise<Action> => {
    for (;;) {
      const pending = (await alice().list({ status: 'pending', target: 'build-host', limit: 1 })).actions[0]
      if (pending) return pending
      await sleep(20)
    }
  }

  it('allows a Bash command the policy allows, redeems it, and reports its outcome from PostToolUse', async () => {
    const event = bash('echo deployed')
    const pre = await hook(['--target', 'build-host'], event)
    assert.equal(pre.decision?.permissionDecision, 'allow', pre.stdout)
    assert.match(pre.decision!.permissionDecisionReason, /^Countersign request act_\w+ allowed by echo\.$/)
    const action = await latest()
    assert.equal(action.status, 'executing')
    assert.deepEqual(action.payload, { command: 'echo deployed' })
    assert.deepEqual(action.context, { session: 'a1b2c3d4-session', reason: 'Restart the app after the config change' })
    const post = await hook(['--post'], { ...event, hook_event_name: 'PostToolUse', tool_response: { stdout: 'deployed\n', stderr: '', interrupted: false, isImage: false } })
    assert.equal(post.code, 0, post.stderr)
    assert.equal(post.stdout, '')
    const done = await alice().get(action.id)
    assert.equal(done.status, 'succeeded')
    assert.equal(done.result?.['output'], 'deployed\n')
    assert.deepEqual(done.timeline?.map((entry) => `${entry.type} ${entry.channel}`), ['action.submitted cli', 'action.allowed cli', 'action.executing cli', 'action.succeeded cli'])
  })

  it('reports a PostToolUseFailure as failed with its error', async () => {
    const event = bash('echo will fail')
    assert.equal((await hook(['--target', 'build-host'], event)).decision?.permissionDecision, 'allow')
    await hook(['--post'], { ...event, hook_event_name: 'PostToolUseFailure', error: 'Exit code 1\nboom', is_interrupt: false })
    const action = await latest()
    assert.equal(action.status, 'failed')
    assert.equal(action.result?.['error'], 'Exit code 1\nboom')
  })

  it('denies with the policy message', async () => {
    const pre = await hook(['--target', 'build-host'], bash('rm -rf /tmp/cache'))
    assert.equal(pre.decision?.permissionDecision, 'deny')
    assert.match(pre.decision!.permissionDecisionReason, /^Countersign request act_\w+ was denied: rm is not allowed through agents\.$/)
  })

  it('waits for a human: approved within the budget, it is allowed', async () => {
    const [pre, reviewed] = await Promise.all([hook(['--target', 'build-host'], bash('systemctl restart app')), nextPending().then((pending) => alice().review(pending.id, 'approve', 'go'))])
    assert.equal(pre.decision?.permissionDecision, 'allow', pre.stdout)
    assert.equal(pre.decision?.permissionDecisionReason, `Countersign request ${reviewed.id} approved by alice@example.com.`)
    assert.equal((await alice().get(reviewed.id)).status, 'executing')
  })

  it('denies with the reviewer\'s reason when a human denies it', async () => {
    const [pre] = await Promise.all([hook(['--target', 'build-host'], bash('systemctl stop app')), nextPending().then((pending) => alice().review(pending.id, 'deny', 'not during the freeze'))])
    assert.equal(pre.decision?.permissionDecision, 'deny')
    assert.match(pre.decision!.permissionDecisionReason, /was denied: alice@example\.com: not during the freeze$/)
  })

  it('denies a call still pending at the budget with its id and link, then allows the identical call once approved', async () => {
    const first = await hook(['--target', 'build-host', '--wait', '0.3'], bash('systemctl reload nginx'))
    assert.equal(first.decision?.permissionDecision, 'deny')
    const id = /request (act_\w+)/.exec(first.decision!.permissionDecisionReason)![1]!
    assert.match(first.decision!.permissionDecisionReason, new RegExp(`needs approval before this can run \\(waiting for 1 of group:oncall\\)\\. Ask the user to approve it at https://countersign\\.test/actions/${id}; once it is approved, make exactly the same call again\\.`))
    // Asked again before anyone decided: the same request, not a second one.
    const again = await hook(['--target', 'build-host', '--wait', '0.2'], bash('systemctl reload nginx'))
    assert.match(again.decision!.permissionDecisionReason, new RegExp(`request ${id} needs approval`))
    await alice().review(id, 'approve', 'fine')
    const third = await hook(['--target', 'build-host', '--wait', '0.2'], bash('systemctl reload nginx'))
    assert.equal(third.decision?.permissionDecision, 'allow')
    assert.match(third.decision!.permissionDecisionReason, new RegExp(`request ${id} approved by alice@example.com`))
    const requests = (await alice().list({ target: 'build-host', limit: 50 })).actions.filter((action) => action.payload['command'] === 'systemctl reload nginx')
    assert.equal(requests.length, 1)
    // A changed command is a new request.
    const changed = await hook(['--target', 'build-host', '--wait', '0'], bash('systemctl reload nginx; id'))
    assert.doesNotMatch(changed.decision!.permissionDecisionReason, new RegExp(id))
  })

  it('asks about mapped MCP tools, and leaves other tools and unmapped servers to Claude Code', async () => {
    const mcp = { ...bash(''), tool_name: 'mcp__github__get_issue', tool_input: { owner: 'acme', repo: 'infra', issue_number: 7 } }
    const pre = await hook(['--target', 'build-host', '--mcp-target', 'github=github-mcp'], mcp)
    assert.equal(pre.decision?.permissionDecision, 'allow', pre.stdout)
    const action = await latest('github-mcp')
    assert.equal(action.kind, 'mcp')
    assert.deepEqual(action.payload, { server: 'github', tool: 'get_issue', arguments: { owner: 'acme', repo: 'infra', issue_number: 7 } })
    assert.equal((await hook(['--target', 'build-host'], { ...mcp, tool_name: 'mcp__slack__post_message' })).stdout, '')
    assert.equal((await hook(['--target', 'build-host'], { ...bash(''), tool_name: 'Write', tool_input: { file_path: '/work/app/x', content: 'y' } })).stdout, '')
  })

  it('does not let Claude Code run what Countersign ran itself on a brokered target, and shows the result', async () => {
    const pre = await hook(['--target', 'runner'], bash('echo from the target'))
    assert.equal(pre.decision?.permissionDecision, 'deny')
    assert.match(pre.decision!.permissionDecisionReason, /Countersign ran this on target runner itself \(succeeded\); it must not run here too\. Its result:\nexit code 0\nfrom the target\n$/)
  })

  it('fails closed: an unreachable gateway, a bad token, a bad event or a missing target all block (exit 2, reason on stderr)', async () => {
    const closed = createServer().listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const port = (closed.address() as AddressInfo).port
    await new Promise((done) => closed.close(done))
    const unreachable = await hook(['--target', 'build-host', '--url', `http://127.0.0.1:${port}`], bash('echo hi'))
    assert.equal(unreachable.decision?.permissionDecision, 'deny')
    assert.equal(unreachable.decision!.permissionDecisionReason, `Countersign could not decide, so this is denied to be safe: cannot reach Countersign at http://127.0.0.1:${port}: ECONNREFUSED`)
    assert.equal(unreachable.code, 2)
    assert.equal(unreachable.stderr, `${unreachable.decision!.permissionDecisionReason}\n`)
    const forged = await hook(['--target', 'build-host'], bash('echo hi'), { COUNTERSIGN_TOKEN: 'cs_agent_forged-forged-forged-forged-forged' })
    assert.match(forged.decision!.permissionDecisionReason, /denied to be safe: a valid bearer token is required/)
    assert.equal(forged.code, 2)
    const garbled = await hook(['--target', 'build-host'], '{"tool_name": "Bash", ')
    assert.equal(garbled.decision?.permissionDecision, 'deny')
    assert.equal(garbled.code, 2)
    assert.match(garbled.stderr, /not JSON/)
    const untargeted = await hook([], bash('echo hi'))
    assert.match(untargeted.decision!.permissionDecisionReason, /no --target for Bash/)
    assert.equal(untargeted.code, 2)
    assert.equal((await hook(['--target', 'build-host'], bash(''))).code, 2)
    assert.equal((await hook(['--target', 'build-host', '--wait', 'soon'], bash('echo hi'))).code, 2)
  })

  it('fails closed on a gateway that accepts the connection and never answers: blocked at --wait plus the grace', async (t) => {
    const hung = createServer(() => undefined).listen(0, '127.0.0.1')
    await once(hung, 'listening')
    t.after(() => hung.close())
    hung.on('connection', (socket) => t.after(() => socket.destroy()))
    // The clock the deadline is measured on is faked: the hook gives up at once, by the timer's event.
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const running = hook(['--target', 'build-host', '--wait', '0', '--url', `http://127.0.0.1:${(hung.address() as AddressInfo).port}`], bash('echo hi'))
    await once(hung, 'request')
    t.mock.timers.tick(HOOK_GRACE_SECONDS * 1000)
    const result = await running
    assert.equal(result.code, 2)
    assert.match(result.stderr, /denied to be safe: no answer from Countersign within --wait plus 10 s/)
  })

  it('runs as a process, as Claude Code starts it: the event on stdin, the decision on stdout', async () => {
    const child = spawn(process.execPath, [resolve(import.meta.dirname, '../../bin/countersign.js'), 'hook', 'claude-code', '--target', 'build-host', '--state-dir', stateDir], {
      env: { ...process.env, COUNTERSIGN_URL: served.url, COUNTERSIGN_TOKEN: served.gw.tokens.deployBot },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
    child.stdin.end(JSON.stringify(bash('echo from a process')))
    assert.equal(await exited, 0)
    const output = JSON.parse(stdout) as { hookSpecificOutput: { permissionDecision: string } }
    assert.equal(output.hookSpecificOutput.permissionDecision, 'allow')
  })
})

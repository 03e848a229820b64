import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { connectorProblems, createConnector, NO_GATEWAY_SECRETS } from './index.js'
import { assertNoSecret, testContext, testRequest, testSecret, testTarget } from './test-support.js'

const dir = mkdtempSync(join(tmpdir(), 'cs-shell-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const shellTarget = (options: Record<string, unknown> = {}) => testTarget('shell', { type: 'shell', cwd: dir, run_as_gateway_user: true, ...options })

/** Runs `payload` as the policy allowed it alone (sandboxed), or `reviewed` by humans (as approved, unsandboxed). */
async function run(payload: Record<string, unknown>, options: Record<string, unknown> = {}, signal?: AbortSignal, { reviewed = false, gateway = NO_GATEWAY_SECRETS } = {}) {
  const connector = createConnector(shellTarget(options), gateway)
  try {
    return await connector.execute({ ...testRequest(shellTarget(options), payload, signal), reviewed })
  } finally {
    await connector.close()
  }
}

describe('shell connector', () => {
  it('runs the command with bash -c in the configured directory and reports its output', async () => {
    const result = await run({ command: 'echo "out $(pwd)"; echo err >&2; [[ 1 == 1 ]] && echo bash' })
    assert.equal(result.status, 'succeeded')
    assert.equal(result.exit_code, 0)
    assert.equal(result.signal, null)
    assert.equal(result.stdout, `out ${dir}\nbash\n`)
    assert.equal(result.stderr, 'err\n')
    assert.equal(result.truncated, false)
    assert.equal(result.error, undefined)
    assert.ok(result.duration_ms >= 0)
  })

  it('runs argv directly, without a shell interpreting it', async () => {
    const result = await run({ argv: ['printf', '%s|', '$HOME', 'a b', '`id`; rm -rf x'] })
    assert.equal(result.status, 'succeeded')
    assert.equal(result.stdout, '$HOME|a b|`id`; rm -rf x|')
  })

  it('reports a non-zero exit as failed with its code', async () => {
    const result = await run({ command: 'echo partial; exit 3' })
    assert.equal(result.status, 'failed')
    assert.equal(result.exit_code, 3)
    assert.equal(result.stdout, 'partial\n')
    assert.match(result.error ?? '', /exited with code 3/)
  })

  it('reports a program that does not exist as failed without throwing', async () => {
    const result = await run({ argv: ['/nonexistent/program'] }, {}, undefined, { reviewed: true })
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /could not be started.*ENOENT/)
    const sandboxed = await run({ argv: ['/nonexistent/program'] })
    assert.equal(sandboxed.status, 'failed')
    assert.match(sandboxed.stderr ?? sandboxed.error ?? '', /No such file or directory|not available/)
  })

  it('passes only allow-listed variables of the gateway, plus the configured ones', async () => {
    process.env.CS_TEST_VISIBLE = 'visible'
    process.env.CS_TEST_HIDDEN = 'hidden'
    const result = await run({ command: 'echo "$CS_TEST_VISIBLE|${CS_TEST_HIDDEN-unset}|$GREETING|${HOME-nohome}"' }, { env_allow: ['CS_TEST_VISIBLE', 'PATH'], env: { GREETING: 'hello' } })
    assert.equal(result.stdout, 'visible|unset|hello|nohome\n')
  })

  it('masks a secret passed in env wherever the command prints it, even cut at the output limit', async () => {
    const secret = 'tok-9d8f7a6b5c4e3d2f1a0b'
    const name = testSecret(secret)
    const whole = await run({ command: 'echo "token=$API_TOKEN"; echo "$API_TOKEN" >&2; env' }, { env: { API_TOKEN: `env:${name}` } })
    assert.equal(whole.status, 'succeeded')
    assert.match(whole.stdout ?? '', /^token=\*\*\*$/m)
    assertNoSecret(whole, secret)
    // Split, re-cased and encoded as bash and coreutils print it (bypass 9).
    const encoded = await run({
      command: [
        'echo "${API_TOKEN:0:6} ${API_TOKEN:6}"',
        'echo "${API_TOKEN^^} ${API_TOKEN,,}"',
        'printf %s "$API_TOKEN" | base64',
        "printf 'ab%s' \"$API_TOKEN\" | base64 -w0 | tr '+/' '-_'; echo",
        "printf 'a%sxyz' \"$API_TOKEN\" | base64",
        "printf %s \"$API_TOKEN\" | od -An -tx1 | tr -d ' \\n'; echo",
        "printf %s \"$API_TOKEN\" | od -An -tx1 | tr -d ' \\n' | tr a-f A-F; echo",
        'printf "%q\\n" "$API_TOKEN"',
      ].join('; '),
    }, { env: { API_TOKEN: `env:${name}` } })
    assert.equal(encoded.status, 'succeeded', encoded.stderr)
    assert.equal(encoded.stdout?.split('\n').length, 9, encoded.stdout)
    assertNoSecret(encoded, secret, { piece: 6 })
    // 2000 bytes of padding put the limit (1KiB) in the middle of the token.
    const cut = await run({ command: `printf '%1018s' x; echo "$API_TOKEN"` }, { env: { API_TOKEN: `env:${name}` }, max_output: '1KiB' })
    assert.equal(cut.truncated, true)
    assertNoSecret(cut, secret)
    assert.ok(!(cut.stdout ?? '').includes(secret.slice(0, 6)), cut.stdout)
  })

  it('cuts output at max_output and says how much there was', async () => {
    const result = await run({ command: 'head -c 5000 /dev/zero | tr "\\0" a; head -c 10 /dev/zero | tr "\\0" b >&2' }, { max_output: '1KiB' })
    assert.equal(result.status, 'succeeded')
    assert.equal(result.truncated, true)
    assert.equal(result.stdout, 'a'.repeat(1024))
    assert.equal(result.stderr, 'b'.repeat(10))
    assert.equal(result.stdout_bytes_total, 5000)
    assert.equal(result.stderr_bytes_total, 10)
    assert.equal(result.output_bytes_total, 5010)
  })

  it('kills the whole process group at the timeout', async () => {
    const marker = join(dir, 'survivor')
    const pidFile = join(dir, 'survivor.pid')
    // The background process would outlive any wait; that it is gone is checked on the process itself, not by sleeping.
    const result = await run({ command: `(echo $BASHPID > ${pidFile}; sleep 300; touch ${marker}) & sleep 300` }, { timeout: '300ms' }, undefined, { reviewed: true })
    assert.equal(result.status, 'failed')
    assert.equal(result.signal, 'SIGTERM')
    assert.match(result.error ?? '', /did not finish within 0.3s; its process group was killed/)
    // No pid file: the group was killed before the subshell got that far.
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0
    while (pid > 0 && alive(pid)) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.equal(existsSync(marker), false, 'a process of the group survived the timeout')
  })

  it('stops the command when the signal aborts', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('the gateway is shutting down')), 200)
    const result = await run({ command: 'sleep 30' }, {}, controller.signal)
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /stopped: the gateway is shutting down/)
  })

  it('does not wait for processes the command leaves behind holding its output', async () => {
    const result = await run({ command: 'sleep 30 & echo started' }, { timeout: '20s' })
    assert.equal(result.status, 'succeeded')
    assert.equal(result.stdout, 'started\n')
  })

  it('runs as the configured user when the gateway is root, and refuses another user otherwise', async (t) => {
    if (process.getuid?.() !== 0) {
      assert.throws(() => createConnector(shellTarget({ user: 'nobody' })), /does not run as root/)
      return
    }
    const result = await run({ command: 'id -un; id -G; echo "$HOME"' }, { user: 'nobody', cwd: '/' })
    assert.equal(result.status, 'succeeded', result.error)
    // No group of the gateway's (root's) stays with the command.
    assert.equal(result.stdout, 'nobody\n65534\n/nonexistent\n')
    t.diagnostic('ran as root: checked the switch to nobody')
  })

  it('reports bad options naming the target and the option', () => {
    const problems = connectorProblems(
      testTarget('shell', { type: 'shell', cwd: 'relative', timeout: 'soon', env_allow: ['PATH', 'GITHUB_TOKEN'], user: 'no-such-user-here', max_output: '1TB', colour: 'blue' }, 'build-host'),
    )
    const text = problems.join('\n')
    assert.match(text, /target build-host: connector option cwd: expected an absolute path/)
    assert.match(text, /connector option timeout: expected a duration/)
    assert.match(text, /connector option env_allow\.1: looks like a credential/)
    assert.match(text, /connector option max_output: expected a size/)
    assert.match(text, /connector option colour: unknown option/)
    assert.deepEqual(connectorProblems(testTarget('shell', { type: 'shell', user: 'no-such-user-here' }, 'build-host')), [
      'target build-host: connector option user: there is no user "no-such-user-here" on this host',
    ])
  })
})

describe('shell connector account', () => {
  it("refuses to run commands as the gateway's own user unless told to, since they could read its environment", () => {
    assert.throws(() => createConnector(testTarget('shell', { type: 'shell' }, 'build-host')), /set an account of its own for the commands .* or run_as_gateway_user: true/)
    assert.doesNotThrow(() => createConnector(testTarget('shell', { type: 'shell', run_as_gateway_user: true }, 'build-host')))
  })

  it('puts the COUNTERSIGN_* identity in the environment, hostile characters percent-encoded, and none where identity: false', async () => {
    const target = shellTarget()
    const connector = createConnector(target)
    const context = testContext({ agent: "bot\0\nEVIL=1 'x'%", on_behalf_of: null, approvers: [{ email: 'a,b@example.com', channel: 'api', at: '2026-01-01T00:00:00.000Z' }] })
    try {
      const result = await connector.execute({ ...testRequest(target, { command: 'env | grep ^COUNTERSIGN_ | sort' }, undefined, null, context), reviewed: true })
      assert.equal(result.status, 'succeeded', result.error)
      assert.equal(
        result.stdout,
        `COUNTERSIGN_AGENT=bot%00%0AEVIL=1%20'x'%25\nCOUNTERSIGN_APPROVERS=a%2Cb@example.com\nCOUNTERSIGN_ON_BEHALF_OF=\nCOUNTERSIGN_REQUEST_ID=${context.request_id}\n`,
      )
      assert.equal(decodeURIComponent('bot%00%0AEVIL=1%20\'x\'%25'), context.agent, 'the encoding gives the value back')
    } finally {
      await connector.close()
    }
    const off = await run({ command: 'env | grep -c ^COUNTERSIGN_ || true' }, { identity: false }, undefined, { reviewed: true })
    assert.equal(off.stdout, '0\n')
  })
})

/** Whether a process exists (and is not a zombie waiting to be reaped). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

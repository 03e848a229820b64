import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { timingSafeEqual } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import ssh2, { type ParsedKey } from 'ssh2'
import { connectorProblems, createConnector } from './index.js'
import { findBwrap, REMOTE_UNAVAILABLE, remoteSandboxScript, sandboxProblem } from './sandbox.js'
import { remoteCommand, sshFingerprint } from './ssh.js'
import { assertNoSecret, testContext, testRequest, testSecret, testTarget } from './test-support.js'
import { identityText } from './execution-context.js'

const { Server, utils } = ssh2
const dir = mkdtempSync(join(tmpdir(), 'cs-ssh-'))

/**
 * An Ed25519 key pair that ssh2 can read back. ssh2's generator drops a public key's leading zero byte, so one key
 * in 256 comes out malformed (31 bytes); such a pair is drawn again.
 */
function keyPair(options?: { passphrase: string; cipher: string; rounds: number }) {
  for (;;) {
    const pair = options ? utils.generateKeyPairSync('ed25519', options) : utils.generateKeyPairSync('ed25519')
    if (!(utils.parseKey(pair.public) instanceof Error)) return pair
  }
}

const hostKey = keyPair()
const clientKey = keyPair({ passphrase: 'correct horse', cipher: 'aes256-cbc', rounds: 16 })
const otherKey = keyPair()
const allowed = utils.parseKey(clientKey.public) as ParsedKey
const hostFingerprint = sshFingerprint((utils.parseKey(hostKey.public) as ParsedKey).getPublicSSH())
writeFileSync(join(dir, 'id_ed25519'), clientKey.private, { mode: 0o600 })
writeFileSync(join(dir, 'other'), otherKey.private, { mode: 0o600 })
const passphraseVar = testSecret('correct horse')

/** What the server's commands do, as events: `exec` (command) when one starts, `exit` (command, code, signal) when it ended. */
const remote = new EventEmitter()

/** The next `event` of the command `command` on the server. */
function remoteEvent(event: 'exec' | 'exit', command: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const listener = (ran: string, code: number | null = null, signal: NodeJS.Signals | null = null) => {
      if (!ran.includes(command)) return
      remote.off(event, listener)
      resolve({ code, signal })
    }
    remote.on(event, listener)
  })
}

/** A real SSH server: public-key authentication of one key; exec runs `bash -c` locally; signals reach the process group. */
const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
  client.on('authentication', (ctx) => {
    if (ctx.method !== 'publickey') return ctx.reject(['publickey'])
    const sameKey = ctx.key.algo === allowed.type && ctx.key.data.length === allowed.getPublicSSH().length && timingSafeEqual(ctx.key.data, allowed.getPublicSSH())
    if (!sameKey) return ctx.reject(['publickey'])
    if (ctx.signature && ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey'])
    ctx.accept()
  })
  client.on('ready', () => {
    client.on('session', (accept) => {
      const session = accept()
      let pid: number | undefined
      session.on('signal', (_accept, _reject, info) => {
        if (pid !== undefined) process.kill(-pid, `SIG${info.name}` as NodeJS.Signals)
      })
      session.on('exec', (acceptExec, _reject, info) => {
        const stream = acceptExec()
        const child = spawn('/bin/bash', ['-c', info.command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
        pid = child.pid
        remote.emit('exec', info.command)
        child.stdout.pipe(stream, { end: false })
        child.stderr.pipe(stream.stderr, { end: false })
        child.on('close', (code, signal) => {
          remote.emit('exit', info.command, code, signal)
          if (signal) stream.exit(signal.replace(/^SIG/, ''), false, '')
          else stream.exit(code ?? 0)
          stream.end()
        })
      })
    })
  })
  client.on('error', () => {})
})
let port = 0

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
after(async () => {
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

const sshTarget = (options: Record<string, unknown> = {}) =>
  testTarget(
    'shell',
    { type: 'ssh', host: '127.0.0.1', port, username: 'deploy', private_key: `file:${join(dir, 'id_ed25519')}`, passphrase: `env:${passphraseVar}`, host_fingerprint: hostFingerprint, ...options },
    'web-1',
  )

/** Runs `payload` as the policy allowed it alone (sandboxed on the host), or `reviewed` by humans (as approved). */
async function run(payload: Record<string, unknown>, options: Record<string, unknown> = {}, signal?: AbortSignal, { reviewed = false } = {}) {
  const target = sshTarget(options)
  const connector = createConnector(target)
  try {
    return await connector.execute({ ...testRequest(target, payload, signal), reviewed })
  } finally {
    await connector.close()
  }
}

describe('ssh connector', () => {
  it('runs the command on the host and reports its output and exit code', async () => {
    const result = await run({ command: 'echo "out $(pwd)"; echo err >&2' }, { cwd: dir })
    assert.equal(result.status, 'succeeded', result.error)
    assert.equal(result.exit_code, 0)
    assert.equal(result.stdout, `out ${dir}\n`)
    assert.equal(result.stderr, 'err\n')
    assert.equal(result.truncated, false)
  })

  it('quotes argv so that the remote shell runs exactly those words', async () => {
    const result = await run({ argv: ['printf', '%s|', '$HOME', "it's", '`id`; touch pwned'] }, { cwd: dir })
    assert.equal(result.stdout, "$HOME|it's|`id`; touch pwned|")
    assert.equal(existsSync(join(dir, 'pwned')), false)
    assert.equal(remoteCommand({ argv: ['ls', '-l'] }, '/srv/my app'), "cd '/srv/my app' || exit 1\n'ls' -l")
  })

  it('reports a non-zero exit as failed', async () => {
    const result = await run({ command: 'echo partial; exit 7' })
    assert.equal(result.status, 'failed')
    assert.equal(result.exit_code, 7)
    assert.equal(result.stdout, 'partial\n')
    assert.match(result.error ?? '', /exited with code 7/)
  })

  it('ends the remote command at the timeout', async () => {
    // The command would run for minutes; it is known to have ended by the server's exit event, not by waiting.
    const marker = join(dir, 'late')
    const command = `sleep 300; touch ${marker}`
    const exited = remoteEvent('exit', command)
    const result = await run({ command }, { timeout: '500ms' }, undefined, { reviewed: true })
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /did not finish within 0.5s/)
    assert.equal(result.signal, 'SIGTERM')
    assert.equal((await exited).signal, 'SIGTERM')
    assert.equal(existsSync(marker), false)
  })

  it('stops the remote command when the signal aborts', async () => {
    const controller = new AbortController()
    const command = 'sleep 301'
    // Aborted once the command runs on the host, however long connecting took.
    void remoteEvent('exec', command).then(() => controller.abort(new Error('the gateway is shutting down')))
    const exited = remoteEvent('exit', command)
    const result = await run({ command }, {}, controller.signal)
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /stopped: the gateway is shutting down/)
    assert.notEqual((await exited).signal, null)
  })

  it('cuts output at max_output and says how much there was', async () => {
    const result = await run({ command: 'head -c 300000 /dev/zero | tr "\\0" a' }, { max_output: '64KiB' })
    assert.equal(result.status, 'succeeded')
    assert.equal(result.truncated, true)
    assert.equal(result.stdout?.length, 65_536)
    assert.equal(result.stdout_bytes_total, 300_000)
  })

  it('refuses a host whose key is not the pinned one, and runs nothing', async () => {
    const marker = join(dir, 'ran-on-impostor')
    const wrong = sshFingerprint((utils.parseKey(otherKey.public) as ParsedKey).getPublicSSH())
    const result = await run({ command: `touch ${marker}` }, { host_fingerprint: wrong })
    assert.equal(result.status, 'failed')
    assert.equal(result.error, `the host key of 127.0.0.1:${port} is ${hostFingerprint}, not the configured host_fingerprint ${wrong}: refused, nothing was run`)
    assert.equal(existsSync(marker), false)
  })

  it('reports a key the host refuses, and runs nothing', async () => {
    const marker = join(dir, 'ran-with-wrong-key')
    const result = await run({ command: `touch ${marker}` }, { private_key: `file:${join(dir, 'other')}`, passphrase: undefined })
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /authentication as deploy@127.0.0.1:\d+ was refused/)
    assert.equal(existsSync(marker), false)
  })

  it('never shows the key, the passphrase or a password', async () => {
    const password = 'ssh-pw-5f4e3d2c1b'
    const secrets = [clientKey.private.split('\n')[1]!, 'correct horse', password]
    const results = [
      await run({ command: `echo "correct horse"; echo '${password}' >&2; cat ${join(dir, 'id_ed25519')}` }, { password: `env:${testSecret(password)}` }, undefined, { reviewed: true }),
      await run({ command: 'true' }, { passphrase: `env:${testSecret('wrong passphrase')}` }),
      await run({ command: 'true' }, { private_key: undefined, passphrase: undefined, password: `env:${testSecret(password)}` }),
    ]
    assert.equal(results[0]!.status, 'succeeded', results[0]!.error)
    assert.match(results[1]!.error ?? '', /could not start/)
    assert.match(results[2]!.error ?? '', /was refused/)
    for (const result of results) for (const secret of secrets) assertNoSecret(result, secret)
  })

  it('requires a pinned host key and a credential', () => {
    const problems = connectorProblems(testTarget('shell', { type: 'ssh', host: 'web-1.internal', username: 'deploy' }, 'web-1'))
    assert.deepEqual(problems, ['target web-1: connector option host_fingerprint: expected the host key fingerprint, SHA256:… as `ssh-keygen -lf` prints it'])
    assert.deepEqual(connectorProblems(testTarget('shell', { type: 'ssh', host: 'web-1.internal', username: 'deploy', host_fingerprint: hostFingerprint }, 'web-1')), [
      'target web-1: connector option private_key: expected private_key (or password)',
    ])
    assert.deepEqual(connectorProblems(sshTarget()), [])
  })
})

describe('ssh connector sandbox', () => {
  /** The test host is this machine: where it cannot sandbox, every sandboxed run must fail closed instead. */
  const hostCanSandbox = async () => (await sandboxProblem(findBwrap(), undefined)) === undefined

  it("runs a command the policy allowed alone in the host's read-only sandbox: a write fails there, visibly", async () => {
    const marker = join(dir, 'remote-write')
    const result = await run({ command: `echo reading; echo x > ${marker}` }, { cwd: dir })
    if (!(await hostCanSandbox())) {
      assert.match(result.error ?? '', /cannot provide: .*nothing was run/)
      return
    }
    assert.equal(result.sandboxed, true)
    assert.equal(result.status, 'failed')
    assert.equal(result.stdout, 'reading\n')
    assert.match(result.stderr ?? '', /remote-write: Read-only file system/)
    assert.equal(existsSync(marker), false)
  })

  it('runs a command approved by humans as approved, and any command where the target says sandbox: off', async () => {
    const reviewed = await run({ command: `touch ${join(dir, 'approved')}` }, {}, undefined, { reviewed: true })
    assert.equal(reviewed.status, 'succeeded', reviewed.stderr)
    assert.equal(reviewed.sandboxed, false)
    const off = await run({ command: `touch ${join(dir, 'opted-out')}` }, { sandbox: 'off' })
    assert.equal(off.status, 'succeeded', off.stderr)
    assert.equal(existsSync(join(dir, 'approved')) && existsSync(join(dir, 'opted-out')), true)
  })

  it('fails closed on a host without bubblewrap: nothing runs', async () => {
    const marker = join(dir, 'unsandboxed-remote-write')
    const path = process.env.PATH
    // The test host's shell inherits this process's PATH: no bwrap on it.
    process.env.PATH = '/nonexistent'
    let result
    try {
      result = await run({ command: `/usr/bin/touch ${marker}` })
    } finally {
      process.env.PATH = path
    }
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /must run in a read-only sandbox, which 127\.0\.0\.1 cannot provide: bubblewrap \(bwrap\) is not installed; nothing was run \(connector option sandbox: off/)
    assert.equal(existsSync(marker), false)
  })

  it('sends a POSIX script that exits 125 with the reason before running anything where the sandbox cannot be built', async () => {
    const script = remoteSandboxScript(`touch ${join(dir, 'never')}`, undefined)
    const child = spawn('/bin/sh', ['-c', script], { env: { PATH: '/nonexistent' }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise((resolve) => child.on('close', resolve))
    assert.equal(code, REMOTE_UNAVAILABLE.exitCode)
    assert.equal(stderr, `${REMOTE_UNAVAILABLE.marker} bubblewrap (bwrap) is not installed\n`)
    assert.equal(existsSync(join(dir, 'never')), false)
  })

  it('exports the COUNTERSIGN_* identity in the remote command, quoted so no value runs as code', async () => {
    const target = sshTarget()
    const connector = createConnector(target)
    const context = testContext({ agent: `x'; touch ${join(dir, 'pwned-by-agent')}; echo '` })
    try {
      const result = await connector.execute({ ...testRequest(target, { command: 'env | grep ^COUNTERSIGN_ | sort' }, undefined, null, context), reviewed: true })
      assert.equal(result.status, 'succeeded', result.error)
      assert.equal(
        result.stdout,
        `COUNTERSIGN_AGENT=${identityText(context.agent)}\nCOUNTERSIGN_APPROVERS=alice@example.com,bob@example.com\nCOUNTERSIGN_ON_BEHALF_OF=dev@example.com\nCOUNTERSIGN_REQUEST_ID=${context.request_id}\n`,
      )
      assert.equal(existsSync(join(dir, 'pwned-by-agent')), false)
    } finally {
      await connector.close()
    }
    const off = await run({ command: 'env | grep -c ^COUNTERSIGN_ || true' }, { identity: false }, undefined, { reviewed: true })
    assert.equal(off.stdout, '0\n')
  })
})

import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { configFromObject } from '../config/index.js'
import { createConnector, gatewaySecretsOf, NO_GATEWAY_SECRETS, type ExecutionResult, type GatewaySecrets } from './index.js'
import { findBwrap, sandboxProblem, seccompFilter } from './sandbox.js'
import { quote } from './shell-quote.js'
import { assertNoSecret, testRequest, testSecret, testTarget } from './test-support.js'

const dir = mkdtempSync(join(tmpdir(), 'cs-sandbox-'))
const dataDir = join(dir, 'data')
const configDir = join(dir, 'etc')
mkdirSync(dataDir)
mkdirSync(configDir)
const auditKey = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKs9dYvRk8Lq3ZkE0w8u7pW1aXcF2mN4bH6jT9oQ1sUe\n-----END PRIVATE KEY-----'
writeFileSync(join(dataDir, 'audit-ed25519.pem'), auditKey, { mode: 0o600 })
const signingKey = join(configDir, 'signing.pem')
writeFileSync(signingKey, 'file-secret-Zq8wX3vB7nK2mP5r', { mode: 0o600 })
/** A secret of another target, in the gateway's environment only (the command is never given it). */
const otherTargetPassword = 'pg-pass-Hk7Rw2Xn9Vb4Lq8T'
const otherTargetUrl = testSecret(`postgres://app:${otherTargetPassword}@db:5432/app`)
const config = configFromObject(
  {
    policy: 'policy.yaml',
    store: { data_dir: dataDir },
    audit: { signing_key: `file:${signingKey}` },
    targets: [
      { name: 'db', kind: 'sql', connector: { type: 'postgres', url: `env:${otherTargetUrl}` } },
      { name: 'host', kind: 'shell', connector: { type: 'shell', cwd: dir, run_as_gateway_user: true } },
    ],
  },
  { baseDir: configDir, file: join(configDir, 'countersign.yaml') },
)
const gateway = gatewaySecretsOf(config, [join(dataDir, 'audit-ed25519.pem')])

let socketServer: Server
const socketPath = join(dir, 'service.sock')
let socketConnections = 0
before(async () => {
  socketServer = createServer((socket) => {
    socketConnections++
    socket.end('hello\n')
  })
  await new Promise<void>((resolve) => socketServer.listen(socketPath, resolve))
})
after(async () => {
  await new Promise((resolve) => socketServer.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

const shellTarget = (options: Record<string, unknown> = {}) => testTarget('shell', { type: 'shell', cwd: dir, run_as_gateway_user: true, ...options }, 'host')

async function run(command: string, { reviewed = false, options = {}, secrets = gateway }: { reviewed?: boolean; options?: Record<string, unknown>; secrets?: GatewaySecrets } = {}): Promise<ExecutionResult> {
  const target = shellTarget(options)
  const connector = createConnector(target, secrets)
  try {
    return await connector.execute({ ...testRequest(target, { command }), reviewed })
  } finally {
    await connector.close()
  }
}

/** Where this machine cannot sandbox, every sandboxed run must fail closed, with nothing run: checked instead of skipped. */
const available = (await sandboxProblem(findBwrap(), undefined)) === undefined

function assertFailedClosed(result: ExecutionResult): void {
  assert.equal(result.status, 'failed')
  assert.match(result.error ?? '', /must run in the read-only sandbox, which is not available: .*; nothing was run/)
  assert.equal(result.stdout, undefined)
}

describe('shell sandbox', () => {
  it('runs a command the policy allowed alone in the read-only sandbox: a write fails, visibly in stderr and exit code', async () => {
    const marker = join(dir, 'written')
    const result = await run(`echo reading; echo x > ${marker}; touch /etc/cs-sandbox-write`)
    if (!available) return assertFailedClosed(result)
    assert.equal(result.sandboxed, true)
    assert.equal(result.status, 'failed')
    assert.equal(result.stdout, 'reading\n')
    assert.match(result.stderr ?? '', /written: Read-only file system/)
    assert.match(result.stderr ?? '', /cs-sandbox-write.*Read-only file system/)
    assert.notEqual(result.exit_code, 0)
    assert.equal(existsSync(marker), false)
    assert.equal(existsSync('/etc/cs-sandbox-write'), false)
  })

  it('gives the command a private, writable /tmp that is gone afterwards', async () => {
    const result = await run('echo scratch > /tmp/cs-scratch && cat /tmp/cs-scratch')
    if (!available) return assertFailedClosed(result)
    assert.equal(result.status, 'succeeded', result.stderr)
    assert.equal(result.stdout, 'scratch\n')
    assert.equal(existsSync('/tmp/cs-scratch'), false)
  })

  it('reaches no network: neither TCP to the host nor a Unix socket on the read-only filesystem', async () => {
    const node = process.execPath
    const connect = `require('net').connect(process.argv[1]).on('error', (e) => { console.log(e.code); process.exit(3) }).on('data', (d) => process.stdout.write('got ' + d))`
    const result = await run(`(exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && echo tcp-open || echo tcp-refused; ${node} -e "${connect}" ${socketPath}`)
    if (!available) return assertFailedClosed(result)
    assert.equal(result.stdout, 'tcp-refused\nEACCES\n')
    assert.equal(socketConnections, 0)
    // The same command, approved by humans, reaches both: the sandbox is what stopped them.
    const reviewed = await run(`${node} -e "${connect}" ${socketPath}`, { reviewed: true })
    assert.equal(reviewed.stdout, 'got hello\n')
    assert.equal(reviewed.sandboxed, false)
  })

  it("cannot read the gateway's environment, data directory, config directory or key files (bypass 8)", async () => {
    // /proc/PID/environ shows a process's environment as it started: a variable this (gateway) process started with, not passed on.
    const started = readFileSync('/proc/self/environ', 'utf8').split('\0').find((entry) => /^[A-Za-z_]\w*=./.test(entry) && !/^(PATH|HOME|LANG|LC_ALL|TZ)=/.test(entry))!
    const command = `cat /proc/$PPID/environ /proc/1/environ 2>/dev/null | tr '\\0' '\\n' | grep -cxF -- ${quote(started)}; ls /proc | grep -c '^[0-9]'; cat ${dataDir}/audit-ed25519.pem ${signingKey}; ls -A ${dataDir} ${configDir}`
    const result = await run(command)
    if (!available) return assertFailedClosed(result)
    const [environHits, processes, ...rest] = (result.stdout ?? '').split('\n')
    assert.equal(environHits, '0', 'the gateway environment was visible')
    assert.ok(Number(processes) <= 4, `the command saw ${processes} processes`)
    assert.match(result.stderr ?? '', /audit-ed25519.pem: No such file or directory/)
    assert.ok(!rest.join('\n').includes('audit-ed25519'), result.stdout)
    for (const secret of [auditKey, 'file-secret-Zq8wX3vB7nK2mP5r', otherTargetPassword]) assertNoSecret(result, secret)
    // Before: the same command, unsandboxed and unmasked as it ran then, read them all.
    const before = await run(command, { options: { sandbox: 'off' }, secrets: NO_GATEWAY_SECRETS })
    assert.match(before.stdout ?? '', /^1\n/)
    assert.ok((before.stdout ?? '').includes(auditKey) && (before.stdout ?? '').includes('file-secret-Zq8wX3vB7nK2mP5r'), before.stdout)
  })

  it('masks every secret the gateway holds in a result, not only the connector’s own (bypass 8, approved run)', async () => {
    // Approved by humans, unsandboxed and as the gateway's user: it can read them; the result still never shows them.
    const result = await run(`tr '\\0' '\\n' < /proc/$PPID/environ | grep ${otherTargetUrl}; cat ${join(dataDir, 'audit-ed25519.pem')} ${signingKey}`, { reviewed: true })
    assert.equal(result.status, 'succeeded', result.stderr)
    assert.match(result.stdout ?? '', /\*\*\*/)
    for (const secret of [auditKey, 'file-secret-Zq8wX3vB7nK2mP5r', otherTargetPassword, auditKey.split('\n')[1]!]) assertNoSecret(result, secret)
  })

  it('runs commands approved by humans unsandboxed, as approved', async () => {
    const marker = join(dir, 'approved-write')
    const result = await run(`echo x > ${marker}`, { reviewed: true })
    assert.equal(result.status, 'succeeded', result.stderr)
    assert.equal(result.sandboxed, false)
    assert.equal(existsSync(marker), true)
  })

  it('runs unsandboxed where the target opts out with sandbox: off', async () => {
    const marker = join(dir, 'opted-out-write')
    const result = await run(`echo x > ${marker}`, { options: { sandbox: 'off' } })
    assert.equal(result.status, 'succeeded', result.stderr)
    assert.equal(result.sandboxed, false)
    assert.equal(existsSync(marker), true)
  })

  it('fails closed where the sandbox is unavailable: nothing runs', async () => {
    const marker = join(dir, 'unsandboxed-write')
    const path = process.env.PATH
    process.env.PATH = '/nonexistent'
    let result: ExecutionResult
    try {
      result = await run(`echo x > ${marker}`, { secrets: NO_GATEWAY_SECRETS })
    } finally {
      process.env.PATH = path
    }
    assertFailedClosed(result)
    assert.match(result.error ?? '', /bubblewrap \(bwrap\) is not installed.*sandbox: off/)
    assert.equal(existsSync(marker), false)
  })

  it('ends the sandboxed processes at the timeout, those left in the background too', async () => {
    const result = await run('sleep 30 & sleep 30', { options: { timeout: '300ms' } })
    if (!available) return assertFailedClosed(result)
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /did not finish within 0.3s/)
  })

  it('has a socket filter for the architectures it supports, and none for others', () => {
    assert.equal(seccompFilter('x64')?.length, 8 * 15)
    assert.ok(seccompFilter('arm64'))
    assert.equal(seccompFilter('riscv64'), undefined)
  })

  it('refuses an unknown sandbox mode', () => {
    assert.throws(() => createConnector(shellTarget({ sandbox: 'maybe' })), /connector option sandbox: expected one of required, off/)
  })
})

describe('gateway secrets', () => {
  it('are every secret reference of the configuration, its data and config directories and its key files', () => {
    const values = gateway.values()
    assert.ok(values.includes(`postgres://app:${otherTargetPassword}@db:5432/app`))
    assert.ok(values.includes('file-secret-Zq8wX3vB7nK2mP5r'))
    assert.ok(values.includes(auditKey))
    assert.deepEqual([...gateway.paths].sort(), [join(dataDir, 'audit-ed25519.pem'), signingKey, dataDir, join(configDir, 'countersign.yaml'), configDir].sort())
    const system = gatewaySecretsOf(configFromObject({ policy: 'policy.yaml', store: { database_url: 'env:CS_NO_SUCH_URL' }, audit: { signing_key: 'env:CS_NO_SUCH_KEY' } }, { baseDir: '/etc', file: '/etc/countersign.yaml' }))
    assert.deepEqual(system.paths, ['/etc/countersign.yaml'])
    assert.deepEqual(system.values(), [])
  })
})

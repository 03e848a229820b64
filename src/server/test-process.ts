import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { stringify } from 'yaml'
import { generateSigningKey } from '../audit/index.js'
import { generateToken } from '../service/index.js'
import { PEOPLE, TEST_POLICY } from './test-gateway.js'

const BIN = resolve(import.meta.dirname, '../../bin/countersign.js')

/** A config file for gateway processes in tests, with its tokens. */
export interface TestConfigFile {
  readonly file: string
  readonly dir: string
  readonly tokens: { readonly agent: string; readonly alice: string; readonly bob: string; readonly erin: string; readonly carol: string }
}

/** Writes a countersign.yaml for a gateway process: the test organization on `store`. */
export function writeTestConfig(store: { data_dir: string } | { database_url: string }, policy = TEST_POLICY, extra: { targets?: readonly Record<string, unknown>[]; execution?: Record<string, unknown> } = {}): TestConfigFile {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-proc-'))
  writeFileSync(join(dir, 'policy.yaml'), policy)
  writeFileSync(join(dir, 'audit.pem'), generateSigningKey().privateKeyPem, { mode: 0o600 })
  const t = { agent: generateToken('agent'), alice: generateToken('human'), bob: generateToken('human'), erin: generateToken('human'), carol: generateToken('human') }
  const config = {
    server: { listen: '127.0.0.1:0' },
    store,
    policy: './policy.yaml',
    identities: {
      humans: [
        { email: PEOPLE.alice, groups: ['dba', 'oncall'], token_sha256: [t.alice.sha256] },
        { email: PEOPLE.bob, groups: ['dba'], token_sha256: [t.bob.sha256] },
        { email: PEOPLE.erin, groups: ['dba'], token_sha256: [t.erin.sha256] },
        { email: PEOPLE.carol, groups: ['security'], token_sha256: [t.carol.sha256] },
      ],
      agents: [{ id: 'deploy-bot', owner: PEOPLE.carol, token_sha256: [t.agent.sha256] }],
      admins: [PEOPLE.carol],
      auditors: [PEOPLE.alice],
    },
    targets: [{ name: 'prod-db', kind: 'sql', labels: { env: 'prod' } }, ...(extra.targets ?? [])],
    audit: { signing_key: 'file:./audit.pem', checkpoint_interval: '1s' },
    ...(extra.execution && { execution: extra.execution }),
  }
  const file = join(dir, 'countersign.yaml')
  writeFileSync(file, stringify(config))
  return { file, dir, tokens: { agent: t.agent.token, alice: t.alice.token, bob: t.bob.token, erin: t.erin.token, carol: t.carol.token } }
}

/** A gateway running as its own process (`countersign serve`), as operators run it. */
export interface GatewayProcess {
  readonly url: string
  readonly child: ChildProcess
  /** Resolves with the exit code or signal once the process ends. */
  readonly exited: Promise<number | NodeJS.Signals | null>
  stderr(): string
}

/**
 * Starts `countersign serve --config FILE --port 0` and resolves once it serves. `nodeOptions` go
 * to node before the script (e.g. `--cpu-prof`, which NODE_OPTIONS does not take).
 */
export function spawnGateway(configFile: string, options: { timeoutMs?: number; nodeOptions?: readonly string[] } = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), BIN, 'serve', '--config', configFile, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } })
  let stdout = ''
  let stderr = ''
  const exited = new Promise<number | NodeJS.Signals | null>((done) => child.once('exit', (code, signal) => done(signal ?? code)))
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`gateway did not start: ${stderr}${stdout}`))
    }, options.timeoutMs ?? 60_000)
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const match = /"url":"(http:[^"]+)".*"msg":"countersign is serving"/.exec(stdout)
      if (match) {
        clearTimeout(timer)
        resolveStart({ url: match[1]!, child, exited, stderr: () => stderr })
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`gateway exited (${code}) before serving: ${stderr}${stdout}`))
    })
  })
}

/** Calls a gateway process's API. */
export async function callApi(url: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url + path, {
    method,
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}

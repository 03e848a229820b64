import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { pino } from 'pino'
import { generateSigningKey } from '../audit/index.js'
import { configFromObject, type Config } from '../config/index.js'
import { assembleGateway, type AssembledGateway } from '../server/index.js'
import { PEOPLE, TEST_POLICY } from '../server/test-gateway.js'
import { generateToken } from '../service/index.js'
import type { Database, StoreConnection } from '../store/index.js'

/** Tokens of the test organization's agents (the humans sign in to the console instead). */
export interface AgentTokens {
  readonly deployBot: string
  readonly analyticsAgent: string
}

/**
 * The test organization of `testGateway` (alice: dba, oncall, auditor, owns analytics-agent;
 * bob: dba; erin: dba, oncall; carol: security, admin, owns deploy-bot) with a `console` section.
 */
export function consoleTestConfig(options: { console: Record<string, unknown>; publicUrl: string; allowedDomains?: readonly string[]; policy?: string; policySource?: 'file' | 'store' }): { config: Config; tokens: AgentTokens } {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-console-'))
  writeFileSync(join(dir, 'policy.yaml'), options.policy ?? TEST_POLICY)
  writeFileSync(join(dir, 'audit.pem'), generateSigningKey().privateKeyPem, { mode: 0o600 })
  const deployBot = generateToken('agent')
  const analyticsAgent = generateToken('agent')
  const config = configFromObject(
    {
      server: { listen: '127.0.0.1:0', public_url: options.publicUrl },
      store: { data_dir: dir },
      policy: options.policySource ? { source: options.policySource, file: './policy.yaml' } : './policy.yaml',
      identities: {
        humans: [
          { email: PEOPLE.alice, groups: ['dba', 'oncall'] },
          { email: PEOPLE.bob, groups: ['dba'] },
          { email: PEOPLE.erin, groups: ['dba', 'oncall'] },
          { email: PEOPLE.carol, groups: ['security'] },
        ],
        agents: [
          { id: 'deploy-bot', owner: PEOPLE.carol, token_sha256: [deployBot.sha256] },
          { id: 'analytics-agent', owner: PEOPLE.alice, token_sha256: [analyticsAgent.sha256] },
        ],
        admins: [PEOPLE.carol],
        auditors: [PEOPLE.alice],
        allowed_domains: options.allowedDomains ?? [],
      },
      targets: [
        { name: 'prod-db', kind: 'sql', labels: { env: 'prod' } },
        { name: 'build-host', kind: 'shell', labels: { env: 'staging' } },
      ],
      audit: { signing_key: 'file:./audit.pem' },
      console: options.console,
    },
    { baseDir: dir },
  )
  return { config, tokens: { deployBot: deployBot.token, analyticsAgent: analyticsAgent.token } }
}

/** A directory of stand-in built assets: a page and one hashed script. */
export function fakeAssets(): string {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-assets-'))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Countersign</title><script type="module" src="/assets/index-Abc123.js"></script>')
  writeFileSync(join(dir, 'assets', 'index-Abc123.js'), `console.log(${JSON.stringify('x'.repeat(4000))})\n`)
  return dir
}

/** A gateway serving HTTP on a free port of 127.0.0.1 (its config may depend on the URL, e.g. an OIDC redirect URI). */
export interface ServedGateway {
  readonly url: string
  readonly gateway: AssembledGateway
  readonly config: Config
  close(): Promise<void>
}

/** Listens first, then assembles the gateway for the URL it got, as `startGateway` does, on a test store. */
export async function serveTestGateway(connection: StoreConnection<Database>, configFor: (url: string) => Config, options: { clock?: () => Date } = {}): Promise<ServedGateway> {
  let fetch: (request: Request) => Response | Promise<Response> = () => new Response(null, { status: 503 })
  const server = await new Promise<ServerType>((resolve) => {
    const listening: ServerType = serve({ fetch: (request) => fetch(request), hostname: '127.0.0.1', port: 0 }, () => resolve(listening))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const config = configFor(url)
  const gateway = await assembleGateway(config, connection, { logger: pino({ level: 'silent' }), sweepMs: 60_000, ...(options.clock && { clock: options.clock }) })
  fetch = gateway.app.fetch
  return {
    url,
    gateway,
    config,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
      })
      await gateway.close()
    },
  }
}

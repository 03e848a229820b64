import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { pino } from 'pino'
import { generateSigningKey } from '../audit/index.js'
import { configFromObject, type Config } from '../config/index.js'
import { generateToken } from '../service/index.js'
import type { Database, StoreConnection } from '../store/index.js'
import { assembleGateway, type AssembledGateway, type AssembleOptions } from './assemble.js'

/** The people and agents of the test organization, and who they are. */
export const PEOPLE = {
  alice: 'alice@example.com', // dba, oncall; owns analytics-agent; auditor
  bob: 'bob@example.com', // dba
  erin: 'erin@example.com', // dba, oncall
  carol: 'carol@example.com', // security, admin; owns deploy-bot
  frank: 'frank@example.com', // security
  dave: 'dave@example.com', // auditor only
} as const
export type Person = keyof typeof PEOPLE | 'deployBot' | 'analyticsAgent'

/** A small policy exercising every effect; tests may pass their own. */
export const TEST_POLICY = `
version: 1
default: review
default_review: { approvers: [group:oncall], timeout: 1h }
rules:
  - id: read-only
    match: { kind: sql }
    when: sql.read_only
    effect: allow
  - id: no-drop
    when: sql.statements.exists(s, s.type == "drop")
    effect: deny
    message: Dropping is never allowed.
  - id: unscoped-writes
    match: { kind: sql, env: prod }
    when: sql.statements.exists(s, s.type in ["delete", "update"] && !s.has_where)
    effect: review
    review: { approvers: [group:dba], min_approvals: 2, timeout: 30m, execute_within: 15m }
  - id: scoped-writes
    match: { kind: sql, env: prod }
    when: sql.statements.exists(s, s.type in ["delete", "update", "insert"] && s.has_where)
    effect: review
    review: { approvers: [group:dba], timeout: 1h, execute_within: 10m }
  - id: grants
    match: { kind: sql }
    when: sql.dcl
    effect: review
    review: { approvers: [group:security], reason_required: true }
  - id: shell-echo
    match: { kind: shell }
    when: shell.programs.all(p, p == "echo")
    effect: allow
`

/** A gateway on a test store, with a token per person and helpers to call its API in-process. */
export interface TestGateway extends AssembledGateway {
  readonly config: Config
  readonly tokens: Readonly<Record<Person, string>>
  /** Calls the API in-process as `who` (or with a raw token, or none). */
  call(method: string, path: string, options?: { as?: Person; token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>
  /** Moves the gateway's clock forward. */
  advance(ms: number): void
}

/**
 * Assembles a gateway for tests on `connection` (from `testStores()`), with a fixed
 * organization: humans in groups, two agents with owners, three targets.
 */
export async function testGateway(
  connection: StoreConnection<Database>,
  options: { policy?: string; policySource?: 'file' | 'store'; now?: Date; sweepMs?: number; targets?: readonly Record<string, unknown>[]; channels?: Record<string, unknown>; telemetry?: Record<string, unknown>; workload?: readonly Record<string, unknown>[]; assemble?: Partial<AssembleOptions>; audit?: Record<string, unknown>; calendars?: Record<string, unknown>; oncall?: Record<string, unknown> } = {},
): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-test-'))
  writeFileSync(join(dir, 'policy.yaml'), options.policy ?? TEST_POLICY)
  writeFileSync(join(dir, 'audit.pem'), generateSigningKey().privateKeyPem, { mode: 0o600 })
  const people = Object.keys(PEOPLE) as (keyof typeof PEOPLE)[]
  const tokens = Object.fromEntries([
    ...people.map((person) => [person, generateToken('human')] as const),
    ['deployBot', generateToken('agent')] as const,
    ['analyticsAgent', generateToken('agent')] as const,
  ]) as Record<Person, { token: string; sha256: string }>
  const human = (person: keyof typeof PEOPLE, groups: string[]) => ({ email: PEOPLE[person], groups, token_sha256: [tokens[person].sha256] })
  const config = configFromObject(
    {
      server: { listen: '127.0.0.1:0', public_url: 'https://countersign.test' },
      store: { data_dir: dir },
      policy: options.policySource ? { source: options.policySource, file: './policy.yaml' } : './policy.yaml',
      identities: {
        humans: [human('alice', ['dba', 'oncall']), human('bob', ['dba']), human('erin', ['dba', 'oncall']), human('carol', ['security']), human('frank', ['security']), human('dave', [])],
        agents: [
          { id: 'deploy-bot', owner: PEOPLE.carol, labels: { team: 'platform' }, token_sha256: [tokens.deployBot.sha256] },
          { id: 'analytics-agent', owner: PEOPLE.alice, labels: { team: 'data' }, token_sha256: [tokens.analyticsAgent.sha256] },
        ],
        admins: [PEOPLE.carol],
        auditors: [PEOPLE.alice, PEOPLE.dave],
        ...(options.workload && { workload: options.workload }),
      },
      targets: [
        { name: 'prod-db', kind: 'sql', labels: { env: 'prod' } },
        { name: 'staging-db', kind: 'sql', labels: { env: 'staging' }, connector: { type: 'postgres', url: 'env:STAGING_DB_URL' } },
        { name: 'build-host', kind: 'shell', labels: { env: 'staging' } },
        ...(options.targets ?? []),
      ],
      audit: { signing_key: 'file:./audit.pem', ...options.audit },
      ...(options.channels && { channels: options.channels }),
      ...(options.telemetry && { telemetry: options.telemetry }),
      ...(options.calendars && { calendars: options.calendars }),
      ...(options.oncall && { oncall: options.oncall }),
    },
    { baseDir: dir },
  )
  let offset = 0
  const start = options.now?.getTime()
  const clock = () => new Date((start ?? Date.now()) + offset)
  const assembled = await assembleGateway(config, connection, { logger: pino({ level: 'silent' }), clock, sweepMs: options.sweepMs ?? 60_000, ...options.assemble })
  const plainTokens = Object.fromEntries(Object.entries(tokens).map(([person, pair]) => [person, pair.token])) as Record<Person, string>
  return {
    ...assembled,
    config,
    tokens: plainTokens,
    advance: (ms) => {
      offset += ms
    },
    async call(method, path, callOptions = {}) {
      const headers: Record<string, string> = { ...callOptions.headers }
      const token = callOptions.token ?? (callOptions.as ? plainTokens[callOptions.as] : undefined)
      if (token) headers['authorization'] = `Bearer ${token}`
      let body: string | undefined = callOptions.rawBody
      if (callOptions.body !== undefined) {
        body = JSON.stringify(callOptions.body)
        headers['content-type'] ??= 'application/json'
      }
      // As a real HTTP client does: the API wants the body's length up front.
      if (body !== undefined) headers['content-length'] ??= String(Buffer.byteLength(body))
      const response = await assembled.app.request(path, { method, headers, ...(body !== undefined && { body }) })
      const text = await response.text()
      const type = response.headers.get('content-type') ?? ''
      return { status: response.status, headers: response.headers, body: /json/.test(type) && text ? JSON.parse(text) : text }
    },
  }
}

/**
 * Serves `fetch` (a test gateway's app) on a free port of 127.0.0.1. `close` ends open long polls
 * and event streams too, which would otherwise hold it open.
 */
export async function serveOnLoopback(fetch: (request: Request) => Response | Promise<Response>): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server = await new Promise<ServerType>((resolve) => {
    const started: ServerType = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
      }),
  }
}

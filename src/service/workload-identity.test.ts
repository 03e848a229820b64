import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'
import { pino } from 'pino'
import { generateSigningKey } from '../audit/index.js'
import { configFromObject } from '../config/index.js'
import { CountersignError } from '../errors/index.js'
import { assembleGateway, type AssembledGateway } from '../server/assemble.js'
import { TEST_POLICY } from '../server/test-gateway.js'
import { testStores } from '../store/connection/index.js'
import { generateToken } from './tokens.js'

/**
 * A real OpenID issuer on 127.0.0.1, as a CI system runs one: a discovery document, a key set
 * (an RSA and an EC key) and tokens signed with jose. `/mismatch` is an issuer whose discovery
 * document names another issuer.
 */
class LocalIssuer {
  readonly server: Server
  url = ''
  readonly keys: { rs: CryptoKey; es: CryptoKey; published: JWK[] } = { rs: undefined!, es: undefined!, published: [] }
  rsPublicPem = ''
  jwksRequests = 0

  constructor() {
    this.server = createServer((request, response) => {
      const json = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      if (request.url === '/.well-known/openid-configuration') return json({ issuer: this.url, jwks_uri: `${this.url}/jwks` })
      if (request.url === '/mismatch/.well-known/openid-configuration') return json({ issuer: `${this.url}/elsewhere`, jwks_uri: `${this.url}/jwks` })
      if (request.url === '/jwks') {
        this.jwksRequests++
        return json({ keys: this.keys.published })
      }
      response.writeHead(404).end()
    })
  }

  async start(): Promise<void> {
    const rs = await generateKeyPair('RS256')
    const es = await generateKeyPair('ES256')
    this.keys.rs = rs.privateKey
    this.keys.es = es.privateKey
    this.keys.published = [
      { ...(await exportJWK(rs.publicKey)), kid: 'rs-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' },
    ]
    this.rsPublicPem = await exportSPKI(rs.publicKey)
    this.server.listen(0, '127.0.0.1')
    await once(this.server, 'listening')
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  /** A GitHub Actions-like token: valid for `countersign`, for acme/infra's main branch, for five minutes. */
  sign(claims: JWTPayload = {}, options: { key?: CryptoKey; alg?: string; kid?: string; exp?: number | null } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    const payload: JWTPayload = { iss: this.url, aud: 'countersign', sub: 'repo:acme/infra:ref:refs/heads/main', repository: 'acme/infra', repository_owner: 'acme', ref: 'refs/heads/main', workflow: 'deploy', iat: now, nbf: now, ...claims }
    if (options.exp !== null) payload.exp = options.exp ?? now + 300
    return new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'rs-1', typ: 'JWT' }).sign(options.key ?? this.keys.rs)
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('workload identity with a local OIDC issuer', () => {
  const issuer = new LocalIssuer()
  const logs: { reason?: string; msg: string; agent?: string }[] = []
  const opaque = generateToken('agent')
  let gw: AssembledGateway
  let drop: () => Promise<void>
  let generic = ''

  before(async () => {
    await issuer.start()
    const dir = mkdtempSync(join(tmpdir(), 'countersign-workload-'))
    writeFileSync(join(dir, 'policy.yaml'), TEST_POLICY)
    writeFileSync(join(dir, 'audit.pem'), generateSigningKey().privateKeyPem, { mode: 0o600 })
    const config = configFromObject(
      {
        server: { listen: '127.0.0.1:0', public_url: 'https://countersign.test' },
        store: { data_dir: dir },
        policy: './policy.yaml',
        identities: {
          humans: [{ email: 'carol@example.com', groups: ['oncall'] }],
          agents: [
            { id: 'deploy-bot', owner: 'carol@example.com', labels: { team: 'platform' }, token_sha256: [opaque.sha256] },
            { id: 'analytics-agent', owner: 'alice@example.com' },
          ],
          workload: [
            {
              issuer: issuer.url,
              audience: 'countersign',
              agents: [
                { id: 'deploy-bot', match: { repository: 'acme/infra', ref: ['refs/heads/main', 'refs/heads/release'] } },
                { id: 'analytics-agent', match: { repository: 'acme/analytics' } },
                { id: 'analytics-agent', match: { workflow: 'shared-maintenance' } },
              ],
            },
            { issuer: `${issuer.url}/mismatch`, audience: 'countersign', agents: [{ id: 'deploy-bot', match: { repository: 'acme/infra' } }] },
            { issuer: `${issuer.url}/pinned`, audience: 'countersign', jwks_url: `${issuer.url}/jwks`, algorithms: ['ES256'], agents: [{ id: 'analytics-agent', match: { repository: 'acme/analytics' } }] },
          ],
        },
        targets: [{ name: 'build-host', kind: 'shell', labels: { env: 'staging' } }],
        audit: { signing_key: 'file:./audit.pem' },
      },
      { baseDir: dir },
    )
    const connection = await testStores()[0]!.open()
    drop = connection.drop
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) })
    gw = await assembleGateway(config, connection, { logger, sweepMs: 60_000 })
    generic = (await me('cs_agent_' + 'x'.repeat(43))).body.detail
  })
  after(async () => {
    await gw.close()
    await drop()
    await issuer.close()
  })

  async function me(token: string): Promise<{ status: number; body: any }> {
    const response = await gw.app.request('/v1/me', { headers: { authorization: `Bearer ${token}` } })
    return { status: response.status, body: await response.json() }
  }

  /** Asserts the token is refused with the same answer as any bad token, and the log says why. */
  async function refused(token: string, why: RegExp): Promise<void> {
    const before = logs.length
    const { status, body } = await me(token)
    assert.equal(status, 401)
    assert.equal(body.detail, generic, 'every refusal looks the same to the caller')
    const reasons = logs.slice(before).map((entry) => entry.reason ?? '')
    assert.ok(reasons.some((reason) => why.test(reason)), `logged: ${JSON.stringify(reasons)}`)
  }

  it('lets a CI job with a good token act as its mapped agent, with that agent\'s owner', async () => {
    const token = await issuer.sign()
    assert.deepEqual((await me(token)).body, { type: 'agent', id: 'deploy-bot', owner: 'carol@example.com' })
    const body = JSON.stringify({ kind: 'shell', target: 'build-host', payload: { command: 'echo deployed' } })
    const response = await gw.app.request('/v1/actions', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(body.length) }, body })
    const action = (await response.json()) as { status: string; agent: string; owner: string; submitted_by: string }
    assert.equal(response.status, 201)
    assert.deepEqual([action.status, action.agent, action.owner, action.submitted_by], ['allowed', 'deploy-bot', 'carol@example.com', 'agent:deploy-bot'])
    assert.ok(logs.some((entry) => entry.msg === 'workload identity accepted' && entry.agent === 'deploy-bot'))
  })

  it('matches claims exactly, with a list meaning any one of its values', async () => {
    assert.equal((await me(await issuer.sign({ ref: 'refs/heads/release' }))).body.id, 'deploy-bot')
    assert.equal((await me(await issuer.sign({ repository: 'acme/analytics', ref: 'refs/heads/anything' }))).body.id, 'analytics-agent')
    await refused(await issuer.sign({ ref: 'refs/heads/main-evil' }), /no agent rule matches/)
    await refused(await issuer.sign({ repository: 'ACME/infra' }), /no agent rule matches/)
    await refused(await issuer.sign({ repository: ['acme/infra'] as unknown as string }), /no agent rule matches/)
  })

  it('refuses a token whose claims match rules of two different agents', async () => {
    await refused(await issuer.sign({ workflow: 'shared-maintenance' }), /several agents \(deploy-bot, analytics-agent\)/)
  })

  it('refuses a token for another audience', async () => {
    await refused(await issuer.sign({ aud: 'someone-else' }), /JWTClaimValidationFailed.*"aud"/)
  })

  it('refuses a token from an issuer that is not configured, even with a known key', async () => {
    await refused(await issuer.sign({ iss: 'https://token.actions.githubusercontent.com' }), /not from a configured issuer/)
  })

  it('refuses an expired token and one not valid yet, beyond a small clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000)
    await refused(await issuer.sign({}, { exp: now - 120 }), /JWTExpired/)
    assert.equal((await me(await issuer.sign({}, { exp: now - 10 }))).status, 200, 'ten seconds of skew are tolerated')
    await refused(await issuer.sign({ nbf: now + 600 }), /JWTClaimValidationFailed.*"nbf"/)
    await refused(await issuer.sign({}, { exp: null }), /JWTClaimValidationFailed.*"exp"/)
  })

  it('refuses an unsigned token (alg none)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: issuer.url, aud: 'countersign', repository: 'acme/infra', ref: 'refs/heads/main', exp: now + 300 })}.`
    await refused(unsigned, /JOSEAlgNotAllowed|JWSInvalid|JWTInvalid/)
  })

  it('refuses HS256 signed with the issuer\'s public key as the secret', async () => {
    const forged = await issuer.sign({}, { alg: 'HS256', key: new TextEncoder().encode(issuer.rsPublicPem) as unknown as CryptoKey })
    await refused(forged, /JOSEAlgNotAllowed/)
    const forgedWithJwk = await issuer.sign({}, { alg: 'HS256', key: new TextEncoder().encode(JSON.stringify(issuer.keys.published[0])) as unknown as CryptoKey })
    await refused(forgedWithJwk, /JOSEAlgNotAllowed/)
  })

  it('refuses a token signed with a key that is not in the issuer\'s key set', async () => {
    const rogue = (await generateKeyPair('RS256')).privateKey
    await refused(await issuer.sign({}, { key: rogue }), /JWSSignatureVerificationFailed/)
    await refused(await issuer.sign({}, { key: rogue, kid: 'rogue-1' }), /JWKSNoMatchingKey/)
  })

  it('refuses an issuer whose discovery document names another issuer', async () => {
    await refused(await issuer.sign({ iss: `${issuer.url}/mismatch` }), /names another issuer/)
  })

  it('uses a configured jwks_url and algorithm list without discovery', async () => {
    const pinned = `${issuer.url}/pinned`
    assert.equal((await me(await issuer.sign({ iss: pinned, repository: 'acme/analytics' }, { alg: 'ES256', kid: 'es-1', key: issuer.keys.es }))).body.id, 'analytics-agent')
    await refused(await issuer.sign({ iss: pinned, repository: 'acme/analytics' }), /JOSEAlgNotAllowed/)
  })

  it('keeps the issuer\'s keys: verifying more tokens fetches nothing', async () => {
    await me(await issuer.sign())
    const fetched = issuer.jwksRequests
    for (let i = 0; i < 5; i++) assert.equal((await me(await issuer.sign({ jti: `run-${i}` }))).status, 200)
    assert.equal(issuer.jwksRequests, fetched)
  })

  it('keeps opaque tokens working exactly as before', async () => {
    assert.equal((await me(opaque.token)).body.id, 'deploy-bot')
    assert.equal((await me('not.a.jwt')).status, 401)
    assert.equal((await me('a'.repeat(40))).status, 401)
  })
})

describe('identities.workload in the config', () => {
  const base = (workload: unknown) => ({
    policy: './policy.yaml',
    identities: { agents: [{ id: 'deploy-bot', owner: 'carol@example.com' }], workload },
  })
  const problems = (workload: unknown): string[] => {
    try {
      configFromObject(base(workload), { baseDir: '/tmp' })
    } catch (error) {
      if (error instanceof CountersignError) return error.details.map((detail) => `${detail.path}: ${detail.message}`)
      throw error
    }
    return []
  }
  const entry = (overrides: Record<string, unknown> = {}) => ({ issuer: 'https://token.actions.githubusercontent.com', audience: 'countersign', agents: [{ id: 'deploy-bot', match: { repository: 'acme/infra' } }], ...overrides })

  it('accepts an issuer mapping claims to a configured agent, with safe defaults', () => {
    const config = configFromObject(base([entry()]), { baseDir: '/tmp' })
    assert.deepEqual(config.identities.workload, [{ issuer: 'https://token.actions.githubusercontent.com', audience: 'countersign', algorithms: ['RS256', 'ES256', 'EdDSA'], agents: [{ id: 'deploy-bot', match: { repository: 'acme/infra' } }] }])
  })

  it('refuses a mapping to an agent that is not configured, or to a human', () => {
    assert.deepEqual(problems([entry({ agents: [{ id: 'ghost', match: { repository: 'acme/infra' } }] })]), ['identities.workload[0].agents[0].id: no agent "ghost" in identities.agents: a workload token can only act as a configured agent'])
    assert.match(problems([entry({ agents: [{ id: 'carol@example.com', match: { repository: 'acme/infra' } }] })]).join('\n'), /must not look like an email/)
  })

  it('refuses a rule that matches no claim, or only the claims the verifier checks', () => {
    assert.match(problems([entry({ agents: [{ id: 'deploy-bot', match: {} }] })]).join('\n'), /match at least one claim/)
    assert.match(problems([entry({ agents: [{ id: 'deploy-bot', match: { aud: 'countersign' } }] })]).join('\n'), /checked by the verifier/)
  })

  it('refuses symmetric or missing algorithms, plain-http issuers elsewhere, and a missing audience', () => {
    assert.match(problems([entry({ algorithms: ['HS256'] })]).join('\n'), /algorithms\[0\]/)
    assert.match(problems([entry({ algorithms: ['none'] })]).join('\n'), /algorithms\[0\]/)
    assert.match(problems([entry({ issuer: 'http://ci.example.com' })]).join('\n'), /expected an https:\/\/ URL/)
    assert.match(problems([{ issuer: 'https://ci.example.com', agents: [{ id: 'deploy-bot', match: { sub: 'x' } }] }]).join('\n'), /audience/)
    assert.match(problems([entry(), entry()]).join('\n'), /listed twice/)
  })
})

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { Countersign, commandTokenSource } from '../sdk/index.js'
import { servedGateway, type ServedGateway } from '../sdk/test-served-gateway.js'
import { cliAgainst } from './test-api-stand-in.js'

const ROOT = resolve(import.meta.dirname, '../..')

/** Seconds each token lives, as a CI system's short-lived OIDC tokens do (GitHub's: about 300). */
const LIFETIME_S = 15

/**
 * A local OIDC issuer minting 15-second tokens for the job `acme/infra`. The tokens' times are on
 * the gateway's clock (`gatewayNow`), which the test moves forward: a token expires by an event
 * (the clock advanced past it), never by waiting 15 s.
 */
class LocalIssuer {
  readonly server = createServer((request, response) => {
    const json = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (request.url === '/.well-known/openid-configuration') return json({ issuer: this.url, jwks_uri: `${this.url}/jwks` })
    if (request.url === '/jwks') return json({ keys: [this.jwk] })
    const url = new URL(request.url ?? '/', this.url)
    // /mint: the token itself; /github: as GitHub's runtime token endpoint answers, for its bearer only.
    if (url.pathname === '/mint' || url.pathname === '/github') {
      if (url.pathname === '/github' && request.headers.authorization !== 'bearer runtime-request-token') return response.writeHead(401).end()
      this.minted++
      const now = Math.floor(this.gatewayNow() / 1000)
      void new SignJWT({ repository: 'acme/infra' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'JWT' })
        .setIssuer(this.url)
        .setAudience(url.searchParams.get('audience') ?? 'countersign')
        .setIssuedAt(now)
        .setExpirationTime(now + LIFETIME_S)
        .sign(this.key)
        .then((token) => (url.pathname === '/mint' ? response.end(token) : json({ value: token })))
      return
    }
    response.writeHead(404).end()
  })
  url = ''
  minted = 0
  key!: CryptoKey
  jwk!: JWK
  gatewayNow: () => number = Date.now

  async start(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    this.key = privateKey
    this.jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
    this.server.listen(0, '127.0.0.1')
    await once(this.server, 'listening')
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }
}

describe('short-lived workload tokens are fetched again while waiting', () => {
  const issuer = new LocalIssuer()
  let served: ServedGateway
  let offset = 0
  before(async () => {
    await issuer.start()
    served = await servedGateway({ workload: [{ issuer: issuer.url, audience: 'countersign', agents: [{ id: 'deploy-bot', match: { repository: 'acme/infra' } }] }] })
    issuer.gatewayNow = () => Date.now() + offset
  })
  after(async () => {
    await served.close()
    issuer.server.close()
  })
  const tokenCommand = () => `${JSON.stringify(process.execPath)} -e 'fetch(process.argv[1] + "/mint").then((r) => r.text()).then((t) => process.stdout.write(t))' ${issuer.url}`
  /** Moves the gateway's clock (and the issuer's) forward: every token minted so far has expired. */
  const expireTokens = () => {
    served.gw.advance(2 * 60_000)
    offset += 2 * 60_000
  }

  it('countersign exec: the approval comes after the first token expired, and the command still runs', async () => {
    const alice = served.client('alice')
    const minted = issuer.minted
    const running = cliAgainst({ url: served.url, token: '' }, ['exec', '--target', 'build-host', '--reason', 'deploy', '--', 'sh', '-c', 'echo deployed'], { COUNTERSIGN_TOKEN_COMMAND: tokenCommand() })
    // The request is pending (its id is known): the event the test waits for.
    let pending
    while (!(pending = (await alice.list({ status: 'pending', target: 'build-host', limit: 1 })).actions[0])) await sleep(20)
    expireTokens()
    await alice.review(pending.id, 'approve', 'go')
    const run = await running
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, 'deployed\n')
    assert.ok(issuer.minted - minted >= 2, `fetched ${issuer.minted - minted} tokens`)
    const done = await alice.get(pending.id)
    assert.equal(done.status, 'succeeded')
    assert.equal(done.agent, 'deploy-bot')
  })

  it('action.yml\'s script: the request and its link in the step summary, the job\'s token fetched again, the step run once approved', async () => {
    const alice = served.client('alice')
    const summary = join(mkdtempSync(join(tmpdir(), 'gha-')), 'summary.md')
    const env = {
      ...process.env,
      COUNTERSIGN_URL: served.url,
      CS_TARGET: 'build-host',
      CS_RUN: 'echo "from the action"',
      CS_AUDIENCE: 'countersign',
      CS_REASON: 'deploy from CI',
      CS_CLI: `${process.execPath} ${join(ROOT, 'bin/countersign.js')}`,
      ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.url}/github?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-request-token',
      GITHUB_STEP_SUMMARY: summary,
    }
    const minted = issuer.minted
    const child = spawn('bash', [join(ROOT, 'scripts/github-action.sh')], { env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const closed = once(child, 'close')
    let pending
    while (!(pending = (await alice.list({ status: 'pending', target: 'build-host', limit: 1 })).actions[0])) await sleep(20)
    // The summary names the request once exec printed it: waited for, by its content.
    while (!existsSync(summary) || !readFileSync(summary, 'utf8').includes(pending.id)) await sleep(50)
    expireTokens()
    await alice.review(pending.id, 'approve', 'ship it')
    const [code] = (await closed) as [number]
    assert.equal(code, 0, stderr)
    assert.match(stdout, /^from the action$/m)
    assert.match(stdout, new RegExp(`::notice title=Countersign::request ${pending.id} — approve it at https://countersign\\.test/actions/${pending.id}`))
    const written = readFileSync(summary, 'utf8')
    assert.match(written, new RegExp(`### Countersign request ${pending.id}\n\n\`echo "from the action"\` on \`build-host\`: https://countersign\\.test/actions/${pending.id}`))
    assert.match(written, /\*\*Outcome:\*\* approved and run: exit code 0/)
    assert.ok(issuer.minted - minted >= 2, `fetched ${issuer.minted - minted} tokens`)
    assert.equal((await alice.get(pending.id)).status, 'succeeded')
  })

  it('the SDK with a token source: a 401 fetches a fresh token and the request goes through once', async () => {
    const client = new Countersign({ url: served.url, token: commandTokenSource(tokenCommand()) })
    assert.equal((await client.me()).id, 'deploy-bot')
    const minted = issuer.minted
    expireTokens()
    assert.equal((await client.me()).id, 'deploy-bot')
    assert.equal(issuer.minted - minted, 1)
  })

  it('a token about to expire is fetched again before it is sent', async () => {
    const source = commandTokenSource(tokenCommand())
    const first = await source.token()
    assert.equal(await source.token(), first, 'kept while it has more than half its life')
    // This machine's clock 10 s after the gateway's: each token has less than half of its 15 s left.
    const later = commandTokenSource(tokenCommand(), { now: () => Date.now() + offset + 10_000 })
    await later.token()
    const minted = issuer.minted
    await later.token()
    assert.equal(issuer.minted - minted, 1, 'fetched again with less than half of its life left')
  })
})

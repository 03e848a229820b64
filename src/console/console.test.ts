import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { pino } from 'pino'
import { assembleGateway, type AssembledGateway } from '../server/index.js'
import { testStores } from '../store/connection/index.js'
import { safeReturnTo } from './auth-routes.js'
import { CONTENT_SECURITY_POLICY } from './index.js'
import { consoleTestConfig, fakeAssets, type AgentTokens } from './test-support.js'

const ORIGIN = 'http://console.test'
const update = { kind: 'sql', target: 'prod-db', payload: { sql: 'UPDATE users SET plan = 2 WHERE id = 42' } }

/** A browser's view of the gateway: its cookie jar and the CSRF token the page was given. */
class Browser {
  cookie = ''
  csrf = ''
  constructor(readonly app: AssembledGateway['app']) {}

  async request(method: string, path: string, options: { body?: unknown; form?: Record<string, string>; headers?: Record<string, string>; csrf?: boolean; origin?: string | null } = {}) {
    const headers: Record<string, string> = { ...options.headers }
    if (this.cookie) headers['cookie'] = this.cookie
    if (options.origin !== null && method !== 'GET') headers['origin'] = options.origin ?? ORIGIN
    if (options.csrf !== false && this.csrf && method !== 'GET') headers['x-csrf-token'] = this.csrf
    let body: string | undefined
    if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] = 'application/json'
    } else if (options.form) {
      body = new URLSearchParams(options.form).toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
    const response = await this.app.request(`${ORIGIN}${path}`, { method, headers, ...(body !== undefined && { body }) })
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: /json/.test(response.headers.get('content-type') ?? '') && text ? JSON.parse(text) : text }
  }

  /** Signs in with the development sign-in as `email`, keeping the session cookie and CSRF token. */
  async signIn(email: string) {
    const response = await this.request('POST', '/auth/dev', { form: { email, return_to: '/monitor' } })
    assert.equal(response.status, 303, JSON.stringify(response.body))
    this.cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!
    const session = await this.request('GET', '/auth/session')
    this.csrf = session.body.csrf_token
    return response
  }
}

for (const store of testStores()) {
  describe(`the web console on ${store.name}`, () => {
    let gateway: AssembledGateway
    let tokens: AgentTokens
    let drop: () => Promise<void>
    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      const built = consoleTestConfig({ console: { dev_login: true }, publicUrl: ORIGIN })
      tokens = built.tokens
      gateway = await assembleGateway(built.config, connection, { logger: pino({ level: 'silent' }), consoleAssets: fakeAssets() })
    })
    after(async () => {
      await gateway.close()
      await drop()
    })

    const submit = async (token: string, action: unknown = update) => {
      const response = await gateway.app.request('/v1/actions', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(JSON.stringify(action).length) }, body: JSON.stringify(action) })
      assert.equal(response.status, 201)
      return (await response.json()) as { id: string }
    }

    it('signs a configured human in with the development sign-in: an HttpOnly, SameSite=Lax session cookie, back to the page asked for', async () => {
      const browser = new Browser(gateway.app)
      const response = await browser.signIn('Bob@Example.com')
      assert.equal(response.headers.get('location'), '/monitor')
      const cookie = response.headers.get('set-cookie') ?? ''
      assert.match(cookie, /^cs_session=[A-Za-z0-9_-]{43};/)
      assert.match(cookie, /HttpOnly/)
      assert.match(cookie, /SameSite=Lax/)
      assert.doesNotMatch(cookie, /Secure/)
      const session = await browser.request('GET', '/auth/session')
      assert.deepEqual({ ...session.body.user, expires_at: undefined }, { email: 'bob@example.com', groups: ['dba'], admin: false, auditor: false, method: 'dev', expires_at: undefined })
      assert.equal(typeof session.body.csrf_token, 'string')
      assert.equal(session.headers.get('cache-control'), 'no-store')
      assert.deepEqual((await browser.request('GET', '/v1/me')).body, { type: 'human', id: 'bob@example.com', groups: ['dba'], admin: false, auditor: false })
    })

    it('refuses the development sign-in for someone the config does not name, and from another site', async () => {
      const browser = new Browser(gateway.app)
      assert.equal((await browser.request('POST', '/auth/dev', { form: { email: 'mallory@example.com' } })).status, 400)
      assert.equal((await browser.request('POST', '/auth/dev', { form: { email: 'bob@example.com' }, origin: 'https://evil.test' })).status, 403)
    })

    it('records a review through the session on the console channel', async () => {
      const browser = new Browser(gateway.app)
      await browser.signIn('bob@example.com')
      const action = await submit(tokens.deployBot)
      const reviewed = await browser.request('POST', `/v1/actions/${action.id}/reviews`, { body: { decision: 'approve', reason: 'checked' } })
      assert.equal(reviewed.status, 200, JSON.stringify(reviewed.body))
      assert.equal(reviewed.body.status, 'approved')
      assert.deepEqual(reviewed.body.reviews.map((review: { reviewer: string; channel: string }) => [review.reviewer, review.channel]), [['bob@example.com', 'console']])
    })

    it('refuses a state-changing request authenticated by the cookie without the CSRF token, with a wrong one, or from another origin', async () => {
      const browser = new Browser(gateway.app)
      await browser.signIn('bob@example.com')
      const action = await submit(tokens.deployBot)
      const path = `/v1/actions/${action.id}/reviews`
      const body = { decision: 'approve', reason: 'ok' }
      assert.equal((await browser.request('POST', path, { body, csrf: false })).status, 403)
      assert.equal((await browser.request('POST', path, { body, headers: { 'x-csrf-token': 'A'.repeat(43) }, csrf: false })).status, 403)
      assert.equal((await browser.request('POST', path, { body, origin: 'https://evil.test' })).status, 403)
      assert.equal((await browser.request('POST', path, { body, headers: { 'sec-fetch-site': 'cross-site' } })).status, 403)
      assert.equal((await browser.request('GET', `/v1/actions/${action.id}`)).body.status, 'pending', 'reads need no token, and nothing was reviewed')
      assert.equal((await browser.request('POST', path, { body })).status, 200)
    })

    it('treats an unknown or signed-out session as no session at all', async () => {
      const browser = new Browser(gateway.app)
      browser.cookie = `cs_session=${'x'.repeat(43)}`
      assert.equal((await browser.request('GET', '/v1/me')).status, 401)
      assert.equal((await browser.request('GET', '/auth/session')).body.user, null)

      await browser.signIn('alice@example.com')
      assert.equal((await browser.request('GET', '/v1/me')).status, 200)
      assert.equal((await browser.request('POST', '/auth/logout')).status, 204)
      assert.equal((await browser.request('GET', '/v1/me')).status, 401)
    })

    it('lists the inbox most urgent first, each action saying whether this human may review it and why not', async () => {
      const alice = new Browser(gateway.app)
      await alice.signIn('alice@example.com')
      const own = await submit(tokens.analyticsAgent)
      const other = await submit(tokens.deployBot)
      const grant = await submit(tokens.deployBot, { kind: 'sql', target: 'prod-db', payload: { sql: 'GRANT ALL ON users TO intern' } })
      const inbox = await alice.request('GET', '/v1/inbox')
      assert.equal(inbox.status, 200)
      const byId = new Map(inbox.body.actions.map((action: { id: string }) => [action.id, action]))
      const review = (id: string) => (byId.get(id) as { review: { eligible: boolean; code: string | null; reason: string | null } }).review
      assert.equal(review(other.id).eligible, true)
      assert.equal(review(own.id).eligible, false)
      assert.match(review(own.id).reason!, /owner of the agent/)
      assert.equal(review(grant.id).code, 'FORBIDDEN')
      assert.match(review(grant.id).reason!, /not an approver.*group:security/)
      const expiries = inbox.body.actions.map((action: { expires_at: string }) => action.expires_at)
      assert.deepEqual(expiries, [...expiries].sort())
      assert.equal(inbox.body.counts.reviewable + inbox.body.counts.waiting, inbox.body.actions.length)

      const verdict = await alice.request('GET', `/v1/actions/${own.id}/eligibility`)
      assert.deepEqual(verdict.body, review(own.id))
    })

    it('serves the pages with a strict Content-Security-Policy, revalidated; hashed assets immutable; nothing else', async () => {
      const browser = new Browser(gateway.app)
      const page = await browser.request('GET', '/actions/act_01hzyx3k5e8qk2j4m6n8p0r2t4')
      assert.equal(page.status, 200)
      assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY)
      assert.match(CONTENT_SECURITY_POLICY, /script-src 'self';/)
      assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe/)
      assert.equal(page.headers.get('cache-control'), 'no-cache')
      assert.equal(page.headers.get('x-frame-options'), 'DENY')
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff')
      const again = await browser.request('GET', '/inbox', { headers: { 'if-none-match': page.headers.get('etag')! } })
      assert.equal(again.status, 304)

      const script = await gateway.app.request('/assets/index-Abc123.js', { headers: { 'accept-encoding': 'gzip, br' } })
      assert.equal(script.status, 200)
      assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable')
      assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8')
      assert.equal(script.headers.get('content-encoding'), 'gzip')
      for (const path of ['/assets/..%2Findex.html', '/assets/missing-1.js', '/assets/notes.txt', '/assets/%2e%2e%2f%2e%2e%2fpackage.json']) {
        assert.equal((await gateway.app.request(path)).status, 404, path)
      }
      assert.equal((await gateway.app.request('/not-a-page')).status, 404)
    })
  })
}

describe('console configuration', () => {
  it('makes the cookies Secure and __Host- prefixed when the console is served over https', async () => {
    const { config } = consoleTestConfig({ console: { dev_login: true }, publicUrl: 'https://countersign.example.com' })
    const [factory] = testStores()
    const connection = await factory!.open()
    const gateway = await assembleGateway(config, connection, { logger: pino({ level: 'silent' }), consoleAssets: fakeAssets() })
    try {
      const response = await gateway.app.request('https://countersign.example.com/auth/dev', {
        method: 'POST',
        headers: { origin: 'https://countersign.example.com', 'content-type': 'application/x-www-form-urlencoded', 'content-length': '25' },
        body: 'email=carol%40example.com',
      })
      assert.equal(response.status, 303)
      assert.match(response.headers.get('set-cookie') ?? '', /^__Host-cs_session=[^;]+; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Lax$/)
      const page = await gateway.app.request('https://countersign.example.com/inbox')
      assert.equal(page.headers.get('strict-transport-security'), 'max-age=31536000')
    } finally {
      await gateway.close()
      await connection.drop()
    }
  })

  it('refuses the development sign-in beside an OIDC issuer, and plain-http issuers off this machine', () => {
    const oidc = { issuer: 'https://login.example.com', client_id: 'countersign' }
    assert.throws(() => consoleTestConfig({ console: { dev_login: true, oidc }, publicUrl: ORIGIN }), (error: Error & { details?: { message: string }[] }) =>
      (error.details ?? []).some((detail) => /dev_login .*cannot be combined with oidc/.test(detail.message)),
    )
    assert.throws(() => consoleTestConfig({ console: { oidc: { ...oidc, issuer: 'http://login.example.com' } }, publicUrl: ORIGIN }), /invalid config/)
    assert.throws(() => consoleTestConfig({ console: { oidc: { ...oidc, scopes: ['email'] } }, publicUrl: ORIGIN }), /invalid config/)
    const config = consoleTestConfig({ console: { oidc: { ...oidc, issuer: 'http://127.0.0.1:9999', client_secret: 'env:OIDC_SECRET' } }, publicUrl: ORIGIN }).config
    assert.deepEqual(config.console.oidc?.scopes, ['openid', 'email', 'profile'])
    assert.equal(config.console.dev_login, false)
    assert.equal(config.console.session_ttl_ms, 12 * 3_600_000)
  })

  it('keeps the development sign-in off unless the config turns it on', async () => {
    const { config } = consoleTestConfig({ console: {}, publicUrl: ORIGIN })
    const [factory] = testStores()
    const connection = await factory!.open()
    const gateway = await assembleGateway(config, connection, { logger: pino({ level: 'silent' }), consoleAssets: fakeAssets() })
    try {
      const browser = new Browser(gateway.app)
      assert.equal((await browser.request('POST', '/auth/dev', { form: { email: 'alice@example.com' } })).status, 404)
      const session = await browser.request('GET', '/auth/session')
      assert.deepEqual(session.body.sign_in, { oidc: null, dev: null })
    } finally {
      await gateway.close()
      await connection.drop()
    }
  })

  it('sends a sign-in back to the sign-in page, saying why, when the provider is unreachable or the sign-in state is gone', async () => {
    const { config } = consoleTestConfig({ console: { oidc: { issuer: 'http://127.0.0.1:9', client_id: 'countersign' } }, publicUrl: ORIGIN })
    const [factory] = testStores()
    const connection = await factory!.open()
    const gateway = await assembleGateway(config, connection, { logger: pino({ level: 'silent' }), consoleAssets: fakeAssets() })
    try {
      const browser = new Browser(gateway.app)
      const login = await browser.request('GET', '/auth/login?return_to=/monitor')
      assert.deepEqual([login.status, login.headers.get('location')], [303, '/login?error=unavailable'])
      const callback = await browser.request('GET', '/auth/callback?code=abc&state=xyz')
      assert.deepEqual([callback.status, callback.headers.get('location')], [303, '/login?error=expired'])
      assert.equal((await browser.request('POST', '/auth/dev', { form: { email: 'alice@example.com' } })).status, 404, 'no development sign-in beside a provider')
      assert.deepEqual((await browser.request('GET', '/auth/session')).body.sign_in, { oidc: { issuer: '127.0.0.1:9' }, dev: null })
    } finally {
      await gateway.close()
      await connection.drop()
    }
  })

  it('returns after signing in only to a page of this console', () => {
    for (const path of ['/inbox', '/actions/act_01hzyx3k5e8qk2j4m6n8p0r2t4', '/monitor?status=pending&agent=deploy-bot']) assert.equal(safeReturnTo(path), path)
    for (const path of [undefined, '', 'https://evil.test/', '//evil.test/x', '/\\evil.test', '/auth/logout', '/login?error=x', '/x\nLocation: y', `/${'a'.repeat(600)}`]) assert.equal(safeReturnTo(path), '/inbox', String(path))
  })
})

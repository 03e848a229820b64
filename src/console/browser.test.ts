import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type Provider from 'oidc-provider'
import type { Page } from 'playwright-core'
import { testStores, type TestStore } from '../store/connection/index.js'
import { launchConsoleBrowser, NO_BROWSER, shoot, TAKING_SCREENSHOTS, type ConsoleBrowser } from './test-browser.js'
import { ensureConsoleBuilt } from './index.js'
import { consoleTestConfig, serveTestGateway, type AgentTokens, type ServedGateway } from './test-support.js'

// The console in a real browser (Debian's chromium), signing in through a real OpenID provider
// (oidc-provider, its development login form filled in by the browser), against a real gateway
// over HTTP. COUNTERSIGN_SCREENSHOTS=1 also writes the README's screenshots into docs/.

// The test provider says, rightly, that its keys, login and runtime are for development: not news here.
const quiet =
  (write: (...args: unknown[]) => void) =>
  (...args: unknown[]): void =>
    /^oidc-provider (WARNING|NOTICE)/.test(String(args[0])) ? undefined : write(...args)
console.warn = quiet(console.warn)
console.info = quiet(console.info)
const { default: OidcProvider } = await import('oidc-provider')

const CLIENT_SECRET = 'a client secret for the test provider only'
/** Groups the provider asserts, besides those of the config. */
const PROVIDER_GROUPS: Record<string, string[]> = { 'alice@example.com': ['sre'], 'bob@example.com': [] }

const change = {
  kind: 'sql',
  target: 'prod-db',
  payload: { sql: 'UPDATE users\n   SET plan_id = 2, updated_at = now()\n WHERE id = 42\nRETURNING id, plan_id' },
  context: { reason: 'customer 42 upgraded to the pro plan (ticket SUP-1841)', model: 'claude-sonnet-4', session: 'sess-7f3a9c', trace_id: '4bf92f3577b34da6' },
}

describe('the web console in a browser', { skip: NO_BROWSER }, () => {
  let store: TestStore
  let served: ServedGateway
  let idp: Server
  let tokens: AgentTokens
  let browser: ConsoleBrowser
  let alice: Page
  let bob: Page

  before(async () => {
    await ensureConsoleBuilt()
    store = await testStores()[0]!.open()
    let handle: ((request: never, response: never) => void) | undefined
    idp = createServer((request, response) => handle!(request as never, response as never))
    await new Promise<void>((done) => idp.listen(0, '127.0.0.1', done))
    const issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`
    process.env['CS_TEST_OIDC_SECRET'] = CLIENT_SECRET
    served = await serveTestGateway(store, (url) => {
      handle = testProvider(issuer, `${url}/auth/callback`).callback()
      const built = consoleTestConfig({
        console: { oidc: { issuer, client_id: 'countersign', client_secret: 'env:CS_TEST_OIDC_SECRET', scopes: ['openid', 'email', 'groups'], groups_claim: 'groups' } },
        publicUrl: url,
      })
      tokens = built.tokens
      return built.config
    }, { clock: () => new Date(Date.now() + clockOffset) })
    browser = await launchConsoleBrowser()
    if (TAKING_SCREENSHOTS) await seed()
  })

  after(async () => {
    await browser?.close()
    await served?.close()
    idp?.close()
    await store?.drop()
  })

  const open = () => browser.open()

  /** Goes to `path`, signs in at the provider as `email` when asked, and waits for the page. */
  const signIn = async (page: Page, email: string, path: string) => {
    await page.goto(served.url + path)
    await page.getByRole('link', { name: /Sign in with 127\.0\.0\.1/ }).click()
    await page.locator('input[name=login]').fill(email)
    await page.locator('input[name=password]').fill('any password: the test provider checks none')
    await page.locator('button.login-submit').click()
    // The provider asks once to share the email and groups with Countersign.
    await page.waitForURL((url) => url.href.startsWith(served.url) || url.pathname.startsWith('/interaction/'))
    if (!page.url().startsWith(served.url)) await page.locator('button.login-submit').click()
    await page.waitForURL(`${served.url}${path}`)
    await page.locator('.who-email', { hasText: email }).waitFor()
  }

  const submit = (token: string, action: unknown, query = '') =>
    fetch(`${served.url}/v1/actions${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(action) }).then(async (response) => {
      assert.equal(response.status, 201)
      return (await response.json()) as { id: string; status: string; reviews: { reviewer: string; channel: string }[] }
    })

  let pendingId = ''
  /** Moved back while seeding the screenshots' history. */
  let clockOffset = 0
  let waiting: Promise<Awaited<ReturnType<typeof submit>>>

  it('signs in through the OpenID provider and lands on the page that was asked for', async () => {
    alice = await open()
    await signIn(alice, 'alice@example.com', '/inbox')
    assert.equal(await alice.locator('h1').textContent(), 'Inbox')
    const session = (await alice.evaluate(async () => (await fetch('/auth/session')).json())) as { user: { groups: string[]; method: string } }
    assert.deepEqual(session.user.groups, ['dba', 'oncall', 'sre'], 'the config\'s groups and the provider\'s')
    assert.equal(session.user.method, 'oidc')
  })

  it("shows an agent's request in the inbox as it arrives, and opens it with the keyboard", async () => {
    // The agent waits for the decision, as agents do.
    waiting = submit(tokens.deployBot, change, '?wait=30')
    const row = alice.locator('table[aria-labelledby=mine] .row-link', { hasText: 'UPDATE on users' })
    await row.waitFor()
    pendingId = (await row.getAttribute('href'))!.split('/').pop()!
    await alice.locator('header .count').filter({ hasText: /^[1-9]/ }).waitFor()
    await shoot(alice, 'console-inbox.png')
    // j moves down the rows (the request may not be the first one), Enter opens the focused one.
    for (let step = 0; step < 10 && (await alice.evaluate<string | null>("document.activeElement && document.activeElement.getAttribute('href')")) !== `/actions/${pendingId}`; step++) {
      await alice.keyboard.press('j')
    }
    await alice.keyboard.press('Enter')
    await alice.waitForURL(`${served.url}/actions/${pendingId}`)
    await alice.locator('.source', { hasText: 'UPDATE users' }).waitFor()
    assert.match((await alice.locator('.column-side').textContent())!, /claude-sonnet-4.*customer 42 upgraded/s)
  })

  it("updates another reviewer's open page live when alice approves, and the agent's waiting call returns", async () => {
    bob = await open()
    await signIn(bob, 'bob@example.com', `/actions/${pendingId}`)
    await bob.locator('button.approve').waitFor()
    await shoot(alice, 'console-request.png')

    await alice.locator('#reason').fill('checked the WHERE clause: one row')
    await alice.locator('button.approve').click()
    await alice.locator('.reviews', { hasText: 'alice@example.com' }).waitFor()

    const decided = await waiting
    assert.equal(decided.id, pendingId)
    assert.equal(decided.status, 'approved')
    assert.deepEqual(decided.reviews.map((review) => [review.reviewer, review.channel]), [['alice@example.com', 'console']])

    // Bob did nothing: the event stream brought the news.
    await bob.locator('.badge', { hasText: 'approved' }).first().waitFor()
    await bob.locator('.not-actionable', { hasText: /approved; it can no longer be reviewed/ }).waitFor()
    assert.equal(await bob.locator('button.approve').count(), 0)
  })

  it('shows the owner of an agent its request, but not as theirs to approve, and says why', async () => {
    // With a right-to-left override hidden in it: the page must show it, not obey it.
    const own = await submit(tokens.analyticsAgent, { kind: 'sql', target: 'prod-db', payload: { sql: "DELETE FROM events WHERE kind = 'test\u202E' AND created_at < now() - interval '90 days'" } })
    await alice.goto(`${served.url}/inbox`)
    const row = alice.locator('table[aria-labelledby=others] tr', { has: alice.locator(`a[href="/actions/${own.id}"]`) })
    await row.locator('.why', { hasText: /owner of the agent/ }).waitFor()
    await row.locator('.row-link').click()
    await alice.locator('.not-actionable', { hasText: /you are the owner of the agent that submitted it/ }).waitFor()
    assert.equal(await alice.locator('.source .hidden-char').textContent(), '\\u{202E}')
    await alice.locator('figcaption', { hasText: 'contains invisible characters' }).waitFor()
    assert.equal(await alice.locator('button.approve').count(), 0)
    // The refusal is the gateway's, not the page's: asking anyway is refused too.
    const refused = await alice.evaluate(async (id) => {
      const { csrf_token } = (await (await fetch('/auth/session')).json()) as { csrf_token: string }
      const response = await fetch(`/v1/actions/${id}/reviews`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf_token }, body: JSON.stringify({ decision: 'approve', reason: 'mine' }) })
      return response.status
    }, own.id)
    assert.equal(refused, 403)
  })

  it('shows the new actions on the monitor', async () => {
    await alice.goto(`${served.url}/monitor`)
    await alice.locator(`a[href="/actions/${pendingId}"]`).waitFor()
    const rows = await alice.locator('table.monitor tbody tr').count()
    assert.ok(rows >= 2)
    await alice.locator('.chart svg rect').first().waitFor()
    await shoot(alice, 'console-monitor.png')
  })

  it('shows the audit log verified, searchable, and exports it as the CLI does', async () => {
    await alice.goto(`${served.url}/audit`)
    await alice.locator('.verify-ok', { hasText: 'Chain verified' }).waitFor()
    // No witness in this config: the page says what that leaves uncovered.
    await alice.locator('.witnesses', { hasText: 'No witness is configured' }).waitFor()
    await alice.locator('#audit-search').fill(pendingId)
    await alice.locator('table.audit tbody tr', { hasText: 'review.approve' }).waitFor()
    const rows = await alice.locator('table.audit tbody tr').allTextContents()
    assert.ok(rows.length >= 4 && rows.every((row) => row.includes(pendingId.slice(0, 14))), rows.join('\n'))
    await shoot(alice, 'console-audit.png')
    const [download] = await Promise.all([alice.waitForEvent('download'), alice.getByRole('button', { name: 'Export CSV' }).click()])
    const csv = await new Promise<string>((done, fail) => {
      void download.createReadStream().then((stream) => {
        let text = ''
        stream.on('data', (chunk: Buffer) => (text += chunk.toString()))
        stream.on('end', () => done(text))
        stream.on('error', fail)
      }, fail)
    })
    const lines = csv.trim().split('\n')
    assert.equal(lines[0], 'seq,at,type,action_id,actor,channel,digest,policy_version,hash,data')
    assert.ok(lines.some((line) => line.includes(`review.approve,${pendingId},human:alice@example.com,console`)))
  })

  /** For the screenshots: three quarters of an hour of agent activity, a few requests still pending. */
  async function seed(): Promise<void> {
    const bob = served.gateway.gateway.directory.human('bob@example.com')!
    for (let minute = 44; minute >= 1; minute--) {
      clockOffset = -minute * 60_000
      for (let n = 0; n < (minute * 7) % 5; n++) {
        const pick = (minute * 3 + n * 7) % 12
        if (pick < 7) await submit(tokens.analyticsAgent, { kind: 'sql', target: 'prod-db', payload: { sql: `SELECT count(*) FROM orders WHERE region = ${minute % 4}` }, context: { reason: 'hourly revenue report' } })
        else if (pick < 9) await submit(tokens.deployBot, { kind: 'shell', target: 'build-host', payload: { command: `echo build ${minute}` } })
        else if (pick === 9) await submit(tokens.deployBot, { kind: 'sql', target: 'prod-db', payload: { sql: 'DROP TABLE tmp_import' } })
        else {
          const action = await submit(tokens.deployBot, { kind: 'sql', target: 'prod-db', payload: { sql: `UPDATE accounts SET tier = 'gold' WHERE id = ${1000 + minute}` }, context: { reason: `upgrade account ${1000 + minute} after payment` } })
          // Reviewed a minute or two later, in Slack; some are left pending.
          clockOffset += 60_000 + (minute % 3) * 30_000
          if (pick === 10) await served.gateway.gateway.review(bob, action.id, { decision: 'approve', reason: 'one account, as asked' }, 'slack')
          else if (minute % 2 === 0) await served.gateway.gateway.review(bob, action.id, { decision: 'deny', reason: 'no payment on record' }, 'slack')
          clockOffset = -minute * 60_000
        }
      }
    }
    clockOffset = 0
    const reads = ['SELECT count(*) FROM orders WHERE created_at > now() - interval \'1 day\'', 'SELECT id, email FROM users WHERE plan_id = 3 LIMIT 50', 'SELECT * FROM invoices WHERE status = \'overdue\'']
    for (const sql of reads) await submit(tokens.analyticsAgent, { kind: 'sql', target: 'prod-db', payload: { sql }, context: { reason: 'weekly revenue report', model: 'claude-sonnet-4' } })
    await submit(tokens.deployBot, { kind: 'shell', target: 'build-host', payload: { command: 'echo deploy 2f9c1e started' } })
    await submit(tokens.deployBot, { kind: 'sql', target: 'prod-db', payload: { sql: 'DROP TABLE audit_archive' }, context: { reason: 'free disk space' } })
    await submit(tokens.deployBot, { kind: 'sql', target: 'prod-db', payload: { sql: 'GRANT SELECT ON payments TO analytics_ro' }, context: { reason: 'read access for the finance dashboard', on_behalf_of: 'erin@example.com' } })
    await submit(tokens.deployBot, { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM sessions' }, context: { reason: 'log everyone out after the key rotation' } })
    await submit(tokens.deployBot, { kind: 'shell', target: 'build-host', payload: { command: 'sudo systemctl restart nginx && curl -fsS https://build.internal/healthz' }, context: { reason: 'pick up the new TLS certificate' } })
  }
})

/** A real OpenID provider with its development login (any login name is the account; the password is not checked). */
function testProvider(issuer: string, redirectUri: string): Provider {
  const provider = new OidcProvider(issuer, {
    clients: [{ client_id: 'countersign', client_secret: CLIENT_SECRET, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: ['openid', 'email', 'groups'],
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['a cookie key for the test provider only'] },
    findAccount: (_context: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, email: id, email_verified: true, groups: PROVIDER_GROUPS[id] ?? [] }),
    }),
  })
  // Its warnings about development settings are expected here.
  provider.on('server_error', (_context: unknown, error: Error) => console.error('test provider:', error))
  return provider
}

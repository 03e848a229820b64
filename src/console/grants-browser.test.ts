import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { testStores, type TestStore } from '../store/connection/index.js'
import { assertNoSideScroll, DESKTOP, devSignIn, launchConsoleBrowser, NO_BROWSER, PHONE, shoot, widths, type ConsoleBrowser } from './test-browser.js'
import { ensureConsoleBuilt } from './index.js'
import { consoleTestConfig, serveTestGateway, type AgentTokens, type ServedGateway } from './test-support.js'

// Approving with a narrowing grant in the console, on a phone-sized screen, and the grants page;
// every page at 390 and 1440 px wide without horizontal scrolling. Real chromium against a real
// gateway over HTTP (development sign-in). COUNTERSIGN_SCREENSHOTS=1 writes screenshots into docs/.


const POLICY = `
version: 1
default: review
default_review: { approvers: [group:oncall], timeout: 1h }
rules:
  - id: read-only
    match: { kind: sql }
    when: sql.read_only
    effect: allow
  - id: scoped-writes
    match: { kind: sql, env: prod }
    when: sql.statements.exists(s, s.type in ["update", "delete"] && s.has_where)
    effect: review
    review: { approvers: [group:dba], timeout: 1h, execute_within: 10m, grants: { max_ttl: 1h, max_uses: 20 } }
`

const update = (id: number) => ({
  kind: 'sql',
  target: 'prod-db',
  payload: { sql: `UPDATE accounts SET tier = 'gold' WHERE id = ${id}` },
  context: { reason: `upgrade account ${id} after payment`, model: 'claude-sonnet-4' },
})

describe('grants in the console, on a phone and a desktop', { skip: NO_BROWSER }, () => {
  let store: TestStore
  let served: ServedGateway
  let tokens: AgentTokens
  let browser: ConsoleBrowser

  before(async () => {
    await ensureConsoleBuilt()
    store = await testStores()[0]!.open()
    served = await serveTestGateway(store, (url) => {
      const built = consoleTestConfig({ console: { dev_login: true }, publicUrl: url, policy: POLICY })
      tokens = built.tokens
      return built.config
    })
    browser = await launchConsoleBrowser()
  })

  after(async () => {
    await browser?.close()
    await served?.close()
    await store?.drop()
  })

  const open = (viewport: { width: number; height: number }) => browser.open(viewport)
  const signIn = (page: Page, email: string, path: string) => devSignIn(page, served.url, email, path)

  const submit = async (action: unknown) => {
    const response = await fetch(`${served.url}/v1/actions`, { method: 'POST', headers: { authorization: `Bearer ${tokens.deployBot}`, 'content-type': 'application/json' }, body: JSON.stringify(action) })
    assert.equal(response.status, 201)
    return (await response.json()) as { id: string; status: string; decision: { grant?: { id: string; reviewers: { email: string }[] } } }
  }

  let firstId = ''
  let grantedId = ''

  it('approves with a grant on a phone: the same kind runs without review, citing the grant', async () => {
    const first = await submit(update(1001))
    assert.equal(first.status, 'pending')
    firstId = first.id
    const bob = await open(PHONE)
    await signIn(bob, 'bob@example.com', `/actions/${first.id}`)
    await bob.locator('button.approve').waitFor()
    await bob.getByLabel('Also approve the same kind').check()
    await bob.getByLabel('grant duration').selectOption({ label: '30m' })
    await bob.getByLabel('grant uses').fill('5')
    await bob.locator('#reason').fill('one account each, as the ticket says')
    await assertNoSideScroll(bob, 'the request page with the grant form')
    await bob.locator('.grant-ask').scrollIntoViewIfNeeded()
    await shoot(bob, 'console-grant-approve-390.png')
    await bob.locator('button.approve').click()
    await bob.locator('.reviews', { hasText: /granted the same kind for 30m, 5 uses/ }).waitFor()

    const later = await submit(update(1002))
    assert.equal(later.status, 'allowed')
    assert.ok(later.decision.grant)
    assert.deepEqual(later.decision.grant.reviewers.map((reviewer) => reviewer.email), ['bob@example.com'])
    grantedId = later.id
    await bob.goto(`${served.url}/actions/${later.id}`)
    await bob.locator('.grant-cited', { hasText: /Allowed by grant grt_.* from bob@example.com.*use 1 of 5/ }).waitFor()
    await bob.locator('.grant-cited').scrollIntoViewIfNeeded()
    await shoot(bob, 'console-request-grant-390.png')
    await assertNoSideScroll(bob, 'a request allowed by a grant')
  })

  it('lists the grant and revokes it; the next action goes to review again', async () => {
    const bob = await open(DESKTOP)
    await signIn(bob, 'bob@example.com', '/grants')
    const card = bob.locator('.grant-live', { hasText: firstId })
    await card.waitFor()
    assert.match((await card.textContent())!, /1\/5 used.*sql on prod-db by agent:deploy-bot.*statement types: update.*tables: accounts/s)
    await shoot(bob, 'console-grants.png')
    await card.getByRole('button', { name: 'Revoke' }).click()
    await bob.locator('.empty', { hasText: 'No live grants.' }).waitFor()
    assert.equal((await submit(update(1003))).status, 'pending')
  })

  it('approves several similar requests from the inbox at once, each reviewed and audited on its own', async () => {
    const a = await submit(update(2001))
    const b = await submit(update(2002))
    assert.equal(a.status, 'pending')
    assert.equal(b.status, 'pending')
    const bob = await open(PHONE)
    await signIn(bob, 'bob@example.com', '/inbox')
    await bob.getByLabel(`select ${a.id}`).check()
    await bob.getByLabel(`select ${b.id}`).check()
    await bob.locator('#bulk-reason').fill('same upgrade, one account each')
    await assertNoSideScroll(bob, 'the inbox with two selected')
    await shoot(bob, 'console-inbox-bulk-390.png')
    await bob.getByRole('button', { name: 'Approve 2' }).click()
    await bob.locator('.bulk-results li.ok-text', { hasText: a.id }).waitFor()
    await bob.locator('.bulk-results li.ok-text', { hasText: b.id }).waitFor()
    for (const id of [a.id, b.id]) {
      const events = (await served.gateway.gateway.store.actionEvents(id)).map((row) => JSON.parse(row.event) as { type: string; actor: string; data: { reason?: string } })
      const reviews = events.filter((event) => event.type === 'review.approve')
      assert.deepEqual(reviews.map((event) => [event.actor, event.data.reason]), [['human:bob@example.com', 'same upgrade, one account each']])
      assert.ok(events.some((event) => event.type === 'action.approved'))
    }
  })

  it('shows on a request who may approve, where it was announced, dates, and who runs it', async () => {
    const pending = await submit(update(3001))
    const alice = await open(DESKTOP)
    await signIn(alice, 'alice@example.com', `/actions/${pending.id}`)
    await alice.locator('.members', { hasText: 'group:dba: alice@example.com, bob@example.com, erin@example.com' }).waitFor()
    await alice.locator('#notified-title').waitFor()
    await alice.locator('.runs-by', { hasText: 'deploy-bot runs it itself, with a single-use receipt' }).waitFor()
    const year = String(new Date().getFullYear())
    assert.match((await alice.locator('.head-facts').textContent())!, new RegExp(`submitted .*${year}.*expires .*${year}`))
    assert.match((await alice.locator('.timeline time').first().textContent())!, new RegExp(year))
  })

  for (const viewport of [PHONE, DESKTOP]) {
    it(`shows every page at ${viewport.width} px without sideways scrolling`, async () => {
      const alice = await open(viewport)
      await signIn(alice, 'alice@example.com', '/inbox')
      const wide: string[] = []
      for (const path of ['/inbox', `/actions/${firstId}`, `/actions/${grantedId}`, '/monitor', '/audit', '/grants']) {
        await alice.goto(served.url + path)
        await alice.locator('main h1').waitFor()
        // The page's data is in when its list, panels or empty note are drawn.
        await alice.locator('main table, main .panel, main .empty').first().waitFor()
        const { scroll, width } = await widths(alice)
        if (scroll > width) wide.push(`${path}: ${scroll} px`)
        if (path === '/inbox') await shoot(alice, `console-inbox-${viewport.width}.png`)
        if (path === `/actions/${grantedId}` && viewport === DESKTOP) await shoot(alice, 'console-request-grant-1440.png')
      }
      assert.deepEqual(wide, [], `pages wider than ${viewport.width} px`)
    })
  }
})

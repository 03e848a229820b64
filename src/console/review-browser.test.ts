import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { TEST_POLICY } from '../server/test-gateway.js'
import { testStores, type TestStore } from '../store/connection/index.js'
import { assertNoSideScroll, DESKTOP, devSignIn, launchConsoleBrowser, NO_BROWSER, PHONE, shoot, type ConsoleBrowser } from './test-browser.js'
import { ensureConsoleBuilt } from './index.js'
import { consoleTestConfig, serveTestGateway, type AgentTokens, type ServedGateway } from './test-support.js'

// What an approver must see to decide, on a phone: every warning of a pending request in its inbox
// row, and a proposed policy change (`policy.source: store`) rule by rule with its replay beside
// it. Real chromium against a real gateway over HTTP (development sign-in).
// COUNTERSIGN_SCREENSHOTS=1 writes docs/console-policy-change.png and docs/console-inbox-warnings-390.png.


/** The test policy, plus: a policy change needs two approvals from security or dba. */
const IN_FORCE = `${TEST_POLICY}
  - id: policy-changes
    match: { kind: policy }
    effect: review
    review: { approvers: [group:security, group:dba], min_approvals: 2, reason_required: true }
`
/** The change: reads of users reviewed, scoped writes need two approvals, echo no longer allowed at once. */
const PROPOSED = IN_FORCE.replace('review: { approvers: [group:dba], timeout: 1h, execute_within: 10m }', 'review: { approvers: [group:dba], min_approvals: 2, timeout: 1h, execute_within: 10m }')
  .replace(/ {2}- id: shell-echo\n(?: {4}.*\n){3}/, '')
  .concat(`  - id: users-reads-reviewed
    match: { kind: sql, env: prod }
    when: '"users" in sql.tables && sql.read_only'
    effect: review
`)
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

interface Submitted {
  readonly id: string
  readonly status: string
  readonly impact: { readonly highlights: string[] }
}

describe('warnings in the inbox and policy changes in the console', { skip: NO_BROWSER }, () => {
  let store: TestStore
  let served: ServedGateway
  let tokens: AgentTokens
  let browser: ConsoleBrowser

  before(async () => {
    assert.notEqual(PROPOSED, IN_FORCE)
    assert.doesNotMatch(PROPOSED, /shell-echo/)
    await ensureConsoleBuilt()
    store = await testStores()[0]!.open()
    served = await serveTestGateway(store, (url) => {
      const built = consoleTestConfig({ console: { dev_login: true }, publicUrl: url, policy: IN_FORCE, policySource: 'store' })
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

  const submit = async (action: unknown): Promise<Submitted> => {
    const response = await fetch(`${served.url}/v1/actions`, { method: 'POST', headers: { authorization: `Bearer ${tokens.deployBot}`, 'content-type': 'application/json' }, body: JSON.stringify(action) })
    assert.equal(response.status, 201)
    return (await response.json()) as Submitted
  }

  it('shows every warning of a pending request in its inbox row, on a phone', async () => {
    const risky = [
      // No WHERE: every row.
      { request: { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM sessions' }, context: { reason: 'log everyone out' } }, flags: ['no WHERE'] },
      // Code known only at run time, as another user.
      { request: { kind: 'shell', target: 'build-host', payload: { command: 'eval "$DEPLOY_STEP" && sudo systemctl restart nginx' } }, flags: ['dynamic', 'sudo'] },
      // SQL that does not parse: nothing about it is known.
      { request: { kind: 'sql', target: 'prod-db', payload: { sql: 'UPDATE users SET WHERE' } }, flags: ['does not parse'] },
    ]
    const submitted: { action: Submitted; flags: string[] }[] = []
    for (const { request, flags } of risky) {
      const action = await submit(request)
      assert.equal(action.status, 'pending', JSON.stringify(request))
      assert.ok(action.impact.highlights.length > 0, `the analyzer highlights ${JSON.stringify(request)}`)
      submitted.push({ action, flags })
    }
    const shell = submitted[1]!.action
    assert.ok(shell.impact.highlights.length >= 2, `several highlights for the shell line: ${JSON.stringify(shell.impact.highlights)}`)

    const erin = await open(PHONE)
    await signIn(erin, 'erin@example.com', '/inbox')
    for (const { action, flags } of submitted) {
      const row = erin.locator('table.list tr', { has: erin.locator(`a[href="/actions/${action.id}"]`) })
      await row.waitFor()
      // Every highlight, not the first alone, and every risk flag.
      assert.deepEqual(await row.locator('.row-highlights li').allTextContents(), action.impact.highlights)
      // The flags come from the action's facts, read after the list.
      for (const flag of flags) await row.locator('.row-flag', { hasText: flag }).waitFor()
    }
    await assertNoSideScroll(erin, 'the inbox with every warning')
    // Nor the list itself: the warnings are read without scrolling it sideways.
    const list = await erin.locator('table[aria-labelledby=mine]').evaluate((table) => ({ scroll: table.scrollWidth, width: table.clientWidth }))
    assert.ok(list.scroll <= list.width, `the inbox list scrolls sideways: ${list.scroll} px in ${list.width} px`)
    await erin.locator('table.list tr', { has: erin.locator(`a[href="/actions/${shell.id}"]`) }).scrollIntoViewIfNeeded()
    await shoot(erin, 'console-inbox-warnings-390.png')
  })

  it('shows a proposed policy change rule by rule with its replay beside it, on a phone and a desktop', async () => {
    // History the replay reads: two actions allowed today that the proposal would send to review.
    assert.equal((await submit({ kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT email FROM users WHERE id = 7' } })).status, 'allowed')
    assert.equal((await submit({ kind: 'shell', target: 'build-host', payload: { command: 'echo deploy 2f9c1e started' } })).status, 'allowed')

    // carol (an admin) proposes the change from her console session.
    const carol = await open(DESKTOP)
    await signIn(carol, 'carol@example.com', '/inbox')
    const proposed = await carol.evaluate(
      async ({ text, base }) => {
        const { csrf_token } = (await (await fetch('/auth/session')).json()) as { csrf_token: string }
        const response = await fetch('/v1/actions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf_token }, body: JSON.stringify({ kind: 'policy', target: 'policy', payload: { text, base }, context: { reason: 'review reads of users; two approvals for prod writes' } }) })
        return { status: response.status, body: (await response.json()) as { id: string; status: string } }
      },
      { text: PROPOSED, base: sha256(IN_FORCE) },
    )
    assert.equal(proposed.status, 201, JSON.stringify(proposed.body))
    assert.equal(proposed.body.status, 'pending')
    const id = proposed.body.id

    for (const viewport of [PHONE, DESKTOP]) {
      const bob = await open(viewport)
      await signIn(bob, 'bob@example.com', `/actions/${id}`)
      const diff = bob.locator('.policy-diff')
      await diff.waitFor()
      assert.equal(await diff.locator('.diff-added').textContent(), '+ users-reads-reviewed added')
      assert.equal(await diff.locator('.diff-removed').textContent(), '− shell-echo removed')
      assert.equal(await diff.locator('.diff-changed').textContent(), '~ scoped-writes changed: review')
      const replay = bob.locator('.policy-replay')
      assert.match((await replay.locator('.replay-total').textContent())!, /^2 of \d+ actions since \d{4}-\d\d-\d\d would be decided differently$/)
      assert.deepEqual(await replay.locator('.replay-effects li').allTextContents(), ['allow → review 2'])
      assert.match((await replay.textContent())!, /responsible: .*shell-echo \(1\).*users-reads-reviewed \(1\)|responsible: .*users-reads-reviewed \(1\).*shell-echo \(1\)/)
      // The proposed text is shown as YAML, not as an escaped JSON string.
      await bob.locator('figure.code figcaption', { hasText: 'proposed policy (YAML)' }).waitFor()
      await bob.locator('button.approve').waitFor()
      await assertNoSideScroll(bob, 'a proposed policy change')
      if (viewport === PHONE) {
        await bob.locator('#impact-title').scrollIntoViewIfNeeded()
        await shoot(bob, 'console-policy-change.png')
      }
    }
  })
})

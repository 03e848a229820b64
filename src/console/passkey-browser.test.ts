import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { assertionProblem, type PasskeyEvidence } from '../passkeys/index.js'
import { testStores, type TestStore } from '../store/connection/index.js'
import { devSignIn, launchConsoleBrowser, NO_BROWSER, shoot, type ConsoleBrowser } from './test-browser.js'
import { ensureConsoleBuilt } from './index.js'
import { consoleTestConfig, serveTestGateway, type AgentTokens, type ServedGateway } from './test-support.js'

// Passkey-signed approvals (review.assurance: passkey) in real chromium with a CDP virtual
// authenticator (WebAuthn.enable, WebAuthn.addVirtualAuthenticator), against a real gateway over
// HTTP. The console is opened on http://localhost:PORT: WebAuthn needs a domain as relying party
// (an IP address is none) and a secure context (localhost is one).


const POLICY = `
version: 1
default: deny
rules:
  - id: prod-writes
    match: { kind: sql, env: prod }
    when: sql.statements.exists(s, s.type in ["update", "delete"])
    effect: review
    review: { approvers: [group:dba], min_approvals: 2, timeout: 1h, assurance: passkey }
`

const update = (id: number) => ({ kind: 'sql', target: 'prod-db', payload: { sql: `UPDATE accounts SET tier = 'gold' WHERE id = ${id}` } })

describe('passkey-signed approvals in a browser', { skip: NO_BROWSER }, () => {
  let store: TestStore
  let served: ServedGateway
  let tokens: AgentTokens
  let browser: ConsoleBrowser
  let origin = ''
  let bob: Page

  before(async () => {
    await ensureConsoleBuilt()
    store = await testStores()[0]!.open()
    served = await serveTestGateway(store, (url) => {
      origin = url.replace('127.0.0.1', 'localhost')
      const built = consoleTestConfig({ console: { dev_login: true }, publicUrl: origin, policy: POLICY })
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

  /** A page with its own virtual platform authenticator that verifies the user without asking. */
  const withAuthenticator = async (): Promise<Page> => {
    const page = await browser.open()
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('WebAuthn.enable')
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    })
    return page
  }

  const signIn = (page: Page, email: string, path: string) => devSignIn(page, origin, email, path)

  const submit = async (action: unknown) => {
    const response = await fetch(`${served.url}/v1/actions`, { method: 'POST', headers: { authorization: `Bearer ${tokens.deployBot}`, 'content-type': 'application/json' }, body: JSON.stringify(action) })
    assert.equal(response.status, 201)
    return (await response.json()) as { id: string; status: string; digest: string }
  }

  /** Posts a review from the signed-in page (its session and CSRF token), as the console does. */
  const postReview = (page: Page, id: string, body: unknown) =>
    page.evaluate(
      async ([id, body]) => {
        const { csrf_token } = (await (await fetch('/auth/session')).json()) as { csrf_token: string }
        const response = await fetch(`/v1/actions/${id}/reviews`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf_token }, body: JSON.stringify(body) })
        return { status: response.status, body: (await response.json()) as { detail?: string; status?: string } }
      },
      [id, body] as const,
    )

  let first = { id: '', digest: '', status: '' }
  let signedBody: { passkey: unknown } | undefined

  it('registers a passkey on the Passkeys page', async () => {
    bob = await withAuthenticator()
    await signIn(bob, 'bob@example.com', '/passkeys')
    await bob.locator('#passkey-name').fill('test laptop')
    await bob.getByRole('button', { name: 'Register' }).click()
    await bob.locator('.passkey', { hasText: 'test laptop' }).waitFor()
    await bob.locator('.alert', { hasText: 'Passkey registered.' }).waitFor()
  })

  it('approves with the passkey: the assertion is stored with the review and in its audit event', async () => {
    first = await submit(update(1))
    assert.equal(first.status, 'pending')
    await bob.goto(`${origin}/actions/${first.id}`)
    await bob.locator('#reason').fill('one account')
    await bob.locator('.passkey-note').waitFor()
    await bob.locator('.review').scrollIntoViewIfNeeded()
    await shoot(bob, 'console-passkey-confirm.png')
    const posted = bob.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith(`/v1/actions/${first.id}/reviews`))
    await bob.getByRole('button', { name: 'Approve with passkey' }).click()
    signedBody = JSON.parse((await posted).postData() ?? '{}') as { passkey: unknown }
    await bob.locator('.reviews', { hasText: /bob@example.com .*signed with a passkey/s }).waitFor()
    const event = (await served.gateway.gateway.store.actionEvents(first.id)).map((row) => JSON.parse(row.event) as { type: string; data: { passkey?: { credential_id: string } } }).find((e) => e.type === 'review.approve')
    assert.ok(event?.data.passkey?.credential_id, 'the review event carries the assertion')
    const verify = await served.gateway.auditLog.verify()
    assert.equal(verify.ok, true, JSON.stringify(verify.problems))
  })

  it('refuses the same assertion replayed, and an assertion made for another action', async () => {
    assert.ok(signedBody)
    const replayed = await postReview(bob, first.id, { decision: 'approve', reason: 'again', passkey: signedBody.passkey })
    assert.equal(replayed.status, 403)
    assert.match(replayed.body.detail ?? '', /already used|already reviewed/)
    const other = await submit(update(2))
    const moved = await postReview(bob, other.id, { decision: 'approve', reason: 'the other one', passkey: signedBody.passkey })
    assert.equal(moved.status, 403)
    assert.match(moved.body.detail ?? '', /another action|already used/)
    const plain = await postReview(bob, other.id, { decision: 'approve', reason: 'no passkey' })
    assert.equal(plain.status, 403)
    assert.match(plain.body.detail ?? '', /needs a passkey/)
    const state = (await (await fetch(`${served.url}/v1/actions/${other.id}`, { headers: { authorization: `Bearer ${tokens.deployBot}` } })).json()) as { reviews: unknown[] }
    assert.deepEqual(state.reviews, [])
  })

  it('does not approve from a chat click: the review through the Slack channel is refused and says where to approve', async () => {
    const other = await submit(update(3))
    const human = served.gateway.gateway.directory.human('bob@example.com')!
    await assert.rejects(served.gateway.gateway.review(human, other.id, { decision: 'approve', reason: 'clicked in Slack' }, 'slack'), /needs a passkey .*confirm it in the console/)
    assert.deepEqual(await served.gateway.gateway.store.getReviews(other.id), [])
  })

  it('checks a stored assertion offline: it verifies for its own digest only, and only with its own key', async () => {
    const db = served.gateway.gateway.store.db
    const row = await db.selectFrom('reviews').select(['passkey']).where('action_id', '=', first.id).executeTakeFirstOrThrow()
    const evidence = JSON.parse(row.passkey!) as PasskeyEvidence
    const key = await db.selectFrom('passkeys').select(['public_key']).where('credential_id', '=', evidence.credential_id).executeTakeFirstOrThrow()
    const expected = { digest: first.digest, policyVersion: (await served.gateway.gateway.store.getAction(first.id))!.policyVersion, origin }
    assert.equal(await assertionProblem(evidence, key.public_key, expected), undefined)
    assert.match((await assertionProblem(evidence, key.public_key, { ...expected, digest: 'f'.repeat(64) }))!, /another action/)
    assert.match((await assertionProblem(evidence, key.public_key, { ...expected, origin: 'https://evil.example' }))!, /made on/)
    const flipped = Buffer.from(evidence.signature, 'base64url')
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1
    assert.ok(await assertionProblem({ ...evidence, signature: flipped.toString('base64url') }, key.public_key, expected))
  })

  it('registers a second passkey, and a revoked one no longer signs approvals', async () => {
    // A second authenticator in the same browser stands for a second device of the same person.
    const cdp = await bob.context().newCDPSession(bob)
    await cdp.send('WebAuthn.enable')
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } })
    await bob.goto(`${origin}/passkeys`)
    await bob.locator('#passkey-name').fill('security key')
    await bob.getByRole('button', { name: 'Register' }).click()
    await bob.locator('.passkey', { hasText: 'security key' }).waitFor()
    assert.equal(await bob.locator('.passkey').count(), 2)
    for (const name of ['security key', 'test laptop']) {
      await bob.locator('.passkey', { hasText: name }).getByRole('button', { name: 'Revoke' }).click()
      await bob.locator('.passkey', { hasText: name }).locator('text=revoked').waitFor()
    }
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId })
    const other = await submit(update(4))
    const options = await bob.evaluate(async (id) => {
      const { csrf_token } = (await (await fetch('/auth/session')).json()) as { csrf_token: string }
      const response = await fetch(`/v1/actions/${id}/passkey-options`, { method: 'POST', headers: { 'x-csrf-token': csrf_token } })
      return { status: response.status, body: (await response.json()) as { detail?: string } }
    }, other.id)
    assert.equal(options.status, 403)
    assert.match(options.body.detail ?? '', /you have none/)
    // Revocations are audit events; the chain and the signed approvals still verify.
    const verify = await served.gateway.auditLog.verify()
    assert.equal(verify.ok, true, JSON.stringify(verify.problems))
  })

  it('fails audit verify when the stored assertion or public key is altered', async () => {
    const db = served.gateway.gateway.store.db
    const row = await db.selectFrom('reviews').select(['passkey']).where('action_id', '=', first.id).executeTakeFirstOrThrow()
    const evidence = JSON.parse(row.passkey!) as { signature: string }
    const forged = { ...evidence, signature: Buffer.from('forged signature bytes').toString('base64url') }
    await db.updateTable('reviews').set({ passkey: JSON.stringify(forged) }).where('action_id', '=', first.id).execute()
    const altered = await served.gateway.auditLog.verify()
    assert.equal(altered.ok, false)
    assert.ok(altered.problems.some((problem) => /passkey assertion stored with bob@example.com's approval is not the one its audit event carries/.test(problem.message)), JSON.stringify(altered.problems))
    await db.updateTable('reviews').set({ passkey: row.passkey }).where('action_id', '=', first.id).execute()
    assert.equal((await served.gateway.auditLog.verify()).ok, true)
    const key = await db.selectFrom('passkeys').select(['credential_id', 'public_key']).executeTakeFirstOrThrow()
    await db.updateTable('passkeys').set({ public_key: `${key.public_key.slice(0, -4)}AAAA` }).where('credential_id', '=', key.credential_id).execute()
    const swapped = await served.gateway.auditLog.verify()
    assert.equal(swapped.ok, false)
    assert.ok(swapped.problems.some((problem) => /is not the one its passkey.registered event recorded/.test(problem.message)))
  })
})

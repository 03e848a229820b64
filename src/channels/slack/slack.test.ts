import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Person } from '../../server/test-gateway.js'
import { testStores } from '../../store/connection/index.js'
import { OutboxStore } from '../../store/index.js'
import { SLACK_IDS } from './blocks.js'
import { buttonsOf, CHANNELS, messagesAbout, SECRET, shownText, slackGateway, startStandIn, until, USERS, type SlackGateway } from './test-support.js'
import { postInteraction, signInteraction, type SlackStandIn } from './test-slack.js'

const deleteAll = (reason = 'nightly cleanup') => ({ kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' }, context: { reason, model: 'test-model', session: 's-42' } })
const grant = { kind: 'sql', target: 'prod-db', payload: { sql: 'GRANT SELECT ON users TO analyst' } }

const pglite = testStores().find((store) => store.name === 'pglite')!

describe('approving in Slack', () => {
  let slack: SlackStandIn
  let sg: SlackGateway
  let drop: () => Promise<void>

  before(async () => {
    slack = await startStandIn()
    const connection = await pglite.open()
    drop = connection.drop
    sg = await slackGateway(connection, slack)
  })
  after(async () => {
    await sg?.close()
    await drop?.()
    await slack?.close()
  })

  const submit = async (action: unknown, as: Person = 'deployBot') => {
    const response = await sg.gw.call('POST', '/v1/actions', { as, body: action })
    assert.equal(response.status, 201, JSON.stringify(response.body))
    return response.body as { id: string; status: string }
  }
  const announced = (id: string, channel: string) => until(() => messagesAbout(slack, id).find((message) => message.channel === channel), `the announcement of ${id} in ${channel}`)
  const state = (id: string) => sg.gw.call('GET', `/v1/actions/${id}`, { as: 'dave' }).then((response) => response.body)
  const ephemeralsTo = (user: { id: string }) => slack.ephemerals.filter((ephemeral) => ephemeral.user === user.id)

  it('announces a pending action in the channel its rule names, with everything a reviewer must see', async () => {
    const action = await submit(deleteAll('clean up\u202Etxt.exe'))
    const message = await announced(action.id, CHANNELS.db)
    const text = shownText(message)
    assert.match(text, /Approval needed: sql on prod-db \(prod\)/)
    assert.match(text, /DELETE FROM users/)
    assert.match(text, /Agent: deploy-bot/)
    assert.match(text, /Owner: carol@example\.com/)
    assert.match(text, /Model: test-model/)
    assert.match(text, /Session: s-42/)
    // The bidirectional override in the agent's reason is shown, not obeyed.
    assert.ok(text.includes('Reason: clean up\\u{202E}txt.exe'), text)
    assert.match(text, /DELETE without WHERE/i)
    assert.match(text, /Matched rules: unscoped-writes/)
    assert.match(text, /2 approvals from group:dba \(rule unscoped-writes\): 0 so far/)
    assert.match(text, /Expires: /)
    assert.deepEqual(buttonsOf(message), [SLACK_IDS.approve, SLACK_IDS.deny, SLACK_IDS.open])
    // Nothing announced elsewhere: the rule names its channel.
    assert.deepEqual(messagesAbout(slack, action.id).length, 1)
  })

  it('goes to the default channel when no rule names a Slack channel', async () => {
    const action = await submit(grant)
    await announced(action.id, CHANNELS.approvals)
  })

  it('approves with two DBAs: the message is updated in place after each, and loses its buttons once approved', async () => {
    const action = await submit(deleteAll())
    const message = await announced(action.id, CHANNELS.db)
    const first = await sg.post(slack.clickPayload(USERS.alice, message, SLACK_IDS.approve))
    assert.equal(first.status, 200)
    await until(() => shownText(message).includes('1 so far (alice@example.com)'), 'the message to show the first approval')
    assert.equal((await state(action.id)).status, 'pending')
    assert.deepEqual(buttonsOf(message), [SLACK_IDS.approve, SLACK_IDS.deny, SLACK_IDS.open])

    await sg.post(slack.clickPayload(USERS.bob, message, SLACK_IDS.approve))
    await until(() => shownText(message).includes('Status: Approved (approved by alice@example.com, bob@example.com)'), 'the message to show the approval')
    assert.deepEqual(buttonsOf(message), [SLACK_IDS.open])
    const final = await state(action.id)
    assert.equal(final.status, 'approved')
    assert.deepEqual(final.reviews.map((review: { reviewer: string; channel: string }) => [review.reviewer, review.channel]), [['alice@example.com', 'slack'], ['bob@example.com', 'slack']])
    assert.equal(messagesAbout(slack, action.id).length, 1)
    assert.ok(message.updates >= 2)
    assert.equal(ephemeralsTo(USERS.alice).length + ephemeralsTo(USERS.bob).length, 0)
  })

  it('denies through a modal that asks for the reason', async () => {
    const action = await submit(deleteAll())
    const message = await announced(action.id, CHANNELS.db)
    const views = slack.views.length
    assert.equal((await sg.post(slack.clickPayload(USERS.erin, message, SLACK_IDS.deny))).status, 200)
    const opened = await until(() => slack.views[views], 'the reason modal')
    assert.equal((await state(action.id)).status, 'pending')
    const submitted = await sg.post(slack.submitPayload(USERS.erin, opened.id, 'too broad: add a WHERE'))
    assert.equal(submitted.status, 200)
    await until(() => shownText(message).includes('denied by erin@example.com: too broad: add a WHERE'), 'the message to show the denial')
    assert.deepEqual(buttonsOf(message), [SLACK_IDS.open])
    const final = await state(action.id)
    assert.equal(final.status, 'denied')
    assert.deepEqual(final.reviews.map((review: { reason: string; channel: string }) => [review.reason, review.channel]), [['too broad: add a WHERE', 'slack']])
  })

  it('asks for a reason to approve when the rule requires one', async () => {
    const action = await submit(grant)
    const message = await announced(action.id, CHANNELS.approvals)
    const views = slack.views.length
    await sg.post(slack.clickPayload(USERS.frank, message, SLACK_IDS.approve))
    const opened = await until(() => slack.views[views], 'the reason modal')
    assert.equal(JSON.parse(opened.view.private_metadata).decision, 'approve')
    await sg.post(slack.submitPayload(USERS.frank, opened.id, 'ticket SEC-12'))
    await until(async () => (await state(action.id)).status === 'approved', 'the approval')
    assert.equal((await state(action.id)).reviews[0].reason, 'ticket SEC-12')
  })

  it("refuses the agent's owner exactly as the API does, and tells only them why", async () => {
    // analytics-agent belongs to alice, a DBA: her approval of its request is self-approval.
    const action = await submit(deleteAll(), 'analyticsAgent')
    const message = await announced(action.id, CHANNELS.db)
    const api = await sg.gw.call('POST', `/v1/actions/${action.id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'mine' } })
    assert.equal(api.status, 403)
    await sg.post(slack.clickPayload(USERS.alice, message, SLACK_IDS.approve))
    const told = await until(() => ephemeralsTo(USERS.alice).find((ephemeral) => ephemeral.text.includes(api.body.detail)), "alice's private refusal")
    assert.equal(told.channel, CHANNELS.db)
    assert.match(told.text, /owner of the agent/)
    const after = await state(action.id)
    assert.equal(after.status, 'pending')
    assert.deepEqual(after.reviews, [])
  })

  it('refuses the admin who issued the submitting token exactly as the API does (attack review, bypass 3)', async () => {
    // carol, admin and security approver, mints a token for alice's agent and submits with it.
    const issued = await sg.gw.call('POST', '/v1/tokens', { as: 'carol', body: { agent: 'analytics-agent', name: 'minted' } })
    assert.equal(issued.status, 201)
    const created = await sg.gw.call('POST', '/v1/actions', { token: issued.body.token, body: grant })
    assert.equal(created.body.status, 'pending')
    const message = await announced(created.body.id, CHANNELS.approvals)
    const views = slack.views.length
    await sg.post(slack.clickPayload(USERS.carol, message, SLACK_IDS.approve))
    const opened = await until(() => slack.views[views], 'the reason modal')
    await sg.post(slack.submitPayload(USERS.carol, opened.id, 'looks fine to me'))
    const told = await until(() => ephemeralsTo(USERS.carol).find((ephemeral) => /issued the token it was submitted with/.test(ephemeral.text)), "carol's private refusal")
    assert.ok(told)
    const after = await state(created.body.id)
    assert.equal(after.status, 'pending')
    assert.deepEqual(after.reviews, [])
  })

  it('refuses forged, stale, future, replayed and foreign requests before anything happens', async () => {
    const action = await submit(deleteAll())
    const message = await announced(action.id, CHANNELS.db)
    const lookups = slack.callsOf('users.info').length
    const now = Math.floor(Date.now() / 1000)
    const click = () => slack.clickPayload(USERS.bob, message, SLACK_IDS.approve)
    const refused = [
      ['a wrong signing secret', await sg.post(click(), { secret: 'not-the-secret' }), 401],
      ['a timestamp 6 minutes old', await sg.post(click(), { timestampS: now - 360 }), 401],
      ['a timestamp 6 minutes ahead', await sg.post(click(), { timestampS: now + 360 }), 401],
      ['another workspace', await sg.post(slack.clickPayload(USERS.bob, message, SLACK_IDS.approve, 'T0OTHER')), 403],
    ] as const
    for (const [what, response, status] of refused) assert.equal(response.status, status, `${what}: ${response.text}`)
    const tampered = await fetch(sg.interactions, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(now), 'x-slack-signature': `v0=${'0'.repeat(64)}` }, body: 'payload=%7B%7D' })
    assert.equal(tampered.status, 401)
    assert.equal(slack.callsOf('users.info').length, lookups)
    assert.deepEqual((await state(action.id)).reviews, [])

    // A request Slack really sent is accepted once; the same bytes again are a replay.
    const genuine = signInteraction(slack.clickPayload(USERS.bob, message, SLACK_IDS.approve), SECRET)
    assert.equal((await postInteraction(sg.interactions, genuine)).status, 200)
    await until(async () => (await state(action.id)).reviews.length === 1, "bob's review")
    const replay = await postInteraction(sg.interactions, genuine)
    assert.equal(replay.status, 401)
    assert.match(replay.text, /replay/)
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal((await state(action.id)).reviews.length, 1)
    assert.equal(ephemeralsTo(USERS.bob).length, 0, 'the replay was not even processed as a second click')
  })

  it('tells a Slack user it does not know that their click changed nothing', async () => {
    const action = await submit(deleteAll())
    const message = await announced(action.id, CHANNELS.db)
    await sg.post(slack.clickPayload(USERS.mallory, message, SLACK_IDS.approve))
    const told = await until(() => ephemeralsTo(USERS.mallory)[0], "mallory's explanation")
    assert.match(told.text, /does not know mallory@elsewhere\.test/)
    // An address of an allowed domain is a human, in no group: the service, not Slack, refuses them here.
    await sg.post(slack.clickPayload(USERS.pat, message, SLACK_IDS.approve))
    const pat = await until(() => ephemeralsTo(USERS.pat)[0], "pat's refusal")
    assert.match(pat.text, /^Your review was not recorded: /)
    assert.doesNotMatch(pat.text, /does not know/)
    assert.deepEqual((await state(action.id)).reviews, [])
  })

  it('ends double clicks and approvers clicking at once in one decision, telling the others why', async () => {
    const action = await submit(deleteAll())
    const message = await announced(action.id, CHANNELS.db)
    const before = slack.ephemerals.length
    const clicks = [USERS.alice, USERS.alice, USERS.bob, USERS.erin].map((user) => slack.clickPayload(user, message, SLACK_IDS.approve))
    const responses = await Promise.all(clicks.map((click) => sg.post(click)))
    assert.deepEqual(responses.map((response) => response.status), [200, 200, 200, 200])
    await until(() => slack.ephemerals.length - before === 2, 'two refusals')
    const final = await state(action.id)
    assert.equal(final.status, 'approved')
    assert.equal(final.reviews.length, 2)
    assert.equal(new Set(final.reviews.map((review: { reviewer: string }) => review.reviewer)).size, 2)
    assert.equal(final.timeline.filter((event: { type: string }) => event.type === 'action.approved').length, 1)
    await until(() => buttonsOf(message).length === 1, 'the buttons to go')
    assert.equal(messagesAbout(slack, action.id).length, 1)
  })

  it('retries Slack failures and rate limits from the outbox without posting twice', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, { status: 500 }, { error: 'internal_error' })
    const action = await submit(deleteAll())
    const message = await announced(action.id, CHANNELS.db)
    const posts = slack.callsOf('chat.postMessage').filter((call) => String(call.args['text']).includes(action.id))
    assert.deepEqual(posts.map((call) => call.status), [429, 500, 200, 200])
    assert.deepEqual(posts.map((call) => call.ok), [false, false, false, true])

    slack.failNext('chat.update', { status: 429, retryAfter: 1 })
    await sg.post(slack.clickPayload(USERS.alice, message, SLACK_IDS.approve))
    await until(() => shownText(message).includes('1 so far (alice@example.com)'), 'the update after the rate limit')
    assert.equal(messagesAbout(slack, action.id).length, 1)
    // The row is marked sent just after Slack answered: wait for that bookkeeping, not only for the message.
    const store = new OutboxStore(sg.gw.store.connection)
    const outbox = await until(async () => {
      const rows = await store.messages(action.id)
      return rows[0]?.attempts === 0 ? rows : undefined
    }, 'the outbox row to be marked sent')
    assert.equal(outbox.length, 1)
    assert.equal(outbox[0]!.attempts, 0)
    assert.equal(outbox[0]!.lastError, null)
  })

  it('gives up on a destination Slack says does not exist, without retrying it', async () => {
    const action = await submit({ kind: 'shell', target: 'build-host', payload: { command: 'rm -rf /tmp/cache' } })
    const outbox = new OutboxStore(sg.gw.store.connection)
    const [row] = await until(async () => ((await outbox.messages(action.id))[0]?.deadAt ? outbox.messages(action.id) : undefined), 'the message to be given up')
    assert.equal(row!.destination, '#nowhere')
    assert.equal(row!.lastError, 'Slack refused the call: channel_not_found')
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(slack.callsOf('chat.postMessage').filter((call) => call.args['channel'] === '#nowhere').length, 1)
  })
})

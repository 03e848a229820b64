import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Person } from '../../server/test-gateway.js'
import { testStores } from '../../store/connection/index.js'
import { OutboxStore, TeamsConversationStore } from '../../store/index.js'
import { TEAMS_IDS } from './card.js'
import { actionsOf, cardText, CHANNELS, MEMBERS, postsAbout, startStandIn, TEAM, teamsGateway, TENANT, until, type TeamsGateway } from './test-support.js'
import type { BotConnectorStandIn, StandInActivity } from './test-teams.js'

const deleteAll = (reason = 'nightly cleanup') => ({ kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' }, context: { reason, model: 'test-model', session: 's-42' } })
const grant = { kind: 'sql', target: 'prod-db', payload: { sql: 'GRANT SELECT ON users TO analyst' } }
const CARD_TYPE = 'application/vnd.microsoft.card.adaptive'

const pglite = testStores().find((store) => store.name === 'pglite')!

describe('approving in Microsoft Teams', () => {
  let teams: BotConnectorStandIn
  let tg: TeamsGateway
  let drop: () => Promise<void>

  before(async () => {
    teams = await startStandIn()
    const connection = await pglite.open()
    drop = connection.drop
    tg = await teamsGateway(connection, teams, { install: true })
  })
  after(async () => {
    await tg?.close()
    await drop?.()
    await teams?.close()
  })

  const submit = async (action: unknown, as: Person = 'deployBot') => {
    const response = await tg.gw.call('POST', '/v1/actions', { as, body: action })
    assert.equal(response.status, 201, JSON.stringify(response.body))
    return response.body as { id: string; status: string }
  }
  const announced = (id: string, conversation: string) => until(() => postsAbout(teams, id).find((posted) => posted.conversationId === conversation), `the card of ${id} in ${conversation}`)
  const state = (id: string) => tg.gw.call('GET', `/v1/actions/${id}`, { as: 'dave' }).then((response) => response.body)
  const shown = (posted: StandInActivity) => cardText(teams.cardOf(posted))
  const click = (who: (typeof MEMBERS)[keyof typeof MEMBERS], posted: StandInActivity, verb: string, reason?: string, card?: unknown) =>
    tg.post(teams.invoke(who, posted, verb, reason === undefined ? {} : { [TEAMS_IDS.reason]: reason }, card))

  it('remembers the team it was installed in, with its service URL', async () => {
    const team = await new TeamsConversationStore(tg.gw.store.connection).find(TEAM)
    assert.equal(team?.serviceUrl, teams.serviceUrl)
    assert.equal(team?.teamId, TEAM)
    assert.equal(team?.tenantId, TENANT)
    assert.equal(team?.removedAt, null)
  })

  it('announces a pending action in the channel its rule names, as an Adaptive Card with everything a reviewer must see', async () => {
    const action = await submit(deleteAll('clean up\u202Etxt.exe'))
    const posted = await announced(action.id, CHANNELS.db)
    const card = teams.cardOf(posted)
    assert.equal(card.version, '1.5')
    const text = cardText(card)
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
    assert.match(text, /\*\*Expires:\*\* \{\{DATE\(/)
    assert.deepEqual(actionsOf(card), ['Approve', 'Deny', 'Open in console'])
    const [approve, deny] = card.actions
    assert.deepEqual([approve.type, approve.verb, approve.fallback.type], ['Action.Execute', TEAMS_IDS.approve, 'Action.Submit'])
    assert.deepEqual([deny.type, deny.verb, deny.fallback.type], ['Action.Execute', TEAMS_IDS.deny, 'Action.Submit'])
    const reason = card.body.find((element: { type: string }) => element.type === 'Input.Text')
    assert.equal(reason.id, TEAMS_IDS.reason)
    assert.equal(reason.isRequired, false)
    assert.equal(postsAbout(teams, action.id).length, 1)
    // The bot's own token went with the post, fetched with its client credentials.
    assert.ok(teams.callsOf('token').some((call) => call.status === 200 && call.body.client_id === tg.gw.config.channels.teams!.app_id))
  })

  it('goes to the default channel when no rule names a Teams channel, and requires a reason to approve where the rule says so', async () => {
    const action = await submit(grant)
    const posted = await announced(action.id, CHANNELS.approvals)
    const reason = teams.cardOf(posted).body.find((element: { type: string }) => element.type === 'Input.Text')
    assert.equal(reason.isRequired, true)
    const refused = await click(MEMBERS.frank, posted, TEAMS_IDS.approve)
    assert.match(cardText(refused.body.value), /frank@example\.com: Your review was not recorded: an approval needs a reason here/)
    const approved = await click(MEMBERS.frank, posted, TEAMS_IDS.approve, 'ticket SEC-12')
    assert.match(cardText(approved.body.value), /Status: Approved \(approved by frank@example\.com\)/)
    assert.equal((await state(action.id)).reviews[0].reason, 'ticket SEC-12')
  })

  it('approves with two DBAs: each click is answered with the card as it is now, and every copy is updated in place', async () => {
    const action = await submit(deleteAll())
    const posted = await announced(action.id, CHANNELS.db)
    const first = await click(MEMBERS.alice, posted, TEAMS_IDS.approve)
    assert.equal(first.status, 200)
    assert.equal(first.body.statusCode, 200)
    assert.equal(first.body.type, CARD_TYPE)
    assert.match(cardText(first.body.value), /1 so far \(alice@example\.com\)/)
    assert.deepEqual(actionsOf(first.body.value), ['Approve', 'Deny', 'Open in console'])
    await until(() => shown(posted).includes('1 so far (alice@example.com)'), 'the channel copy to show the first approval')
    assert.equal((await state(action.id)).status, 'pending')

    const second = await click(MEMBERS.bob, posted, TEAMS_IDS.approve, 'looked at it')
    assert.match(cardText(second.body.value), /Status: Approved \(approved by alice@example\.com, bob@example\.com\)/)
    assert.deepEqual(actionsOf(second.body.value), ['Open in console'])
    await until(() => shown(posted).includes('Status: Approved (approved by alice@example.com, bob@example.com)'), 'the channel copy to show the approval')
    assert.deepEqual(actionsOf(teams.cardOf(posted)), ['Open in console'])
    assert.ok(!teams.cardOf(posted).body.some((element: { type: string }) => element.type === 'Input.Text'))
    const final = await state(action.id)
    assert.equal(final.status, 'approved')
    assert.deepEqual(final.reviews.map((review: { reviewer: string; channel: string; reason: string }) => [review.reviewer, review.channel, review.reason]), [['alice@example.com', 'teams', ''], ['bob@example.com', 'teams', 'looked at it']])
    assert.equal(postsAbout(teams, action.id).length, 1)
    assert.ok(posted.updates >= 2)
    // The clickers were looked up by the members API in the team's roster.
    assert.ok(teams.callsOf('member').some((call) => call.path === `/teams/v3/conversations/${TEAM}/members/${MEMBERS.bob.id}`))
  })

  it('denies with a reason, and refuses a deny without one', async () => {
    const action = await submit(deleteAll())
    const posted = await announced(action.id, CHANNELS.db)
    const bare = await click(MEMBERS.erin, posted, TEAMS_IDS.deny)
    assert.match(cardText(bare.body.value), /erin@example\.com: Your review was not recorded: a deny needs a reason/)
    assert.equal((await state(action.id)).status, 'pending')
    const denied = await click(MEMBERS.erin, posted, TEAMS_IDS.deny, 'too broad: add a WHERE')
    assert.match(cardText(denied.body.value), /Status: Denied \(denied by erin@example\.com: too broad: add a WHERE\)/)
    await until(() => shown(posted).includes('denied by erin@example.com: too broad: add a WHERE'), 'the channel copy to show the denial')
    assert.deepEqual(actionsOf(teams.cardOf(posted)), ['Open in console'])
    const final = await state(action.id)
    assert.equal(final.status, 'denied')
    assert.deepEqual(final.reviews.map((review: { reason: string; channel: string }) => [review.reason, review.channel]), [['too broad: add a WHERE', 'teams']])
  })

  it("refuses the agent's owner exactly as the API does, and shows why in the clicker's card", async () => {
    // analytics-agent belongs to alice, a DBA: her approval of its request is self-approval.
    const action = await submit(deleteAll(), 'analyticsAgent')
    const posted = await announced(action.id, CHANNELS.db)
    const api = await tg.gw.call('POST', `/v1/actions/${action.id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'mine' } })
    assert.equal(api.status, 403)
    const refused = await click(MEMBERS.alice, posted, TEAMS_IDS.approve)
    assert.equal(refused.status, 200)
    const text = cardText(refused.body.value)
    assert.ok(text.startsWith(`alice@example.com: Your review was not recorded: ${api.body.detail}`), text)
    assert.match(text, /owner of the agent/)
    assert.deepEqual(actionsOf(refused.body.value), ['Approve', 'Deny', 'Open in console'])
    const after = await state(action.id)
    assert.equal(after.status, 'pending')
    assert.deepEqual(after.reviews, [])
  })

  it('answers a click on an already decided request with its final card and nothing recorded', async () => {
    const action = await submit(deleteAll())
    const posted = await announced(action.id, CHANNELS.db)
    const pendingCard = structuredClone(teams.cardOf(posted))
    await click(MEMBERS.alice, posted, TEAMS_IDS.approve)
    await click(MEMBERS.bob, posted, TEAMS_IDS.approve)
    // erin still has the card with buttons on her screen.
    const late = await click(MEMBERS.erin, posted, TEAMS_IDS.deny, 'wait', pendingCard)
    const text = cardText(late.body.value)
    assert.match(text, /^erin@example\.com: Too late: your review was not recorded: action is approved/)
    assert.match(text, /Status: Approved/)
    assert.deepEqual(actionsOf(late.body.value), ['Open in console'])
    const final = await state(action.id)
    assert.equal(final.status, 'approved')
    assert.equal(final.reviews.length, 2)
  })

  it('tells people Countersign does not know that their click changed nothing, without showing them the card', async () => {
    const action = await submit(deleteAll())
    const posted = await announced(action.id, CHANNELS.db)
    const cases = [
      [MEMBERS.mallory, /does not know mallory@elsewhere\.test/],
      [MEMBERS.ghost, /could not find you among the members of this conversation/],
      [MEMBERS.foreign, /Only members of this organization/],
    ] as const
    for (const [who, expected] of cases) {
      const response = await click(who, posted, TEAMS_IDS.approve)
      assert.equal(response.status, 200)
      assert.equal(response.body.type, 'application/vnd.microsoft.activity.message', who.name)
      assert.match(response.body.value, expected)
    }
    // An address of an allowed domain is a human, in no group: the service, not Teams, refuses them.
    const pat = await click(MEMBERS.pat, posted, TEAMS_IDS.approve)
    assert.match(cardText(pat.body.value), /^pat@contractors\.example\.com: Your review was not recorded: you are not an approver/)
    assert.deepEqual((await state(action.id)).reviews, [])
  })

  it('takes the Action.Submit fallback of older clients, and replies with a refusal in the thread', async () => {
    const action = await submit(deleteAll())
    const posted = await announced(action.id, CHANNELS.db)
    const approved = await tg.post(teams.submit(MEMBERS.bob, posted, 'Approve'))
    assert.equal(approved.status, 200)
    await until(() => shown(posted).includes('1 so far (bob@example.com)'), 'the update after the fallback click')
    assert.equal((await state(action.id)).reviews[0].channel, 'teams')
    const denied = await tg.post(teams.submit(MEMBERS.erin, posted, 'Deny'))
    assert.equal(denied.status, 200)
    const reply = await until(() => [...teams.activities.values()].find((candidate) => candidate.replyToId === posted.id), 'the refusal in the thread')
    assert.equal(reply.conversationId, CHANNELS.db)
    assert.deepEqual([reply.activity.text, reply.activity.textFormat], ['Erin Evans: Your review was not recorded: a deny needs a reason', 'plain'])
    assert.equal((await state(action.id)).reviews.length, 1)
  })

  it('refuses a replayed click', async () => {
    const action = await submit(deleteAll())
    const posted = await announced(action.id, CHANNELS.db)
    const invoke = teams.invoke(MEMBERS.bob, posted, TEAMS_IDS.approve)
    assert.equal((await tg.post(invoke)).status, 200)
    const replay = await tg.post(invoke)
    assert.equal(replay.status, 401)
    assert.match(replay.body, /replay/)
    assert.equal((await state(action.id)).reviews.length, 1)
  })

  it('retries connector failures from the outbox without posting twice', async () => {
    // Earlier tests' updates must not take the failures meant for this one.
    await until(async () => {
      const behind = await tg.gw.store.connection.db.selectFrom('channel_messages').select('action_id').where('dead_at', 'is', null).whereRef('sent_seq', '<', 'wanted_seq').execute()
      return behind.length === 0
    }, 'every earlier card to be up to date')
    teams.failNext('send', { status: 429, retryAfter: 1 }, { status: 503 })
    const action = await submit(deleteAll())
    const posted = await announced(action.id, CHANNELS.db)
    const sends = teams.callsOf('send').filter((call) => String(call.body?.summary ?? '').includes(action.id))
    assert.deepEqual(sends.map((call) => call.status), [429, 503, 201])

    const updatesOf = () => teams.callsOf('update').filter((call) => call.path.endsWith(`/activities/${posted.id}`))
    teams.failNext('update', { status: 502 }, { status: 429, retryAfter: 1 })
    await click(MEMBERS.alice, posted, TEAMS_IDS.approve)
    await until(() => shown(posted).includes('1 so far (alice@example.com)'), 'the update after the failures')
    assert.deepEqual(updatesOf().map((call) => call.status), [502, 429, 200])
    assert.equal(postsAbout(teams, action.id).length, 1)
    // The row is marked sent just after the connector answered: wait for that bookkeeping, not only for the card.
    const store = new OutboxStore(tg.gw.store.connection)
    const [row] = await until(async () => {
      const rows = await store.messages(action.id)
      return rows[0]?.attempts === 0 && rows[0].sentSeq === rows[0].wantedSeq ? rows : undefined
    }, 'the outbox row to be marked sent')
    assert.equal(row!.lastError, null)
  })

  it('gives up on a destination nobody mapped, without calling the connector', async () => {
    const sends = teams.callsOf('send').length
    const action = await submit({ kind: 'shell', target: 'build-host', payload: { command: 'rm -rf /tmp/cache' } })
    const outbox = new OutboxStore(tg.gw.store.connection)
    const [row] = await until(async () => ((await outbox.messages(action.id))[0]?.deadAt ? outbox.messages(action.id) : undefined), 'the message to be given up')
    assert.equal(row!.destination, 'nowhere')
    assert.match(row!.lastError ?? '', /teams:nowhere is not mapped/)
    assert.equal(teams.callsOf('send').length, sends)
  })
})

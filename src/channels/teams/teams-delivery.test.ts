import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testStores } from '../../store/connection/index.js'
import { openPostgres, OutboxStore, TeamsConversationStore, type Database } from '../../store/index.js'
import { TEAMS_IDS } from './card.js'
import { actionsOf, cardText, CHANNELS, MEMBERS, personalChat, postsAbout, startStandIn, teamsGateway, until, type TeamsGateway } from './test-support.js'
import type { BotConnectorStandIn } from './test-teams.js'

const deleteAll = { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' } }

async function submit(tg: TeamsGateway, action: unknown): Promise<string> {
  const response = await tg.gw.call('POST', '/v1/actions', { as: 'deployBot', body: action })
  assert.equal(response.status, 201, JSON.stringify(response.body))
  return response.body.id
}

describe('1:1 messages to approvers', () => {
  let teams: BotConnectorStandIn
  let tg: TeamsGateway
  let drop: () => Promise<void>

  before(async () => {
    teams = await startStandIn()
    const connection = await testStores().find((store) => store.name === 'pglite')!.open()
    drop = connection.drop
    tg = await teamsGateway(connection, teams, { dm: true, install: true })
  })
  after(async () => {
    await tg?.close()
    await drop?.()
    await teams?.close()
  })

  it('remembers the 1:1 chats of the people who install the app, with their email, and forgets one when it is removed', async () => {
    for (const who of [MEMBERS.alice, MEMBERS.bob, MEMBERS.carol, MEMBERS.frank]) assert.equal((await tg.post(teams.installation(personalChat(who), who))).status, 200)
    const store = new TeamsConversationStore(tg.gw.store.connection)
    const alice = await store.find(personalChat(MEMBERS.alice))
    assert.equal(alice?.conversationType, 'personal')
    assert.equal(alice?.userEmail, 'alice@example.com')
    assert.equal(alice?.userId, MEMBERS.alice.id)
    assert.equal(alice?.serviceUrl, teams.serviceUrl)
    await tg.post(teams.installation(personalChat(MEMBERS.frank), MEMBERS.frank, { action: 'remove' }))
    assert.notEqual((await store.find(personalChat(MEMBERS.frank)))?.removedAt, null)
    assert.equal(await store.personal(alice!.tenantId, 'frank@example.com'), undefined)
  })

  it('asks each eligible approver in their 1:1 chat, never a requester, and updates every copy when decided', async () => {
    const id = await submit(tg, deleteAll)
    // The DBAs: alice, bob (their chats are known) and erin (who never installed the app); carol owns deploy-bot.
    const all = await until(() => (postsAbout(teams, id).length === 3 ? postsAbout(teams, id) : undefined), 'the channel card and two 1:1 cards')
    assert.deepEqual(all.map((posted) => posted.conversationId).sort(), [CHANNELS.db, personalChat(MEMBERS.alice), personalChat(MEMBERS.bob)].sort())
    const outbox = new OutboxStore(tg.gw.store.connection)
    const erin = await until(async () => (await outbox.messages(id)).find((row) => row.destination === 'dm:erin@example.com' && row.deadAt), "erin's message to be given up")
    assert.match(erin.lastError ?? '', /erin@example\.com has no 1:1 chat with the Countersign app/)

    const inBobsChat = all.find((posted) => posted.conversationId === personalChat(MEMBERS.bob))!
    const bob = await tg.post(teams.invoke(MEMBERS.bob, inBobsChat, TEAMS_IDS.approve))
    assert.match(cardText(bob.body.value), /1 so far \(bob@example\.com\)/)
    // In a 1:1 chat the members API is asked about the chat itself.
    assert.ok(teams.callsOf('member').some((call) => call.path === `/teams/v3/conversations/${personalChat(MEMBERS.bob)}/members/${MEMBERS.bob.id}`))
    const inAlicesChat = all.find((posted) => posted.conversationId === personalChat(MEMBERS.alice))!
    await tg.post(teams.invoke(MEMBERS.alice, inAlicesChat, TEAMS_IDS.approve))
    await until(() => all.every((posted) => actionsOf(teams.cardOf(posted)).length === 1 && cardText(teams.cardOf(posted)).includes('approved by bob@example.com, alice@example.com')), 'every copy to show the approval')
    assert.equal(postsAbout(teams, id).length, 3)
  })
})

describe('the bot\'s own token', () => {
  let teams: BotConnectorStandIn
  let tg: TeamsGateway
  let drop: () => Promise<void>

  before(async () => {
    teams = await startStandIn()
    const connection = await testStores().find((store) => store.name === 'pglite')!.open()
    drop = connection.drop
    tg = await teamsGateway(connection, teams, { install: true })
  })
  after(async () => {
    await tg?.close()
    await drop?.()
    await teams?.close()
  })

  it('retries when the identity platform fails, then posts once with the token it issued', async () => {
    teams.failNext('token', { status: 503 }, { status: 429, retryAfter: 1 })
    const id = await submit(tg, deleteAll)
    await until(() => postsAbout(teams, id)[0], 'the announcement')
    assert.deepEqual(teams.callsOf('token').map((call) => call.status), [503, 429, 200])
    assert.equal(teams.callsOf('send').length, 1)
    // The client credentials grant, for the Bot Framework's scope.
    const request = teams.callsOf('token')[2]!.body
    assert.deepEqual([request.grant_type, request.scope], ['client_credentials', 'https://api.botframework.com/.default'])
  })

  it('fetches a new token when the connector refuses the one it has, and delivers the update', async () => {
    const id = await submit(tg, deleteAll)
    const posted = await until(() => postsAbout(teams, id)[0], 'the announcement')
    const tokens = teams.callsOf('token').length
    teams.revokeTokens()
    const clicked = await tg.post(teams.invoke(MEMBERS.alice, posted, TEAMS_IDS.approve))
    assert.match(cardText(clicked.body.value), /1 so far \(alice@example\.com\)/)
    await until(() => cardText(teams.cardOf(posted)).includes('1 so far (alice@example.com)'), 'the update with the new token')
    assert.equal(teams.callsOf('token').length, tokens + 1)
    // The click's member lookup met the refusal and was made again with the new token.
    assert.deepEqual(teams.callsOf('member').slice(-2).map((call) => call.status), [401, 200])
  })
})

describe('Teams delivery across gateways on one store (PostgreSQL)', () => {
  let teams: BotConnectorStandIn
  let url: string
  let drop: () => Promise<void>
  const open: TeamsGateway[] = []

  before(async () => {
    teams = await startStandIn()
    const store = await testStores().find((candidate) => candidate.name === 'postgres')!.open()
    url = store.url!
    drop = store.drop
    open.push(await teamsGateway(store, teams, { install: true }))
  })
  after(async () => {
    for (const tg of open) await tg.close()
    await drop?.()
    await teams?.close()
  })

  it('lets a second gateway take the click and update the card the first one posted', async () => {
    const [first] = open as [TeamsGateway]
    const id = await submit(first, deleteAll)
    const posted = await until(() => postsAbout(teams, id)[0], 'the announcement')
    const second = await teamsGateway(await openPostgres<Database>({ url, poolSize: 2 }), teams)
    open.push(second)
    const clicked = await second.post(teams.invoke(MEMBERS.alice, posted, TEAMS_IDS.approve))
    assert.match(cardText(clicked.body.value), /1 so far \(alice@example\.com\)/)
    await until(() => cardText(teams.cardOf(posted)).includes('1 so far (alice@example.com)'), 'the card to be updated')
    assert.equal(postsAbout(teams, id).length, 1)
  })
})

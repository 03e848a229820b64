import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { TEST_POSTGRES_URL, testStores } from '../../store/connection/index.js'
import { openPostgres, OutboxStore, type Database } from '../../store/index.js'
import { SLACK_IDS } from './blocks.js'
import { buttonsOf, CHANNELS, messagesAbout, shownText, slackGateway, startStandIn, until, USERS, type SlackGateway } from './test-support.js'
import type { SlackStandIn } from './test-slack.js'

const deleteAll = { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' } }

async function submit(sg: SlackGateway, action: unknown): Promise<string> {
  const response = await sg.gw.call('POST', '/v1/actions', { as: 'deployBot', body: action })
  assert.equal(response.status, 201, JSON.stringify(response.body))
  return response.body.id
}

describe('direct messages to approvers', () => {
  let slack: SlackStandIn
  let sg: SlackGateway
  let drop: () => Promise<void>

  before(async () => {
    slack = await startStandIn()
    const connection = await testStores().find((store) => store.name === 'pglite')!.open()
    drop = connection.drop
    sg = await slackGateway(connection, slack, { dm: true })
  })
  after(async () => {
    await sg?.close()
    await drop?.()
    await slack?.close()
  })

  it('asks each eligible approver directly, never a requester, and updates every copy when decided', async () => {
    const id = await submit(sg, deleteAll)
    // The DBAs: alice, bob, erin. carol owns deploy-bot and is no DBA; nobody else is asked.
    const dms = ['D0ALICE', 'D0BOB', 'D0ERIN']
    const all = await until(() => (messagesAbout(slack, id).length === 4 ? messagesAbout(slack, id) : undefined), 'the channel message and three DMs')
    assert.deepEqual(all.map((message) => message.channel).sort(), [CHANNELS.db, ...dms].sort())
    const lookedUp = slack.callsOf('users.lookupByEmail').map((call) => call.args['email'])
    assert.deepEqual([...new Set(lookedUp)].sort(), ['alice@example.com', 'bob@example.com', 'erin@example.com'])

    const inBobsDm = all.find((message) => message.channel === 'D0BOB')!
    await sg.post(slack.clickPayload(USERS.bob, inBobsDm, SLACK_IDS.approve))
    const inChannel = all.find((message) => message.channel === CHANNELS.db)!
    await until(() => shownText(inChannel).includes('1 so far (bob@example.com)'), 'the channel copy to show bob')
    await sg.post(slack.clickPayload(USERS.erin, all.find((message) => message.channel === 'D0ERIN')!, SLACK_IDS.approve))
    await until(() => all.every((message) => buttonsOf(message).length === 1 && shownText(message).includes('approved by bob@example.com, erin@example.com')), 'every copy to show the approval')
    assert.equal(messagesAbout(slack, id).length, 4)
  })
})

describe('Slack delivery across gateway restarts and replicas (PostgreSQL)', () => {
  const database = `cs_slack_${randomBytes(6).toString('hex')}`
  const url = (() => {
    const parsed = new URL(TEST_POSTGRES_URL)
    parsed.pathname = `/${database}`
    return parsed.toString()
  })()
  let slack: SlackStandIn
  const open: SlackGateway[] = []
  const start = async () => {
    const sg = await slackGateway(await openPostgres<Database>({ url, poolSize: 4 }), slack)
    open.push(sg)
    return sg
  }
  const onServer = async (statement: string) => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL })
    await client.connect()
    await client.query(statement).finally(() => client.end())
  }

  before(async () => {
    slack = await startStandIn()
    await onServer(`create database ${database}`)
  })
  after(async () => {
    for (const sg of open) await sg.close()
    await slack?.close()
    await onServer(`drop database if exists ${database} with (force)`)
  })

  it('lets a second gateway on the same store take the click and update the message the first one posted', async () => {
    const first = await start()
    const id = await submit(first, deleteAll)
    const message = await until(() => messagesAbout(slack, id)[0], 'the announcement')
    await first.close()
    open.splice(open.indexOf(first), 1)

    const second = await start()
    await second.post(slack.clickPayload(USERS.alice, message, SLACK_IDS.approve))
    await second.post(slack.clickPayload(USERS.bob, message, SLACK_IDS.approve))
    await until(() => buttonsOf(message).length === 1 && shownText(message).includes('approved by alice@example.com, bob@example.com'), 'the update from the second gateway')
    assert.equal(messagesAbout(slack, id).length, 1)
    const state = await second.gw.call('GET', `/v1/actions/${id}`, { as: 'dave' })
    assert.equal(state.body.status, 'approved')
  })

  it('announces what a stopped gateway could not send, once', async () => {
    slack.failNext('chat.postMessage', { status: 500 })
    const sg = open[0]!
    const id = await submit(sg, deleteAll)
    await until(() => slack.callsOf('chat.postMessage').some((call) => call.status === 500), 'the failed attempt')
    await sg.close()
    open.splice(0, 1)
    const next = await start()
    await until(() => messagesAbout(slack, id)[0], 'the announcement by the next gateway')
    // The reference is stored just after Slack answered: wait for that bookkeeping, not only for the message.
    const store = new OutboxStore(next.gw.store.connection)
    const outbox = await until(async () => {
      const rows = await store.messages(id)
      return rows[0]?.ref ? rows : undefined
    }, 'the message reference to be stored')
    assert.equal(outbox[0]!.ref !== null, true)
    assert.equal(messagesAbout(slack, id).length, 1)
  })

  it('posts each message once while two replicas dispatch at once', async () => {
    const [a] = open as [SlackGateway]
    const b = await start()
    const ids = await Promise.all(Array.from({ length: 8 }, (_, index) => submit(index % 2 === 0 ? a : b, deleteAll)))
    await until(() => ids.every((id) => messagesAbout(slack, id).length === 1), 'every announcement')
    await new Promise((resolve) => setTimeout(resolve, 300))
    for (const id of ids) assert.equal(messagesAbout(slack, id).length, 1, `${id} was posted ${messagesAbout(slack, id).length} times`)
  })
})

describe('Socket Mode', () => {
  let slack: SlackStandIn
  let sg: SlackGateway
  let drop: () => Promise<void>

  before(async () => {
    slack = await startStandIn()
    const connection = await testStores().find((store) => store.name === 'pglite')!.open()
    drop = connection.drop
    sg = await slackGateway(connection, slack, { socketMode: true })
    await slack.socketMode.connected
  })
  after(async () => {
    await sg?.close()
    await drop?.()
    await slack?.close()
  })

  it('takes clicks over the socket, acknowledges them, and refuses another workspace there too', async () => {
    const id = await submit(sg, deleteAll)
    const message = await until(() => messagesAbout(slack, id)[0], 'the announcement')
    assert.equal(slack.callsOf('apps.connections.open').length, 1)
    const foreign = await slack.socketMode.deliver(slack.clickPayload(USERS.alice, message, SLACK_IDS.approve, 'T0OTHER'))
    assert.ok(foreign['envelope_id'])
    const ack = await slack.socketMode.deliver(slack.clickPayload(USERS.bob, message, SLACK_IDS.approve))
    assert.ok(ack['envelope_id'])
    await until(() => shownText(message).includes('1 so far (bob@example.com)'), 'the update after the click over the socket')
    const state = await sg.gw.call('GET', `/v1/actions/${id}`, { as: 'dave' })
    assert.deepEqual(state.body.reviews.map((review: { reviewer: string }) => review.reviewer), ['bob@example.com'])
    // The HTTP endpoint is not served in Socket Mode.
    assert.equal((await sg.post(slack.clickPayload(USERS.erin, message, SLACK_IDS.approve))).status, 404)
  })
})

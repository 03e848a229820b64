import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { testStores } from '../../store/connection/index.js'
import { TeamsConversationStore } from '../../store/index.js'
import { TEAMS_IDS } from './card.js'
import { CHANNELS, MEMBERS, personalChat, postsAbout, startStandIn, teamsGateway, until, type TeamsGateway } from './test-support.js'
import type { BotConnectorStandIn, StandInActivity } from './test-teams.js'

const deleteAll = { kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' } }

describe('verifying the requests Teams sends', () => {
  let teams: BotConnectorStandIn
  let tg: TeamsGateway
  let drop: () => Promise<void>
  let actionId: string
  let posted: StandInActivity

  before(async () => {
    teams = await startStandIn()
    const connection = await testStores().find((store) => store.name === 'pglite')!.open()
    drop = connection.drop
    tg = await teamsGateway(connection, teams, { install: true })
    const submitted = await tg.gw.call('POST', '/v1/actions', { as: 'deployBot', body: deleteAll })
    actionId = submitted.body.id
    posted = await until(() => postsAbout(teams, actionId)[0], 'the announcement')
  })
  after(async () => {
    await tg?.close()
    await drop?.()
    await teams?.close()
  })

  const reviews = async () => (await tg.gw.call('GET', `/v1/actions/${actionId}`, { as: 'dave' })).body.reviews
  const click = () => teams.invoke(MEMBERS.bob, posted, TEAMS_IDS.approve)
  const bearer = async (claims: Record<string, unknown>, options: { key?: 'teams' | 'webchat' | 'rogue'; serviceUrl?: string } = {}) => `Bearer ${await teams.token(options.serviceUrl, { claims, ...(options.key && { key: options.key }) })}`
  const now = () => Math.floor(Date.now() / 1000)

  it('refuses every request without a valid Bot Framework token with 401, and changes nothing', async () => {
    const lookups = teams.callsOf('member').length
    const refused: [string, string | null, Record<string, any>?][] = [
      ['no Authorization header', null],
      ['a token that is not a bearer JWT', 'Basic Ym90OnNlY3JldA=='],
      ['a malformed JWT', 'Bearer not.a.jwt'],
      ['an unsigned JWT', `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`],
      ['a key the Bot Framework does not publish', await bearer({}, { key: 'rogue' })],
      ['a key endorsed for another channel only', await bearer({}, { key: 'webchat' })],
      ['another audience', await bearer({ aud: randomUUID() })],
      ['another issuer', await bearer({ iss: 'https://sts.windows.net/evil/' })],
      ['a token expired 6 minutes ago', await bearer({ exp: now() - 360, iat: now() - 4000, nbf: now() - 4000 })],
      ['a token valid only in 6 minutes', await bearer({ nbf: now() + 360 })],
      ['a token without an expiry', await bearer({ exp: undefined })],
      ['a token without a serviceurl claim', await bearer({ serviceurl: undefined })],
      ['a token for another service URL', await bearer({}, { serviceUrl: 'https://smba.trafficmanager.net/emea/' })],
      // The token is Teams' own, but the activity asks the bot to answer somewhere else.
      ['an activity whose serviceUrl is not the token\'s', await bearer({}), { serviceUrl: 'https://attacker.example/teams/' }],
    ]
    for (const [what, authorization, change] of refused) {
      const response = await tg.post({ ...click(), ...change }, { authorization })
      assert.equal(response.status, 401, `${what}: ${response.status} ${JSON.stringify(response.body)}`)
    }
    assert.equal(teams.callsOf('member').length, lookups, 'no refused request got as far as looking anyone up')
    assert.deepEqual(await reviews(), [])
  })

  it('refuses an install whose serviceUrl is not the token\'s, remembering nothing', async () => {
    const install = { ...teams.installation(personalChat(MEMBERS.bob), MEMBERS.bob), serviceUrl: 'https://attacker.example/teams/' }
    const response = await tg.post(install, { authorization: await bearer({}) })
    assert.equal(response.status, 401)
    assert.equal(await new TeamsConversationStore(tg.gw.store.connection).find(personalChat(MEMBERS.bob)), undefined)
  })

  it('refuses an activity from another tenant with 403', async () => {
    const activity = click()
    const response = await tg.post({ ...activity, channelData: { ...activity['channelData'], tenant: { id: randomUUID() } }, conversation: { ...activity['conversation'], tenantId: undefined } })
    assert.equal(response.status, 403)
    assert.deepEqual(await reviews(), [])
  })

  it('accepts a token within the 5 minutes of clock skew the Bot Framework allows', async () => {
    const response = await tg.post(click(), { authorization: await bearer({ exp: now() - 120, iat: now() - 3700, nbf: now() - 3700 }) })
    assert.equal(response.status, 200, JSON.stringify(response.body))
    assert.deepEqual((await reviews()).map((review: { reviewer: string }) => review.reviewer), ['bob@example.com'])
    assert.equal(posted.conversationId, CHANNELS.db)
  })
})

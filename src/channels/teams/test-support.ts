// Helpers for this folder's tests: a gateway with Teams configured against the Bot Connector stand-in, listening on a real port.
import { randomBytes, randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { pino } from 'pino'
import { testGateway, type TestGateway } from '../../server/test-gateway.js'
import type { Database, StoreConnection } from '../../store/index.js'
import { TEAMS_MESSAGES_PATH } from './receiver.js'
import { BotConnectorStandIn, postActivity, type StandInActivity, type StandInMember } from './test-teams.js'
import { channelTestPolicy } from '../test-support.js'
export { until } from '../test-support.js'

/** The bot's app id and the organization's tenant. */
export const APP_ID = randomUUID()
export const TENANT = randomUUID()
/** The bot's password, handed to the gateway as an `env:` reference. */
export const APP_PASSWORD = `pw-${randomBytes(12).toString('hex')}`
process.env['CS_TEST_TEAMS_APP_PASSWORD'] = APP_PASSWORD

const member = (key: string, name: string, email: string, extra: Partial<StandInMember> = {}): StandInMember => ({ id: `29:1${key}`, name, aadObjectId: randomUUID(), email, userPrincipalName: email.toLowerCase(), ...extra })

/** The test organization's people in Teams (see PEOPLE in test-gateway.ts), and strangers. */
export const MEMBERS = {
  alice: member('alice', 'Alice Adams', 'Alice@Example.com'),
  bob: member('bob', 'Bob Brown', 'bob@example.com'),
  erin: member('erin', 'Erin Evans', 'erin@example.com'),
  carol: member('carol', 'Carol Clark', 'carol@example.com'),
  frank: member('frank', 'Frank Fox', 'frank@example.com'),
  /** In the tenant, but no configured human and not in an allowed domain. */
  mallory: member('mallory', 'Mallory Moe', 'mallory@elsewhere.test'),
  /** An allowed domain: a human in no group. */
  pat: member('pat', 'Pat Poe', 'pat@contractors.example.com'),
  /** Another organization's user in a shared channel, with a configured person's address. */
  foreign: member('foreign', 'Bob Elsewhere', 'bob@example.com', { tenantId: randomUUID() }),
  /** Clicks, but the members API does not know them in this conversation. */
  ghost: member('ghost', 'Gus Ghost', 'erin@example.com'),
} as const satisfies Record<string, StandInMember>

/** The team and its channels' conversation ids; each person's 1:1 chat with the bot is `a:1<name>`. */
export const TEAM = '19:team-ops@thread.tacv2'
export const CHANNELS = { approvals: '19:approvals@thread.tacv2', db: '19:db-approvals@thread.tacv2' } as const
export const personalChat = (who: StandInMember) => `a:1${who.id.slice(4)}`

/** Two DBAs for unscoped writes, asked in dba-team; a security reviewer with a reason for grants; a channel nobody mapped. */
export const TEAMS_POLICY = channelTestPolicy('teams:dba-team', 'teams:nowhere')

/** A Bot Connector stand-in with the test organization, listening: a team with two channels and everyone in it, and a 1:1 chat per person. */
export async function startStandIn(): Promise<BotConnectorStandIn> {
  const teams = await new BotConnectorStandIn(APP_ID, APP_PASSWORD, TENANT).start()
  const inTeam = Object.values(MEMBERS).filter((who) => who !== MEMBERS.ghost)
  for (const who of Object.values(MEMBERS)) teams.addMember(who)
  for (const id of [TEAM, CHANNELS.approvals, CHANNELS.db]) teams.addConversation({ id, type: 'channel', teamId: TEAM, teamName: 'Operations', members: inTeam.map((who) => who.id) })
  for (const who of inTeam) teams.addConversation({ id: personalChat(who), type: 'personal', members: [who.id] })
  return teams
}

/** A test gateway with `channels.teams` pointed at the stand-in, serving HTTP on a real port. */
export interface TeamsGateway {
  readonly gw: TestGateway
  /** The gateway's messaging endpoint. */
  readonly endpoint: string
  /** Posts an activity with a token the stand-in signed (or the given `authorization`, or none with `null`). */
  post(activity: Record<string, any>, options?: { authorization?: string | null }): Promise<{ status: number; body: any }>
  close(): Promise<void>
}

/** A test gateway on `connection` with `channels.teams` pointed at `teams`; with `install`, the app is installed in the team first. */
export async function teamsGateway(connection: StoreConnection<Database>, teams: BotConnectorStandIn, options: { dm?: boolean; install?: boolean } = {}): Promise<TeamsGateway> {
  const gw = await testGateway(connection, {
    policy: TEAMS_POLICY,
    channels: {
      teams: {
        app_id: APP_ID,
        app_password: 'env:CS_TEST_TEAMS_APP_PASSWORD',
        tenant_id: TENANT,
        channels: { 'dba-team': CHANNELS.db, approvals: CHANNELS.approvals },
        default_channel: 'approvals',
        dm_approvers: options.dm ?? false,
        allowed_domains: ['contractors.example.com'],
        openid_metadata: teams.openIdMetadataUrl,
        login_url: teams.loginUrl,
      },
    },
    // CS_TEST_LOG=debug shows what the gateway logs while a test runs.
    assemble: { channels: { pollMs: 50, retryBaseMs: 100, maxRetryMs: 1_000 }, ...(process.env['CS_TEST_LOG'] && { logger: pino({ level: process.env['CS_TEST_LOG'] }) }) },
  })
  const server = serve({ fetch: gw.app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise((resolve) => server.once('listening', resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}${TEAMS_MESSAGES_PATH}`
  const post = async (activity: Record<string, any>, postOptions: { authorization?: string | null } = {}) => {
    const authorization = postOptions.authorization === undefined ? `Bearer ${await teams.token(activity['serviceUrl'])}` : (postOptions.authorization ?? undefined)
    return postActivity(endpoint, activity, authorization)
  }
  if (options.install) {
    const installed = await post(teams.installation(TEAM, MEMBERS.carol, { type: 'conversationUpdate' }))
    if (installed.status !== 200) throw new Error(`installing the app in the team failed: ${installed.status} ${JSON.stringify(installed.body)}`)
  }
  return {
    gw,
    endpoint,
    post,
    close: async () => {
      await new Promise((resolve) => server.close(resolve))
      await gw.close()
    },
  }
}


/** Every text of a card, in order: what a reader sees (TextRuns joined per block, blocks per line). */
export function cardText(card: any): string {
  const lines: string[] = []
  const walk = (node: any): void => {
    if (Array.isArray(node)) return node.forEach(walk)
    if (!node || typeof node !== 'object') return
    if (node.type === 'RichTextBlock') return void lines.push(node.inlines.map((inline: any) => inline.text).join(''))
    if (node.type === 'TextBlock') return void lines.push(node.text)
    for (const key of ['body', 'items', 'columns']) if (node[key]) walk(node[key])
  }
  walk(card?.body)
  return lines.join('\n')
}

/** The titles of a card's actions. */
export function actionsOf(card: any): string[] {
  return (card?.actions ?? []).map((action: any) => action.title)
}

/** The stand-in's posted cards about action `id` (its id is in the notification summary). */
export function postsAbout(teams: BotConnectorStandIn, id: string): StandInActivity[] {
  return [...teams.activities.values()].filter((posted) => posted.replyToId === undefined && String(posted.activity.summary ?? '').includes(id))
}

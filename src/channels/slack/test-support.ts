// Helpers for this folder's tests: a gateway with Slack configured against the stand-in, listening on a real port.
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { pino } from 'pino'
import { testGateway, type TestGateway } from '../../server/test-gateway.js'
import type { Database, StoreConnection } from '../../store/index.js'
import { SLACK_INTERACTIONS_PATH } from './receiver.js'
import { postInteraction, signInteraction, SlackStandIn, type StandInMessage, type StandInUser } from './test-slack.js'
import { channelTestPolicy } from '../test-support.js'
export { until } from '../test-support.js'

/** The workspace of the test gateway and the stand-in. */
export const TEAM = 'T0COUNTER'
/** The app's signing secret, handed to the gateway as an `env:` reference. */
export const SECRET = `signing-${randomBytes(12).toString('hex')}`
/** The bot token the stand-in accepts, handed to the gateway as an `env:` reference. */
export const BOT_TOKEN = `xoxb-${randomBytes(12).toString('hex')}`
process.env['CS_TEST_SLACK_BOT_TOKEN'] = BOT_TOKEN
process.env['CS_TEST_SLACK_SIGNING_SECRET'] = SECRET

/** The test organization's people in Slack (see PEOPLE in test-gateway.ts), and two strangers. */
export const USERS = {
  alice: { id: 'U0ALICE', email: 'Alice@Example.com' },
  bob: { id: 'U0BOB', email: 'bob@example.com' },
  erin: { id: 'U0ERIN', email: 'erin@example.com' },
  carol: { id: 'U0CAROL', email: 'carol@example.com' },
  frank: { id: 'U0FRANK', email: 'frank@example.com' },
  mallory: { id: 'U0MALLORY', email: 'mallory@elsewhere.test' },
  pat: { id: 'U0PAT', email: 'pat@contractors.example.com' },
} as const satisfies Record<string, StandInUser>

/** Channel ids of the stand-in's channels. */
export const CHANNELS = { approvals: 'C0APPROVALS', db: 'C0DBAPPROVALS' } as const

/** Two DBAs for unscoped writes, asked in #db-approvals; a security reviewer with a reason for grants; a channel that does not exist. */
export const SLACK_POLICY = channelTestPolicy('slack:#db-approvals', 'slack:#nowhere')

/** A Slack stand-in with the test organization, listening. */
export async function startStandIn(): Promise<SlackStandIn> {
  const slack = await new SlackStandIn(BOT_TOKEN, TEAM).start()
  for (const user of Object.values(USERS)) slack.addUser(user)
  slack.addChannel('#approvals', CHANNELS.approvals)
  slack.addChannel('#db-approvals', CHANNELS.db)
  return slack
}

/** A test gateway with `channels.slack` pointed at the stand-in, serving HTTP on a real port. */
export interface SlackGateway {
  readonly gw: TestGateway
  /** The gateway's Slack interactivity URL. */
  readonly interactions: string
  /** Signs a payload as Slack does and posts it to the gateway. */
  post(payload: Record<string, unknown>, options?: { secret?: string; timestampS?: number }): Promise<{ status: number; text: string }>
  close(): Promise<void>
}

/** A test gateway on `connection` with `channels.slack` pointed at `slack`: over HTTP (signed requests), or with `socketMode` over the stand-in's WebSocket. */
export async function slackGateway(connection: StoreConnection<Database>, slack: SlackStandIn, options: { dm?: boolean; socketMode?: boolean; policy?: string; now?: Date } = {}): Promise<SlackGateway> {
  process.env['CS_TEST_SLACK_APP_TOKEN'] = slack.appToken
  const gw = await testGateway(connection, {
    policy: options.policy ?? SLACK_POLICY,
    ...(options.now && { now: options.now }),
    channels: {
      slack: {
        bot_token: 'env:CS_TEST_SLACK_BOT_TOKEN',
        ...(options.socketMode ? { socket_mode: { app_token: 'env:CS_TEST_SLACK_APP_TOKEN' } } : { signing_secret: 'env:CS_TEST_SLACK_SIGNING_SECRET' }),
        team_id: TEAM,
        default_channel: '#approvals',
        dm_approvers: options.dm ?? false,
        allowed_domains: ['contractors.example.com'],
        api_url: slack.url,
      },
    },
    // CS_TEST_LOG=debug shows what the gateway logs while a test runs.
    assemble: { channels: { pollMs: 50, retryBaseMs: 100, maxRetryMs: 1_000 }, ...(process.env['CS_TEST_LOG'] && { logger: pino({ level: process.env['CS_TEST_LOG'] }) }) },
  })
  const server = serve({ fetch: gw.app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise((resolve) => server.once('listening', resolve))
  const interactions = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SLACK_INTERACTIONS_PATH}`
  return {
    gw,
    interactions,
    post: (payload, postOptions = {}) => postInteraction(interactions, signInteraction(payload, postOptions.secret ?? SECRET, postOptions.timestampS)),
    close: async () => {
      await new Promise((resolve) => server.close(resolve))
      await gw.close()
    },
  }
}


/** Every text in a message's blocks, joined: what a reader sees, in order. */
export function shownText(message: StandInMessage): string {
  const texts: string[] = []
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk)
    if (!value || typeof value !== 'object') return
    const object = value as Record<string, unknown>
    if (typeof object['text'] === 'string') texts.push(object['text'])
    for (const child of Object.values(object)) if (typeof child === 'object') walk(child)
    if (object['type'] === 'date') texts.push(String(object['fallback']))
  }
  walk(message.blocks)
  return texts.join('')
}

/** The buttons a message shows, by action id. */
export function buttonsOf(message: StandInMessage): string[] {
  return (message.blocks.find((block) => block.type === 'actions')?.elements ?? []).map((element: { action_id: string }) => element.action_id)
}

/** The stand-in's messages about action `id` (its id is in the notification text). */
export function messagesAbout(slack: SlackStandIn, id: string): StandInMessage[] {
  return [...slack.messages.values()].filter((message) => message.text.includes(id))
}

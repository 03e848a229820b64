import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { slackSignature } from './signature.js'
import { SocketModeLink } from './test-socket-mode.js'

/** A Slack user of the stand-in. */
export interface StandInUser {
  readonly id: string
  readonly email?: string
  readonly team_id?: string
  readonly deleted?: boolean
  readonly is_bot?: boolean
}

/** A message posted to the stand-in, as it is now. */
export interface StandInMessage {
  readonly channel: string
  readonly ts: string
  text: string
  blocks: any[]
  /** How many times `chat.update` rewrote it. */
  updates: number
}

/** One Web API call the stand-in answered. */
export interface StandInCall {
  readonly method: string
  readonly args: Record<string, any>
  readonly status: number
  readonly ok: boolean
  readonly error?: string
}

/** How the next call of a method fails: an HTTP status (429 with `Retry-After` seconds), or a Slack error. */
export type StandInFailure = { readonly status: 429; readonly retryAfter: number } | { readonly status: 500 } | { readonly error: string }

/**
 * FOR TESTS ONLY. A local Slack speaking the real Web API protocol (form or JSON bodies, bearer
 * token, `{ok, error}` answers, HTTP 429 with `Retry-After`) for the methods Countersign calls:
 * `chat.postMessage`, `chat.update`, `chat.postEphemeral`, `views.open`, `users.info`,
 * `users.lookupByEmail`, `auth.test`, and Socket Mode's `apps.connections.open` with its
 * WebSocket ({@link SocketModeLink}). It checks the bot (or app-level) token, records every call, keeps the
 * messages as they are now, issues trigger ids (valid 3 s, once) through {@link clickPayload},
 * and can be told to fail the next calls of a method.
 */
export class SlackStandIn {
  readonly calls: StandInCall[] = []
  readonly messages = new Map<string, StandInMessage>()
  readonly ephemerals: { channel: string; user: string; text: string }[] = []
  readonly views: { id: string; view: any }[] = []
  readonly #users = new Map<string, StandInUser>()
  readonly #channels = new Map<string, string>()
  readonly #triggers = new Map<string, number>()
  readonly #failures = new Map<string, StandInFailure[]>()
  /** Socket Mode: `apps.connections.open` (with the app-level token) points the client here. */
  readonly socketMode = new SocketModeLink()
  readonly #server = createServer((request, response) => void this.#serve(request, response))
  #ts = 0
  url = ''

  constructor(
    readonly botToken: string,
    readonly teamId: string,
    readonly appToken = `xapp-${randomBytes(8).toString('hex')}`,
  ) {
    this.#server.on('upgrade', (request, socket) => this.socketMode.upgrade(request, socket))
  }

  /** Listens on 127.0.0.1; `url` is then the Web API base (`http://127.0.0.1:PORT/api/`). */
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/api/`
    return this
  }

  async close(): Promise<void> {
    this.socketMode.close()
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
  }

  addUser(user: StandInUser): void {
    this.#users.set(user.id, { team_id: this.teamId, ...user })
  }

  addChannel(name: string, id: string): void {
    this.#channels.set(name, id)
  }

  /** Fails the next calls of `method`, one failure per call, in order. */
  failNext(method: string, ...failures: StandInFailure[]): void {
    this.#failures.set(method, [...(this.#failures.get(method) ?? []), ...failures])
  }

  /** Calls of `method` so far (successful or not). */
  callsOf(method: string): StandInCall[] {
    return this.calls.filter((call) => call.method === method)
  }

  /** The messages in one channel, oldest first. */
  messagesIn(channel: string): StandInMessage[] {
    return [...this.messages.values()].filter((message) => message.channel === channel)
  }

  /** The `block_actions` payload Slack sends when `user` clicks the button `actionId` of `message` (which must show it). */
  clickPayload(user: StandInUser, message: StandInMessage, actionId: string, team = this.teamId): Record<string, unknown> {
    const actions = message.blocks.find((block) => block.type === 'actions')?.elements ?? []
    const button = actions.find((element: any) => element.action_id === actionId)
    if (!button) throw new Error(`the message shows no ${actionId} button`)
    const trigger = this.#trigger()
    return {
      type: 'block_actions',
      user: { id: user.id, username: user.id.toLowerCase(), name: user.id.toLowerCase(), team_id: user.team_id ?? this.teamId },
      api_app_id: 'A0COUNTERSIGN',
      token: 'legacy-verification-token',
      container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
      trigger_id: trigger,
      team: { id: team, domain: 'example' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: message.channel, name: 'approvals' },
      message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks, bot_id: 'B0COUNTERSIGN' },
      state: { values: {} },
      response_url: `${this.url}response/${randomBytes(6).toString('hex')}`,
      actions: [{ ...button, block_id: 'countersign_actions', type: 'button', action_ts: `${Date.now() / 1000}` }],
    }
  }

  /** The `view_submission` payload Slack sends when `user` submits the modal `viewId` with `reason` typed in. */
  submitPayload(user: StandInUser, viewId: string, reason: string, team = this.teamId): Record<string, unknown> {
    const opened = this.views.find((view) => view.id === viewId)
    if (!opened) throw new Error(`no view ${viewId} was opened`)
    const input = opened.view.blocks.find((block: any) => block.type === 'input')
    return {
      type: 'view_submission',
      team: { id: team, domain: 'example' },
      user: { id: user.id, username: user.id.toLowerCase(), name: user.id.toLowerCase(), team_id: user.team_id ?? this.teamId },
      api_app_id: 'A0COUNTERSIGN',
      token: 'legacy-verification-token',
      trigger_id: this.#trigger(),
      view: {
        ...opened.view,
        id: viewId,
        team_id: team,
        state: { values: { [input.block_id]: { [input.element.action_id]: { type: 'plain_text_input', value: reason } } } },
        hash: randomBytes(6).toString('hex'),
      },
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    }
  }

  #trigger(): string {
    const trigger = `${Date.now()}.${randomBytes(8).toString('hex')}`
    this.#triggers.set(trigger, Date.now() + 3_000)
    return trigger
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const method = (request.url ?? '').replace(/^\/api\//, '').replace(/\?.*$/, '')
    const args: Record<string, any> = /json/.test(request.headers['content-type'] ?? '') ? JSON.parse(raw || '{}') : Object.fromEntries(new URLSearchParams(raw))
    for (const key of ['blocks', 'view']) if (typeof args[key] === 'string') args[key] = JSON.parse(args[key])
    const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      this.calls.push({ method, args, status, ok: body['ok'] === true, ...(typeof body['error'] === 'string' && { error: body['error'] }) })
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body))
    }
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? args['token']
    if (token !== (method === 'apps.connections.open' ? this.appToken : this.botToken)) return answer(200, { ok: false, error: token ? 'invalid_auth' : 'not_authed' })
    const failure = this.#failures.get(method)?.shift()
    if (failure && 'status' in failure) return answer(failure.status, { ok: false, error: failure.status === 429 ? 'ratelimited' : 'fatal_error' }, failure.status === 429 ? { 'retry-after': String(failure.retryAfter) } : {})
    if (failure) return answer(200, { ok: false, error: failure.error })
    const result = this.#call(method, args)
    answer(200, result)
  }

  #call(method: string, args: Record<string, any>): Record<string, unknown> {
    switch (method) {
      case 'apps.connections.open':
        return { ok: true, url: `${this.url.replace(/^http/, 'ws').replace(/api\/$/, '')}link/?ticket=${randomBytes(6).toString('hex')}` }
      case 'auth.test':
        return { ok: true, team_id: this.teamId, user_id: 'U0BOT', bot_id: 'B0COUNTERSIGN' }
      case 'chat.postMessage': {
        const channel = this.#channelId(String(args['channel'] ?? ''), true)
        if (!channel) return { ok: false, error: 'channel_not_found' }
        const ts = `${Math.floor(Date.now() / 1000)}.${String(++this.#ts).padStart(6, '0')}`
        const message: StandInMessage = { channel, ts, text: String(args['text'] ?? ''), blocks: args['blocks'] ?? [], updates: 0 }
        this.messages.set(`${channel}/${ts}`, message)
        return { ok: true, channel, ts, message: { type: 'message', ts, text: message.text, blocks: message.blocks, bot_id: 'B0COUNTERSIGN' } }
      }
      case 'chat.update': {
        const message = this.messages.get(`${args['channel']}/${args['ts']}`)
        if (!message) return { ok: false, error: /^[CDG]/.test(String(args['channel'])) ? 'message_not_found' : 'channel_not_found' }
        message.text = String(args['text'] ?? '')
        message.blocks = args['blocks'] ?? []
        message.updates++
        return { ok: true, channel: message.channel, ts: message.ts, text: message.text }
      }
      case 'chat.postEphemeral': {
        const channel = this.#channelId(String(args['channel'] ?? ''), false)
        if (!channel) return { ok: false, error: 'channel_not_found' }
        if (!this.#users.has(String(args['user']))) return { ok: false, error: 'user_not_in_channel' }
        this.ephemerals.push({ channel, user: String(args['user']), text: String(args['text'] ?? '') })
        return { ok: true, message_ts: `${Date.now() / 1000}` }
      }
      case 'views.open': {
        const expires = this.#triggers.get(String(args['trigger_id']))
        if (expires === undefined) return { ok: false, error: 'invalid_trigger_id' }
        this.#triggers.delete(String(args['trigger_id']))
        if (expires < Date.now()) return { ok: false, error: 'expired_trigger_id' }
        const id = `V${randomBytes(5).toString('hex').toUpperCase()}`
        this.views.push({ id, view: args['view'] })
        return { ok: true, view: { id, ...args['view'] } }
      }
      case 'users.info': {
        const user = this.#users.get(String(args['user']))
        return user ? { ok: true, user: userObject(user) } : { ok: false, error: 'user_not_found' }
      }
      case 'users.lookupByEmail': {
        // Slack matches addresses without regard to case.
        const user = [...this.#users.values()].find((candidate) => candidate.email?.toLowerCase() === String(args['email']).toLowerCase())
        return user ? { ok: true, user: userObject(user) } : { ok: false, error: 'users_not_found' }
      }
      default:
        return { ok: false, error: 'unknown_method' }
    }
  }

  /** A channel id from what a caller passed: an id, a `#name`, or (to post) a user id, which means their DM with the app. */
  #channelId(channel: string, mayOpenDm: boolean): string | undefined {
    if (channel.startsWith('#')) return this.#channels.get(channel)
    if (channel.startsWith('U') && mayOpenDm && this.#users.has(channel)) return `D${channel.slice(1)}`
    if (channel.startsWith('D') && this.#users.has(`U${channel.slice(1)}`)) return channel
    return [...this.#channels.values()].includes(channel) ? channel : undefined
  }
}

function userObject(user: StandInUser): Record<string, unknown> {
  return { id: user.id, team_id: user.team_id, name: user.id.toLowerCase(), deleted: user.deleted ?? false, is_bot: user.is_bot ?? false, is_app_user: false, profile: { ...(user.email && { email: user.email }) } }
}

/** An interaction request as Slack sends it: the form body and its signed headers. */
export interface SignedInteraction {
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

/**
 * FOR TESTS ONLY. Signs an interaction payload as Slack does: the form body `payload=<JSON>`,
 * `X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=HMAC-SHA256(secret, "v0:ts:body")`.
 */
export function signInteraction(payload: Record<string, unknown>, secret: string, timestampS = Math.floor(Date.now() / 1000)): SignedInteraction {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString()
  const timestamp = String(timestampS)
  return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(secret, timestamp, body) } }
}

/** FOR TESTS ONLY. Posts a signed interaction to a gateway over HTTP, as Slack does. */
export async function postInteraction(url: string, request: SignedInteraction): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body })
  return { status: response.status, text: await response.text() }
}

import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'

/** A Teams user of the stand-in (a `TeamsChannelAccount`). */
export interface StandInMember {
  /** The Teams user id (`29:…`). */
  readonly id: string
  readonly name: string
  readonly aadObjectId: string
  readonly email?: string
  readonly userPrincipalName?: string
  /** Defaults to the stand-in's tenant. */
  readonly tenantId?: string
  readonly userRole?: 'user' | 'guest' | 'anonymous'
}

/** A conversation of the stand-in: a team's channel, or a person's 1:1 chat with the bot. */
export interface StandInConversation {
  readonly id: string
  readonly type: 'channel' | 'personal'
  /** A channel: its team (whose roster the members API reads). */
  readonly teamId?: string
  readonly teamName?: string
  /** Member ids. */
  readonly members: Set<string>
}

/** An activity the bot posted, as it is now. */
export interface StandInActivity {
  readonly conversationId: string
  readonly id: string
  readonly replyToId: string | undefined
  activity: any
  /** How many times the bot updated it. */
  updates: number
}

/** One call the stand-in answered. */
export interface StandInCall {
  readonly operation: 'token' | 'send' | 'reply' | 'update' | 'member' | 'metadata' | 'keys' | 'unknown'
  readonly path: string
  readonly status: number
  readonly body: any
}

/** How the next call of an operation fails: an HTTP status, with `Retry-After` seconds for a 429. */
export interface StandInFailure {
  readonly status: number
  readonly retryAfter?: number
  readonly code?: string
}

/** Which key signs a token: the published one, one published for another channel only, or one nobody publishes. */
export type SigningKeyChoice = 'teams' | 'webchat' | 'rogue'

/** The issuer of the Bot Framework's tokens to bots. */
export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com'

interface Key {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly jwk: JWK
}

/**
 * FOR TESTS ONLY. A local Microsoft Teams, speaking the Bot Framework protocol: it serves the
 * OpenID metadata and JWKS (keys with `endorsements`) that tokens to the bot are checked
 * against, signs the activities it sends the bot with its key (RS256, `iss`
 * api.botframework.com, `aud` the app id, `serviceurl`), issues the bot's own tokens at a
 * tenant's token endpoint (client credentials, checked), and implements the Bot Connector calls
 * Countersign makes (post an activity, reply, update, get a member), each checking the bot's
 * token. It records every call, keeps the activities as they are now, and can be told to fail
 * the next calls of an operation.
 */
export class BotConnectorStandIn {
  readonly calls: StandInCall[] = []
  readonly activities = new Map<string, StandInActivity>()
  readonly members = new Map<string, StandInMember>()
  readonly conversations = new Map<string, StandInConversation>()
  readonly #tokens = new Set<string>()
  readonly #failures = new Map<string, StandInFailure[]>()
  readonly #keys = new Map<SigningKeyChoice, Key>()
  readonly #server = createServer((request, response) => void this.#serve(request, response))
  #sequence = 0
  url = ''

  constructor(
    readonly appId: string,
    readonly appPassword: string,
    readonly tenantId: string,
  ) {}

  /** Where the bot is told to read the OpenID metadata. */
  get openIdMetadataUrl(): string {
    return `${this.url}/v1/.well-known/openidconfiguration`
  }

  /** The identity platform's base URL (the token endpoint is `{loginUrl}{tenant}/oauth2/v2.0/token`). */
  get loginUrl(): string {
    return `${this.url}/`
  }

  /** The service URL activities carry (Teams': `https://smba.trafficmanager.net/…/`). */
  get serviceUrl(): string {
    return `${this.url}/teams/`
  }

  /** Generates the keys and listens on 127.0.0.1. */
  async start(): Promise<this> {
    for (const choice of ['teams', 'webchat', 'rogue'] as const) {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
      const kid = `${choice}-${randomBytes(6).toString('hex')}`
      this.#keys.set(choice, { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig' } })
    }
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
  }

  addMember(member: StandInMember): void {
    this.members.set(member.id, { tenantId: this.tenantId, userRole: 'user', ...member })
  }

  addConversation(conversation: Omit<StandInConversation, 'members'> & { readonly members: Iterable<string> }): void {
    this.conversations.set(conversation.id, { ...conversation, members: new Set(conversation.members) })
  }

  /** Fails the next calls of `operation`, one failure per call, in order. */
  failNext(operation: StandInCall['operation'], ...failures: StandInFailure[]): void {
    this.#failures.set(operation, [...(this.#failures.get(operation) ?? []), ...failures])
  }

  /** Forgets every token it issued (as when the app's secret is rotated): the connector refuses them from now on. */
  revokeTokens(): void {
    this.#tokens.clear()
  }

  callsOf(operation: StandInCall['operation']): StandInCall[] {
    return this.calls.filter((call) => call.operation === operation)
  }

  /** The card of a posted activity (its first Adaptive Card attachment). */
  cardOf(posted: StandInActivity): any {
    return posted.activity.attachments?.find((attachment: any) => attachment.contentType === 'application/vnd.microsoft.card.adaptive')?.content
  }

  /**
   * A token as the Bot Connector sends with an activity from `serviceUrl`; `claims` override or
   * (as `undefined`) remove the standard ones, `key` picks the signing key.
   */
  async token(serviceUrl = this.serviceUrl, options: { claims?: Record<string, unknown>; key?: SigningKeyChoice; expiresInS?: number } = {}): Promise<string> {
    const key = this.#keys.get(options.key ?? 'teams')!
    const now = Math.floor(Date.now() / 1000)
    const claims: JWTPayload = { iss: BOT_FRAMEWORK_ISSUER, aud: this.appId, serviceurl: serviceUrl, nbf: now - 5, iat: now - 5, exp: now + (options.expiresInS ?? 3600), ...options.claims }
    for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' }).sign(key.privateKey)
  }

  /** The `adaptiveCard/action` invoke Teams sends when `member` clicks the `Action.Execute` with `verb` on `card` of `posted` (its card now unless given), with `inputs` typed in. */
  invoke(member: StandInMember, posted: StandInActivity, verb: string, inputs: Record<string, string> = {}, card: any = this.cardOf(posted)): Record<string, any> {
    const action = (card?.actions ?? []).find((candidate: any) => candidate.type === 'Action.Execute' && candidate.verb === verb)
    if (!action) throw new Error(`the card shows no Action.Execute ${verb}`)
    return {
      ...this.#envelope(member, posted),
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', title: action.title, verb, data: { ...action.data, ...inputs } }, trigger: 'manual' },
    }
  }

  /** The message older clients send when `member` clicks the `Action.Submit` fallback titled `title` on the card of `posted`. */
  submit(member: StandInMember, posted: StandInActivity, title: string, inputs: Record<string, string> = {}): Record<string, any> {
    const action = (this.cardOf(posted)?.actions ?? []).find((candidate: any) => candidate.title === title)?.fallback
    if (action?.type !== 'Action.Submit') throw new Error(`the card shows no ${title} button with an Action.Submit fallback`)
    return { ...this.#envelope(member, posted), type: 'message', text: '', value: { ...action.data, ...inputs } }
  }

  /** The activity Teams sends when the app is added to (or removed from) a conversation: `installationUpdate`, or `conversationUpdate` with the bot among the members added. */
  installation(conversationId: string, by: StandInMember, options: { type?: 'installationUpdate' | 'conversationUpdate'; action?: 'add' | 'remove' } = {}): Record<string, any> {
    const conversation = this.conversations.get(conversationId)
    if (!conversation) throw new Error(`no conversation ${conversationId}`)
    const bot = { id: `28:${this.appId}`, name: 'Countersign' }
    const base = {
      id: `f:${randomUUID()}`,
      channelId: 'msteams',
      serviceUrl: this.serviceUrl,
      timestamp: new Date().toISOString(),
      from: { id: by.id, name: by.name, aadObjectId: by.aadObjectId },
      recipient: bot,
      conversation: { id: conversationId, conversationType: conversation.type, tenantId: this.tenantId, ...(conversation.type === 'channel' && { isGroup: true }) },
      channelData: { tenant: { id: this.tenantId }, ...(conversation.teamId && { team: { id: conversation.teamId, name: conversation.teamName }, eventType: 'teamMemberAdded' }) },
    }
    if (options.type === 'conversationUpdate') return { ...base, type: 'conversationUpdate', ...(options.action === 'remove' ? { membersRemoved: [bot] } : { membersAdded: [bot] }) }
    return { ...base, type: 'installationUpdate', action: options.action ?? 'add' }
  }

  #envelope(member: StandInMember, posted: StandInActivity): Record<string, any> {
    const conversation = this.conversations.get(posted.conversationId)!
    return {
      id: `f:${randomUUID()}`,
      channelId: 'msteams',
      serviceUrl: this.serviceUrl,
      timestamp: new Date().toISOString(),
      locale: 'en-US',
      from: { id: member.id, name: member.name, aadObjectId: member.aadObjectId },
      recipient: { id: `28:${this.appId}`, name: 'Countersign' },
      conversation:
        conversation.type === 'channel'
          ? { id: `${posted.conversationId};messageid=${posted.id}`, conversationType: 'channel', isGroup: true, tenantId: this.tenantId }
          : { id: posted.conversationId, conversationType: 'personal', tenantId: this.tenantId },
      replyToId: posted.id,
      entities: [{ type: 'clientInfo', locale: 'en-US', platform: 'Web' }],
      channelData: {
        tenant: { id: this.tenantId },
        source: { name: 'message' },
        legacy: { replyToId: posted.id },
        ...(conversation.teamId && { team: { id: conversation.teamId }, channel: { id: posted.conversationId } }),
      },
    }
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://stand-in').pathname)
    let operation: StandInCall['operation'] = 'unknown'
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.calls.push({ operation, path, status, body: raw === '' ? undefined : /json/.test(request.headers['content-type'] ?? '') ? JSON.parse(raw) : Object.fromEntries(new URLSearchParams(raw)) })
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(body === undefined ? '' : JSON.stringify(body))
    }
    if (request.method === 'GET' && path === '/v1/.well-known/openidconfiguration') {
      operation = 'metadata'
      return answer(200, { issuer: BOT_FRAMEWORK_ISSUER, authorization_endpoint: `${this.url}/v1/.well-known/authorize`, jwks_uri: `${this.url}/v1/.well-known/keys`, id_token_signing_alg_values_supported: ['RS256'], token_endpoint_auth_methods_supported: ['private_key_jwt'] })
    }
    if (request.method === 'GET' && path === '/v1/.well-known/keys') {
      operation = 'keys'
      const teams = this.#keys.get('teams')!
      const webchat = this.#keys.get('webchat')!
      return answer(200, { keys: [{ ...teams.jwk, endorsements: ['msteams', 'skype'] }, { ...webchat.jwk, endorsements: ['webchat'] }] })
    }
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path)
    if (request.method === 'POST' && tokenPath) {
      operation = 'token'
      const failure = this.#failures.get(operation)?.shift()
      if (failure) return answer(failure.status, { error: failure.code ?? 'temporarily_unavailable' }, failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) })
      const form = new URLSearchParams(raw)
      const valid = tokenPath[1] === this.tenantId && form.get('grant_type') === 'client_credentials' && form.get('client_id') === this.appId && form.get('client_secret') === this.appPassword && form.get('scope') === 'https://api.botframework.com/.default'
      if (!valid) return answer(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' })
      const token = `bot-${randomBytes(16).toString('hex')}`
      this.#tokens.add(token)
      return answer(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token })
    }
    const connector = /^\/teams\/v3\/conversations\/([^/]+)\/(activities|members)(?:\/([^/]+))?$/.exec(path)
    if (!connector) return answer(404, { error: { code: 'NotFound', message: `no route ${path}` } })
    const [, conversationId, collection, item] = connector as unknown as [string, string, string, string | undefined]
    operation = collection === 'members' ? 'member' : request.method === 'PUT' ? 'update' : item ? 'reply' : 'send'
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
    if (!token || !this.#tokens.has(token)) return answer(401, { error: { code: 'Unauthorized', message: 'Authorization has been denied for this request.' } })
    const failure = this.#failures.get(operation)?.shift()
    if (failure) return answer(failure.status, { error: { code: failure.code ?? (failure.status === 429 ? 'TooManyRequests' : 'ServiceError'), message: 'failing as told' } }, failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) })
    const result = this.#connector(operation, request.method ?? 'GET', conversationId, item, raw)
    answer(result.status, result.body)
  }

  #connector(operation: StandInCall['operation'], method: string, conversationId: string, item: string | undefined, raw: string): { status: number; body: unknown } {
    const notFound = (code: string, message: string) => ({ status: 404, body: { error: { code, message } } })
    if (operation === 'member') {
      // The members API takes a team's id (its roster) or a chat's, and a member's Teams id or Entra object id.
      const team = [...this.conversations.values()].find((conversation) => conversation.id === conversationId || conversation.teamId === conversationId)
      if (!team || method !== 'GET') return notFound('ConversationNotFound', 'Conversation not found.')
      const member = [...this.members.values()].find((candidate) => candidate.id === item || candidate.aadObjectId === item)
      if (!member || !team.members.has(member.id)) return notFound('MemberNotFoundInConversation', 'The member is not in this conversation.')
      return { status: 200, body: { ...member, givenName: member.name.split(' ')[0], surname: member.name.split(' ')[1] ?? '' } }
    }
    const conversation = this.conversations.get(conversationId)
    if (!conversation) return notFound('ConversationNotFound', 'Conversation not found.')
    const activity = JSON.parse(raw || '{}') as Record<string, any>
    if (operation === 'update') {
      const posted = this.activities.get(`${conversationId}/${item}`)
      if (!posted) return notFound('ActivityNotFoundInConversation', 'The activity was not found.')
      posted.activity = activity
      posted.updates++
      return { status: 200, body: { id: posted.id } }
    }
    if (method !== 'POST' || activity['type'] !== 'message') return { status: 400, body: { error: { code: 'BadArgument', message: 'expected a message activity' } } }
    const id = `1${String(Date.now()).slice(-9)}${String(++this.#sequence).padStart(4, '0')}`
    this.activities.set(`${conversationId}/${id}`, { conversationId, id, replyToId: item, activity, updates: 0 })
    return { status: 201, body: { id } }
  }
}

/** FOR TESTS ONLY. Posts an activity to a bot's messaging endpoint as the Bot Connector does (with `authorization` as given: a bearer token, or none). */
export async function postActivity(url: string, activity: unknown, authorization: string | undefined): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', ...(authorization !== undefined && { authorization }) }, body: JSON.stringify(activity) })
  const text = await response.text()
  return { status: response.status, body: /json/.test(response.headers.get('content-type') ?? '') && text ? JSON.parse(text) : text }
}

import { retryAfterMs, type BotTokenSource } from './bot-token.js'
import { ConnectorError, type ConnectorOperation } from './connector-error.js'

/** An outgoing activity: a message with an Adaptive Card, or a plain text reply. */
export interface OutgoingActivity {
  readonly type: 'message'
  readonly text?: string
  /** `plain`: Teams shows `text` literally (it reads Markdown otherwise). */
  readonly textFormat?: 'plain' | 'markdown'
  /** What a notification shows. */
  readonly summary?: string
  readonly attachments?: readonly { readonly contentType: string; readonly content: unknown }[]
  readonly entities?: readonly unknown[]
}

/** A member of a conversation as the connector describes them (Teams' `TeamsChannelAccount`). */
export interface TeamsMember {
  readonly id: string
  readonly name?: string
  readonly aadObjectId?: string
  readonly email?: string
  readonly userPrincipalName?: string
  readonly tenantId?: string
  /** `user`, `guest` or `anonymous`. */
  readonly userRole?: string
}

const DEFAULT_TIMEOUT_MS = 10_000

/**
 * The Bot Connector REST API (v3), the calls Countersign makes: post an activity to a
 * conversation, reply in its thread, update an activity in place, and get one member (with their
 * email and UPN). Every call carries the bot's token ({@link BotTokenSource}); a 401 drops it and
 * the call is made once more with a new one. Failures are {@link ConnectorError}s with the status, the
 * connector's error code and its `Retry-After`; nothing else is retried here (the outbox retries).
 */
export class ConnectorClient {
  readonly #tokens: BotTokenSource

  constructor(tokens: BotTokenSource) {
    this.#tokens = tokens
  }

  /** Posts `activity` to a conversation (a new post in a channel); returns the new activity's id. */
  async send(serviceUrl: string, conversationId: string, activity: OutgoingActivity): Promise<string> {
    const answer = await this.#call('send', 'POST', serviceUrl, `v3/conversations/${encodeURIComponent(conversationId)}/activities`, activity)
    return activityId(answer, 'send')
  }

  /** Replies to activity `replyToId` (in its thread, in a channel); returns the reply's id. */
  async reply(serviceUrl: string, conversationId: string, replyToId: string, activity: OutgoingActivity): Promise<string> {
    const answer = await this.#call('reply', 'POST', serviceUrl, `v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(replyToId)}`, { ...activity, replyToId })
    return activityId(answer, 'reply')
  }

  /** Replaces activity `activityId` with `activity`. */
  async update(serviceUrl: string, conversationId: string, activityIdToUpdate: string, activity: OutgoingActivity): Promise<void> {
    await this.#call('update', 'PUT', serviceUrl, `v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(activityIdToUpdate)}`, { ...activity, id: activityIdToUpdate })
  }

  /** One member of a conversation (a team, a chat), by their Teams user id or Entra object id. */
  async member(serviceUrl: string, conversationId: string, memberId: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<TeamsMember> {
    const answer = await this.#call('member', 'GET', serviceUrl, `v3/conversations/${encodeURIComponent(conversationId)}/members/${encodeURIComponent(memberId)}`, undefined, timeoutMs)
    if (typeof answer['id'] !== 'string') throw new ConnectorError('member', 'the Bot Connector answered a member without an id')
    return answer as unknown as TeamsMember
  }

  async #call(operation: ConnectorOperation, method: string, serviceUrl: string, path: string, body: unknown, timeoutMs = DEFAULT_TIMEOUT_MS, retried = false): Promise<Record<string, unknown>> {
    const url = new URL(path, serviceUrl.endsWith('/') ? serviceUrl : `${serviceUrl}/`)
    // The bot's token goes wherever the service URL points: never in clear text over the network.
    if (url.protocol !== 'https:' && !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) {
      throw new ConnectorError(operation, `refusing to send the bot's token to a service URL that is not https (${url.origin})`, { permanent: true })
    }
    const token = await this.#tokens.token()
    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json; charset=utf-8' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (error) {
      throw new ConnectorError(operation, `the Bot Connector could not be reached: ${(error as Error).message}`, { cause: error })
    }
    const text = await response.text()
    let answer: Record<string, unknown> = {}
    try {
      const parsed = text === '' ? {} : (JSON.parse(text) as unknown)
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) answer = parsed as Record<string, unknown>
    } catch {
      // A proxy's HTML error page: the status says enough.
    }
    if (response.ok) return answer
    if (response.status === 401) {
      this.#tokens.invalidate()
      // A token refused before it expired (the secret rotated, the token revoked): once more with a new one.
      if (!retried) return this.#call(operation, method, serviceUrl, path, body, timeoutMs, true)
    }
    const error = (answer['error'] ?? {}) as { code?: unknown; message?: unknown }
    const code = typeof error.code === 'string' ? error.code.slice(0, 80) : undefined
    const detail = typeof error.message === 'string' ? `: ${error.message.slice(0, 200)}` : ''
    throw new ConnectorError(operation, `the Bot Connector answered HTTP ${response.status}${code ? ` ${code}` : ''}${detail}`, { status: response.status, ...(code && { code }), retryAfterMs: retryAfterMs(response.headers) })
  }
}

function activityId(answer: Record<string, unknown>, operation: ConnectorOperation): string {
  if (typeof answer['id'] !== 'string' || answer['id'] === '') throw new ConnectorError(operation, 'the Bot Connector answered without the new activity id')
  return answer['id']
}

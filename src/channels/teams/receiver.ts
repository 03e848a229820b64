import type { Logger } from 'pino'
import type { OutboxStore } from '../../store/index.js'
import { ActivitySchema, tenantOf } from './activity.js'
import { BOT_FRAMEWORK_CLOCK_TOLERANCE_S, type BotFrameworkVerifier } from './bot-auth.js'
import type { TeamsInstallations } from './installations.js'
import { isSubmission, type TeamsReviews } from './reviews.js'

/** Teams' messaging endpoint: where the Bot Connector posts activities (the bot registration points there). */
export const TEAMS_MESSAGES_PATH = '/integrations/teams/messages'

/** Activities are a few kilobytes; anything much larger is not the Bot Connector. */
const MAX_BODY_BYTES = 256 * 1024

/** What the receiver needs. */
export interface TeamsReceiverOptions {
  readonly verifier: BotFrameworkVerifier
  /** The organization's tenant; activities from any other are refused. */
  readonly tenantId: string
  /** Remembers the clicks already taken, shared by every replica, so a replayed one is refused. */
  readonly outbox: OutboxStore
  readonly reviews: TeamsReviews
  readonly installations: TeamsInstallations
  readonly logger?: Logger | undefined
}

/**
 * Answers the activities the Bot Connector posts to {@link TEAMS_MESSAGES_PATH}. Before anything
 * else it checks, in order: the size, the Bot Framework token ({@link BotFrameworkVerifier}:
 * signature, issuer, audience, expiry, `serviceurl` = the activity's), the activity's shape, the
 * tenant, and for a click that its activity id was never taken before (on any replica). Then:
 * `adaptiveCard/action` invokes are answered with the card ({@link TeamsReviews.execute});
 * fallback submissions review and reply; install and conversation updates keep the conversation
 * references ({@link TeamsInstallations}); anything else is acknowledged and ignored.
 */
export class TeamsReceiver {
  readonly #options: TeamsReceiverOptions
  readonly #inflight = new Set<Promise<unknown>>()

  constructor(options: TeamsReceiverOptions) {
    this.#options = options
  }

  /** Waits for the requests being answered. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.#inflight])
  }

  /** Answers one request from the Bot Connector. */
  async handle(request: Request): Promise<Response> {
    const work = this.#handle(request)
    this.#inflight.add(work)
    try {
      return await work
    } finally {
      this.#inflight.delete(work)
    }
  }

  async #handle(request: Request): Promise<Response> {
    const { verifier, logger } = this.#options
    const refuse = (status: number, reason: string) => {
      logger?.warn({ status, reason }, 'refused a Teams request')
      return new Response(reason, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } })
    }
    if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) return refuse(413, 'request body too large')
    const body = new Uint8Array(await request.arrayBuffer())
    if (body.byteLength > MAX_BODY_BYTES) return refuse(413, 'request body too large')
    let raw: unknown
    try {
      raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
    } catch {
      raw = undefined
    }
    // The token is checked before anything in the body is believed; its serviceurl claim binds it to the activity's.
    const claimed = raw && typeof raw === 'object' ? (raw as { serviceUrl?: unknown; channelId?: unknown }) : {}
    const verdict = await verifier.verify(request.headers.get('authorization'), { serviceUrl: claimed.serviceUrl, channelId: claimed.channelId })
    if (!verdict.ok) return refuse(401, `unauthorized: ${verdict.reason}`)
    const parsed = ActivitySchema.safeParse(raw)
    if (!parsed.success) return refuse(400, 'expected a Bot Framework activity')
    const activity = parsed.data
    if (tenantOf(activity) !== this.#options.tenantId) return refuse(403, 'this activity comes from another tenant')

    const click = (activity.type === 'invoke' && activity.name === 'adaptiveCard/action') || isSubmission(activity)
    if (click) {
      if (!activity.id) return refuse(400, 'a card action without an activity id')
      // Past the token's life (and the tolerance) the token check refuses the request anyway; until then the id is remembered.
      const exp = typeof verdict.claims.exp === 'number' ? verdict.claims.exp : 0
      const expiresAt = new Date((exp + BOT_FRAMEWORK_CLOCK_TOLERANCE_S + 60) * 1000)
      if (!(await this.#options.outbox.acceptRequestId(`teams:${activity.id}`, expiresAt))) return refuse(401, 'this activity was already received (a replay)')
    }

    switch (activity.type) {
      case 'invoke':
        if (activity.name !== 'adaptiveCard/action') return Response.json({}, { status: 501 })
        return Response.json(await this.#options.reviews.execute(activity))
      case 'message':
        if (click) await this.#options.reviews.submit(activity)
        return new Response(null, { status: 200 })
      case 'installationUpdate':
      case 'conversationUpdate':
        await this.#options.installations.seen(activity)
        return new Response(null, { status: 200 })
      default:
        return new Response(null, { status: 200 })
    }
  }
}

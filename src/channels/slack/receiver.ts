import type { App, Receiver } from '@slack/bolt'
import type { Logger } from 'pino'
import type { OutboxStore } from '../../store/index.js'
import { SLACK_TIMESTAMP_TOLERANCE_S, verifySlackSignature } from './signature.js'
import { isFromWorkspace } from './workspace.js'

/** Where Slack sends button clicks and modal submissions (docs/configuration.md; the app manifest points there). */
export const SLACK_INTERACTIONS_PATH = '/integrations/slack/interactions'

/** Interaction payloads are a few kilobytes; anything much larger is not Slack. */
const MAX_BODY_BYTES = 256 * 1024
/** Slack shows the clicker an error when it has no answer within 3 s: answer before that, whatever the listener does. */
const ACK_DEADLINE_MS = 2_500

/** What the HTTP receiver needs. */
export interface SlackHttpReceiverOptions {
  readonly signingSecret: string
  /** The workspace; payloads from any other are refused. */
  readonly teamId: string
  /** Remembers accepted signatures, shared by every replica, so a replayed request is refused. */
  readonly outbox: OutboxStore
  readonly clock: () => Date
  readonly logger?: Logger | undefined
}

/**
 * Slack's interactivity requests, received by our own HTTP server and handed to Bolt: a Bolt
 * `Receiver` whose `handle` takes a fetch `Request` (Hono's). Before Bolt sees anything it
 * checks, in order: the size, the v0 signature over the raw body with a timestamp at most five
 * minutes off either way (Bolt's own check lets future timestamps through), that the signature
 * was never accepted before (on any replica), and the workspace. It answers as soon as the
 * listener acknowledges (Bolt's `ack`), and lets the listener's work go on after the response.
 */
export class SlackHttpReceiver implements Receiver {
  readonly #options: SlackHttpReceiverOptions
  readonly #inflight = new Set<Promise<void>>()
  #app: App | undefined

  constructor(options: SlackHttpReceiverOptions) {
    this.#options = options
  }

  init(app: App): void {
    this.#app = app
  }

  async start(): Promise<void> {}

  /** Waits for the work of requests already acknowledged. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.#inflight])
  }

  /** Answers one request from Slack. */
  async handle(request: Request): Promise<Response> {
    const { logger } = this.#options
    const refuse = (status: number, reason: string) => {
      logger?.warn({ status, reason }, 'refused a Slack request')
      return new Response(reason, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } })
    }
    if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) return refuse(413, 'request body too large')
    const body = new Uint8Array(await request.arrayBuffer())
    if (body.byteLength > MAX_BODY_BYTES) return refuse(413, 'request body too large')
    const signature = request.headers.get('x-slack-signature') ?? undefined
    const verdict = verifySlackSignature({ timestamp: request.headers.get('x-slack-request-timestamp') ?? undefined, signature, body }, this.#options.signingSecret, this.#options.clock().getTime())
    if (!verdict.ok) return refuse(401, verdict.reason)
    // Past the window the timestamp check refuses it anyway; until then the signature is remembered.
    const expiresAt = new Date((verdict.timestamp + SLACK_TIMESTAMP_TOLERANCE_S + 60) * 1000)
    if (!(await this.#options.outbox.acceptRequestId(`slack:${signature}`, expiresAt))) return refuse(401, 'this request was already received (a replay)')

    let payload: Record<string, unknown>
    try {
      const form = new URLSearchParams(new TextDecoder('utf-8', { fatal: true }).decode(body))
      payload = JSON.parse(form.get('payload') ?? '') as Record<string, unknown>
      if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new Error('not an object')
    } catch {
      return refuse(400, 'expected an interaction payload (a form with a JSON "payload" field)')
    }
    if (!isFromWorkspace(payload, this.#options.teamId)) return refuse(403, 'this payload comes from another workspace')
    const app = this.#app
    if (!app) return refuse(503, 'the Slack app is not ready')

    let answer: (response: Response) => void = () => {}
    const answered = new Promise<Response>((resolve) => (answer = resolve))
    const work = app
      .processEvent({
        body: payload,
        ack: async (response?: unknown) => answer(ackResponse(response)),
      })
      .catch((error: unknown) => logger?.error({ err: error }, 'a Slack interaction failed'))
      .finally(() => {
        answer(new Response(null, { status: 200 }))
        this.#inflight.delete(work)
      })
    this.#inflight.add(work)
    const timer = setTimeout(() => answer(new Response(null, { status: 200 })), ACK_DEADLINE_MS)
    try {
      return await answered
    } finally {
      clearTimeout(timer)
    }
  }
}

function ackResponse(response: unknown): Response {
  if (response === undefined || response === null || response === '') return new Response(null, { status: 200 })
  if (typeof response === 'string') return new Response(response, { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } })
  return Response.json(response, { status: 200 })
}

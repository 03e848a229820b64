import { resolveSecret, type OnCallConfig } from '../../config/index.js'
import type { AnnouncementRequest, Channel, DeliveryFailure } from '../channel.js'
import type { MessageContent } from '../message.js'

/** How long one Events API call may take. */
const TIMEOUT_MS = 10_000

/** An Events API answer that is not 2xx, with what it said. */
class EventsError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message)
  }
}

/**
 * PagerDuty incidents as a channel (`oncall.pagerduty.events`): a request that asks a PagerDuty
 * schedule (`oncall:pagerduty:…` approvers) triggers an incident through the Events API v2
 * (`POST /v2/enqueue`, `event_action: trigger`, one `dedup_key` per request), so the people on
 * call are paged however their PagerDuty notifies them; when the request leaves `pending`
 * (approved, denied, expired, cancelled), the incident is resolved. Delivered from the outbox,
 * so any replica sends it once and failures are retried.
 */
export class PagerDutyIncidentChannel implements Channel {
  readonly name = 'pagerduty'
  /** Most requests page nobody: no destination is the normal case, not a misconfiguration. */
  readonly selective = true
  readonly #events: NonNullable<NonNullable<OnCallConfig['pagerduty']>['events']>

  constructor(events: NonNullable<NonNullable<OnCallConfig['pagerduty']>['events']>) {
    this.#events = events
  }

  destinations(request: AnnouncementRequest): readonly string[] {
    return request.requirements.some((requirement) => requirement.approvers.some((approver) => approver.startsWith('oncall:pagerduty:'))) ? ['incident'] : []
  }

  async announce(_destination: string, content: MessageContent): Promise<string> {
    const dedupKey = `countersign-${content.id}`
    if (content.status !== 'pending') return dedupKey
    await this.#send({
      event_action: 'trigger',
      dedup_key: dedupKey,
      payload: {
        summary: `${content.statusLabel}: ${content.kind} on ${content.target}${content.env ? ` (${content.env})` : ''} (${content.id})`.slice(0, 1024),
        source: 'countersign',
        severity: content.env === 'prod' || content.env === 'production' ? 'critical' : 'warning',
        component: content.target,
        class: content.kind,
        custom_details: {
          what_will_run: content.payload.text,
          requested_by: Object.fromEntries(content.origin.map((field) => [field.label, field.value])),
          impact: content.impactSummary,
          matched_rules: content.matchedRules,
          needs: content.requirements.map((requirement) => `${requirement.needed} from ${requirement.approvers} (rule ${requirement.rule})`),
        },
      },
      links: [{ href: content.link, text: 'Review in Countersign' }],
    })
    return dedupKey
  }

  async update(ref: string, content: MessageContent): Promise<void> {
    if (content.status === 'pending') return
    await this.#send({ event_action: 'resolve', dedup_key: ref })
  }

  failure(error: unknown): DeliveryFailure {
    if (error instanceof EventsError) {
      const permanent = error.status >= 400 && error.status < 500 && error.status !== 429
      return { permanent, message: error.message, ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }) }
    }
    return { permanent: false, message: `PagerDuty Events API could not be reached: ${(error as Error)?.message ?? String(error)}` }
  }

  async #send(event: Record<string, unknown>): Promise<void> {
    const response = await fetch(this.#events.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ routing_key: resolveSecret(this.#events.routing_key), ...event }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    if (response.status === 202 || response.ok) return
    const text = (await response.text()).slice(0, 300)
    const retryAfter = Number(response.headers.get('retry-after'))
    throw new EventsError(response.status, `PagerDuty Events API answered HTTP ${response.status}: ${text}`, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined)
  }
}

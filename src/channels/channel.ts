import type { ReviewRequirement } from '../policy/index.js'
import type { Reminder } from '../lifecycle/index.js'
import type { MessageContent } from './message.js'

/** A pending request to announce: its id, its requirements (frozen at decision time) and who may never review it. */
export interface AnnouncementRequest {
  readonly id: string
  readonly requirements: readonly ReviewRequirement[]
  /** Canonical emails of the action's requesters: owner, on-behalf-of human, human submitter, token issuer. */
  readonly conflicted: readonly string[]
}

/** How a failed delivery is retried. */
export interface DeliveryFailure {
  /** Trying again cannot help (an unknown channel, a revoked token, a deleted message). */
  readonly permanent: boolean
  /** The platform asked to wait this long first (HTTP 429 `Retry-After`). */
  readonly retryAfterMs?: number | undefined
  /** What went wrong, for the log and the outbox row; never a secret. */
  readonly message: string
}

/**
 * One way humans are asked and answer (ARCHITECTURE.md, "channels"): Slack, Teams, email…
 *
 * Outbound, the outbox dispatcher calls it: `destinations` says where a new pending request is
 * announced, `announce` posts the message and returns a reference to it, `update` rewrites that
 * message after each review and at the end (decided, expired, cancelled, executed). The content
 * is built once, channel-neutral ({@link MessageContent}); a channel only renders it.
 *
 * Inbound, a channel verifies a click (the platform's signature, its workspace or tenant), maps
 * the clicker to a Countersign human, and calls `gateway.review(human, id, {decision, reason},
 * name)`: the same service call as the API, which applies every review rule. A channel never
 * decides anything itself; it shows the service's refusal to the clicker ({@link refusalText}).
 */
export interface Channel {
  /** The channel's name: outbox rows, review records and audit events carry it (`slack`). */
  readonly name: string
  /** True for a channel that announces only some requests (PagerDuty incidents): no destination is then not worth a warning. */
  readonly selective?: boolean
  /** Where a new pending request is announced, as this channel names destinations (e.g. `#approvals`, `dm:alice@example.com`). */
  destinations(request: AnnouncementRequest): readonly string[]
  /** Posts the message to `destination`; returns the reference that {@link update} takes. */
  announce(destination: string, content: MessageContent): Promise<string>
  /** Rewrites an announced message in place. */
  update(ref: string, content: MessageContent): Promise<void>
  /**
   * Asks again about an announced message (`review.remind_after`): a new notification to the
   * same people (a thread reply, a new email), after `update` has shown the current state.
   * Absent: the in-place update is all a reminder does on this channel.
   */
  remind?(ref: string, content: MessageContent, reminder: Reminder): Promise<void>
  /** Classifies an error thrown by `announce` or `update`. */
  failure(error: unknown): DeliveryFailure
}

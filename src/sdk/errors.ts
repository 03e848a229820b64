import type { Action } from './types.js'

/** One located problem of a refused request (`errors` of the problem document). */
export interface ProblemDetail {
  readonly message: string
  readonly path?: string
}

/**
 * A request the gateway refused (an RFC 9457 problem document) or never answered. `code` is the
 * problem's code (`INVALID`, `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `CONFLICT`,
 * `ALREADY_DECIDED`, `INTERNAL`), or `NETWORK` when no answer came; `status` is the HTTP status
 * (0 without an answer).
 *
 * @example
 * try { await cs.review(id, 'approve', 'ok') }
 * catch (error) { if (error instanceof ApiError && error.code === 'ALREADY_DECIDED') … }
 */
export class ApiError extends Error {
  readonly code: string
  readonly status: number
  readonly details: readonly ProblemDetail[]

  constructor(code: string, status: number, message: string, options: { details?: readonly ProblemDetail[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ApiError'
    this.code = code
    this.status = status
    this.details = options.details ?? []
  }
}

/**
 * An action that did not reach a state in which it may run (or ran): thrown by `run` and `guard`,
 * carrying the action as the gateway last returned it.
 */
export class ActionError extends Error {
  readonly action: Action

  constructor(action: Action, message: string) {
    super(message)
    this.name = 'ActionError'
    this.action = action
  }
}

/** Denied by the policy or by a reviewer; `reason` says why. */
export class Denied extends ActionError {
  readonly reason: string

  constructor(action: Action) {
    const reason = denialReason(action)
    super(action, `action ${action.id} was denied${reason ? `: ${reason}` : ''}`)
    this.name = 'Denied'
    this.reason = reason
  }
}

/** Nobody decided in time, or the approval was not used in time. */
export class Expired extends ActionError {
  constructor(action: Action) {
    super(action, `action ${action.id} expired before it ran`)
    this.name = 'Expired'
  }
}

/** Cancelled by its submitter or an admin. */
export class Cancelled extends ActionError {
  constructor(action: Action) {
    super(action, `action ${action.id} was cancelled`)
    this.name = 'Cancelled'
  }
}

/** It ran and failed; `action.result` holds what the connector or the agent reported. */
export class Failed extends ActionError {
  constructor(action: Action) {
    const error = action.result?.['error']
    super(action, `action ${action.id} failed${typeof error === 'string' && error ? `: ${error}` : ''}`)
    this.name = 'Failed'
  }
}

/**
 * Not settled when the wait ended: still pending review (or, for a brokered action, still
 * running). `action.links.console` is where a human decides it.
 */
export class StillPending extends ActionError {
  constructor(action: Action) {
    const needs = action.decision.requirements.filter((requirement) => !requirement.met).map((requirement) => `${requirement.min_approvals - requirement.approved_by.length} of ${requirement.approvers.join(', ') || 'any human'}`)
    const what = action.status === 'pending' ? `is still pending approval${needs.length > 0 ? ` (needs ${needs.join('; ')})` : ''}` : `is still ${action.status}`
    super(action, `action ${action.id} ${what}${action.links.console ? `: ${action.links.console}` : ''}`)
    this.name = 'StillPending'
  }
}

/** Why an action was denied: the policy's messages, else the denying reviewer's reason, else the explanation. */
export function denialReason(action: Action): string {
  const messages = action.decision.messages.join(' ')
  if (messages) return messages
  const review = action.reviews.find((candidate) => candidate.decision === 'deny')
  if (review) return review.reason ? `${review.reviewer}: ${review.reason}` : `denied by ${review.reviewer}`
  return action.decision.explanation
}

/** The error for an action that is not (yet) usable: denied, expired, cancelled, failed, or still waiting. */
export function outcomeError(action: Action): ActionError {
  switch (action.status) {
    case 'denied':
      return new Denied(action)
    case 'expired':
      return new Expired(action)
    case 'cancelled':
      return new Cancelled(action)
    case 'failed':
      return new Failed(action)
    default:
      return new StillPending(action)
  }
}

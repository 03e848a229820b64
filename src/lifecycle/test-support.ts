import assert from 'node:assert/strict'
import { CountersignError, type ErrorCode } from '../errors/index.js'
import type { ReviewRequirement } from '../policy/index.js'
import type { Agent, Human, Requesters, Review, ReviewSubject } from './types.js'

/** The review tests' clock: reviews happen at NOW, requests expire at EXPIRES. */
export const NOW = new Date('2026-01-05T12:00:00.000Z')
export const EXPIRES = new Date('2026-01-05T12:30:00.000Z')

/** A verified human; the email is kept as given so tests can vary its case and spacing. */
export function human(email: string, groups: readonly string[] = [], roles: { admin?: boolean; auditor?: boolean } = {}): Human {
  return { type: 'human', email, groups, admin: roles.admin ?? false, auditor: roles.auditor ?? false }
}

/** A verified agent. */
export function agent(id: string, owner: string): Agent {
  return { type: 'agent', id, owner, labels: {} }
}

/** A review requirement as the policy compiles it, with the policy's defaults. */
export function requirement(rule: string, approvers: readonly string[], min_approvals = 1, extra: Partial<ReviewRequirement> = {}): ReviewRequirement {
  return { rule, approvers, min_approvals, timeout_ms: 1_800_000, execute_within_ms: 900_000, reason_required: false, channels: [], ...extra }
}

/** A stored review, for tests that feed the rules a list they did not produce. */
export function stored(reviewer: string, decision: 'approve' | 'deny', requirements: readonly string[]): Review {
  return { reviewer, decision, reason: 'stored', channel: 'api', at: NOW, requirements }
}

/**
 * A pending action's review subject. `conflicted` defaults to the canonical emails of the
 * requesters, computed here independently of the code under test.
 */
export function subjectOf(
  requirements: readonly ReviewRequirement[],
  options: { requesters?: Requesters; conflicted?: readonly string[]; reviews?: readonly Review[]; status?: ReviewSubject['status']; expiresAt?: Date } = {},
): ReviewSubject {
  const requesters = options.requesters ?? {}
  const conflicted =
    options.conflicted ??
    [requesters.owner, requesters.onBehalfOf, requesters.submitter].filter((email): email is string => email !== undefined).map((email) => email.trim().toLowerCase())
  return {
    status: options.status ?? 'pending',
    expiresAt: options.expiresAt ?? EXPIRES,
    requirements,
    reviews: options.reviews ?? [],
    conflicted,
    requesters,
  }
}

/** An `assert.throws` validator for a CountersignError of `code`, optionally matching its message. */
export function countersignError(code: ErrorCode, message?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof CountersignError, `expected a CountersignError, got ${String(error)}`)
    assert.equal(error.code, code, `${error.code}: ${error.message}`)
    if (message) assert.match(error.message, message)
    return true
  }
}

/**
 * For the channels' tests only: the policy every chat platform's suite runs under, and polling.
 */

/**
 * Two DBAs for unscoped writes, asked at `dbDestination`; a security reviewer with a reason for
 * grants; shell actions sent to `lostDestination`, which nobody mapped (e.g. `slack:#db-approvals`
 * and `slack:#nowhere`).
 */
export function channelTestPolicy(dbDestination: string, lostDestination: string): string {
  return `
version: 1
default: review
default_review: { approvers: [group:oncall], timeout: 1h }
rules:
  - id: read-only
    match: { kind: sql }
    when: sql.read_only
    effect: allow
  - id: unscoped-writes
    match: { kind: sql, env: prod }
    when: sql.statements.exists(s, s.type in ["delete", "update"] && !s.has_where)
    effect: review
    review: { approvers: [group:dba], min_approvals: 2, timeout: 30m, channels: ["${dbDestination}"] }
  - id: grants
    match: { kind: sql }
    when: sql.dcl
    effect: review
    review: { approvers: [group:security], reason_required: true }
  - id: shell-lost
    match: { kind: shell }
    effect: review
    review: { approvers: [group:dba], channels: ["${lostDestination}"] }
`
}

/** Polls `probe` until it returns a truthy value (or fails after `timeoutMs`). */
export async function until<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

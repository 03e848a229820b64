import { randomBytes } from 'node:crypto'

/** One human approval of an executed action: who, through which channel, when (ISO 8601). */
export interface ExecutionApprover {
  readonly email: string
  readonly channel: string
  readonly at: string
}

/**
 * Who and what an execution runs for ("Identity at execution"), built once per
 * execution by the executor and handed to the connector, which passes it on to the target in
 * that target's own terms (settings, headers, environment, `_meta`) unless the target's connector
 * option `identity` is false. Values are never secrets, but `agent`, `on_behalf_of` and the
 * others come from what agents and tokens said: each transport encodes them ({@link identityText}).
 */
export interface ExecutionContext {
  /** The action's id. */
  readonly request_id: string
  /** The sha256 of the action's canonical text, the one that was decided and approved. */
  readonly digest: string
  /** The agent that submitted it (its id, or the submitting principal when it has none). */
  readonly agent: string
  /** The agent's owner, or null. */
  readonly agent_owner: string | null
  /** The human the agent acted for, or null. */
  readonly on_behalf_of: string | null
  /** The principal that submitted the action. */
  readonly submitter: string
  /** The humans who approved it, oldest first; empty when the policy allowed it alone. */
  readonly approvers: readonly ExecutionApprover[]
  /** The ids of the rules the decision matched. */
  readonly matched_rules: readonly string[]
  /** The version of the policy that decided it. */
  readonly policy_version: string
  /** A W3C trace id (32 lowercase hex): the action's `context.trace_id` when it is one, else one derived from the action's id (telemetry's traceOrigin). */
  readonly trace_id: string
  /** The execution's span id when traces are exported (`telemetry.otlp_endpoint`): the parent id in the `traceparent` sent to the target; absent, a new span id is sent. */
  readonly span_id?: string | undefined
}

const TRACE_ID = /^[0-9a-f]{32}$/
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/

/**
 * The W3C trace id an action's `context.trace_id` names (a bare 32-hex trace id, or a whole
 * `traceparent` value), or undefined when it names none (absent, malformed, all zeros).
 *
 * @example
 * traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01') // '4bf92f3577b34da6a3ce929d0e0e4736'
 */
export function traceIdOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const text = value.trim().toLowerCase()
  const id = TRACE_ID.test(text) ? text : TRACEPARENT.exec(text)?.[1]
  return id !== undefined && !/^0+$/.test(id) ? id : undefined
}

/** A new random W3C trace id. */
export function newTraceId(): string {
  return randomBytes(16).toString('hex')
}

/** A new random W3C span id (16 lowercase hex, never all zeros). */
export function newSpanId(): string {
  const id = randomBytes(8).toString('hex')
  return /^0+$/.test(id) ? newSpanId() : id
}

/**
 * A context value as every transport carries it: the text itself when it is printable ASCII
 * without `%` (emails, ids), otherwise with every other character percent-encoded as UTF-8
 * (`decodeURIComponent` gives it back). So no value can hold a CR, LF or NUL, end a header, or
 * change meaning by leading or trailing space; `extra` names more characters to encode (a `,`
 * inside one item of a comma-separated list).
 *
 * @example
 * identityText('ops bot\r\nX-Evil: 1') // 'ops%20bot%0D%0AX-Evil:%201'
 */
export function identityText(value: string, extra = ''): string {
  let out = ''
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (code > 0x20 && code < 0x7f && char !== '%' && !extra.includes(char)) out += char
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** The four values every transport carries, encoded ({@link identityText}); absent ones are empty. */
export interface IdentityValues {
  readonly request_id: string
  readonly agent: string
  readonly on_behalf_of: string
  /** The approvers' emails, comma-separated (a comma inside one is encoded). */
  readonly approvers: string
  readonly policy_version: string
  /** The matched rules' ids, comma-separated. */
  readonly matched_rules: string
}

/** The encoded values of a context, as PostgreSQL settings, headers and environment variables carry them. */
export function identityValues(context: ExecutionContext): IdentityValues {
  return {
    request_id: identityText(context.request_id),
    agent: identityText(context.agent),
    on_behalf_of: identityText(context.on_behalf_of ?? ''),
    approvers: context.approvers.map((approver) => identityText(approver.email, ',')).join(','),
    policy_version: identityText(context.policy_version),
    matched_rules: context.matched_rules.map((id) => identityText(id, ',')).join(','),
  }
}

/** The `COUNTERSIGN_*` environment variables of a context, for the shell and ssh connectors. */
export function identityEnvironment(context: ExecutionContext): Record<string, string> {
  const values = identityValues(context)
  return {
    COUNTERSIGN_REQUEST_ID: values.request_id,
    COUNTERSIGN_AGENT: values.agent,
    COUNTERSIGN_ON_BEHALF_OF: values.on_behalf_of,
    COUNTERSIGN_APPROVERS: values.approvers,
  }
}

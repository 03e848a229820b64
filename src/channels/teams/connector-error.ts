/** Which call failed: the bot's token, or one of the Bot Connector's operations. */
export type ConnectorOperation = 'token' | 'send' | 'reply' | 'update' | 'member' | 'resolve'

/**
 * A failed call to the Bot Connector or the identity platform: the wire error of this channel
 * (its HTTP status, the connector's error code, its `Retry-After`), kept as the service answered
 * so the outbox can tell "try again later" from "this will never work" ({@link TeamsChannel.failure}).
 * It never leaves the Teams channel: what users see is a {@link CountersignError} or a refusal text.
 */
export class ConnectorError extends Error {
  readonly operation: ConnectorOperation
  /** The HTTP status, when the service answered. */
  readonly status: number | undefined
  /** The service's error code (`ConversationNotFound`, `invalid_client`), or ours for a destination that cannot be resolved. */
  readonly code: string | undefined
  readonly retryAfterMs: number | undefined
  /** Set when trying again cannot help whatever the status says (a destination nobody configured). */
  readonly permanent: boolean

  constructor(operation: ConnectorOperation, message: string, options: { status?: number; code?: string; retryAfterMs?: number | undefined; permanent?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ConnectorError'
    this.operation = operation
    this.status = options.status
    this.code = options.code
    this.retryAfterMs = options.retryAfterMs
    this.permanent = options.permanent ?? false
  }
}

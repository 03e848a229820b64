import type { ActionKind } from '../action/index.js'
import type { BoundedOutput } from './bounded-output.js'
import type { ExecutionRequest, ExecutionResult } from './connector.js'
import type { Redactor } from './redact.js'

/** Milliseconds since `started` (a `performance.now()`), whole. */
export function elapsed(started: number): number {
  return Math.round(performance.now() - started)
}

/** A `failed` result with a (redacted) one-line error. */
export function failure(started: number, error: string, redactor?: Redactor): ExecutionResult {
  return { status: 'failed', duration_ms: elapsed(started), truncated: false, error: redactor ? redactor.text(error) : error }
}

/** Why a request cannot run on this connector before anything starts (another kind, already aborted), or undefined. */
export function refusal(request: ExecutionRequest, type: string, kind: ActionKind): string | undefined {
  if (request.action.kind !== kind) return `the ${type} connector runs ${kind} actions, not ${request.action.kind}; nothing was run`
  if (request.signal.aborted) return `stopped before it started: ${reasonOf(request.signal)}`
  return undefined
}

/** The reason an abort signal gives, as text. */
export function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason
  return reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted'
}

/** How a command (local or remote) ended, as the shell and ssh connectors observe it. */
export interface CommandOutcome {
  readonly exitCode: number | null
  readonly signal: string | null
  readonly stdout: BoundedOutput
  readonly stderr: BoundedOutput
  /** Why the connector ended it (a timeout, an abort), or why it could not start. */
  readonly problem?: string | undefined
}

/**
 * The result of a command: `succeeded` only for exit code 0 with nothing stopping it; output kept
 * up to the limit, with the totals when cut; every text redacted.
 */
export function commandResult(outcome: CommandOutcome, started: number, redactor: Redactor): ExecutionResult {
  const { exitCode, signal, stdout, stderr, problem } = outcome
  const error =
    problem ?? (signal ? `the command was ended by ${signal}` : exitCode === 0 ? undefined : exitCode === null ? 'the command ended without an exit status' : `the command exited with code ${exitCode}`)
  const truncated = stdout.truncated || stderr.truncated
  return redactor.result({
    status: error === undefined ? 'succeeded' : 'failed',
    duration_ms: elapsed(started),
    ...(error !== undefined && { error }),
    truncated,
    exit_code: exitCode,
    signal,
    stdout: redactor.text(stdout.text(), stdout.truncated),
    stderr: redactor.text(stderr.text(), stderr.truncated),
    ...(truncated && { output_bytes_total: stdout.total + stderr.total, stdout_bytes_total: stdout.total, stderr_bytes_total: stderr.total }),
  })
}

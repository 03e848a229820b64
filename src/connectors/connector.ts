import type { Action } from '../action/index.js'
import type { TargetConfig } from '../config/index.js'
import type { ExecutionContext } from './execution-context.js'

/** How a brokered execution ended. */
export const EXECUTION_STATUSES = ['succeeded', 'failed'] as const
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number]

/**
 * What a connector is asked to run: the stored, approved action (parsed from the exact text whose
 * digest was approved) on its target. The connector reads credentials from the target's
 * connector options (secret references) at the moment it needs them.
 */
export interface ExecutionRequest {
  readonly actionId: string
  readonly action: Action
  readonly target: TargetConfig
  /**
   * The facts the action was decided on (its kind's facts, as stored in its impact), or null when
   * it has none. Connectors enforce what the facts claim: SQL facts that say read-only run in a
   * read-only transaction, a read-only shell command in a sandbox ("analysis decides, execution
   * enforces"). Null never relaxes anything.
   */
  readonly facts: Readonly<Record<string, unknown>> | null
  /**
   * Humans approved it (its decision was `review`); false or absent when the policy allowed it
   * alone, on the analysis only. Only an action the analysis alone let through runs where the
   * target enforces the analysis (a shell command in the read-only sandbox); absent never relaxes.
   */
  readonly reviewed?: boolean | undefined
  /**
   * Who and what the execution runs for, built once by the executor; the connector passes it to
   * the target ("Identity at execution") unless its option `identity` is false.
   */
  readonly context: ExecutionContext
  /** Aborted when the gateway shuts down or the execution must stop; the connector stops its work. */
  readonly signal: AbortSignal
}

/**
 * A bounded, redacted result. Connectors never put a credential into any field; errors that
 * could carry a connection string are redacted first.
 */
export interface ExecutionResult {
  readonly status: ExecutionStatus
  readonly duration_ms: number
  /** A one-line description of a failure (redacted), absent on success. */
  readonly error?: string | undefined
  /** True when rows or output were cut at the configured limit; the `*_total` fields say how much there was. */
  readonly truncated: boolean
  /** `sql`: the result of the last statement that returned rows (or of the last statement). */
  readonly columns?: readonly string[] | undefined
  readonly rows?: readonly (readonly unknown[])[] | undefined
  readonly row_count?: number | undefined
  /**
   * `sql`: true when the statements ran in a `READ ONLY` transaction because the facts said
   * read-only, so the database itself refused any write the analysis missed. Absent otherwise.
   */
  readonly read_only_enforced?: boolean | undefined
  /** `shell`: the process's exit code (or the signal that ended it) and its output. */
  readonly exit_code?: number | null | undefined
  readonly signal?: string | null | undefined
  readonly stdout?: string | undefined
  readonly stderr?: string | undefined
  /** `shell`: the command ran in the read-only sandbox (no writes, no network); a write it tried failed there, in its stderr and exit code. */
  readonly sandboxed?: boolean | undefined
  /** `http`: the response. */
  readonly http_status?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: string | undefined
  /** `http`: `base64` when the body is not text (absent for text). */
  readonly body_encoding?: 'base64' | undefined
  /** Sizes before truncation: rows, or bytes of output (stdout and stderr together) or body. */
  readonly rows_total?: number | undefined
  readonly output_bytes_total?: number | undefined
  /** `shell`: the bytes each stream produced, when either was cut. */
  readonly stdout_bytes_total?: number | undefined
  readonly stderr_bytes_total?: number | undefined
  /** `terraform`: the canonical digest of the approved plan JSON, which `terraform show -json` of the saved plan matched. */
  readonly plan_digest?: string | undefined
  /** `terraform`: the SHA-256 of the saved plan file that was applied. */
  readonly saved_plan_sha256?: string | undefined
  /** `terraform`: the state's serial before and after the apply (`terraform state pull`), null when there was none or it could not be read. */
  readonly state_serial_before?: number | null | undefined
  readonly state_serial_after?: number | null | undefined
  /** The W3C trace id the execution carried (the action's `context.trace_id`, or a new one); set by the executor. */
  readonly trace_id?: string | undefined
}

/**
 * Brokered execution behind one interface (ARCHITECTURE.md): run a stored, approved action with
 * the target's credentials and return a bounded, redacted result. A connector must not throw for
 * a failure of the action itself (a SQL error, a non-zero exit, an HTTP 500): those are a
 * `failed` result. It throws only when it could not be built or used at all.
 */
export interface Connector {
  readonly type: string
  execute(request: ExecutionRequest): Promise<ExecutionResult>
  /** Releases pools and sessions. */
  close(): Promise<void>
}

import type { TelemetryConfig } from '../config/index.js'

/** What a span about one action may say: ids, kinds, effects, statuses and rule names, never payload text. */
export interface ActionSpanFacts {
  readonly id: string
  readonly kind: string
  readonly target: string
  /** The action's `context.trace_id` as stored (a trace id or a `traceparent`), if any. */
  readonly traceContext: unknown
}

/** When each step of a submission happened (epoch ms, fractions allowed). */
export interface SubmitTiming {
  readonly started: number
  readonly analyzed: number
  readonly decided: number
  readonly ended: number
}

/** The execution's span while it runs. */
export interface ExecutionSpan {
  /** Its span id: the parent id in the `traceparent` the connector sends. */
  readonly spanId: string | undefined
  end(outcome: { readonly status: string; readonly connector: string; readonly truncated: boolean }): void
}

/**
 * OpenTelemetry traces of the gateway's work on actions (`telemetry.otlp_endpoint`):
 * one trace per action (the agent's when it sent one), with spans for the submission, its
 * analysis and decision, each review, the wait for reviews and the execution. Spans are made from
 * what the store records (ids, times), so each replica can add its part to the same trace.
 */
export interface Telemetry {
  readonly enabled: boolean
  /** The submission, its analysis and its decision, once the action is recorded. */
  submitted(action: ActionSpanFacts, decision: { readonly effect: string; readonly status: string; readonly matchedRules: readonly string[]; readonly policyVersion: string; readonly agent: string | null }, timing: SubmitTiming): void
  /** One recorded review (`at`: epoch ms when it was recorded). */
  reviewed(action: ActionSpanFacts, review: { readonly decision: string; readonly channel: string; readonly status: string; readonly started: number; readonly at: number }): void
  /** The wait for reviews ended (approved, denied, expired, cancelled): from the submission to `at`. */
  waitEnded(action: ActionSpanFacts, wait: { readonly since: number; readonly at: number; readonly status: string }): void
  /** Starts the execution's span (child of the submission). */
  execution(action: ActionSpanFacts): ExecutionSpan
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>
}

/** Telemetry when `telemetry.otlp_endpoint` is not set: nothing is loaded, made or sent. */
export const NO_TELEMETRY: Telemetry = Object.freeze({
  enabled: false,
  submitted() {},
  reviewed() {},
  waitEnded() {},
  execution: () => NO_SPAN,
  shutdown: async () => {},
})

const NO_SPAN: ExecutionSpan = Object.freeze({ spanId: undefined, end() {} })

/**
 * The telemetry a configuration asks for: {@link NO_TELEMETRY} without `otlp_endpoint` (the
 * OpenTelemetry SDK is not even loaded), otherwise an OTLP/HTTP exporter to it.
 */
export async function startTelemetry(config: TelemetryConfig | undefined): Promise<Telemetry> {
  if (config?.otlp_endpoint === undefined) return NO_TELEMETRY
  const { OtlpTelemetry } = await import('./otlp-telemetry.js')
  return new OtlpTelemetry(config)
}

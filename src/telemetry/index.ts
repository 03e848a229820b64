/**
 * OpenTelemetry traces of the gateway (`telemetry.otlp_endpoint`): one trace per
 * action, continuing the agent's, exported over OTLP/HTTP; nothing when not configured.
 */
export { NO_TELEMETRY, startTelemetry } from './telemetry.js'
export type { ActionSpanFacts, ExecutionSpan, SubmitTiming, Telemetry } from './telemetry.js'
export { isTraceparent, submitSpanId, traceOrigin } from './trace-ids.js'
export type { TraceOrigin } from './trace-ids.js'

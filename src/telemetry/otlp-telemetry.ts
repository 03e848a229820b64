import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor, RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace-base'
import { resolveSecret, type TelemetryConfig } from '../config/index.js'
import type { ActionSpanFacts, ExecutionSpan, SubmitTiming, Telemetry } from './telemetry.js'
import { submitSpanId, traceOrigin } from './trace-ids.js'

/** How long stopping waits for the last spans to reach the collector. */
const SHUTDOWN_MS = 3000

/**
 * Ids the next span gets when they must be ones every replica can compute (the submission's span
 * id, an action's derived trace id); random otherwise. Set right before a synchronous
 * `startSpan`, which takes them at once.
 */
class ChosenIds implements IdGenerator {
  readonly #random = new RandomIdGenerator()
  traceId: string | undefined
  spanId: string | undefined

  generateTraceId(): string {
    const id = this.traceId ?? this.#random.generateTraceId()
    this.traceId = undefined
    return id
  }

  generateSpanId(): string {
    const id = this.spanId ?? this.#random.generateSpanId()
    this.spanId = undefined
    return id
  }
}

/** The OTLP endpoint's traces URL: `<endpoint>/v1/traces`, unless the endpoint names that path already. */
export function tracesUrl(endpoint: string): string {
  return /\/v1\/traces$/.test(endpoint) ? endpoint : `${endpoint.replace(/\/+$/, '')}/v1/traces`
}

/** {@link Telemetry} with the OpenTelemetry JS SDK, exported over OTLP/HTTP (JSON) in batches. */
export class OtlpTelemetry implements Telemetry {
  readonly enabled = true
  readonly #ids = new ChosenIds()
  readonly #provider: BasicTracerProvider
  readonly #tracer: Tracer

  constructor(config: TelemetryConfig) {
    const headers = Object.fromEntries(Object.entries(config.headers).map(([name, ref]) => [name, resolveSecret(ref)]))
    const exporter = new OTLPTraceExporter({ url: tracesUrl(config.otlp_endpoint!), headers })
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': config.service_name }),
      idGenerator: this.#ids,
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
    })
    this.#tracer = this.#provider.getTracer('countersign')
  }

  submitted(action: ActionSpanFacts, decision: { effect: string; status: string; matchedRules: readonly string[]; policyVersion: string; agent: string | null }, timing: SubmitTiming): void {
    safely(() => this.#submitted(action, decision, timing))
  }

  #submitted(action: ActionSpanFacts, decision: { effect: string; status: string; matchedRules: readonly string[]; policyVersion: string; agent: string | null }, timing: SubmitTiming): void {
    const origin = traceOrigin(action.id, action.traceContext)
    // The agent's span when it sent a traceparent; otherwise the submission is the trace's root, with the action's trace id.
    const parent = origin.parentSpanId === undefined ? ROOT_CONTEXT : remote(origin.traceId, origin.parentSpanId)
    if (origin.parentSpanId === undefined) this.#ids.traceId = origin.traceId
    this.#ids.spanId = submitSpanId(action.id)
    const submit = this.#tracer.startSpan(
      'countersign.submit',
      { kind: SpanKind.SERVER, startTime: timing.started, attributes: { ...actionAttributes(action), 'countersign.status': decision.status, ...(decision.agent !== null && { 'countersign.agent': decision.agent }) } },
      parent,
    )
    const inside = trace.setSpan(ROOT_CONTEXT, submit)
    this.#tracer.startSpan('countersign.analysis', { startTime: timing.started, attributes: { 'countersign.action.kind': action.kind } }, inside).end(timing.analyzed)
    this.#tracer
      .startSpan(
        'countersign.decision',
        {
          startTime: timing.analyzed,
          attributes: { 'countersign.decision.effect': decision.effect, 'countersign.decision.matched_rules': [...decision.matchedRules], 'countersign.policy_version': decision.policyVersion },
        },
        inside,
      )
      .end(timing.decided)
    submit.end(timing.ended)
  }

  reviewed(action: ActionSpanFacts, review: { decision: string; channel: string; status: string; started: number; at: number }): void {
    const attributes = { ...actionAttributes(action), 'countersign.review.decision': review.decision, 'countersign.review.channel': review.channel, 'countersign.status': review.status }
    safely(() => this.#tracer.startSpan('countersign.review', { startTime: review.started, attributes }, this.#underSubmit(action)).end(review.at))
  }

  waitEnded(action: ActionSpanFacts, wait: { since: number; at: number; status: string }): void {
    safely(() => this.#tracer.startSpan('countersign.wait', { startTime: wait.since, attributes: { ...actionAttributes(action), 'countersign.status': wait.status } }, this.#underSubmit(action)).end(wait.at))
  }

  execution(action: ActionSpanFacts): ExecutionSpan {
    let span: Span
    try {
      span = this.#tracer.startSpan('countersign.execute', { kind: SpanKind.CLIENT, attributes: actionAttributes(action) }, this.#underSubmit(action))
    } catch {
      return { spanId: undefined, end() {} }
    }
    return {
      spanId: span.spanContext().spanId,
      end: (outcome) =>
        safely(() => {
          span.setAttributes({ 'countersign.status': outcome.status, 'countersign.connector': outcome.connector, 'countersign.result.truncated': outcome.truncated })
          // The error text can quote the target's answer (values from the payload): only the status goes out.
          if (outcome.status !== 'succeeded') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.status })
          span.end()
        }),
    }
  }

  async shutdown(): Promise<void> {
    // A collector that is down must not keep the gateway from stopping: what cannot be sent in time is dropped.
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SHUTDOWN_MS)
      timer.unref()
    })
    await Promise.race([this.#provider.shutdown().catch(() => undefined), late])
    clearTimeout(timer)
  }

  /** The context whose parent is the action's submission span, wherever it was made. */
  #underSubmit(action: ActionSpanFacts): Context {
    return remote(traceOrigin(action.id, action.traceContext).traceId, submitSpanId(action.id))
  }
}

/** Traces are never worth a failed request: a fault in making a span loses that span only. */
function safely(make: () => void): void {
  try {
    make()
  } catch {
    // The span is lost; the action is not.
  }
}

function remote(traceId: string, spanId: string): Context {
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true })
}

function actionAttributes(action: ActionSpanFacts): Attributes {
  return { 'countersign.action.id': action.id, 'countersign.action.kind': action.kind, 'countersign.target': action.target }
}

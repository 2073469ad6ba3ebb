/**
 * Producer spans for OpenTelemetry: one PRODUCER span per `send()` (messaging semantic conventions
 * for Kafka), parented on the active context, with W3C `traceparent` injected into the record's
 * headers, ended when the broker acknowledges the record or the send fails.
 */
import type { Attributes, Context, Meter, Span, TextMapPropagator, Tracer, TracerProvider, MeterProvider } from '@opentelemetry/api'
import type { Producer, ProducerRecord } from '../producer/producer.js'
import type { ProducerInterceptor } from '../producer/interceptors.js'
import type { RecordMetadata } from '../producer/producer-batch.js'
import { sendTracing, type SendTraceContext } from '../producer/metrics.js'
import { formatTraceparent, withHeaders } from './traceparent.js'
import { subscribeProducerMetrics, type ProducerInstruments } from './metrics.js'
import { loadPeer } from '../schema-registry/peer.js'

/** The parts of `@opentelemetry/api` used here. */
type OtelApi = typeof import('@opentelemetry/api')

/** Loaded on import of `kafka-wire/otel`: a missing package is a `MissingPeerDependencyError` naming it. */
const api: OtelApi = await loadPeer<OtelApi>('@opentelemetry/api', 'kafka-wire/otel')

/** Instrumentation name and version reported with spans and metrics. */
export const INSTRUMENTATION_NAME = 'kafka-wire'

/** Options of {@link instrumentProducer}. */
export interface InstrumentationOptions {
  /** Default: the global tracer provider. */
  tracerProvider?: TracerProvider
  /** Default: the global meter provider. Metrics are off with `metrics: false`. */
  meterProvider?: MeterProvider
  /** Record OTel metrics from the producer's diagnostics channels. Default true. */
  metrics?: boolean
  /** `messaging.client.id`: the producer's `clientId`. */
  clientId?: string
  /**
   * How trace context goes into record headers. Default: W3C `traceparent` (and `tracestate`) written
   * directly, whatever global propagator is set; pass `api.propagation` or another to use that instead.
   */
  propagator?: TextMapPropagator
  /** Inject trace context into headers. Default true. */
  propagate?: boolean
  /** Record string keys as `messaging.kafka.message.key`. Default true (keys may be personal data: turn off if so). */
  captureKey?: boolean
}

/** The handlers `instrumentProducer` puts on the send TracingChannel. */
type SendTraceHandlers = Parameters<typeof sendTracing.subscribe>[0]

/** Undoes {@link instrumentProducer}. */
export interface ProducerInstrumentation {
  /** Stops tracing the producer's sends and unsubscribes from its channels. */
  restore(): void
}

function errorType(err: Error): string {
  const name = (err as { errorName?: unknown }).errorName
  return typeof name === 'string' ? name : err.name
}

/** Span attributes known at `send()` (semantic conventions 1.27+, and the older Kafka names APMs still read). */
function startAttributes(record: ProducerRecord<unknown, unknown>, clientId: string | undefined, captureKey: boolean): Attributes {
  const attrs: Attributes = {
    'messaging.system': 'kafka',
    'messaging.destination.name': record.topic,
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'send',
  }
  if (clientId !== undefined) attrs['messaging.client.id'] = clientId
  if (captureKey && typeof record.key === 'string') attrs['messaging.kafka.message.key'] = record.key
  if (record.value === null) attrs['messaging.kafka.message.tombstone'] = true
  if (record.partition !== undefined) attrs['messaging.destination.partition.id'] = String(record.partition)
  return attrs
}

function endOk(span: Span, md: Pick<RecordMetadata, 'partition' | 'offset'>, startMs: number, instruments: ProducerInstruments | undefined, base: Attributes): void {
  span.setAttribute('messaging.destination.partition.id', String(md.partition))
  span.setAttribute('messaging.kafka.destination.partition', md.partition)
  if (md.offset >= 0) span.setAttribute('messaging.kafka.offset', md.offset)
  span.end()
  instruments?.sent(base, undefined, (Date.now() - startMs) / 1000)
}

function endError(span: Span, err: Error, startMs: number, instruments: ProducerInstruments | undefined, base: Attributes): void {
  const type = errorType(err)
  span.recordException(err)
  span.setAttribute('error.type', type)
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: err.message })
  span.end()
  instruments?.sent(base, type, (Date.now() - startMs) / 1000)
}

function ignore(): void {}

/** What a traced send keeps between its `start` and `asyncStart` events. */
interface SendSpan {
  readonly span: Span
  readonly startMs: number
  readonly base: Attributes
}

/**
 * Follows `producer`'s sends on the `kafka-wire:producer:send` TracingChannel (it does not replace
 * `send`, so `send()` and `sendBatch()` are both traced): every record gets a PRODUCER span named
 * `send <topic>` whose parent is the context active at the call, and (by default) a `traceparent`
 * header carrying it, written into a copy of the record (the caller's object is not touched). The
 * span ends with partition, offset and the serialized value size when the record is acknowledged, or
 * with the error, before the caller's callback or promise sees the outcome. Also records metrics from
 * the producer's diagnostics channels. Returns a handle to undo it.
 */
export function instrumentProducer<K, V>(producer: Producer<K, V>, options: InstrumentationOptions = {}): ProducerInstrumentation {
  const tracer: Tracer = (options.tracerProvider ?? api.trace.getTracerProvider()).getTracer(INSTRUMENTATION_NAME)
  const meter: Meter | undefined = options.metrics === false ? undefined : (options.meterProvider ?? api.metrics.getMeterProvider()).getMeter(INSTRUMENTATION_NAME)
  const metrics = meter === undefined ? undefined : subscribeProducerMetrics(meter, options.clientId)
  const clientId = options.clientId
  const captureKey = options.captureKey ?? true
  const propagate = options.propagate ?? true
  const propagator = options.propagator
  // Keyed by the send's trace context: an entry lives exactly as long as its send.
  const spans = new WeakMap<SendTraceContext, SendSpan>()

  const inject = (record: ProducerRecord<unknown, unknown>, ctx: Context, span: Span): ProducerRecord<unknown, unknown> => {
    if (!propagate) return record
    const carrier: Record<string, string> = {}
    if (propagator !== undefined) propagator.inject(ctx, carrier, api.defaultTextMapSetter)
    else {
      const sc = span.spanContext()
      if (!api.isSpanContextValid(sc)) return record
      carrier.traceparent = formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags)
      const state = sc.traceState?.serialize()
      if (state !== undefined && state !== '') carrier.tracestate = state
    }
    return { ...record, headers: withHeaders(record.headers, carrier) }
  }

  const handlers: SendTraceHandlers = {
    // Runs inside send(), in the caller's async context: the active span there is the parent.
    start(trace) {
      if (trace.producer !== producer) return
      const record = trace.record as ProducerRecord<unknown, unknown> | null
      // Not a record: send() rejects it with its own error, and there is nothing to name a span after.
      if (record === null || typeof record !== 'object' || typeof record.topic !== 'string') return
      const parent = api.context.active()
      const span = tracer.startSpan(`send ${record.topic}`, { kind: api.SpanKind.PRODUCER, attributes: startAttributes(record, clientId, captureKey) }, parent)
      trace.record = inject(record, api.trace.setSpan(parent, span), span)
      spans.set(trace, { span, startMs: Date.now(), base: { 'messaging.system': 'kafka', 'messaging.destination.name': record.topic, 'messaging.operation.name': 'send' } })
    },
    // Before the caller's callback runs or its promise settles.
    asyncStart(trace) {
      const s = spans.get(trace)
      if (s === undefined) return
      spans.delete(trace)
      if (trace.valueSize !== undefined && trace.valueSize >= 0) s.span.setAttribute('messaging.message.body.size', trace.valueSize)
      if (trace.error !== undefined) endError(s.span, trace.error, s.startMs, metrics, s.base)
      else if (trace.result !== undefined) endOk(s.span, trace.result, s.startMs, metrics, s.base)
      else s.span.end()
    },
    // Node's typings want every event handled; these three have nothing to add to the span.
    end: ignore,
    asyncEnd: ignore,
    error: ignore,
  }
  sendTracing.subscribe(handlers)
  return {
    restore(): void {
      sendTracing.unsubscribe(handlers)
      metrics?.unsubscribe()
    },
  }
}

/**
 * An interceptor (option `interceptors`) that only propagates: it writes the `traceparent` of the
 * span active at `send()` into the record's headers, without creating a span. For applications
 * that make their own producer spans; {@link instrumentProducer} already injects its own.
 */
export function traceHeadersInterceptor<K, V>(): ProducerInterceptor<ProducerRecord<K, V>, RecordMetadata> {
  return {
    onSend(record: ProducerRecord<K, V>): ProducerRecord<K, V> {
      const sc = api.trace.getSpanContext(api.context.active())
      if (sc === undefined || !api.isSpanContextValid(sc)) return record
      const carrier: Record<string, string> = { traceparent: formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags) }
      const state = sc.traceState?.serialize()
      if (state !== undefined && state !== '') carrier.tracestate = state
      return { ...record, headers: withHeaders(record.headers, carrier) }
    },
  }
}

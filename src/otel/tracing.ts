/**
 * Producer spans for OpenTelemetry: one PRODUCER span per `send()` (messaging semantic conventions
 * for Kafka), parented on the active context, with W3C `traceparent` injected into the record's
 * headers, ended when the broker acknowledges the record or the send fails.
 */
import type { Attributes, Context, Meter, Span, TextMapPropagator, Tracer, TracerProvider, MeterProvider } from '@opentelemetry/api'
import type { Producer, ProducerRecord } from '../producer/producer.js'
import type { ProducerInterceptor } from '../producer/interceptors.js'
import type { RecordMetadata, SendCallback } from '../producer/producer-batch.js'
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

/** Undoes {@link instrumentProducer}. */
export interface ProducerInstrumentation {
  /** Restores the producer's own `send` and unsubscribes from its channels. */
  restore(): void
}

function byteSize(v: unknown): number | undefined {
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8')
  if (v instanceof Uint8Array) return v.byteLength
  return undefined
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
  const size = byteSize(record.value)
  if (size !== undefined) attrs['messaging.message.body.size'] = size
  if (record.partition !== undefined) attrs['messaging.destination.partition.id'] = String(record.partition)
  return attrs
}

function endOk(span: Span, md: RecordMetadata, startMs: number, instruments: ProducerInstruments | undefined, base: Attributes): void {
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

/**
 * Wraps `producer.send` so every send gets a PRODUCER span named `send <topic>` whose parent is
 * the context active at the call, and (by default) a `traceparent` header carrying it. The span
 * ends with partition and offset when the record is acknowledged, or with the error. Also records
 * metrics from the producer's diagnostics channels. Returns a handle to undo it.
 */
export function instrumentProducer<K, V>(producer: Producer<K, V>, options: InstrumentationOptions = {}): ProducerInstrumentation {
  const tracer: Tracer = (options.tracerProvider ?? api.trace.getTracerProvider()).getTracer(INSTRUMENTATION_NAME)
  const meter: Meter | undefined = options.metrics === false ? undefined : (options.meterProvider ?? api.metrics.getMeterProvider()).getMeter(INSTRUMENTATION_NAME)
  const metrics = meter === undefined ? undefined : subscribeProducerMetrics(meter, options.clientId)
  const clientId = options.clientId
  const captureKey = options.captureKey ?? true
  const propagate = options.propagate ?? true
  const propagator = options.propagator
  const original = producer.send
  const bound = original.bind(producer) as (record: ProducerRecord<K, V>, callback?: SendCallback) => Promise<RecordMetadata> | void

  const inject = (record: ProducerRecord<K, V>, ctx: Context, span: Span): ProducerRecord<K, V> => {
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

  function send(record: ProducerRecord<K, V>): Promise<RecordMetadata>
  function send(record: ProducerRecord<K, V>, callback: SendCallback): void
  function send(record: ProducerRecord<K, V>, callback?: SendCallback): Promise<RecordMetadata> | void {
    if (record === null || typeof record !== 'object' || typeof record.topic !== 'string') return callback === undefined ? bound(record) : bound(record, callback)
    const startMs = Date.now()
    const parent = api.context.active()
    const attrs = startAttributes(record, clientId, captureKey)
    const span = tracer.startSpan(`send ${record.topic}`, { kind: api.SpanKind.PRODUCER, attributes: attrs }, parent)
    const ctx = api.trace.setSpan(parent, span)
    const base: Attributes = { 'messaging.system': 'kafka', 'messaging.destination.name': record.topic, 'messaging.operation.name': 'send' }
    const traced = inject(record, ctx, span)
    if (callback !== undefined) {
      bound(traced, (err, md) => {
        if (err !== null) endError(span, err, startMs, metrics, base)
        else if (md !== null) endOk(span, md, startMs, metrics, base)
        else span.end()
        callback(err, md)
      })
      return
    }
    const p = bound(traced) as Promise<RecordMetadata>
    p.then(
      (md) => endOk(span, md, startMs, metrics, base),
      (err: unknown) => endError(span, err instanceof Error ? err : new Error(String(err)), startMs, metrics, base),
    )
    return p
  }

  producer.send = send
  return {
    restore(): void {
      if (producer.send === send) producer.send = original
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

/**
 * kafka-wire/otel against a real broker: the OpenTelemetry SDK's in-memory exporter sees one
 * PRODUCER span per send, with the messaging attributes and the active span as parent; kafkajs
 * (a consumer we did not write) reads the `traceparent` header and recovers the trace and span ids;
 * a failed send ends its span with an error; metrics come from the producer's channels.
 */
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { AggregationTemporality, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { instrumentProducer, parseTraceparent, type ProducerInstrumentation } from '../../src/otel/index.js'
import { Producer } from '../../src/producer/producer.js'
import { bootstrapServers } from '../support/broker.js'
import { createTopics, readWithKafkajs, uniqueTopic } from '../support/schema-registry-helpers.js'

/** A pull reader: metrics are collected when the test asks. */
class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function metricSum(rm: ResourceMetrics, name: string, filter: (attrs: Record<string, unknown>) => boolean = () => true): number {
  let total = 0
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      if (m.descriptor.name !== name) continue
      for (const dp of m.dataPoints) {
        if (!filter(dp.attributes)) continue
        const v = dp.value
        total += typeof v === 'number' ? v : (v as { count: number }).count
      }
    }
  }
  return total
}

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const reader = new TestReader()
const meterProvider = new MeterProvider({ readers: [reader] })
const contextManager = new AsyncLocalStorageContextManager()
let producer: Producer<string | null, string | null>
let instrumentation: ProducerInstrumentation
let brokers: string[]

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable())
  brokers = bootstrapServers()
  producer = new Producer<string | null, string | null>({ bootstrapServers: brokers, clientId: 'kw-otel', acks: 'all', keySerializer: 'string', valueSerializer: 'string', lingerMs: 5 })
  instrumentation = instrumentProducer(producer, { tracerProvider: provider, meterProvider, clientId: 'kw-otel' })
})

afterAll(async () => {
  instrumentation?.restore()
  await producer?.close()
  await meterProvider.shutdown()
  context.disable()
})

beforeEach(() => exporter.reset())

describe('kafka-wire/otel with a real broker', () => {
  it('one PRODUCER span per send, child of the active span, with messaging attributes; kafkajs recovers the trace id from traceparent', async () => {
    const topic = uniqueTopic('kw-otel')
    await createTopics(brokers, [topic], 2)
    const tracer = provider.getTracer('test')
    const N = 6
    const { parentTraceId, parentSpanId, metadata } = await tracer.startActiveSpan('parent', async (parent) => {
      const mds = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          i % 2 === 0
            ? producer.send({ topic, key: `k${i}`, value: `v${i}`, headers: { app: 'x' } })
            : new Promise<{ partition: number; offset: number }>((resolve, reject) =>
                producer.send({ topic, key: `k${i}`, value: `v${i}`, headers: [['app', 'x']] }, (err, md) => (err !== null || md === null ? reject(err) : resolve(md))),
              ),
        ),
      )
      parent.end()
      return { parentTraceId: parent.spanContext().traceId, parentSpanId: parent.spanContext().spanId, metadata: mds }
    })
    const spans = exporter.getFinishedSpans().filter((s) => s.name === `send ${topic}`)
    expect(spans).toHaveLength(N)
    for (const s of spans) {
      expect(s.kind).toBe(SpanKind.PRODUCER)
      expect(s.spanContext().traceId).toBe(parentTraceId)
      expect(s.parentSpanContext?.spanId).toBe(parentSpanId)
      expect(s.attributes['messaging.system']).toBe('kafka')
      expect(s.attributes['messaging.destination.name']).toBe(topic)
      expect(s.attributes['messaging.operation.type']).toBe('send')
      expect(s.attributes['messaging.client.id']).toBe('kw-otel')
      expect(s.status.code).toBe(SpanStatusCode.UNSET)
    }
    // Each span carries the partition and offset its record got.
    const byKey = new Map(spans.map((s) => [String(s.attributes['messaging.kafka.message.key']), s]))
    metadata.forEach((md, i) => {
      const s = byKey.get(`k${i}`)
      expect(s?.attributes['messaging.destination.partition.id']).toBe(String(md.partition))
      expect(s?.attributes['messaging.kafka.offset']).toBe(md.offset)
      expect(s?.attributes['messaging.message.body.size']).toBe(2)
    })

    const records = await readWithKafkajs(brokers, [topic], N)
    const propagator = new W3CTraceContextPropagator()
    for (const r of records) {
      const key = r.key?.toString() ?? ''
      expect(r.headers.app?.toString()).toBe('x')
      const header = r.headers.traceparent?.toString() ?? ''
      const parsed = parseTraceparent(header)
      expect(parsed?.traceId).toBe(parentTraceId)
      expect(parsed?.spanId).toBe(byKey.get(key)?.spanContext().spanId)
      // The SDK's own propagator (not ours) reads the same context back.
      const extracted = trace.getSpanContext(propagator.extract(context.active(), { traceparent: header }, { get: (c, k) => c[k as keyof typeof c], keys: (c) => Object.keys(c) }))
      expect(extracted?.traceId).toBe(parentTraceId)
      expect(extracted?.spanId).toBe(byKey.get(key)?.spanContext().spanId)
    }

    const rm = await reader.collect()
    expect(metricSum(rm.resourceMetrics, 'messaging.client.sent.messages', (a) => a['messaging.destination.name'] === topic && a['error.type'] === undefined)).toBe(N)
    expect(metricSum(rm.resourceMetrics, 'messaging.client.operation.duration', (a) => a['messaging.destination.name'] === topic)).toBe(N)
    expect(metricSum(rm.resourceMetrics, 'kafka_wire.producer.request.bytes')).toBeGreaterThan(0)
    expect(metricSum(rm.resourceMetrics, 'kafka_wire.producer.request.latency')).toBeGreaterThan(0)
    expect(metricSum(rm.resourceMetrics, 'kafka_wire.producer.batch.size', (a) => a['messaging.destination.name'] === topic)).toBeGreaterThan(0)
  })

  it('a send that fails ends its span with ERROR status, error.type and the exception', async () => {
    const topic = uniqueTopic('kw-otel-fail')
    await createTopics(brokers, [topic], 1)
    await expect(producer.send({ topic, value: 'x', partition: 7 })).rejects.toThrow()
    const spans = exporter.getFinishedSpans().filter((s) => s.name === `send ${topic}`)
    expect(spans).toHaveLength(1)
    expect(spans[0]?.status.code).toBe(SpanStatusCode.ERROR)
    expect(spans[0]?.attributes['error.type']).toBe('InvalidPartitionError')
    expect(spans[0]?.events.some((e) => e.name === 'exception')).toBe(true)
    const rm = await reader.collect()
    expect(metricSum(rm.resourceMetrics, 'messaging.client.sent.messages', (a) => a['messaging.destination.name'] === topic && a['error.type'] === 'InvalidPartitionError')).toBe(1)
  })

  it('sendBatch() is traced per record: a span each with its offset, and the caller’s records keep their headers', async () => {
    const topic = uniqueTopic('kw-otel-batch')
    await createTopics(brokers, [topic], 1)
    const records = [{ topic, key: 'a', value: 'one' }, { topic, key: 'b', value: 'three' }, { topic, key: 'c', value: null }]
    const mds = await producer.sendBatch(records)
    const spans = exporter.getFinishedSpans().filter((s) => s.name === `send ${topic}`)
    expect(spans.map((s) => s.attributes['messaging.kafka.offset']).sort()).toEqual(mds.map((m) => m.offset).sort())
    const byKey = new Map(spans.map((s) => [String(s.attributes['messaging.kafka.message.key']), s]))
    // The serialized value's size; a tombstone has none.
    expect(byKey.get('a')?.attributes['messaging.message.body.size']).toBe(3)
    expect(byKey.get('b')?.attributes['messaging.message.body.size']).toBe(5)
    expect(byKey.get('c')?.attributes['messaging.message.body.size']).toBeUndefined()
    expect(byKey.get('c')?.attributes['messaging.kafka.message.tombstone']).toBe(true)
    expect(records.every((r) => !('headers' in r))).toBe(true)
    const read = await readWithKafkajs(brokers, [topic], 3)
    for (const r of read) expect(parseTraceparent(r.headers.traceparent?.toString() ?? '')?.spanId).toBe(byKey.get(r.key?.toString() ?? '')?.spanContext().spanId)
  })

  it('restore() stops tracing the producer: no spans, no traceparent', async () => {
    const topic = uniqueTopic('kw-otel-off')
    const local = new Producer<string | null, string | null>({ bootstrapServers: brokers, clientId: 'kw-otel-2', keySerializer: 'string', valueSerializer: 'string' })
    try {
      const handle = instrumentProducer(local, { tracerProvider: provider, metrics: false })
      handle.restore()
      await local.send({ topic, value: 'plain' })
      expect(exporter.getFinishedSpans().filter((s) => s.name === `send ${topic}`)).toHaveLength(0)
      const [r] = await readWithKafkajs(brokers, [topic], 1)
      expect(r?.headers.traceparent).toBeUndefined()
    } finally {
      await local.close()
    }
  })
})

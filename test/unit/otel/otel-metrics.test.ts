import { AggregationTemporality, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { describe, expect, it } from 'vitest'
import { subscribeProducerMetrics } from '../../../src/otel/metrics.js'
import { channels } from '../../../src/producer/metrics.js'

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function points(rm: ResourceMetrics, name: string): Array<{ attributes: Record<string, unknown>; value: unknown }> {
  return rm.scopeMetrics.flatMap((sm) => sm.metrics.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints.map((dp) => ({ attributes: dp.attributes, value: dp.value }))))
}

describe('OTel instruments from the producer channels', () => {
  it('records batches, requests, latency, throttle, errors and (when reported) the compression ratio; unsubscribe stops it', async () => {
    const reader = new TestReader()
    const provider = new MeterProvider({ readers: [reader] })
    const instruments = subscribeProducerMetrics(provider.getMeter('t'), 'cid')
    channels.batchReady.publish({ topic: 't', partition: 0, recordCount: 10, sizeInBytes: 250, uncompressedBytes: 1000 })
    channels.batchReady.publish({ topic: 't', partition: 1, recordCount: 5, sizeInBytes: 100 })
    channels.requestSent.publish({ nodeId: 1, batches: 2, records: 15, bytes: 350 })
    channels.responseReceived.publish({ nodeId: 1, latencyMs: 12, throttleTimeMs: 30, error: null })
    channels.responseReceived.publish({ nodeId: 1, latencyMs: 40, throttleTimeMs: 0, error: new TypeError('x') })
    instruments.sent({ 'messaging.destination.name': 't' }, undefined, 0.01)
    instruments.unsubscribe()
    channels.requestSent.publish({ nodeId: 1, batches: 1, records: 1, bytes: 1_000_000 })
    const { resourceMetrics: rm } = await reader.collect()
    const ratio = points(rm, 'kafka_wire.producer.compression.ratio')
    expect(ratio).toHaveLength(1)
    expect((ratio[0]?.value as { count: number; sum: number }).count).toBe(1)
    expect((ratio[0]?.value as { sum: number }).sum).toBeCloseTo(0.25)
    expect((points(rm, 'kafka_wire.producer.batch.size')[0]?.value as { sum: number }).sum).toBe(350)
    expect(points(rm, 'kafka_wire.producer.request.bytes')[0]?.value).toBe(350)
    expect(points(rm, 'kafka_wire.producer.request.records')[0]?.value).toBe(15)
    expect((points(rm, 'kafka_wire.producer.request.latency')[0]?.value as { count: number }).count).toBe(2)
    expect((points(rm, 'kafka_wire.producer.throttle.time')[0]?.value as { sum: number }).sum).toBe(30)
    const errors = points(rm, 'kafka_wire.producer.request.errors')
    expect(errors[0]?.value).toBe(1)
    expect(errors[0]?.attributes['error.type']).toBe('TypeError')
    const sent = points(rm, 'messaging.client.sent.messages')
    expect(sent[0]?.value).toBe(1)
    expect(sent[0]?.attributes).toEqual({ 'messaging.system': 'kafka', 'messaging.client.id': 'cid', 'messaging.destination.name': 't' })
    await provider.shutdown()
  })
})

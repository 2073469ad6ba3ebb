/** OpenTelemetry instruments fed by the producer's `node:diagnostics_channel` events (nothing is built when nobody subscribes). */
import type { Attributes, Meter } from '@opentelemetry/api'
import { channels } from '../producer/metrics.js'

/** The instruments, and how to stop feeding them. */
export interface ProducerInstruments {
  /** One send settled: `errorType` undefined on success; `seconds` from send() to the outcome. */
  sent(attrs: Attributes, errorType: string | undefined, seconds: number): void
  unsubscribe(): void
}

/** A numeric field of a channel message, or 0 (messages are the producer's, but never trusted blindly). */
function num(m: Record<string, unknown>, field: string): number {
  const v = m[field]
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object'
}

/**
 * Creates the instruments on `meter` and subscribes to the producer channels. Names: the messaging
 * semantic conventions where they exist (`messaging.client.sent.messages`,
 * `messaging.client.operation.duration`), `kafka_wire.producer.*` for the rest.
 */
export function subscribeProducerMetrics(meter: Meter, clientId: string | undefined): ProducerInstruments {
  const common: Attributes = clientId === undefined ? { 'messaging.system': 'kafka' } : { 'messaging.system': 'kafka', 'messaging.client.id': clientId }
  const sentMessages = meter.createCounter('messaging.client.sent.messages', { description: 'Records whose send settled (error.type set when it failed)', unit: '{message}' })
  const duration = meter.createHistogram('messaging.client.operation.duration', { description: 'send() to acknowledgement or failure', unit: 's' })
  const bytes = meter.createCounter('kafka_wire.producer.request.bytes', { description: 'Bytes of record batches sent in Produce requests', unit: 'By' })
  const requestRecords = meter.createCounter('kafka_wire.producer.request.records', { description: 'Records sent in Produce requests (retries included)', unit: '{record}' })
  const latency = meter.createHistogram('kafka_wire.producer.request.latency', { description: 'Produce request round trip', unit: 'ms' })
  const requestErrors = meter.createCounter('kafka_wire.producer.request.errors', { description: 'Produce requests that failed without an answer', unit: '{request}' })
  const throttle = meter.createHistogram('kafka_wire.producer.throttle.time', { description: 'Broker throttle time reported on Produce answers', unit: 'ms' })
  const batchBytes = meter.createHistogram('kafka_wire.producer.batch.size', { description: 'Size of a drained record batch (after compression)', unit: 'By' })
  const batchRecords = meter.createHistogram('kafka_wire.producer.batch.records', { description: 'Records per drained batch', unit: '{record}' })
  const compressionRatio = meter.createHistogram('kafka_wire.producer.compression.ratio', { description: 'Batch size after / before compression, per built batch', unit: '1' })

  const onBatch = (m: unknown): void => {
    if (!isObject(m)) return
    const attrs = typeof m.topic === 'string' ? { ...common, 'messaging.destination.name': m.topic } : common
    batchBytes.record(num(m, 'sizeInBytes'), attrs)
    batchRecords.record(num(m, 'recordCount'), attrs)
    // Only when the producer reports it (the field is a proposed addition to batch-ready).
    const uncompressed = num(m, 'uncompressedBytes')
    if (uncompressed > 0) compressionRatio.record(num(m, 'sizeInBytes') / uncompressed, attrs)
  }
  const onRequest = (m: unknown): void => {
    if (!isObject(m)) return
    bytes.add(num(m, 'bytes'), common)
    requestRecords.add(num(m, 'records'), common)
  }
  const onResponse = (m: unknown): void => {
    if (!isObject(m)) return
    latency.record(num(m, 'latencyMs'), common)
    const throttleMs = num(m, 'throttleTimeMs')
    if (throttleMs > 0) throttle.record(throttleMs, common)
    const error = m.error
    if (error !== null && error !== undefined) requestErrors.add(1, { ...common, 'error.type': error instanceof Error ? error.name : 'unknown' })
  }
  channels.batchReady.subscribe(onBatch)
  channels.requestSent.subscribe(onRequest)
  channels.responseReceived.subscribe(onResponse)
  return {
    sent(attrs: Attributes, errorType: string | undefined, seconds: number): void {
      const a = errorType === undefined ? { ...common, ...attrs } : { ...common, ...attrs, 'error.type': errorType }
      sentMessages.add(1, a)
      duration.record(seconds, a)
    },
    unsubscribe(): void {
      channels.batchReady.unsubscribe(onBatch)
      channels.requestSent.unsubscribe(onRequest)
      channels.responseReceived.unsubscribe(onResponse)
    },
  }
}

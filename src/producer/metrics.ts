/** Producer metrics under the Java producer's names, and diagnostics_channel events. */
import { channel } from 'node:diagnostics_channel'

/**
 * `node:diagnostics_channel` channels the producer publishes on (APM tools subscribe by name). Messages
 * are only built when a channel has subscribers.
 */
export const channels = {
  /** `{ topic, partition, key, value, headers }` per accepted `send()`. */
  send: channel('kafka-wire:producer:send'),
  /** `{ topic, partition, recordCount, sizeInBytes }` when a batch is drained for sending. */
  batchReady: channel('kafka-wire:producer:batch-ready'),
  /** `{ nodeId, batches, records, bytes }` when a Produce request is sent. */
  requestSent: channel('kafka-wire:producer:request-sent'),
  /** `{ nodeId, latencyMs, throttleTimeMs, error }` when a Produce response (or failure) arrives. */
  responseReceived: channel('kafka-wire:producer:response-received'),
}

/** Running average and maximum without storing samples. */
class Stat {
  count = 0
  sum = 0
  max = Number.NaN
  record(v: number): void {
    this.count++
    this.sum += v
    if (!(v <= this.max)) this.max = v
  }
  get avg(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count
  }
}

/**
 * A plain snapshot of the producer's metrics, named like the Java producer's
 * (`producer-metrics` group) where they exist. Averages and maxima are since the producer started;
 * rates are per second over the same span (Java uses 30 s sample windows). NaN means "no sample yet",
 * as in Java.
 */
export interface ProducerMetricsSnapshot {
  'record-send-total': number
  'record-send-rate': number
  'record-error-total': number
  'record-error-rate': number
  'record-retry-total': number
  'record-retry-rate': number
  'record-size-avg': number
  'record-size-max': number
  'record-queue-time-avg': number
  'record-queue-time-max': number
  'batch-size-avg': number
  'batch-size-max': number
  'batch-split-total': number
  'records-per-request-avg': number
  'request-total': number
  'request-rate': number
  'request-latency-avg': number
  'request-latency-max': number
  'produce-throttle-time-avg': number
  'produce-throttle-time-max': number
  'buffer-total-bytes': number
  'buffer-available-bytes': number
  /** Java `waiting-threads`: sends blocked in `send()` waiting for buffer memory (or topic metadata). */
  'waiting-threads': number
  /** Sends accepted but not yet settled. */
  'pending-sends': number
  'requests-in-flight': number
  'metadata-age': number
}

/** The mutable counters behind `producer.metrics()`. */
export class ProducerMetrics {
  private readonly startMs = Date.now()
  recordsSent = 0
  recordErrors = 0
  recordRetries = 0
  batchSplits = 0
  requests = 0
  readonly recordSize = new Stat()
  readonly queueTime = new Stat()
  readonly batchSize = new Stat()
  readonly recordsPerRequest = new Stat()
  readonly requestLatency = new Stat()
  readonly throttleTime = new Stat()

  /** Builds the snapshot; gauges come from the components that own them. */
  snapshot(gauges: { bufferTotal: number; bufferAvailable: number; waiting: number; pending: number; inFlight: number; metadataAgeMs: number }): ProducerMetricsSnapshot {
    const secs = Math.max(0.001, (Date.now() - this.startMs) / 1000)
    return {
      'record-send-total': this.recordsSent,
      'record-send-rate': this.recordsSent / secs,
      'record-error-total': this.recordErrors,
      'record-error-rate': this.recordErrors / secs,
      'record-retry-total': this.recordRetries,
      'record-retry-rate': this.recordRetries / secs,
      'record-size-avg': this.recordSize.avg,
      'record-size-max': this.recordSize.max,
      'record-queue-time-avg': this.queueTime.avg,
      'record-queue-time-max': this.queueTime.max,
      'batch-size-avg': this.batchSize.avg,
      'batch-size-max': this.batchSize.max,
      'batch-split-total': this.batchSplits,
      'records-per-request-avg': this.recordsPerRequest.avg,
      'request-total': this.requests,
      'request-rate': this.requests / secs,
      'request-latency-avg': this.requestLatency.avg,
      'request-latency-max': this.requestLatency.max,
      'produce-throttle-time-avg': this.throttleTime.avg,
      'produce-throttle-time-max': this.throttleTime.max,
      'buffer-total-bytes': gauges.bufferTotal,
      'buffer-available-bytes': gauges.bufferAvailable,
      'waiting-threads': gauges.waiting,
      'pending-sends': gauges.pending,
      'requests-in-flight': gauges.inFlight,
      'metadata-age': gauges.metadataAgeMs / 1000,
    }
  }
}

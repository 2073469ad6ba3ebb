/** The producer's metrics (Java names and Java's windowed stats) and its diagnostics channels. */
import { channel, tracingChannel } from 'node:diagnostics_channel'
import { ConfigError } from './errors.js'

/**
 * `node:diagnostics_channel` channels the producer publishes on (APM tools subscribe by name). Messages
 * are only built when a channel has subscribers.
 */
export const channels = {
  /** `{ topic, partition, key, value, headers }` per accepted `send()`. */
  send: channel('kafka-wire:producer:send'),
  /** `{ topic, partition, recordCount, sizeInBytes, uncompressedBytes }` when a batch is built for sending (sizes after / before compression). */
  batchReady: channel('kafka-wire:producer:batch-ready'),
  /** `{ nodeId, batches, records, bytes }` when a Produce request is sent. */
  requestSent: channel('kafka-wire:producer:request-sent'),
  /** `{ nodeId, latencyMs, throttleTimeMs, error }` when a Produce response (or failure) arrives. */
  responseReceived: channel('kafka-wire:producer:response-received'),
  /** `{ topic, partition, recordCount, attempt, error, backoffMs }` when a batch is put back for a retry. */
  retry: channel('kafka-wire:producer:retry'),
  /** `{ broker, api, throttleTimeMs }` when a broker throttles the client (KIP-219). */
  throttle: channel('kafka-wire:producer:throttle'),
  /**
   * `{ event, nodeId, broker, failures, error? }`: a broker joined or left the known list (`added`,
   * `removed`), or a connection to it was made, failed (`connect-failed`, `failures` in a row) or closed.
   */
  broker: channel('kafka-wire:producer:broker'),
}

/**
 * What the `kafka-wire:producer:send` TracingChannel events carry: `start` inside `send()` (the
 * caller's async context, before serialization), `end` when `send()` returns, `asyncStart`/`asyncEnd`
 * around the caller's callback or promise settlement, `error` before them on failure. `result` or
 * `error` is set by then, and the serialized sizes once the record got through its serializers.
 * A `start` subscriber may replace `record` (for example with a copy that has one more header, as
 * `kafka-wire/otel` does for `traceparent`): the send uses `record` as it is when `start` returns.
 */
export interface SendTraceContext {
  /** The record as passed to `send()` (or as a `start` subscriber replaced it). */
  record: { topic: string; partition?: number; key?: unknown; value: unknown; headers?: unknown }
  /** The producer that sends it, so a subscriber can follow one producer among several. */
  readonly producer: object
  /** The producer's `clientId`. */
  readonly clientId: string
  /** Bytes of the serialized key, -1 when null (Java `RecordMetadata.serializedKeySize`). Set once serialized. */
  keySize?: number
  /** Bytes of the serialized value, -1 when null (Java `RecordMetadata.serializedValueSize`). Set once serialized. */
  valueSize?: number
  /** The acknowledged record's metadata (partition, offset), on success. */
  result?: { topic: string; partition: number; offset: number; timestamp: number }
  /** Why the send failed. */
  error?: Error
}

/** The TracingChannel around every `send()` (Node's `tracingChannel('kafka-wire:producer:send')`): see {@link SendTraceContext}. */
export const sendTracing = tracingChannel<SendTraceContext, SendTraceContext>('kafka-wire:producer:send')

/**
 * Java's metric window (`MetricConfig`): `metrics.num.samples` samples of `metrics.sample.window.ms`
 * each. Defaults as in Java's `CommonClientConfigs`: 2 samples of 30 s.
 */
export interface MetricConfig {
  /** `metrics.num.samples`. */
  readonly samples: number
  /** `metrics.sample.window.ms`. */
  readonly timeWindowMs: number
}

/** Java defaults: `metrics.num.samples=2`, `metrics.sample.window.ms=30000`. */
export const DEFAULT_METRIC_CONFIG: MetricConfig = { samples: 2, timeWindowMs: 30_000 }

/** Milliseconds now; injected so tests can drive the windows. */
export type MetricClock = () => number

type Combine = 'sum' | 'avg' | 'max'

/**
 * Java `SampledStat` (org.apache.kafka.common.metrics.stats.SampledStat) with its `WindowedSum`,
 * `Avg` and `Max` combines: a ring of at most `samples + 1` samples (one extra for the sample that
 * overlaps the window's start); a sample is complete after `timeWindowMs`; samples whose last event
 * is `samples * timeWindowMs` old are reset when measured. Recording allocates nothing once the
 * ring is full.
 */
class SampledStat {
  private readonly start: number[] = []
  private readonly last: number[] = []
  private readonly count: number[] = []
  private readonly value: number[] = []
  private current = 0
  private readonly initial: number

  constructor(
    private readonly combineKind: Combine,
    private readonly config: MetricConfig,
  ) {
    // Java Max starts at -Infinity; WindowedSum and Avg at 0.
    this.initial = combineKind === 'max' ? Number.NEGATIVE_INFINITY : 0
  }

  private push(now: number): void {
    this.start.push(now)
    this.last.push(now)
    this.count.push(0)
    this.value.push(this.initial)
  }

  private reset(i: number, now: number): void {
    this.start[i] = now
    this.last[i] = now
    this.count[i] = 0
    this.value[i] = this.initial
  }

  /** Java `SampledStat.record`: advance when the current sample is complete, then update it. */
  record(v: number, now: number): void {
    if (this.start.length === 0) this.push(now)
    let i = this.current
    if (now - (this.start[i] as number) >= this.config.timeWindowMs) {
      // Java advance(): keep one extra placeholder for the overlapping sample.
      this.current = (this.current + 1) % (this.config.samples + 1)
      i = this.current
      if (i >= this.start.length) this.push(now)
      else this.reset(i, now)
    }
    this.value[i] = this.combineKind === 'max' ? Math.max(this.value[i] as number, v) : (this.value[i] as number) + v
    this.count[i] = (this.count[i] as number) + 1
    this.last[i] = now
  }

  /** Java `purgeObsoleteSamples`: samples overlapping the monitored window are kept. */
  private purge(now: number): void {
    const expireAge = this.config.samples * this.config.timeWindowMs
    for (let i = 0; i < this.start.length; i++) if (now - (this.last[i] as number) >= expireAge) this.reset(i, now)
  }

  /** Java `SampledStat.measure` with the combine of this stat; NaN for avg/max without events. */
  measure(now: number): number {
    this.purge(now)
    let total = this.combineKind === 'max' ? Number.NEGATIVE_INFINITY : 0
    let events = 0
    for (let i = 0; i < this.start.length; i++) {
      total = this.combineKind === 'max' ? Math.max(total, this.value[i] as number) : total + (this.value[i] as number)
      events += this.count[i] as number
    }
    if (this.combineKind === 'sum') return total
    if (events === 0) return Number.NaN
    return this.combineKind === 'avg' ? total / events : total
  }

  /**
   * Java `Rate.windowSize`: time since the oldest retained sample started, counted as at least
   * `samples - 1` full windows (so one busy second does not read as a huge rate), at least 1 ms.
   */
  windowSizeMs(now: number): number {
    this.purge(now)
    if (this.start.length === 0) this.push(now)
    let oldest = this.start[0] as number
    for (let i = 1; i < this.start.length; i++) oldest = Math.min(oldest, this.start[i] as number)
    let elapsed = now - oldest
    const full = Math.floor(elapsed / this.config.timeWindowMs)
    const minFull = this.config.samples - 1
    if (full < minFull) elapsed += (minFull - full) * this.config.timeWindowMs
    return Math.max(elapsed, 1)
  }
}

/** Java `Meter`: a per-second `Rate` over a `WindowedSum`, plus a `CumulativeSum` total. */
export class Meter {
  private readonly sum: SampledStat
  /** Everything recorded since the start (Java `*-total`). */
  total = 0

  constructor(
    config: MetricConfig,
    private readonly clock: MetricClock,
  ) {
    this.sum = new SampledStat('sum', config)
  }

  /** Records `v` (records, bytes, requests) now. */
  record(v: number): void {
    this.total += v
    this.sum.record(v, this.clock())
  }

  /** Java `Rate.measure` in seconds: the windowed sum over the window size. */
  get rate(): number {
    const now = this.clock()
    const size = this.sum.windowSizeMs(now)
    return this.sum.measure(now) / (size / 1000)
  }
}

/** Java `Avg` and `Max` over the same samples of one sensor. NaN means "no sample in the window", as in Java. */
export class WindowedStat {
  private readonly avgStat: SampledStat
  private readonly maxStat: SampledStat

  constructor(
    config: MetricConfig,
    private readonly clock: MetricClock,
  ) {
    this.avgStat = new SampledStat('avg', config)
    this.maxStat = new SampledStat('max', config)
  }

  record(v: number): void {
    const now = this.clock()
    this.avgStat.record(v, now)
    this.maxStat.record(v, now)
  }

  get avg(): number {
    return this.avgStat.measure(this.clock())
  }

  get max(): number {
    return this.maxStat.measure(this.clock())
  }
}

/**
 * Java `producer-topic-metrics` (tag `topic`), from `SenderMetricsRegistry`: `record-send-rate/total`,
 * `byte-rate/total`, `compression-rate` (average compressed/uncompressed size of the topic's
 * batches), `record-retry-rate/total`, `record-error-rate/total`.
 */
export interface TopicMetricsSnapshot {
  'record-send-rate': number
  'record-send-total': number
  'byte-rate': number
  'byte-total': number
  'compression-rate': number
  'record-retry-rate': number
  'record-retry-total': number
  'record-error-rate': number
  'record-error-total': number
}

/**
 * Java `producer-node-metrics` (tag `node-id`, here the broker id): `request-rate/total`,
 * `request-size-avg/max`, `outgoing-byte-rate/total` (Selector `node-N.bytes-sent`),
 * `response-rate/total`, `incoming-byte-rate/total` (`node-N.bytes-received`) and
 * `request-latency-avg/max` (Sender `node-N.latency`).
 */
export interface NodeMetricsSnapshot {
  'request-rate': number
  'request-total': number
  'request-size-avg': number
  'request-size-max': number
  'outgoing-byte-rate': number
  'outgoing-byte-total': number
  'response-rate': number
  'response-total': number
  'incoming-byte-rate': number
  'incoming-byte-total': number
  'request-latency-avg': number
  'request-latency-max': number
}

class TopicMetrics {
  readonly send: Meter
  readonly bytes: Meter
  readonly retry: Meter
  readonly error: Meter
  readonly compression: WindowedStat
  constructor(config: MetricConfig, clock: MetricClock) {
    this.send = new Meter(config, clock)
    this.bytes = new Meter(config, clock)
    this.retry = new Meter(config, clock)
    this.error = new Meter(config, clock)
    this.compression = new WindowedStat(config, clock)
  }
  snapshot(): TopicMetricsSnapshot {
    return {
      'record-send-rate': this.send.rate,
      'record-send-total': this.send.total,
      'byte-rate': this.bytes.rate,
      'byte-total': this.bytes.total,
      'compression-rate': this.compression.avg,
      'record-retry-rate': this.retry.rate,
      'record-retry-total': this.retry.total,
      'record-error-rate': this.error.rate,
      'record-error-total': this.error.total,
    }
  }
}

class NodeMetrics {
  readonly requests: Meter
  readonly requestSize: WindowedStat
  readonly outgoing: Meter
  readonly responses: Meter
  readonly incoming: Meter
  readonly latency: WindowedStat
  constructor(config: MetricConfig, clock: MetricClock) {
    this.requests = new Meter(config, clock)
    this.requestSize = new WindowedStat(config, clock)
    this.outgoing = new Meter(config, clock)
    this.responses = new Meter(config, clock)
    this.incoming = new Meter(config, clock)
    this.latency = new WindowedStat(config, clock)
  }
  snapshot(): NodeMetricsSnapshot {
    return {
      'request-rate': this.requests.rate,
      'request-total': this.requests.total,
      'request-size-avg': this.requestSize.avg,
      'request-size-max': this.requestSize.max,
      'outgoing-byte-rate': this.outgoing.rate,
      'outgoing-byte-total': this.outgoing.total,
      'response-rate': this.responses.rate,
      'response-total': this.responses.total,
      'incoming-byte-rate': this.incoming.rate,
      'incoming-byte-total': this.incoming.total,
      'request-latency-avg': this.latency.avg,
      'request-latency-max': this.latency.max,
    }
  }
}

/**
 * A plain snapshot of the producer's metrics, named like the Java producer's. The flat keys are
 * Java's `producer-metrics` group; `topics` is `producer-topic-metrics` by topic and `nodes`
 * `producer-node-metrics` by broker id. Rates are per second and averages/maxima cover Java's
 * window (`metrics.num.samples` × `metrics.sample.window.ms`, 2 × 30 s), not the producer's life;
 * `*-total` counts since the start. NaN means "no sample in the window", as in Java.
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
  'batch-split-rate': number
  /** Java `compression-rate-avg`: average compressed/uncompressed size of batches (1 without compression). */
  'compression-rate-avg': number
  'records-per-request-avg': number
  'request-total': number
  'request-rate': number
  'request-latency-avg': number
  'request-latency-max': number
  'produce-throttle-time-avg': number
  'produce-throttle-time-max': number
  /** Java `byte-rate` / `byte-total` (producer-metrics): bytes of record batches sent, all topics. */
  'byte-rate': number
  'byte-total': number
  /** Java `outgoing-byte-rate` / `incoming-byte-rate` (producer-metrics, all brokers). */
  'outgoing-byte-rate': number
  'outgoing-byte-total': number
  'incoming-byte-rate': number
  'incoming-byte-total': number
  'buffer-total-bytes': number
  'buffer-available-bytes': number
  /** Java `waiting-threads`: sends blocked in `send()` waiting for buffer memory (or topic metadata). */
  'waiting-threads': number
  /** Sends accepted but not yet settled. */
  'pending-sends': number
  'requests-in-flight': number
  'metadata-age': number
  /** Java `producer-topic-metrics`, by topic (filled once the sender reports per topic). */
  topics: Record<string, TopicMetricsSnapshot>
  /** Java `producer-node-metrics`, by broker id (filled once the sender reports per broker). */
  nodes: Record<string, NodeMetricsSnapshot>
}

/**
 * The mutable sensors behind `producer.metrics()`: the `count*` methods feed the producer-wide
 * windowed meters, the `record*` methods what Java records per topic, per broker and per batch.
 */
export class ProducerMetrics {
  private readonly config: MetricConfig
  private readonly clock: MetricClock
  private readonly sent: Meter
  private readonly errors: Meter
  private readonly retries: Meter
  private readonly splits: Meter
  private readonly requestMeter: Meter
  private readonly byteMeter: Meter
  private readonly outgoing: Meter
  private readonly incoming: Meter
  readonly recordSize: WindowedStat
  readonly queueTime: WindowedStat
  readonly batchSize: WindowedStat
  readonly recordsPerRequest: WindowedStat
  readonly requestLatency: WindowedStat
  readonly throttleTime: WindowedStat
  readonly compressionRate: WindowedStat
  private readonly byTopic = new Map<string, TopicMetrics>()
  private readonly byNode = new Map<number, NodeMetrics>()

  /** @param config Java `metrics.num.samples` / `metrics.sample.window.ms`; @param clock ms now */
  constructor(config: MetricConfig = DEFAULT_METRIC_CONFIG, clock: MetricClock = Date.now) {
    if (!Number.isInteger(config.samples) || config.samples < 1) throw new ConfigError('metricsNumSamples', `must be an integer >= 1, got ${config.samples} (Java metrics.num.samples)`)
    if (!Number.isInteger(config.timeWindowMs) || config.timeWindowMs < 1) throw new ConfigError('metricsSampleWindowMs', `must be an integer >= 1, got ${config.timeWindowMs} (Java metrics.sample.window.ms)`)
    this.config = config
    this.clock = clock
    const meter = (): Meter => new Meter(config, clock)
    const stat = (): WindowedStat => new WindowedStat(config, clock)
    this.sent = meter()
    this.errors = meter()
    this.retries = meter()
    this.splits = meter()
    this.requestMeter = meter()
    this.byteMeter = meter()
    this.outgoing = meter()
    this.incoming = meter()
    this.recordSize = stat()
    this.queueTime = stat()
    this.batchSize = stat()
    this.recordsPerRequest = stat()
    this.requestLatency = stat()
    this.throttleTime = stat()
    this.compressionRate = stat()
  }

  /** `n` records acknowledged (Java `record-send`). */
  countSent(n: number): void {
    this.sent.record(n)
  }
  /** `n` records failed (Java `record-error`). */
  countErrors(n: number): void {
    this.errors.record(n)
  }
  /** `n` records retried (Java `record-retry`). */
  countRetries(n: number): void {
    this.retries.record(n)
  }
  /** One batch split after MESSAGE_TOO_LARGE (Java `batch-split`). */
  countSplit(): void {
    this.splits.record(1)
  }
  /** One Produce request sent. */
  countRequest(): void {
    this.requestMeter.record(1)
  }

  private topic(name: string): TopicMetrics {
    let t = this.byTopic.get(name)
    if (t === undefined) this.byTopic.set(name, (t = new TopicMetrics(this.config, this.clock)))
    return t
  }

  private node(id: number): NodeMetrics {
    let n = this.byNode.get(id)
    if (n === undefined) this.byNode.set(id, (n = new NodeMetrics(this.config, this.clock)))
    return n
  }

  /**
   * A batch of `topic` was acknowledged: `records` records, `bytes` bytes of built batch (Java
   * `Sender.updateProduceRequestMetrics`: topic record-send and byte sensors; byte-rate overall).
   * Call site: the sender, per completed batch (alongside `recordsSent += n`).
   */
  recordTopicSend(topic: string, records: number, bytes: number): void {
    const t = this.topic(topic)
    t.send.record(records)
    t.bytes.record(bytes)
    this.byteMeter.record(bytes)
  }

  /** `records` records of `topic` are retried (Java topic `record-retry`). Call site: the sender's retry path. */
  recordTopicRetry(topic: string, records: number): void {
    this.topic(topic).retry.record(records)
  }

  /** `records` records of `topic` failed (Java topic `record-error`). Call site: the sender's failure path. */
  recordTopicError(topic: string, records: number): void {
    this.topic(topic).error.record(records)
  }

  /**
   * A batch of `topic` was built: `compressedBytes` of records section after compression out of
   * `uncompressedBytes` (Java `compression-rate-avg` and topic `compression-rate` record
   * `batch.compressionRatio()`). Call site: the sender where a batch is built (drain).
   */
  recordBatchCompression(topic: string, compressedBytes: number, uncompressedBytes: number): void {
    if (!(uncompressedBytes > 0)) return
    const ratio = compressedBytes / uncompressedBytes
    this.compressionRate.record(ratio)
    this.topic(topic).compression.record(ratio)
  }

  /** A request of `bytes` bytes was written to broker `nodeId` (Java Selector `node-N.bytes-sent`). Call site: the transport/connection. */
  recordNodeRequest(nodeId: number, bytes: number): void {
    const n = this.node(nodeId)
    n.requests.record(1)
    n.requestSize.record(bytes)
    n.outgoing.record(bytes)
    this.outgoing.record(bytes)
  }

  /** A response of `bytes` bytes came from `nodeId` after `latencyMs` (Java `node-N.bytes-received`, `node-N.latency`). */
  recordNodeResponse(nodeId: number, bytes: number, latencyMs: number): void {
    const n = this.node(nodeId)
    n.responses.record(1)
    n.incoming.record(bytes)
    n.latency.record(latencyMs)
    this.incoming.record(bytes)
  }

  /** Builds the snapshot; gauges come from the components that own them. */
  snapshot(gauges: { bufferTotal: number; bufferAvailable: number; waiting: number; pending: number; inFlight: number; metadataAgeMs: number }): ProducerMetricsSnapshot {
    const topics: Record<string, TopicMetricsSnapshot> = {}
    for (const [name, t] of this.byTopic) topics[name] = t.snapshot()
    const nodes: Record<string, NodeMetricsSnapshot> = {}
    for (const [id, n] of this.byNode) nodes[String(id)] = n.snapshot()
    return {
      'record-send-total': this.sent.total,
      'record-send-rate': this.sent.rate,
      'record-error-total': this.errors.total,
      'record-error-rate': this.errors.rate,
      'record-retry-total': this.retries.total,
      'record-retry-rate': this.retries.rate,
      'record-size-avg': this.recordSize.avg,
      'record-size-max': this.recordSize.max,
      'record-queue-time-avg': this.queueTime.avg,
      'record-queue-time-max': this.queueTime.max,
      'batch-size-avg': this.batchSize.avg,
      'batch-size-max': this.batchSize.max,
      'batch-split-total': this.splits.total,
      'batch-split-rate': this.splits.rate,
      'compression-rate-avg': this.compressionRate.avg,
      'records-per-request-avg': this.recordsPerRequest.avg,
      'request-total': this.requestMeter.total,
      'request-rate': this.requestMeter.rate,
      'request-latency-avg': this.requestLatency.avg,
      'request-latency-max': this.requestLatency.max,
      'produce-throttle-time-avg': this.throttleTime.avg,
      'produce-throttle-time-max': this.throttleTime.max,
      'byte-rate': this.byteMeter.rate,
      'byte-total': this.byteMeter.total,
      'outgoing-byte-rate': this.outgoing.rate,
      'outgoing-byte-total': this.outgoing.total,
      'incoming-byte-rate': this.incoming.rate,
      'incoming-byte-total': this.incoming.total,
      'buffer-total-bytes': gauges.bufferTotal,
      'buffer-available-bytes': gauges.bufferAvailable,
      'waiting-threads': gauges.waiting,
      'pending-sends': gauges.pending,
      'requests-in-flight': gauges.inFlight,
      'metadata-age': gauges.metadataAgeMs / 1000,
      topics,
      nodes,
    }
  }
}

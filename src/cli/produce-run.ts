/**
 * Drives a {@link Producer} with records from any source and measures what the user sees: records
 * and bytes acknowledged, throughput, ack latency percentiles (send() to callback, like Kafka's
 * producer-perf-test) and failures grouped by error code name.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Producer, type ProducerRecord } from '../producer/producer.js'
import type { ProducerOptions } from '../producer/config.js'
import type { Logger } from '../producer/logger.js'
import type { RecordMetadata } from '../producer/producer-batch.js'
import { KafkaProtocolError } from '../protocol/errors.js'
import type { TraceHook } from '../network/connection.js'

/** How long to wait after close() for callbacks the producer delivers late. */
const CALLBACK_GRACE_MS = 5_000

/** A record as the CLI produces it. */
export interface CliRecord {
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: ReadonlyArray<readonly [string, Buffer | null]> | null
  /** This record's partition (`--format json`); else the run's `partition`, else the partitioner. */
  readonly partition?: number
}

/** Producer options for raw-bytes keys and values. */
export type CliProducerOptions = ProducerOptions<Buffer | null, Buffer | null>

/** What a run achieved. */
export interface ProduceStats {
  sent: number
  acked: number
  failed: number
  /** Key + value bytes of acknowledged records. */
  bytes: number
  elapsedMs: number
  /** Error name (Kafka error code name when there is one) → count. */
  readonly errors: Map<string, number>
  /** Ack latencies in ms, one per acknowledged record. */
  latencies: Float64Array
  /** First error seen, for the one-line report. */
  firstError: Error | undefined
}

/** Options of {@link runProducer}. */
export interface RunOptions {
  readonly topic: string
  readonly partition?: number
  /** Fixed timestamp for every record (deterministic dumps); default: now. */
  readonly timestamp?: number
  readonly producer: CliProducerOptions
  /** Set: the producer's connections report every frame here (`--dump`). */
  readonly trace?: TraceHook
  /** Called about every 250 ms with the stats so far. */
  readonly onProgress?: (stats: ProduceStats) => void
  /** Largest number of records sent but not yet settled before the source is paused. */
  readonly window?: number
}

/** Name to group a failure under: the Kafka error code name when the broker sent one. */
export function errorKey(err: Error): string {
  let e: unknown = err
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    if (e instanceof KafkaProtocolError) return e.errorName
    const name = (e as { errorName?: unknown }).errorName
    if (typeof name === 'string') return name
    e = e.cause
  }
  return err.name
}

/** A producer logger writing `kafka-wire: LEVEL message` lines to `write`. */
export function cliLogger(write: (line: string) => void): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const error = fields?.error
    write(`kafka-wire: producer ${level}: ${message}${error instanceof Error ? `: ${error.message}` : ''}`)
  }
  return { warn: line('warning'), error: line('error') }
}

/** Creates the producer (traced when `trace` is set). */
export function createProducer(options: CliProducerOptions, trace: TraceHook | undefined): Producer<Buffer | null, Buffer | null> {
  return trace === undefined
    ? new Producer<Buffer | null, Buffer | null>(options)
    : new Producer<Buffer | null, Buffer | null>(options, { trace })
}

/**
 * Sends every record of `source` through a new producer, then flushes and closes it. Never throws
 * for a record failure: failures are counted in the stats.
 */
export async function runProducer(source: AsyncIterable<CliRecord> | Iterable<CliRecord>, options: RunOptions): Promise<ProduceStats> {
  const producer = createProducer(options.producer, options.trace)
  const stats: ProduceStats = { sent: 0, acked: 0, failed: 0, bytes: 0, elapsedMs: 0, errors: new Map(), latencies: new Float64Array(1024), firstError: undefined }
  const window = options.window ?? 100_000
  let settled = 0
  let wake: (() => void) | undefined
  const started = performance.now()
  const progress = options.onProgress === undefined ? undefined : setInterval(() => {
    stats.elapsedMs = performance.now() - started
    options.onProgress?.(stats)
  }, 250)
  const settle = (sentAt: number, size: number, err: Error | null, _md: RecordMetadata | null): void => {
    settled++
    if (err === null) {
      if (stats.acked === stats.latencies.length) {
        const grown = new Float64Array(stats.latencies.length * 2)
        grown.set(stats.latencies)
        stats.latencies = grown
      }
      stats.latencies[stats.acked++] = performance.now() - sentAt
      stats.bytes += size
    } else {
      stats.failed++
      stats.firstError ??= err
      const key = errorKey(err)
      stats.errors.set(key, (stats.errors.get(key) ?? 0) + 1)
    }
    if (wake !== undefined && (stats.sent - settled < window / 2 || settled === stats.sent)) {
      const w = wake
      wake = undefined
      w()
    }
  }
  // -X transactional.id=…: the whole run is one transaction (its requests show in --dump).
  const transactional = options.producer.transactionalId !== undefined
  try {
    if (transactional) {
      await producer.initTransactions()
      producer.beginTransaction()
    }
    for await (const r of source) {
      const record: ProducerRecord<Buffer | null, Buffer | null> = { topic: options.topic, key: r.key, value: r.value }
      if (r.headers !== null) record.headers = r.headers
      const partition = r.partition ?? options.partition
      if (partition !== undefined) record.partition = partition
      if (options.timestamp !== undefined) record.timestamp = options.timestamp
      const size = (r.key?.length ?? 0) + (r.value?.length ?? 0)
      const sentAt = performance.now()
      stats.sent++
      try {
        producer.send(record, (err, md) => settle(sentAt, size, err, md))
      } catch (err) {
        // Synchronous rejections (e.g. a record larger than maxRequestSize) count as failures too.
        settle(sentAt, size, err instanceof Error ? err : new Error(String(err)), null)
      }
      if (stats.sent - settled >= window) await new Promise<void>((resolve) => (wake = resolve))
    }
    if (transactional) await commitOrAbort(producer)
    else await producer.flush()
  } finally {
    await producer.close()
    // A send rejected before it reached a batch (e.g. RecordTooLargeError) gets its callback on a
    // later tick, after flush() and close() resolved: wait for every callback, but not forever.
    if (settled < stats.sent) {
      const grace = new AbortController()
      await Promise.race([new Promise<void>((resolve) => (wake = resolve)), sleep(CALLBACK_GRACE_MS, undefined, { signal: grace.signal }).catch(() => undefined)])
      grace.abort()
    }
    if (progress !== undefined) clearInterval(progress)
    stats.elapsedMs = performance.now() - started
  }
  if (settled < stats.sent) {
    const missing = stats.sent - settled
    stats.failed += missing
    stats.errors.set('NoCallback', missing)
  }
  stats.latencies = stats.latencies.subarray(0, stats.acked)
  return stats
}

/** Commits the run's transaction; if that fails, aborts it (when the producer still can) and rethrows. */
async function commitOrAbort(producer: Producer<Buffer | null, Buffer | null>): Promise<void> {
  try {
    await producer.commitTransaction()
  } catch (err) {
    if (producer.transactionState === 'abortableError') await producer.abortTransaction().catch(() => undefined)
    throw err
  }
}

/** The `q`-quantile (0..1) of `values` (sorted in place). */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i] as number
}

/** Summary lines of a run. */
export function summaryLines(stats: ProduceStats): string[] {
  const seconds = stats.elapsedMs / 1000
  const lat = Float64Array.from(stats.latencies).sort()
  const lines = [
    `records: ${stats.acked} acknowledged, ${stats.failed} failed, ${stats.sent} sent in ${seconds.toFixed(2)} s`,
    `throughput: ${fmt(stats.acked / Math.max(seconds, 1e-9), 0)} records/s, ${fmt(stats.bytes / 1048576 / Math.max(seconds, 1e-9), 2)} MB/s (${stats.bytes} bytes of keys and values)`,
  ]
  if (lat.length > 0) {
    lines.push(`ack latency: p50 ${fmt(percentile(lat, 0.5), 1)} ms, p99 ${fmt(percentile(lat, 0.99), 1)} ms, max ${fmt(lat[lat.length - 1] as number, 1)} ms`)
  }
  if (stats.errors.size > 0) {
    lines.push(`errors: ${[...stats.errors].map(([k, n]) => `${k} ×${n}`).join(', ')}`)
  }
  return lines
}

function fmt(n: number, digits: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

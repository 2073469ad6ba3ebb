/**
 * Record preparation: turns what a caller passed to `send()` into the bytes a batch stores
 * (validation, interceptors, key/value serializers sync or async, headers, timestamp, size limits),
 * keeping send order for records whose serialization is asynchronous.
 */
import { estimateRecordSize, RECORD_BATCH_OVERHEAD } from './accumulator.js'
import { InvalidPartitionError, InvalidRecordError, ProducerClosedError, RecordTooLargeError, SerializationError, TimeoutError } from './errors.js'
import type { Interceptors } from './interceptors.js'
import type { SendTraceContext } from './metrics.js'
import type { RecordMetadata, SendCallback } from './producer-batch.js'
import { toBytes, type Serializer } from './serializers.js'
import type { HeaderPair } from './transport.js'
import { Fifo } from '../network/fifo.js'

/** A header value as callers give it. */
export type HeaderValue = Buffer | Uint8Array | string | null

/**
 * Record headers: an object (an array value gives repeated keys) or `[key, value]` pairs (repeated
 * keys allowed, order kept).
 */
export type RecordHeaders = Record<string, HeaderValue | HeaderValue[]> | ReadonlyArray<readonly [string, HeaderValue]>

/** A record to send (Java `ProducerRecord`). `topic` and `value` are required; `value` may be null. */
export interface ProducerRecord<K = Buffer | Uint8Array | string | null, V = Buffer | Uint8Array | string | null> {
  topic: string
  value: V
  key?: K
  /** Explicit partition; out of range rejects with `InvalidPartitionError`. */
  partition?: number
  /** Milliseconds since the epoch (or a Date). Default: now. */
  timestamp?: number | Date
  headers?: RecordHeaders
}

/** Where a record's outcome goes: its callback, or its promise's resolve/reject. */
export interface RecordSink {
  readonly callback: SendCallback | null
  readonly resolve: ((m: RecordMetadata) => void) | null
  readonly reject: ((e: Error) => void) | null
  /** The send's TracingChannel context when someone traces sends (it learns the serialized sizes), else null. */
  readonly trace: SendTraceContext | null
}

/** What preparation makes of a record: where it goes and its bytes (shared by the objects that carry it). */
export class RecordFields {
  topic = ''
  explicitPartition: number | undefined = undefined
  key: Buffer | null = null
  value: Buffer | null = null
  headers: HeaderPair[] | null = null
  timestamp = 0
  /** Estimated size inside a batch ({@link estimateRecordSize}), set once serialized. */
  size = 0
}

/**
 * A record on its way to the accumulator, and where its outcome goes. `send()` creates one per
 * record; preparation fills it in (topic, partition, serialized key and value, headers, timestamp,
 * size) and hands the same object to partitioning and the accumulator, or to a blocked-send queue.
 * One object per record on the hot path (issue 15: it replaced a sink, a base object and a spread copy).
 */
export class PreparedRecord extends RecordFields implements RecordSink {
  constructor(
    /** When `send()` was called (bounds the waits by `maxBlockMs`). */
    readonly startMs: number,
    readonly callback: SendCallback | null,
    readonly resolve: ((m: RecordMetadata) => void) | null,
    readonly reject: ((e: Error) => void) | null,
    readonly trace: SendTraceContext | null,
  ) {
    super()
  }
}

/** Limits checked on the serialized record. */
export interface PreparationLimits {
  readonly maxRequestSize: number
  readonly bufferMemory: number
  readonly maxBlockMs: number
  /** Bytes a new batch for a record of `size` reserves. */
  readonly batchBytesFor: (size: number) => number
}

// A record whose key or value serializer returned a promise, waiting in send order.
interface Pending {
  readonly record: PreparedRecord
  key: Buffer | null | Promise<Buffer | null>
  value: Buffer | null | Promise<Buffer | null>
  error: Error | null
  settled: number
}

/** The largest partition index the protocol can carry (int32). */
const INT32_MAX = 2147483647

function isPromise<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function'
}

function headerValue(v: unknown, key: string): Buffer | null {
  const b = toBytes(v)
  if (b === undefined) throw new InvalidRecordError(`header "${key}" must be a Buffer, Uint8Array, string or null, got ${typeof v}`)
  return b
}

/** Normalizes both header shapes to `[key, bytes]` pairs. */
export function normalizeHeaders(headers: RecordHeaders): HeaderPair[] {
  const out: HeaderPair[] = []
  if (Array.isArray(headers)) {
    for (const pair of headers as ReadonlyArray<readonly [string, HeaderValue]>) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string') throw new InvalidRecordError('headers given as an array must be [key, value] pairs with string keys')
      out.push([pair[0], headerValue(pair[1], pair[0])])
    }
    return out
  }
  if (headers === null || typeof headers !== 'object') throw new InvalidRecordError('headers must be an object or an array of [key, value] pairs')
  for (const k of Object.keys(headers)) {
    const v = (headers as Record<string, unknown>)[k]
    if (Array.isArray(v)) for (const x of v) out.push([k, headerValue(x, k)])
    else out.push([k, headerValue(v, k)])
  }
  return out
}

/**
 * Prepares records (Java `KafkaProducer.doSend` up to the accumulator). A record whose serializers
 * are synchronous is prepared within `send()` with no promise; one whose serializer returns a
 * promise waits in a FIFO, and while any is waiting later records queue behind it, so records leave
 * here in send order (per-partition order holds whatever the serializers' delays). A serializer
 * that throws or rejects fails that record with `SerializationError`; a serializer promise still
 * pending after `maxBlockMs` fails it with `TimeoutError`.
 */
export class RecordPreparation<K, V> {
  private readonly pending = new Fifo<Pending>()
  private timer: NodeJS.Timeout | undefined
  private timerFor: Pending | undefined
  private pushed = 0
  private served = 0
  private waiters: Array<{ target: number; resolve: () => void }> = []

  constructor(
    private readonly keySerializer: Serializer<unknown> | undefined,
    private readonly valueSerializer: Serializer<unknown> | undefined,
    private readonly interceptors: Interceptors<ProducerRecord<K, V>, RecordMetadata>,
    private readonly limits: PreparationLimits,
    /** Receives every prepared record, in send order. */
    private readonly onPrepared: (r: PreparedRecord) => void,
    /** Receives every record that cannot be prepared, with its error. */
    private readonly onFailed: (err: Error, sink: RecordSink) => void,
  ) {}

  /** Records waiting for an asynchronous serializer (or behind one). */
  get waiting(): number {
    return this.pending.length
  }

  /**
   * Prepares one record into `sink` (its startMs and outcome already set): `onPrepared` or
   * `onFailed` is called with it, now for a synchronous preparation, later for one that waits.
   */
  prepare(input: ProducerRecord<K, V>, sink: PreparedRecord): void {
    const startMs = sink.startMs
    let record = input
    if (this.interceptors.size > 0) record = this.interceptors.onSend(record)
    if (record === null || typeof record !== 'object') return this.onFailed(new InvalidRecordError('send() needs a record object { topic, value }'), sink)
    const topic = record.topic
    if (typeof topic !== 'string' || topic.length === 0) return this.onFailed(new InvalidRecordError('record.topic is required and must be a non-empty string'), sink)
    if (record.value === undefined) return this.onFailed(new InvalidRecordError(`record.value is required for topic "${topic}" (use null for a tombstone)`), sink)
    let timestamp: number
    const ts = record.timestamp
    if (ts === undefined) timestamp = startMs
    else if (ts instanceof Date) timestamp = ts.getTime()
    else if (typeof ts === 'number' && Number.isInteger(ts)) timestamp = ts
    else return this.onFailed(new InvalidRecordError(`record.timestamp must be an integer (ms) or a Date, got ${String(ts)}`), sink)
    const explicitPartition = record.partition
    // Partitions are int32 on the wire: one past 2^31-1 cannot exist (and would wrap in the blocked-send queue).
    if (explicitPartition !== undefined && (!Number.isInteger(explicitPartition) || explicitPartition < 0 || explicitPartition > INT32_MAX)) return this.onFailed(new InvalidPartitionError(topic, explicitPartition), sink)

    let headers: HeaderPair[] | null
    let key: Buffer | null | Promise<Buffer | null>
    let value: Buffer | null | Promise<Buffer | null>
    try {
      headers = record.headers === undefined ? null : normalizeHeaders(record.headers)
    } catch (err) {
      return this.onFailed(err instanceof Error ? err : new InvalidRecordError(String(err)), sink)
    }
    // A serializer may add headers (e.g. a schema id): it gets the record's list, created if needed.
    const serializerHeaders = this.keySerializer !== undefined || this.valueSerializer !== undefined ? (headers ?? []) : null
    try {
      key = this.serialize('key', this.keySerializer, record.key, topic, serializerHeaders)
      value = this.serialize('value', this.valueSerializer, record.value, topic, serializerHeaders)
    } catch (err) {
      return this.onFailed(err instanceof Error ? err : new InvalidRecordError(String(err)), sink)
    }
    if (serializerHeaders !== null) headers = serializerHeaders.length > 0 ? serializerHeaders : null
    sink.topic = topic
    sink.explicitPartition = explicitPartition
    sink.headers = headers
    sink.timestamp = timestamp
    if (this.pending.length === 0 && !isPromise(key) && !isPromise(value)) return this.finish(sink, key, value)
    this.enqueue(sink, key, value)
  }

  /** Resolves once every record that began preparation before this call left it. */
  drained(): Promise<void> {
    const target = this.pushed
    if (this.served >= target) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ target, resolve }))
  }

  /** Fails every waiting record (producer closed) and stops the timer. */
  failAll(err: ProducerClosedError): void {
    this.clearTimer()
    while (this.pending.length > 0) {
      const p = this.pending.shift() as Pending
      this.served++
      this.onFailed(err, p.record)
    }
    this.wakeWaiters()
  }

  private serialize(part: 'key' | 'value', serializer: Serializer<unknown> | undefined, data: unknown, topic: string, headers: HeaderPair[] | null): Buffer | null | Promise<Buffer | null> {
    if (serializer === undefined) {
      const b = toBytes(data)
      if (b === undefined) throw new InvalidRecordError(`record.${part} must be a Buffer, Uint8Array, string or null (or configure ${part}Serializer), got ${typeof data}`)
      return b
    }
    if (part === 'key' && data === undefined) return null
    let out: Buffer | null | Promise<Buffer | null>
    try {
      out = serializer(data, topic, headers ?? [])
    } catch (err) {
      throw new SerializationError(part, topic, err)
    }
    if (isPromise(out)) {
      return out.then(
        (b) => checkSerialized(part, topic, b),
        (err: unknown) => {
          throw new SerializationError(part, topic, err)
        },
      )
    }
    return checkSerialized(part, topic, out)
  }

  private finish(r: PreparedRecord, key: Buffer | null, value: Buffer | null): void {
    const size = estimateRecordSize(key, value, r.headers)
    const trace = r.trace
    if (trace !== null) {
      // Java RecordMetadata's serializedKeySize / serializedValueSize: -1 for a null key or value.
      trace.keySize = key === null ? -1 : key.length
      trace.valueSize = value === null ? -1 : value.length
    }
    const l = this.limits
    if (size + RECORD_BATCH_OVERHEAD > l.maxRequestSize) return this.onFailed(new RecordTooLargeError(size + RECORD_BATCH_OVERHEAD, l.maxRequestSize, 'maxRequestSize'), r)
    if (l.batchBytesFor(size) > l.bufferMemory) return this.onFailed(new RecordTooLargeError(l.batchBytesFor(size), l.bufferMemory, 'bufferMemory'), r)
    r.key = key
    r.value = value
    r.size = size
    this.onPrepared(r)
  }

  private enqueue(record: PreparedRecord, key: Pending['key'], value: Pending['value']): void {
    const p: Pending = { record, key, value, error: null, settled: 0 }
    this.pending.push(p)
    this.pushed++
    const settle = (): void => {
      if (++p.settled === 2) this.serve()
    }
    const watch = (part: 'key' | 'value', x: Buffer | null | Promise<Buffer | null>): void => {
      if (!isPromise(x)) return settle()
      x.then(
        (b) => {
          if (part === 'key') p.key = b
          else p.value = b
          settle()
        },
        (err: unknown) => {
          p.error ??= err instanceof Error ? err : new SerializationError(part, record.topic, err)
          settle()
        },
      )
    }
    watch('key', key)
    watch('value', value)
    this.serve()
  }

  // Releases waiting records from the head while they are ready; arms the maxBlockMs bound of the head.
  private serve(): void {
    for (;;) {
      const head = this.pending.peek()
      if (head === undefined) break
      if (head.settled < 2) {
        this.armTimer(head)
        break
      }
      this.pending.shift()
      this.served++
      if (this.timerFor === head) this.clearTimer()
      if (head.error !== null) this.onFailed(head.error, head.record)
      else this.finish(head.record, head.key as Buffer | null, head.value as Buffer | null)
    }
    this.wakeWaiters()
  }

  private armTimer(head: Pending): void {
    if (this.timerFor === head) return
    this.clearTimer()
    this.timerFor = head
    const wait = Math.max(0, head.record.startMs + this.limits.maxBlockMs - Date.now())
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.timerFor = undefined
      if (head.settled >= 2) return
      // The serializer's promise may still settle: it then finds the record already failed.
      head.error = new TimeoutError('maxBlockMs', this.limits.maxBlockMs, `the serializer of a record for topic "${head.record.topic}" did not finish within maxBlockMs`)
      head.settled = 2
      this.serve()
    }, wait)
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.timerFor = undefined
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return
    const still = []
    for (const w of this.waiters) {
      if (w.target <= this.served) w.resolve()
      else still.push(w)
    }
    this.waiters = still
  }
}

function checkSerialized(part: 'key' | 'value', topic: string, out: unknown): Buffer | null {
  const b = toBytes(out)
  if (b === undefined) throw new SerializationError(part, topic, new TypeError(`the ${part} serializer returned ${typeof out}, not a Buffer, Uint8Array or null`))
  return b
}

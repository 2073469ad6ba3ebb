/** One batch of one partition and the completion slots of its records. */
import type { BatchBuilder, HeaderPair } from './transport.js'

/** What a record resolves to: where it was written (Java `RecordMetadata`). */
export interface RecordMetadata {
  topic: string
  partition: number
  /** Offset in the partition, or -1 when acks = 0 or the broker reported a duplicate. Exact up to 2^53. */
  offset: number
  /** The record's timestamp, or the broker's LogAppendTime when the topic uses it. */
  timestamp: number
}

/** Node-style callback of `send(record, callback)`. */
export type SendCallback = (error: Error | null, metadata: RecordMetadata | null) => void

/** Per-record completion hooks the batch calls (interceptors, metrics, logging). */
export interface CompletionListener {
  onRecordComplete(metadata: RecordMetadata | null, error: Error | null): void
  /** A callback supplied by the caller threw. */
  onCallbackError(err: unknown): void
}

/**
 * One batch of one partition plus the completion slots of its records (Java `ProducerBatch`). Slots are
 * parallel arrays instead of one closure per record: a record sent with a callback costs one array
 * entry, one sent for a promise costs the promise's own resolve/reject.
 */
export class ProducerBatch {
  readonly topic: string
  readonly partition: number
  readonly createdMs: number
  /** Bytes reserved from `bufferMemory`; released once when the batch completes. */
  readonly reservedBytes: number
  builder: BatchBuilder | null
  /** The finished RecordBatch, set at first drain. */
  built: Buffer | null = null
  /** Set when an append did not fit: the batch is full and ready. */
  full = false
  attempts = 0
  /** Creation order (flush waits for every batch up to an id); split batches keep their parent's. */
  id = 0
  /** Earliest time a retry may be sent. */
  retryAtMs = 0
  /** True while the batch is inside a request awaiting its response. */
  inFlight = false
  done = false
  /** Idempotence: assigned at first drain, -1 before (Java `ProducerBatch.baseSequence`). */
  baseSequence = -1
  producerId = -1n
  producerEpoch = -1
  /** Set by an epoch bump that rewrote this batch's sequence (Java `sequenceHasBeenReset`). */
  sequenceReset = false
  /**
   * Set when the batch completed (expired) while a request still holds its bytes: its memory goes
   * back to the pool only when that request ends, so the bytes are never reused while being written.
   */
  releaseWhenRequestEnds = false
  /** Idempotence: how many batches of its partition had been given a sequence before it, +1. */
  drainOrdinal = 0
  /** Producer state written into `built` (re-stamped at drain when it differs). */
  stampedProducerId = -1n
  stampedEpoch = -1
  stampedSequence = -1
  private readonly callbacks: Array<SendCallback | null> = []
  // Promise sends only: created on the first one, indexed like `callbacks` (callback sends, the
  // common case on hot paths, then cost one array entry instead of three).
  private resolves: Array<((m: RecordMetadata) => void) | null> | null = null
  private rejects: Array<((e: Error) => void) | null> | null = null
  private readonly timestamps: number[] = []
  private count = 0

  constructor(topic: string, partition: number, builder: BatchBuilder, createdMs: number, reservedBytes: number) {
    this.topic = topic
    this.partition = partition
    this.builder = builder
    this.createdMs = createdMs
    this.reservedBytes = reservedBytes
  }

  get recordCount(): number {
    return this.count
  }

  /** Uncompressed size, or the built size once drained. */
  get sizeInBytes(): number {
    return this.built !== null ? this.built.length : (this.builder?.sizeInBytes ?? 0)
  }

  /** Sequence of the last record (wrapping like the broker: INT32_MAX + 1 → 0). */
  get lastSequence(): number {
    return (this.baseSequence + this.count - 1) % 2147483648
  }

  /**
   * Appends a record; false when it does not fit (the batch is then marked full). Exactly one of
   * `callback` or `resolve`/`reject` is given.
   */
  tryAppend(
    timestamp: number,
    key: Buffer | null,
    value: Buffer | null,
    headers: HeaderPair[] | null,
    callback: SendCallback | null,
    resolve: ((m: RecordMetadata) => void) | null,
    reject: ((e: Error) => void) | null,
  ): boolean {
    if (this.builder === null || this.full) return false
    if (!this.builder.tryAppend(timestamp, key, value, headers)) {
      this.full = true
      return false
    }
    if (resolve !== null || reject !== null) {
      const i = this.count
      ;(this.resolves ??= [])[i] = resolve
      ;(this.rejects ??= [])[i] = reject
    }
    this.callbacks.push(callback)
    this.timestamps.push(timestamp)
    this.count++
    return true
  }

  /**
   * Completes every record successfully. `baseOffset` -1 (acks=0, duplicate) gives offset -1 for all;
   * `logAppendTimeMs` ≥ 0 replaces record timestamps (topics with LogAppendTime).
   */
  succeed(baseOffset: number, logAppendTimeMs: number, listener: CompletionListener | null): void {
    if (this.done) return
    this.done = true
    for (let i = 0; i < this.count; i++) {
      const md: RecordMetadata = {
        topic: this.topic,
        partition: this.partition,
        offset: baseOffset < 0 ? -1 : baseOffset + i,
        timestamp: logAppendTimeMs >= 0 ? logAppendTimeMs : (this.timestamps[i] as number),
      }
      // One throwing callback (or listener) must not cost the other records their completion.
      if (listener !== null) completeListener(listener, md, null)
      const cb = this.callbacks[i]
      if (cb !== null && cb !== undefined) {
        try {
          cb(null, md)
        } catch (err) {
          listener?.onCallbackError(err)
        }
      } else this.resolves?.[i]?.(md)
    }
    this.release()
  }

  /** Fails every record with `error` (or `errorFor(i)` when given, for per-record errors). */
  fail(error: Error, listener: CompletionListener | null, errorFor?: (index: number) => Error): void {
    if (this.done) return
    this.done = true
    for (let i = 0; i < this.count; i++) {
      const e = errorFor !== undefined ? errorFor(i) : error
      if (listener !== null) completeListener(listener, null, e)
      const cb = this.callbacks[i]
      if (cb !== null && cb !== undefined) {
        try {
          cb(e, null)
        } catch (err) {
          listener?.onCallbackError(err)
        }
      } else this.rejects?.[i]?.(e)
    }
    this.release()
  }

  /**
   * Hands the records' completion slots over (to the batches this one is split into) and retires this
   * batch without completing anyone.
   */
  detachSlots(): { callbacks: Array<SendCallback | null>; resolves: Array<((m: RecordMetadata) => void) | null>; rejects: Array<((e: Error) => void) | null> } {
    const slots = { callbacks: this.callbacks.slice(), resolves: this.resolves?.slice() ?? [], rejects: this.rejects?.slice() ?? [] }
    this.done = true
    this.release()
    return slots
  }

  // Drop references so a completed batch holds no caller memory while a stale response is in flight.
  private release(): void {
    this.builder = null
    this.built = null
    this.callbacks.length = 0
    this.resolves = null
    this.rejects = null
  }
}

function completeListener(listener: CompletionListener, md: RecordMetadata | null, err: Error | null): void {
  try {
    listener.onRecordComplete(md, err)
  } catch (e) {
    listener.onCallbackError(e)
  }
}

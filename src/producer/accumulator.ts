/** The record accumulator: per-partition batch queues, batch allocation and memory. */
import { KafkaWireError } from '../kafka-wire-error.js'
import type { BufferPool } from './buffer-pool.js'
import type { PartitionSequenceState } from './idempotence.js'
import type { TopicMetadata } from './metadata.js'
import { ProducerBatch, type RecordMetadata, type SendCallback } from './producer-batch.js'
import { StickyPartitionState } from './partitioner.js'
import type { BatchFormat, HeaderPair } from './transport.js'

/**
 * One partition's state (franz-go `recBuf` style): its batch deque (Java `RecordAccumulator`
 * per-partition `Deque<ProducerBatch>`) and, with idempotence, its sequence state and in-flight list.
 */
export class PartitionQueue {
  readonly topic: string
  readonly partition: number
  /** `topic\0partition`, the idempotence map key. */
  readonly key: string
  /** Batches not in flight, oldest first. Retries are put back at the front. */
  readonly batches: ProducerBatch[] = []
  /** With idempotence: the partition's sequences and in-flight batches (set on first drain). */
  sequence: PartitionSequenceState | null = null
  /** Transactional producer: the number of the last transaction this partition took part in (transaction-manager.ts). */
  txnSeen = 0
  /** Transactional producer: the number of the last transaction the coordinator confirmed it in (AddPartitionsToTxn, or implicit under TV2). */
  txnAdded = 0

  constructor(topic: string, partition: number) {
    this.topic = topic
    this.partition = partition
    this.key = `${topic}\u0000${partition}`
  }

  /** The last batch, if it can still take records. */
  get openBatch(): ProducerBatch | undefined {
    const last = this.batches[this.batches.length - 1]
    return last !== undefined && !last.full && last.builder !== null && last.baseSequence < 0 && last.attempts === 0 ? last : undefined
  }
}

class TopicQueues {
  readonly partitions: Array<PartitionQueue | undefined> = []
  readonly sticky: StickyPartitionState
  constructor(batchSize: number) {
    this.sticky = new StickyPartitionState(batchSize)
  }
}

/**
 * Upper bound of a record's size inside a batch (Kafka record v2: length, attributes, timestamp delta,
 * offset delta, key, value and headers, each varint at its widest). Used for `maxRequestSize` and to
 * size a batch for a record larger than `batchSize`.
 */
export function estimateRecordSize(key: Buffer | null, value: Buffer | null, headers: HeaderPair[] | null): number {
  let size = 5 + 1 + 10 + 5 + 5 + (key === null ? 0 : key.length) + 5 + (value === null ? 0 : value.length) + 5
  if (headers !== null) {
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i] as HeaderPair
      size += 5 + Buffer.byteLength(h[0], 'utf8') + 5 + (h[1] === null ? 0 : h[1].length)
    }
  }
  return size
}

/** What {@link RecordAccumulator.append} did (Java `RecordAppendResult`). */
export interface AppendResult {
  /** A new batch was opened for the record. */
  readonly batchCreated: boolean
  /** The partition now has a full batch: the sender should not wait for `lingerMs`. */
  readonly batchFull: boolean
  /** The new batch, when one was created. */
  readonly batch: ProducerBatch | null
}

// The common case, appended to an open batch: one shared result, no allocation per record.
const APPENDED: AppendResult = Object.freeze({ batchCreated: false, batchFull: false, batch: null })

/** What {@link RecordAccumulator.ready} found (Java `RecordAccumulator.ReadyCheckResult`). */
export interface ReadyCheck {
  /** Queues whose head batch may be sent now, grouped by the partition leader's node id. */
  readonly byLeader: Map<number, PartitionQueue[]>
  /** The earliest time a queue that is not ready becomes ready (linger or retry backoff); Infinity if none. */
  readonly nextReadyMs: number
  /** Topics with a queued batch whose partition has no known leader (the sender asks metadata for them). */
  readonly unknownLeaderTopics: Set<string>
}

/** RecordBatch v2 header size (bytes before the first record). */
export const RECORD_BATCH_OVERHEAD = 61

/**
 * Per-partition batches, appended in place (Java `RecordAccumulator`). It knows nothing about
 * brokers: the sender decides when batches leave.
 */
export class RecordAccumulator {
  /** Partitions with at least one queued batch (the sender scans only these). */
  readonly nonEmpty = new Set<PartitionQueue>()
  /** Every batch not yet completed, in creation order (flush watches the oldest). */
  readonly incomplete = new Set<ProducerBatch>()
  private readonly topics = new Map<string, TopicQueues>()
  private lastTopic = ''
  private lastQueues: TopicQueues | null = null
  private readonly batchSize: number
  private readonly format: BatchFormat
  private readonly pool: BufferPool

  constructor(batchSize: number, format: BatchFormat, pool: BufferPool) {
    this.batchSize = batchSize
    this.format = format
    this.pool = pool
  }

  private topicQueues(topic: string): TopicQueues {
    // Records mostly come in runs of one topic: a one-entry cache saves the map lookups per record.
    if (topic === this.lastTopic && this.lastQueues !== null) return this.lastQueues
    let t = this.topics.get(topic)
    if (t === undefined) {
      t = new TopicQueues(this.batchSize)
      this.topics.set(topic, t)
    }
    this.lastTopic = topic
    this.lastQueues = t
    return t
  }

  /** The queue of one partition, created on first use. */
  queue(topic: string, partition: number): PartitionQueue {
    const t = this.topicQueues(topic)
    let q = t.partitions[partition]
    if (q === undefined) {
      q = new PartitionQueue(topic, partition)
      t.partitions[partition] = q
    }
    return q
  }

  /** The sticky partitioner state of a topic. */
  sticky(topic: string): StickyPartitionState {
    return this.topicQueues(topic).sticky
  }

  /** Bytes to reserve from `bufferMemory` for a new batch that must hold a record of `recordSize`. */
  batchBytesFor(recordSize: number): number {
    return Math.max(this.batchSize, recordSize + RECORD_BATCH_OVERHEAD)
  }

  /**
   * Appends a record (Java `RecordAccumulator.append`): to the partition's open batch, else to a new
   * batch whose memory is `reservedBytes` already taken from the pool, else to a new batch if the
   * pool has the memory now. `null` means memory must be waited for (nothing was appended). A
   * reservation that turned out not to be needed is returned to the pool.
   */
  append(
    q: PartitionQueue,
    timestamp: number,
    key: Buffer | null,
    value: Buffer | null,
    headers: HeaderPair[] | null,
    size: number,
    nowMs: number,
    callback: SendCallback | null,
    resolve: ((m: RecordMetadata) => void) | null,
    reject: ((e: Error) => void) | null,
    reservedBytes = 0,
  ): AppendResult | null {
    if (this.tryAppend(q, timestamp, key, value, headers, callback, resolve, reject)) {
      if (reservedBytes > 0) this.pool.release(reservedBytes)
      return APPENDED
    }
    let bytes = reservedBytes
    if (bytes === 0) {
      bytes = this.batchBytesFor(size)
      if (!this.pool.tryAllocate(bytes)) return null
    }
    // A new batch behind another means the previous one is full (Java `batchIsFull`).
    const batchFull = q.batches.length > 0
    const batch = this.appendNewBatch(q, bytes, nowMs, timestamp, key, value, headers, callback, resolve, reject)
    return { batchCreated: true, batchFull, batch }
  }

  /** Appends to the partition's open batch; false if there is none or the record does not fit. */
  tryAppend(
    q: PartitionQueue,
    timestamp: number,
    key: Buffer | null,
    value: Buffer | null,
    headers: HeaderPair[] | null,
    callback: SendCallback | null,
    resolve: ((m: RecordMetadata) => void) | null,
    reject: ((e: Error) => void) | null,
  ): boolean {
    const open = q.openBatch
    return open !== undefined && open.tryAppend(timestamp, key, value, headers, callback, resolve, reject)
  }

  /**
   * Opens a new batch with `reservedBytes` already taken from the pool and appends the record to it.
   * Returns the new batch.
   */
  appendNewBatch(
    q: PartitionQueue,
    reservedBytes: number,
    nowMs: number,
    timestamp: number,
    key: Buffer | null,
    value: Buffer | null,
    headers: HeaderPair[] | null,
    callback: SendCallback | null,
    resolve: ((m: RecordMetadata) => void) | null,
    reject: ((e: Error) => void) | null,
  ): ProducerBatch {
    const last = q.batches[q.batches.length - 1]
    if (last !== undefined) last.full = true
    const batch = new ProducerBatch(q.topic, q.partition, this.format.create(reservedBytes), nowMs, reservedBytes)
    if (!batch.tryAppend(timestamp, key, value, headers, callback, resolve, reject)) {
      this.pool.release(reservedBytes)
      throw new KafkaWireError(`internal: a record of ${estimateRecordSize(key, value, headers)} bytes did not fit an empty batch of ${reservedBytes} bytes`)
    }
    q.batches.push(batch)
    this.nonEmpty.add(q)
    this.incomplete.add(batch)
    return batch
  }

  /**
   * Puts a batch that failed back for a retry (Java `reenqueue`). With idempotence it goes in sequence
   * order among batches that already have sequences, so retries leave in the order they were first
   * sent (Java `insertInSequenceOrder`); without, at the front.
   */
  reenqueue(q: PartitionQueue, batch: ProducerBatch, inSequenceOrder: boolean): void {
    batch.inFlight = false
    if (!inSequenceOrder || batch.baseSequence < 0) q.batches.unshift(batch)
    else {
      let i = 0
      while (i < q.batches.length) {
        const b = q.batches[i] as ProducerBatch
        if (b.baseSequence < 0 || b.baseSequence > batch.baseSequence) break
        i++
      }
      q.batches.splice(i, 0, batch)
    }
    this.nonEmpty.add(q)
  }

  /**
   * Forgets a completed batch and returns its memory to the pool, unless a request still holds its
   * bytes (`releaseWhenRequestEnds`): then {@link requestEnded} returns it.
   */
  completed(batch: ProducerBatch): void {
    if (this.incomplete.delete(batch) && !batch.releaseWhenRequestEnds) this.pool.release(batch.reservedBytes)
  }

  /** A request that carried `batch` ended: memory held back for it is returned now. */
  requestEnded(batch: ProducerBatch): void {
    if (!batch.releaseWhenRequestEnds) return
    batch.releaseWhenRequestEnds = false
    if (batch.done && !this.incomplete.has(batch)) this.pool.release(batch.reservedBytes)
  }

  /** Takes the head batch of `q` for a request (the sender's drain); keeps `nonEmpty` true. */
  pollHead(q: PartitionQueue): ProducerBatch | undefined {
    const b = q.batches.shift()
    if (q.batches.length === 0) this.nonEmpty.delete(q)
    return b
  }

  /**
   * When the head batch of `q` may be sent (Java `RecordAccumulator.ready`): a retry after its backoff;
   * at once when more batches wait behind it, it is full, or `expedite` (a flush or close is waiting)
   * or someone waits for buffer memory (Java's `exhausted`); else when its `lingerMs` ends.
   */
  readyAt(q: PartitionQueue, head: ProducerBatch, lingerMs: number, expedite: boolean): number {
    if (head.attempts > 0) return head.retryAtMs
    if (q.batches.length > 1 || head.full || expedite || this.pool.queued > 0) return 0
    return head.createdMs + lingerMs
  }

  /**
   * Which partitions may send now, by leader (Java `RecordAccumulator.ready`). Queues found empty
   * leave `nonEmpty`. Whether a leader may take another request (in-flight limit, muting, sequence
   * rules) is the sender's to decide when it drains.
   */
  ready(metadata: { get(topic: string): TopicMetadata | undefined }, now: number, lingerMs: number, expedite: boolean): ReadyCheck {
    const byLeader = new Map<number, PartitionQueue[]>()
    const unknownLeaderTopics = new Set<string>()
    let nextReadyMs = Infinity
    for (const q of this.nonEmpty) {
      const head = q.batches[0]
      if (head === undefined) {
        this.nonEmpty.delete(q)
        continue
      }
      const t = metadata.get(q.topic)
      const leader = t !== undefined && q.partition < t.numPartitions ? (t.leaders[q.partition] as number) : -1
      if (leader < 0) {
        unknownLeaderTopics.add(q.topic)
        continue
      }
      const at = this.readyAt(q, head, lingerMs, expedite)
      if (at > now) {
        nextReadyMs = Math.min(nextReadyMs, at)
        continue
      }
      let list = byLeader.get(leader)
      if (list === undefined) byLeader.set(leader, (list = []))
      list.push(q)
    }
    return { byLeader, nextReadyMs, unknownLeaderTopics }
  }

  /**
   * Removes and returns the queued batches older than `limitMs` (Java `expiredBatches`); `nextMs` is
   * when the next queued batch will be. Later batches of a queue are younger, so only heads are looked at.
   */
  expiredBatches(now: number, limitMs: number): { expired: Array<[PartitionQueue, ProducerBatch]>; nextMs: number } {
    const expired: Array<[PartitionQueue, ProducerBatch]> = []
    let nextMs = Infinity
    for (const q of this.nonEmpty) {
      while (q.batches.length > 0) {
        const b = q.batches[0] as ProducerBatch
        if (now - b.createdMs < limitMs) {
          nextMs = Math.min(nextMs, b.createdMs + limitMs)
          break
        }
        q.batches.shift()
        expired.push([q, b])
      }
      if (q.batches.length === 0) this.nonEmpty.delete(q)
    }
    return { expired, nextMs }
  }

  /** Removes and returns every queued batch (fatal error or forced close). */
  drainAll(): ProducerBatch[] {
    const out: ProducerBatch[] = []
    for (const q of this.nonEmpty) {
      for (const b of q.batches) out.push(b)
      q.batches.length = 0
    }
    this.nonEmpty.clear()
    return out
  }

  /**
   * Removes and returns the queued batches never sent (no sequence yet): what aborting a transaction
   * fails (Java `abortUndrainedBatches`). Batches with a sequence were sent once and stay, so their
   * outcome is learned and the sequences stay consistent.
   */
  drainUnsent(): ProducerBatch[] {
    const out: ProducerBatch[] = []
    for (const q of this.nonEmpty) {
      let kept = 0
      for (const b of q.batches) {
        if (b.baseSequence < 0) out.push(b)
        else q.batches[kept++] = b
      }
      q.batches.length = kept
      if (kept === 0) this.nonEmpty.delete(q)
    }
    return out
  }

  /**
   * A batch the broker refused as too large was split into `parts` (Java `splitAndReenqueue`): the
   * parts replace it among the incomplete batches and go back into its queue, in sequence order when
   * they carry sequences, else at the front.
   */
  splitAndReenqueue(q: PartitionQueue, original: ProducerBatch, parts: ProducerBatch[], inSequenceOrder: boolean): void {
    this.incomplete.delete(original)
    for (const part of parts) this.incomplete.add(part)
    if (inSequenceOrder) for (const part of parts) this.reenqueue(q, part, true)
    else for (let i = parts.length - 1; i >= 0; i--) this.reenqueue(q, parts[i] as ProducerBatch, false)
  }

  /** All queued (not in-flight) batches. */
  *queuedBatches(): Generator<[PartitionQueue, ProducerBatch]> {
    for (const q of this.nonEmpty) for (const b of q.batches) yield [q, b]
  }
}

/**
 * A model of one Kafka partition log's idempotent-producer checks, ported from Apache Kafka's
 * storage module so unit tests meet the broker's real sequence rules, not ours:
 * - storage/src/main/java/org/apache/kafka/storage/internals/log/ProducerAppendInfo.java
 *   (`checkProducerEpoch`, `checkSequence`, `inSequence`),
 * - storage/.../log/ProducerStateEntry.java (`NUM_BATCHES_TO_RETAIN` = 5, `addBatch`,
 *   `maybeUpdateProducerEpoch`, `findDuplicateBatch`),
 * - storage/.../log/ProducerStateManager.java (one entry per producer id; an unknown id starts from
 *   `ProducerStateEntry.empty`, epoch NO_PRODUCER_EPOCH),
 * - core UnifiedLog.analyzeAndValidateProducerState: a duplicate of a cached batch is answered with
 *   the original offset and NONE before any validation.
 */
import type { DecodedRecordBatch } from '../../../src/protocol/record-batch.js'

/** RecordBatch.NO_PRODUCER_EPOCH. */
const NO_PRODUCER_EPOCH = -1
/** ProducerStateEntry.NUM_BATCHES_TO_RETAIN. */
const NUM_BATCHES_TO_RETAIN = 5
const INT32_MAX = 2147483647

/** Error codes the model answers with (names as in src/protocol/errors.ts). */
export const MODEL_ERRORS = { NONE: 0, OUT_OF_ORDER_SEQUENCE_NUMBER: 45, INVALID_PRODUCER_EPOCH: 47 } as const

interface BatchMetadata {
  firstSeq: number
  lastSeq: number
  firstOffset: number
}

/** ProducerStateEntry: the epoch and the last 5 batches of one producer id on one partition. */
class ProducerStateEntry {
  epoch = NO_PRODUCER_EPOCH
  readonly batches: BatchMetadata[] = []

  get lastSeq(): number {
    return this.batches.length === 0 ? -1 : (this.batches[this.batches.length - 1] as BatchMetadata).lastSeq
  }

  addBatch(epoch: number, meta: BatchMetadata): void {
    // maybeUpdateProducerEpoch: a new epoch forgets the cached batches.
    if (this.epoch !== epoch) {
      this.batches.length = 0
      this.epoch = epoch
    }
    if (this.batches.length === NUM_BATCHES_TO_RETAIN) this.batches.shift()
    this.batches.push(meta)
  }

  findDuplicate(epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (epoch !== this.epoch) return undefined
    return this.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq)
  }
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX)
}

/** The outcome of one append. */
export interface AppendOutcome {
  errorCode: number
  /** Offset of the first record (the original one for a duplicate), -1 on error. */
  baseOffset: number
  duplicate: boolean
}

/** One partition's log and producer state. */
export class KafkaPartitionModel {
  /** Values written, in offset order. */
  readonly values: string[] = []
  private readonly producers = new Map<bigint, ProducerStateEntry>()
  outOfOrder = 0
  duplicates = 0
  fenced = 0

  /**
   * Forgets every producer's state, as a new leader without a producer snapshot, the expiry of
   * `producer.id.expiration.ms` or retention/DeleteRecords removing the producer's batches do.
   */
  forgetProducers(): void {
    this.producers.clear()
  }

  /** Appends one idempotent batch by the broker's rules. */
  append(batch: DecodedRecordBatch): AppendOutcome {
    const firstSeq = batch.baseSequence
    const lastSeq = (firstSeq + batch.recordCount - 1) % (INT32_MAX + 1)
    const epoch = batch.producerEpoch
    const entry = this.producers.get(batch.producerId) ?? new ProducerStateEntry()
    const dup = entry.findDuplicate(epoch, firstSeq, lastSeq)
    if (dup !== undefined) {
      this.duplicates++
      return { errorCode: MODEL_ERRORS.NONE, baseOffset: dup.firstOffset, duplicate: true }
    }
    // checkProducerEpoch
    if (epoch < entry.epoch) {
      this.fenced++
      return { errorCode: MODEL_ERRORS.INVALID_PRODUCER_EPOCH, baseOffset: -1, duplicate: false }
    }
    // checkSequence
    let ok: boolean
    if (epoch !== entry.epoch) ok = firstSeq === 0 || entry.epoch === NO_PRODUCER_EPOCH
    else ok = inSequence(entry.lastSeq, firstSeq)
    if (!ok) {
      this.outOfOrder++
      return { errorCode: MODEL_ERRORS.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1, duplicate: false }
    }
    const firstOffset = this.values.length
    for (const r of batch.records ?? []) this.values.push(Buffer.from(r.value ?? new Uint8Array()).toString())
    entry.addBatch(epoch, { firstSeq, lastSeq, firstOffset })
    this.producers.set(batch.producerId, entry)
    return { errorCode: MODEL_ERRORS.NONE, baseOffset: firstOffset, duplicate: false }
  }
}

// AddPartitionsToTxn (key 24), client versions only: adds partitions to a transaction before the first Produce to them (TV1).
import type { ApiDefinition } from './api.js'
import { readInt32Array, readString, stringSize, writeArrayLength, writeInt32Array, writeString } from './fields.js'
import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/** A topic and the partitions to add. */
export interface AddPartitionsToTxnTopic {
  /** Topic name. */
  readonly name: string
  /** Partition indexes. */
  readonly partitions: readonly number[]
}

/** AddPartitionsToTxn request, v0-v3 (the `V3AndBelow*` fields of the JSON spec). */
export interface AddPartitionsToTxnRequest {
  /** The transactional id. */
  readonly transactionalId: string
  /** Current producer id. */
  readonly producerId: bigint
  /** Current producer epoch. */
  readonly producerEpoch: number
  /** Partitions to add. */
  readonly topics: readonly AddPartitionsToTxnTopic[]
}

/** Result for one partition. */
export interface AddPartitionsToTxnPartitionResult {
  /** Partition index. */
  readonly partitionIndex: number
  /** 0 or a Kafka error code (OPERATION_NOT_ATTEMPTED when another partition failed). */
  readonly partitionErrorCode: number
}

/** Results for one topic. */
export interface AddPartitionsToTxnTopicResult {
  /** Topic name. */
  readonly name: string
  /** Per-partition results. */
  readonly resultsByPartition: readonly AddPartitionsToTxnPartitionResult[]
}

/** AddPartitionsToTxn response, v0-v3 (`ResultsByTopicV3AndBelow`). */
export interface AddPartitionsToTxnResponse {
  /** Quota throttle. */
  readonly throttleTimeMs: number
  /** Per-topic results. */
  readonly resultsByTopic: readonly AddPartitionsToTxnTopicResult[]
}

const FIRST_FLEXIBLE = 3

function encodeRequest(w: Writer, req: AddPartitionsToTxnRequest, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  writeString(w, req.transactionalId, flex)
  w.int64(req.producerId)
  w.int16(req.producerEpoch)
  writeArrayLength(w, req.topics.length, flex)
  for (const t of req.topics) {
    writeString(w, t.name, flex)
    writeInt32Array(w, t.partitions, flex)
    if (flex) w.taggedFields()
  }
  if (flex) w.taggedFields()
}

function decodeRequest(r: Reader, v: number): AddPartitionsToTxnRequest {
  const flex = v >= FIRST_FLEXIBLE
  const transactionalId = readString(r, 'v3_and_below_transactional_id', flex)
  const producerId = r.int64('v3_and_below_producer_id')
  const producerEpoch = r.int16('v3_and_below_producer_epoch')
  const topics = r.array('v3_and_below_topics', flex, (rr) => {
    const name = readString(rr, 'name', flex)
    const partitions = readInt32Array(rr, 'partitions', flex)
    if (flex) rr.taggedFields()
    return { name, partitions }
  }, 2)
  if (flex) r.taggedFields()
  return { transactionalId, producerId, producerEpoch, topics }
}

function encodeResponse(w: Writer, res: AddPartitionsToTxnResponse, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  w.int32(res.throttleTimeMs)
  writeArrayLength(w, res.resultsByTopic.length, flex)
  for (const t of res.resultsByTopic) {
    writeString(w, t.name, flex)
    writeArrayLength(w, t.resultsByPartition.length, flex)
    for (const p of t.resultsByPartition) {
      w.int32(p.partitionIndex).int16(p.partitionErrorCode)
      if (flex) w.taggedFields()
    }
    if (flex) w.taggedFields()
  }
  if (flex) w.taggedFields()
}

function decodeResponse(r: Reader, v: number): AddPartitionsToTxnResponse {
  const flex = v >= FIRST_FLEXIBLE
  const throttleTimeMs = r.int32('throttle_time_ms')
  const resultsByTopic = r.array('results_by_topic_v3_and_below', flex, (rr) => {
    const name = readString(rr, 'name', flex)
    const resultsByPartition = rr.array('results_by_partition', flex, (pr) => {
      const partitionIndex = pr.int32('partition_index')
      const partitionErrorCode = pr.int16('partition_error_code')
      if (flex) pr.taggedFields()
      return { partitionIndex, partitionErrorCode }
    }, 6)
    if (flex) rr.taggedFields()
    return { name, resultsByPartition }
  }, 2)
  if (flex) r.taggedFields()
  return { throttleTimeMs, resultsByTopic }
}

/**
 * AddPartitionsToTxn (key 24), v0-v3. v4+ batches transactions and verifies partitions, and is sent
 * only broker to broker (AddPartitionsToTxnRequest.json: "Versions 3 and below will be exclusively
 * used by clients"; KAFKA-15757), so kafka-wire never encodes it. Flexible from v3.
 */
export const AddPartitionsToTxnApi: ApiDefinition<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 3,
  firstFlexibleVersion: FIRST_FLEXIBLE,
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  estimateRequestSize: (req) => {
    let n = stringSize(req.transactionalId) + 8 + 2 + 5 + 1
    for (const t of req.topics) n += stringSize(t.name) + 5 + 4 * t.partitions.length + 1
    return n
  },
}

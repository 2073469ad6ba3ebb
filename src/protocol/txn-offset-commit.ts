// TxnOffsetCommit (key 28): stages a consumer group's offsets in a transaction; they apply when it commits.
import { InvalidArgumentError } from '../kafka-wire-error.js'
import type { ApiDefinition } from './api.js'
import { readNullableString, readString, stringSize, writeArrayLength, writeNullableString, writeString } from './fields.js'
import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/** An offset to commit for one partition. */
export interface TxnOffsetCommitRequestPartition {
  /** Partition index. */
  readonly partitionIndex: number
  /** The offset of the next record to consume. */
  readonly committedOffset: bigint
  /** v2+: leader epoch of the last consumed record, or -1. */
  readonly committedLeaderEpoch: number
  /** Free-form metadata, or null. */
  readonly committedMetadata: string | null
}

/** Offsets for one topic. */
export interface TxnOffsetCommitRequestTopic {
  /** Topic name (v0-v5; v6 names topics by id, KIP-1319). */
  readonly name: string
  /** Partitions. */
  readonly partitions: readonly TxnOffsetCommitRequestPartition[]
}

/** TxnOffsetCommit request. */
export interface TxnOffsetCommitRequest {
  /** The transactional id. */
  readonly transactionalId: string
  /** The consumer group. */
  readonly groupId: string
  /** Current producer id. */
  readonly producerId: bigint
  /** Current producer epoch. */
  readonly producerEpoch: number
  /** v3+ (KIP-447): the consumer's generation (classic) or member epoch (KIP-848), else -1. */
  readonly generationId: number
  /** v3+: the consumer's member id, else ''. */
  readonly memberId: string
  /** v3+: the static member's instance id, or null. */
  readonly groupInstanceId: string | null
  /** Offsets by topic. */
  readonly topics: readonly TxnOffsetCommitRequestTopic[]
}

/** Result for one partition. */
export interface TxnOffsetCommitResponsePartition {
  /** Partition index. */
  readonly partitionIndex: number
  /** 0 or a Kafka error code. */
  readonly errorCode: number
}

/** Results for one topic. */
export interface TxnOffsetCommitResponseTopic {
  /** Topic name. */
  readonly name: string
  /** Per-partition results. */
  readonly partitions: readonly TxnOffsetCommitResponsePartition[]
}

/** TxnOffsetCommit response. */
export interface TxnOffsetCommitResponse {
  /** Quota throttle. */
  readonly throttleTimeMs: number
  /** Per-topic results. */
  readonly topics: readonly TxnOffsetCommitResponseTopic[]
}

const FIRST_FLEXIBLE = 3

/**
 * Highest TxnOffsetCommit version a client may send while transaction version 2 is off
 * (TxnOffsetCommitRequest.json v5 note; Java `TxnOffsetCommitRequest.Builder` caps at 4).
 */
export const TXN_OFFSET_COMMIT_MAX_VERSION_TV1 = 4

function hasGroupMetadata(req: TxnOffsetCommitRequest): boolean {
  return req.generationId !== -1 || req.memberId !== '' || req.groupInstanceId !== null
}

function encodeRequest(w: Writer, req: TxnOffsetCommitRequest, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  // Java TxnOffsetCommitRequest.Builder.build: group metadata cannot be dropped silently below v3
  // (the broker could not fence a zombie consumer, KIP-447).
  if (v < 3 && hasGroupMetadata(req)) throw new InvalidArgumentError(`TxnOffsetCommit v${v} cannot carry generation/member/group instance id; needs v3+ (KIP-447)`)
  writeString(w, req.transactionalId, flex)
  writeString(w, req.groupId, flex)
  w.int64(req.producerId)
  w.int16(req.producerEpoch)
  if (v >= 3) {
    w.int32(req.generationId)
    writeString(w, req.memberId, flex)
    writeNullableString(w, req.groupInstanceId, flex)
  }
  writeArrayLength(w, req.topics.length, flex)
  for (const t of req.topics) {
    writeString(w, t.name, flex)
    writeArrayLength(w, t.partitions.length, flex)
    for (const p of t.partitions) {
      w.int32(p.partitionIndex)
      w.int64(p.committedOffset)
      if (v >= 2) w.int32(p.committedLeaderEpoch)
      writeNullableString(w, p.committedMetadata, flex)
      if (flex) w.taggedFields()
    }
    if (flex) w.taggedFields()
  }
  if (flex) w.taggedFields()
}

function decodeRequest(r: Reader, v: number): TxnOffsetCommitRequest {
  const flex = v >= FIRST_FLEXIBLE
  const transactionalId = readString(r, 'transactional_id', flex)
  const groupId = readString(r, 'group_id', flex)
  const producerId = r.int64('producer_id')
  const producerEpoch = r.int16('producer_epoch')
  const generationId = v >= 3 ? r.int32('generation_id_or_member_epoch') : -1
  const memberId = v >= 3 ? readString(r, 'member_id', flex) : ''
  const groupInstanceId = v >= 3 ? readNullableString(r, 'group_instance_id', flex) : null
  const topics = r.array('topics', flex, (rr) => {
    const name = readString(rr, 'name', flex)
    const partitions = rr.array('partitions', flex, (pr) => {
      const partitionIndex = pr.int32('partition_index')
      const committedOffset = pr.int64('committed_offset')
      const committedLeaderEpoch = v >= 2 ? pr.int32('committed_leader_epoch') : -1
      const committedMetadata = readNullableString(pr, 'committed_metadata', flex)
      if (flex) pr.taggedFields()
      return { partitionIndex, committedOffset, committedLeaderEpoch, committedMetadata }
    }, 13)
    if (flex) rr.taggedFields()
    return { name, partitions }
  }, 2)
  if (flex) r.taggedFields()
  return { transactionalId, groupId, producerId, producerEpoch, generationId, memberId, groupInstanceId, topics }
}

function encodeResponse(w: Writer, res: TxnOffsetCommitResponse, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  w.int32(res.throttleTimeMs)
  writeArrayLength(w, res.topics.length, flex)
  for (const t of res.topics) {
    writeString(w, t.name, flex)
    writeArrayLength(w, t.partitions.length, flex)
    for (const p of t.partitions) {
      w.int32(p.partitionIndex).int16(p.errorCode)
      if (flex) w.taggedFields()
    }
    if (flex) w.taggedFields()
  }
  if (flex) w.taggedFields()
}

function decodeResponse(r: Reader, v: number): TxnOffsetCommitResponse {
  const flex = v >= FIRST_FLEXIBLE
  const throttleTimeMs = r.int32('throttle_time_ms')
  const topics = r.array('topics', flex, (rr) => {
    const name = readString(rr, 'name', flex)
    const partitions = rr.array('partitions', flex, (pr) => {
      const partitionIndex = pr.int32('partition_index')
      const errorCode = pr.int16('error_code')
      if (flex) pr.taggedFields()
      return { partitionIndex, errorCode }
    }, 6)
    if (flex) rr.taggedFields()
    return { name, partitions }
  }, 2)
  if (flex) r.taggedFields()
  return { throttleTimeMs, topics }
}

/**
 * TxnOffsetCommit (key 28), v0-v5. Flexible from v3; v3 adds generation, member and group instance
 * id (KIP-447); v5 (TV2) also adds the offsets partition to the transaction, replacing AddOffsetsToTxn.
 * v6 (Kafka 4.4, KIP-1319) names topics by id and is not implemented.
 */
export const TxnOffsetCommitApi: ApiDefinition<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = {
  apiKey: 28,
  name: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 5,
  firstFlexibleVersion: FIRST_FLEXIBLE,
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  estimateRequestSize: (req) => {
    let n = stringSize(req.transactionalId) + stringSize(req.groupId) + 8 + 2 + 4 + stringSize(req.memberId) + stringSize(req.groupInstanceId) + 5 + 1
    for (const t of req.topics) {
      n += stringSize(t.name) + 5 + 1
      for (const p of t.partitions) n += 4 + 8 + 4 + stringSize(p.committedMetadata) + 1
    }
    return n
  },
}

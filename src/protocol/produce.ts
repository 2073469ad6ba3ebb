import { InvalidArgumentError } from '../kafka-wire-error.js'
import type { ApiDefinition } from './api.js'
import { readNullableBytes, readNullableString, readString, stringSize, writeArrayLength, writeNullableBytes, writeNullableString, writeString } from './fields.js'
import type { Reader } from './reader.js'
import { Writer, ZERO_UUID } from './writer.js'

/** One partition's data: an already-built RecordBatch (never re-encoded here). */
export interface ProducePartitionData {
  /** partition index */
  readonly index: number
  /** the encoded RecordBatch v2 bytes (exactly one batch per partition on Produce v3+) */
  readonly records: Uint8Array | null
}

/** One topic's data. The caller supplies both name and id; the version decides which is sent. */
export interface ProduceTopicData {
  /** sent up to v12 */
  readonly name: string
  /** sent from v13 (KIP-516); {@link ZERO_UUID} when unknown (then v13 must not be used) */
  readonly topicId: string
  /** partitions of the topic */
  readonly partitionData: readonly ProducePartitionData[]
}

/** Produce request (key 0). */
export interface ProduceRequest {
  /** v3+; null unless transactional */
  readonly transactionalId: string | null
  /** 0, 1 or -1 (all) */
  readonly acks: number
  /** how long the broker may wait for replication */
  readonly timeoutMs: number
  /** topics */
  readonly topicData: readonly ProduceTopicData[]
}

/** A record the broker rejected within a batch (v8+, KIP-467). */
export interface ProduceRecordError {
  /** index of the record in the batch */
  readonly batchIndex: number
  /** broker text, may be null */
  readonly batchIndexErrorMessage: string | null
}

/** KIP-951 hint: the partition's new leader (v10+, tagged, sent with NOT_LEADER_OR_FOLLOWER). */
export interface ProduceCurrentLeader {
  /** leader id, -1 if unknown */
  readonly leaderId: number
  /** leader epoch, -1 if unknown */
  readonly leaderEpoch: number
}

/** Per-partition outcome. Offsets are bigint (int64), timestamps numbers in ms. */
export interface ProducePartitionResponse {
  /** partition index */
  readonly index: number
  /** 0 or a Kafka error code */
  readonly errorCode: number
  /** offset of the first record of the batch */
  readonly baseOffset: bigint
  /** v2+: broker time when the topic uses LogAppendTime, else -1 */
  readonly logAppendTimeMs: number
  /** v5+: log start offset, -1 before */
  readonly logStartOffset: bigint
  /** v8+ */
  readonly recordErrors: readonly ProduceRecordError[]
  /** v8+ */
  readonly errorMessage: string | null
  /** v10+ tag 0, null when absent */
  readonly currentLeader: ProduceCurrentLeader | null
}

/** Per-topic outcome. */
export interface ProduceTopicResponse {
  /** v0-12; '' from v13 */
  readonly name: string
  /** v13+; {@link ZERO_UUID} before */
  readonly topicId: string
  /** partitions */
  readonly partitionResponses: readonly ProducePartitionResponse[]
}

/** A broker endpoint (v10+ top-level tag 0, KIP-951). */
export interface ProduceNodeEndpoint {
  /** broker id */
  readonly nodeId: number
  /** host */
  readonly host: string
  /** port */
  readonly port: number
  /** rack or null */
  readonly rack: string | null
}

/** Produce response. Note the field order: responses first, throttle time last. */
export interface ProduceResponse {
  /** per-topic results */
  readonly responses: readonly ProduceTopicResponse[]
  /** v1+ */
  readonly throttleTimeMs: number
  /** v10+ tag 0: endpoints of the leaders named in `currentLeader` */
  readonly nodeEndpoints: readonly ProduceNodeEndpoint[]
}

const FIRST_FLEXIBLE = 9

function encodeRequest(w: Writer, req: ProduceRequest, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  writeNullableString(w, req.transactionalId, flex)
  w.int16(req.acks)
  w.int32(req.timeoutMs)
  writeArrayLength(w, req.topicData.length, flex)
  for (const t of req.topicData) {
    if (v >= 13) {
      if (t.topicId === ZERO_UUID) throw new InvalidArgumentError(`Produce v${v} needs the topic id of ${JSON.stringify(t.name)} (KIP-516); use v12 or fetch Metadata v10+`)
      w.uuid(t.topicId)
    } else writeString(w, t.name, flex)
    writeArrayLength(w, t.partitionData.length, flex)
    for (const p of t.partitionData) {
      w.int32(p.index)
      writeNullableBytes(w, p.records, flex)
      if (flex) w.taggedFields()
    }
    if (flex) w.taggedFields()
  }
  if (flex) w.taggedFields()
}

function decodeRequest(r: Reader, v: number): ProduceRequest {
  const flex = v >= FIRST_FLEXIBLE
  const transactionalId = readNullableString(r, 'transactional_id', flex)
  const acks = r.int16('acks')
  const timeoutMs = r.int32('timeout_ms')
  const topicData = r.array('topic_data', flex, (tr) => {
    const name = v >= 13 ? '' : readString(tr, 'name', flex)
    const topicId = v >= 13 ? tr.uuid('topic_id') : ZERO_UUID
    const partitionData = tr.array('partition_data', flex, (pr) => {
      const index = pr.int32('index')
      const records = readNullableBytes(pr, 'records', flex)
      if (flex) pr.taggedFields()
      return { index, records }
    }, 5)
    if (flex) tr.taggedFields()
    return { name, topicId, partitionData }
  }, 2)
  if (flex) r.taggedFields()
  return { transactionalId, acks, timeoutMs, topicData }
}

function encodeResponse(w: Writer, res: ProduceResponse, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  writeArrayLength(w, res.responses.length, flex)
  for (const t of res.responses) {
    if (v >= 13) w.uuid(t.topicId)
    else writeString(w, t.name, flex)
    writeArrayLength(w, t.partitionResponses.length, flex)
    for (const p of t.partitionResponses) {
      w.int32(p.index).int16(p.errorCode).int64(p.baseOffset)
      if (v >= 2) w.int64FromNumber(p.logAppendTimeMs)
      if (v >= 5) w.int64(p.logStartOffset)
      if (v >= 8) {
        writeArrayLength(w, p.recordErrors.length, flex)
        for (const e of p.recordErrors) {
          w.int32(e.batchIndex)
          writeNullableString(w, e.batchIndexErrorMessage, flex)
          if (flex) w.taggedFields()
        }
        writeNullableString(w, p.errorMessage, flex)
      }
      if (flex) {
        if (v >= 10 && p.currentLeader !== null) {
          const data = new Writer(16).int32(p.currentLeader.leaderId).int32(p.currentLeader.leaderEpoch).taggedFields().finish()
          w.taggedFields([{ tag: 0, data }])
        } else w.taggedFields()
      }
    }
    if (flex) w.taggedFields()
  }
  if (v >= 1) w.int32(res.throttleTimeMs)
  if (flex) {
    if (v >= 10 && res.nodeEndpoints.length > 0) {
      const sub = new Writer(64)
      sub.compactArrayLength(res.nodeEndpoints.length)
      for (const n of res.nodeEndpoints) {
        sub.int32(n.nodeId).compactString(n.host).int32(n.port).compactNullableString(n.rack).taggedFields()
      }
      w.taggedFields([{ tag: 0, data: sub.finish() }])
    } else w.taggedFields()
  }
}

function decodeResponse(r: Reader, v: number): ProduceResponse {
  const flex = v >= FIRST_FLEXIBLE
  const responses = r.array('responses', flex, (tr) => {
    const name = v >= 13 ? '' : readString(tr, 'name', flex)
    const topicId = v >= 13 ? tr.uuid('topic_id') : ZERO_UUID
    const partitionResponses = tr.array('partition_responses', flex, (pr) => {
      const index = pr.int32('index')
      const errorCode = pr.int16('error_code')
      const baseOffset = pr.int64('base_offset')
      const logAppendTimeMs = v >= 2 ? pr.int64AsNumber('log_append_time_ms') : -1
      const logStartOffset = v >= 5 ? pr.int64('log_start_offset') : -1n
      const recordErrors = v >= 8
        ? pr.array('record_errors', flex, (er) => {
          const batchIndex = er.int32('batch_index')
          const batchIndexErrorMessage = readNullableString(er, 'batch_index_error_message', flex)
          if (flex) er.taggedFields()
          return { batchIndex, batchIndexErrorMessage }
        }, 5)
        : []
      const errorMessage = v >= 8 ? readNullableString(pr, 'error_message', flex) : null
      let currentLeader: ProduceCurrentLeader | null = null
      if (flex) {
        pr.taggedFields((tag, lr) => {
          if (tag !== 0 || v < 10) return false
          lr.enter('current_leader')
          currentLeader = { leaderId: lr.int32('leader_id'), leaderEpoch: lr.int32('leader_epoch') }
          lr.taggedFields()
          lr.leave()
          return true
        })
      }
      return { index, errorCode, baseOffset, logAppendTimeMs, logStartOffset, recordErrors, errorMessage, currentLeader }
    }, 14)
    if (flex) tr.taggedFields()
    return { name, topicId, partitionResponses }
  }, 2)
  const throttleTimeMs = v >= 1 ? r.int32('throttle_time_ms') : 0
  let nodeEndpoints: ProduceNodeEndpoint[] = []
  if (flex) {
    r.taggedFields((tag, nr) => {
      if (tag !== 0 || v < 10) return false
      nodeEndpoints = nr.array('node_endpoints', true, (er) => {
        const nodeId = er.int32('node_id')
        const host = er.compactString('host')
        const port = er.int32('port')
        const rack = er.compactNullableString('rack')
        er.taggedFields()
        return { nodeId, host, port, rack }
      }, 11)
      return true
    })
  }
  return { responses, throttleTimeMs, nodeEndpoints }
}

/** Upper bound of a Produce request body: fixed fields plus each batch's bytes and prefixes. */
function estimateRequestSize(req: ProduceRequest): number {
  let n = stringSize(req.transactionalId) + 2 + 4 + 5 + 1
  for (const t of req.topicData) {
    n += Math.max(16, stringSize(t.name)) + 5 + 1
    for (const p of t.partitionData) n += 4 + 5 + (p.records === null ? 0 : p.records.length) + 1
  }
  return n
}

/**
 * Produce (key 0), v3-v13. v3 is the floor of Kafka 4.x (KIP-896) and the first with RecordBatch v2;
 * flexible from v9; v10 adds the KIP-951 leader hints; v13 names topics by id (KIP-516).
 */
export const ProduceApi: ApiDefinition<ProduceRequest, ProduceResponse> = {
  apiKey: 0,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 13,
  firstFlexibleVersion: FIRST_FLEXIBLE,
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  estimateRequestSize,
}

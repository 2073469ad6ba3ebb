// AddOffsetsToTxn (key 25): puts a consumer group's offsets topic partition into a transaction (TV1).
import type { ApiDefinition } from './api.js'
import { readString, stringSize, writeString } from './fields.js'
import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/** AddOffsetsToTxn request. */
export interface AddOffsetsToTxnRequest {
  /** The transactional id. */
  readonly transactionalId: string
  /** Current producer id. */
  readonly producerId: bigint
  /** Current producer epoch. */
  readonly producerEpoch: number
  /** The consumer group whose offsets the transaction will commit. */
  readonly groupId: string
}

/** AddOffsetsToTxn response. */
export interface AddOffsetsToTxnResponse {
  /** Quota throttle. */
  readonly throttleTimeMs: number
  /** 0 or a Kafka error code. */
  readonly errorCode: number
}

const FIRST_FLEXIBLE = 3

function encodeRequest(w: Writer, req: AddOffsetsToTxnRequest, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  writeString(w, req.transactionalId, flex)
  w.int64(req.producerId)
  w.int16(req.producerEpoch)
  writeString(w, req.groupId, flex)
  if (flex) w.taggedFields()
}

function decodeRequest(r: Reader, v: number): AddOffsetsToTxnRequest {
  const flex = v >= FIRST_FLEXIBLE
  const transactionalId = readString(r, 'transactional_id', flex)
  const producerId = r.int64('producer_id')
  const producerEpoch = r.int16('producer_epoch')
  const groupId = readString(r, 'group_id', flex)
  if (flex) r.taggedFields()
  return { transactionalId, producerId, producerEpoch, groupId }
}

function encodeResponse(w: Writer, res: AddOffsetsToTxnResponse, v: number): void {
  w.int32(res.throttleTimeMs).int16(res.errorCode)
  if (v >= FIRST_FLEXIBLE) w.taggedFields()
}

function decodeResponse(r: Reader, v: number): AddOffsetsToTxnResponse {
  const throttleTimeMs = r.int32('throttle_time_ms')
  const errorCode = r.int16('error_code')
  if (v >= FIRST_FLEXIBLE) r.taggedFields()
  return { throttleTimeMs, errorCode }
}

/**
 * AddOffsetsToTxn (key 25), v0-v4. Flexible from v3. Under transaction version 2 a client skips it:
 * TxnOffsetCommit v5 adds the offsets partition itself (TxnOffsetCommitRequest.json).
 */
export const AddOffsetsToTxnApi: ApiDefinition<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = {
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 4,
  firstFlexibleVersion: FIRST_FLEXIBLE,
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  estimateRequestSize: (req) => stringSize(req.transactionalId) + 8 + 2 + stringSize(req.groupId) + 1,
}

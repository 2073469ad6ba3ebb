// EndTxn (key 26): asks the transaction coordinator to commit or abort the ongoing transaction.
import type { ApiDefinition } from './api.js'
import { readString, stringSize, writeString } from './fields.js'
import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/** EndTxn request. */
export interface EndTxnRequest {
  /** The transactional id. */
  readonly transactionalId: string
  /** Current producer id. */
  readonly producerId: bigint
  /** Current producer epoch. */
  readonly producerEpoch: number
  /** true = commit, false = abort. */
  readonly committed: boolean
}

/** EndTxn response. */
export interface EndTxnResponse {
  /** Quota throttle. */
  readonly throttleTimeMs: number
  /** 0 or a Kafka error code. */
  readonly errorCode: number
  /** v5+ (KIP-890 part 2): the producer id for the next transaction; -1 before v5. */
  readonly producerId: bigint
  /** v5+: the (bumped) epoch for the next transaction; -1 before v5. */
  readonly producerEpoch: number
}

const FIRST_FLEXIBLE = 3

/**
 * Highest EndTxn version a client may send while transaction version 2 is off: Java
 * `EndTxnRequest.Builder.build` caps at 4 unless `isTransactionV2Enabled` (kafka-clients 4.4.0).
 */
export const END_TXN_MAX_VERSION_TV1 = 4

function encodeRequest(w: Writer, req: EndTxnRequest, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  writeString(w, req.transactionalId, flex)
  w.int64(req.producerId)
  w.int16(req.producerEpoch)
  w.boolean(req.committed)
  if (flex) w.taggedFields()
}

function decodeRequest(r: Reader, v: number): EndTxnRequest {
  const flex = v >= FIRST_FLEXIBLE
  const transactionalId = readString(r, 'transactional_id', flex)
  const producerId = r.int64('producer_id')
  const producerEpoch = r.int16('producer_epoch')
  const committed = r.boolean('committed')
  if (flex) r.taggedFields()
  return { transactionalId, producerId, producerEpoch, committed }
}

function encodeResponse(w: Writer, res: EndTxnResponse, v: number): void {
  w.int32(res.throttleTimeMs).int16(res.errorCode)
  if (v >= 5) w.int64(res.producerId).int16(res.producerEpoch)
  if (v >= FIRST_FLEXIBLE) w.taggedFields()
}

function decodeResponse(r: Reader, v: number): EndTxnResponse {
  const throttleTimeMs = r.int32('throttle_time_ms')
  const errorCode = r.int16('error_code')
  const producerId = v >= 5 ? r.int64('producer_id') : -1n
  const producerEpoch = v >= 5 ? r.int16('producer_epoch') : -1
  if (v >= FIRST_FLEXIBLE) r.taggedFields()
  return { throttleTimeMs, errorCode, producerId, producerEpoch }
}

/** EndTxn (key 26), v0-v5. Flexible from v3; v5 (TV2) bumps the epoch each transaction and returns it. */
export const EndTxnApi: ApiDefinition<EndTxnRequest, EndTxnResponse> = {
  apiKey: 26,
  name: 'EndTxn',
  minVersion: 0,
  maxVersion: 5,
  firstFlexibleVersion: FIRST_FLEXIBLE,
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  estimateRequestSize: (req) => stringSize(req.transactionalId) + 8 + 2 + 1 + 1,
}

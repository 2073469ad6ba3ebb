import type { ApiDefinition } from './api.js'
import { readNullableString, stringSize, writeNullableString } from './fields.js'
import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/** InitProducerId request (key 22). */
export interface InitProducerIdRequest {
  /** null for an idempotent, non-transactional producer. */
  readonly transactionalId: string | null
  /** Java sends Integer.MAX_VALUE when not transactional. */
  readonly transactionTimeoutMs: number
  /** v3+ (KIP-360): current id when bumping the epoch, else -1. */
  readonly producerId: bigint
  /** v3+ (KIP-360): current epoch when bumping, else -1. */
  readonly producerEpoch: number
}

/** InitProducerId response. */
export interface InitProducerIdResponse {
  /** quota throttle */
  readonly throttleTimeMs: number
  /** 0 or a Kafka error code */
  readonly errorCode: number
  /** the assigned producer id */
  readonly producerId: bigint
  /** the assigned epoch */
  readonly producerEpoch: number
}

const FIRST_FLEXIBLE = 2

function encodeRequest(w: Writer, req: InitProducerIdRequest, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  writeNullableString(w, req.transactionalId, flex)
  w.int32(req.transactionTimeoutMs)
  if (v >= 3) {
    w.int64(req.producerId)
    w.int16(req.producerEpoch)
  }
  if (flex) w.taggedFields()
}

function decodeRequest(r: Reader, v: number): InitProducerIdRequest {
  const flex = v >= FIRST_FLEXIBLE
  const transactionalId = readNullableString(r, 'transactional_id', flex)
  const transactionTimeoutMs = r.int32('transaction_timeout_ms')
  const producerId = v >= 3 ? r.int64('producer_id') : -1n
  const producerEpoch = v >= 3 ? r.int16('producer_epoch') : -1
  if (flex) r.taggedFields()
  return { transactionalId, transactionTimeoutMs, producerId, producerEpoch }
}

function encodeResponse(w: Writer, res: InitProducerIdResponse, v: number): void {
  w.int32(res.throttleTimeMs).int16(res.errorCode).int64(res.producerId).int16(res.producerEpoch)
  if (v >= FIRST_FLEXIBLE) w.taggedFields()
}

function decodeResponse(r: Reader, v: number): InitProducerIdResponse {
  const throttleTimeMs = r.int32('throttle_time_ms')
  const errorCode = r.int16('error_code')
  const producerId = r.int64('producer_id')
  const producerEpoch = r.int16('producer_epoch')
  if (v >= FIRST_FLEXIBLE) r.taggedFields()
  return { throttleTimeMs, errorCode, producerId, producerEpoch }
}

/** InitProducerId (key 22), v0-v5. Flexible from v2; v3 adds the epoch-bump fields (KIP-360). */
export const InitProducerIdApi: ApiDefinition<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  firstFlexibleVersion: FIRST_FLEXIBLE,
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  estimateRequestSize: (req) => stringSize(req.transactionalId) + 4 + 8 + 2 + 1,
}

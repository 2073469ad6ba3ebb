// FindCoordinator (key 10): which broker coordinates a consumer group or a transactional id.
import { InvalidArgumentError } from '../kafka-wire-error.js'
import type { ApiDefinition } from './api.js'
import { readNullableString, readString, stringSize, writeArrayLength, writeNullableString, writeString } from './fields.js'
import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/** `key_type` of a consumer group coordinator (FindCoordinatorRequest.json, `CoordinatorType.GROUP`). */
export const COORDINATOR_KEY_TYPE_GROUP = 0
/** `key_type` of a transaction coordinator (`CoordinatorType.TRANSACTION`). */
export const COORDINATOR_KEY_TYPE_TRANSACTION = 1
/** `key_type` of a share group coordinator (v6+, KIP-932; key `groupId:topicId:partition`). */
export const COORDINATOR_KEY_TYPE_SHARE = 2

/** FindCoordinator request. */
export interface FindCoordinatorRequest {
  /** v1+: {@link COORDINATOR_KEY_TYPE_GROUP} or {@link COORDINATOR_KEY_TYPE_TRANSACTION}; v0 knows only groups. */
  readonly keyType: number
  /**
   * The keys (group ids or transactional ids). v4+ sends them all in `coordinator_keys` (KIP-699);
   * v0-v3 carry exactly one, as `key`.
   */
  readonly coordinatorKeys: readonly string[]
}

/** One coordinator of a v4+ response. */
export interface FindCoordinatorResult {
  /** The key this result answers. */
  readonly key: string
  /** Coordinator broker id (-1 with an error). */
  readonly nodeId: number
  /** Coordinator host. */
  readonly host: string
  /** Coordinator port. */
  readonly port: number
  /** 0 or a Kafka error code (e.g. COORDINATOR_NOT_AVAILABLE). */
  readonly errorCode: number
  /** The broker's message, or null. */
  readonly errorMessage: string | null
}

/**
 * FindCoordinator response, laid out as the JSON spec: v0-v3 answer one key with top-level fields,
 * v4+ list `coordinators` (the top-level fields then keep their defaults). {@link coordinatorResults}
 * gives both shapes as one list.
 */
export interface FindCoordinatorResponse {
  /** v1+ quota throttle. */
  readonly throttleTimeMs: number
  /** v0-v3 */
  readonly errorCode: number
  /** v1-v3 */
  readonly errorMessage: string | null
  /** v0-v3 */
  readonly nodeId: number
  /** v0-v3 */
  readonly host: string
  /** v0-v3 */
  readonly port: number
  /** v4+ */
  readonly coordinators: readonly FindCoordinatorResult[]
}

const FIRST_FLEXIBLE = 3
const FIRST_BATCHED = 4

function encodeRequest(w: Writer, req: FindCoordinatorRequest, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  if (v < FIRST_BATCHED) {
    // FindCoordinatorRequest.Builder: a batch of keys needs v4+ (KIP-699).
    if (req.coordinatorKeys.length !== 1) throw new InvalidArgumentError(`FindCoordinator v${v} carries exactly one key, got ${req.coordinatorKeys.length}; batching needs v4+`)
    if (v === 0 && req.keyType !== COORDINATOR_KEY_TYPE_GROUP) throw new InvalidArgumentError(`FindCoordinator v0 finds only group coordinators (key_type ${req.keyType} needs v1+)`)
    writeString(w, req.coordinatorKeys[0] as string, flex)
    if (v >= 1) w.int8(req.keyType)
  } else {
    w.int8(req.keyType)
    writeArrayLength(w, req.coordinatorKeys.length, true)
    for (const k of req.coordinatorKeys) w.compactString(k)
  }
  if (flex) w.taggedFields()
}

function decodeRequest(r: Reader, v: number): FindCoordinatorRequest {
  const flex = v >= FIRST_FLEXIBLE
  let keyType = COORDINATOR_KEY_TYPE_GROUP
  let coordinatorKeys: string[]
  if (v < FIRST_BATCHED) {
    coordinatorKeys = [readString(r, 'key', flex)]
    if (v >= 1) keyType = r.int8('key_type')
  } else {
    keyType = r.int8('key_type')
    coordinatorKeys = r.array('coordinator_keys', true, (rr) => rr.compactString('element'), 1)
  }
  if (flex) r.taggedFields()
  return { keyType, coordinatorKeys }
}

function encodeResponse(w: Writer, res: FindCoordinatorResponse, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  if (v >= 1) w.int32(res.throttleTimeMs)
  if (v < FIRST_BATCHED) {
    w.int16(res.errorCode)
    if (v >= 1) writeNullableString(w, res.errorMessage, flex)
    w.int32(res.nodeId)
    writeString(w, res.host, flex)
    w.int32(res.port)
  } else {
    writeArrayLength(w, res.coordinators.length, true)
    for (const c of res.coordinators) {
      w.compactString(c.key)
      w.int32(c.nodeId)
      w.compactString(c.host)
      w.int32(c.port)
      w.int16(c.errorCode)
      w.compactNullableString(c.errorMessage)
      w.taggedFields()
    }
  }
  if (flex) w.taggedFields()
}

function decodeResponse(r: Reader, v: number): FindCoordinatorResponse {
  const flex = v >= FIRST_FLEXIBLE
  const throttleTimeMs = v >= 1 ? r.int32('throttle_time_ms') : 0
  // Defaults of the generated Java class for fields absent at this version.
  let errorCode = 0
  let errorMessage: string | null = null
  let nodeId = 0
  let host = ''
  let port = 0
  let coordinators: FindCoordinatorResult[] = []
  if (v < FIRST_BATCHED) {
    errorCode = r.int16('error_code')
    if (v >= 1) errorMessage = readNullableString(r, 'error_message', flex)
    nodeId = r.int32('node_id')
    host = readString(r, 'host', flex)
    port = r.int32('port')
  } else {
    coordinators = r.array('coordinators', true, (rr) => {
      const key = rr.compactString('key')
      const cNodeId = rr.int32('node_id')
      const cHost = rr.compactString('host')
      const cPort = rr.int32('port')
      const cErrorCode = rr.int16('error_code')
      const cErrorMessage = rr.compactNullableString('error_message')
      rr.taggedFields()
      return { key, nodeId: cNodeId, host: cHost, port: cPort, errorCode: cErrorCode, errorMessage: cErrorMessage }
    }, 14)
  }
  if (flex) r.taggedFields()
  return { throttleTimeMs, errorCode, errorMessage, nodeId, host, port, coordinators }
}

/**
 * The coordinators of a response as one list, whatever its version: v0-v3 answer the single key
 * that was asked (`requestedKeys[0]`) with top-level fields (Java `FindCoordinatorResponse.coordinators()`
 * does the same).
 */
export function coordinatorResults(res: FindCoordinatorResponse, version: number, requestedKeys: readonly string[]): readonly FindCoordinatorResult[] {
  if (version >= FIRST_BATCHED) return res.coordinators
  return [{ key: requestedKeys[0] ?? '', nodeId: res.nodeId, host: res.host, port: res.port, errorCode: res.errorCode, errorMessage: res.errorMessage }]
}

/** FindCoordinator (key 10), v0-v6. Flexible from v3; v4+ batches keys (KIP-699); v6 adds share groups. */
export const FindCoordinatorApi: ApiDefinition<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  firstFlexibleVersion: FIRST_FLEXIBLE,
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  estimateRequestSize: (req) => {
    let n = 1 + 5 + 1
    for (const k of req.coordinatorKeys) n += stringSize(k)
    return n
  },
}

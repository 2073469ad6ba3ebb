import { InvalidArgumentError } from '../kafka-wire-error.js'
import type { ApiDefinition } from './api.js'
import { readInt32Array, readNullableString, readString, stringSize, writeArrayLength, writeInt32Array, writeNullableString, writeString } from './fields.js'
import type { Reader } from './reader.js'
import { ZERO_UUID, type Writer } from './writer.js'

/** One topic asked for. v10+ may name it by id; before v10 only `name` is sent. */
export interface MetadataRequestTopic {
  /** v10+; {@link ZERO_UUID} or undefined when asking by name. */
  readonly topicId?: string
  /** Topic name; null (v10+) when asking by id. */
  readonly name: string | null
}

/** Metadata request (key 3). */
export interface MetadataRequest {
  /** Topics to describe; null = all topics (v1+). The Java producer always lists its topics. */
  readonly topics: readonly MetadataRequestTopic[] | null
  /** v4+: let the broker auto-create the listed topics (if it is configured to). */
  readonly allowAutoTopicCreation: boolean
  /** v8-10 */
  readonly includeClusterAuthorizedOperations?: boolean
  /** v8+ */
  readonly includeTopicAuthorizedOperations?: boolean
}

/** A broker in the cluster. */
export interface MetadataBroker {
  /** broker id */
  readonly nodeId: number
  /** advertised host */
  readonly host: string
  /** advertised port */
  readonly port: number
  /** v1+, null when unset */
  readonly rack: string | null
}

/** A partition of a topic. */
export interface MetadataPartition {
  /** partition error (e.g. LEADER_NOT_AVAILABLE) or 0 */
  readonly errorCode: number
  /** partition index */
  readonly partitionIndex: number
  /** leader broker id, -1 if none */
  readonly leaderId: number
  /** v7+, -1 before */
  readonly leaderEpoch: number
  /** all replicas */
  readonly replicaNodes: readonly number[]
  /** in-sync replicas */
  readonly isrNodes: readonly number[]
  /** v5+ */
  readonly offlineReplicas: readonly number[]
}

/** A topic in the response. */
export interface MetadataTopic {
  /** topic error (e.g. UNKNOWN_TOPIC_OR_PARTITION) or 0 */
  readonly errorCode: number
  /** null (v12+) only for unknown topics asked for by id */
  readonly name: string | null
  /** v10+ (KIP-516), {@link ZERO_UUID} when unknown or before v10 */
  readonly topicId: string
  /** v1+ */
  readonly isInternal: boolean
  /** the partitions */
  readonly partitions: readonly MetadataPartition[]
  /** v8+, -2147483648 when not requested */
  readonly topicAuthorizedOperations: number
}

/** Metadata response. */
export interface MetadataResponse {
  /** v3+ */
  readonly throttleTimeMs: number
  /** brokers in the cluster */
  readonly brokers: readonly MetadataBroker[]
  /** v2+ */
  readonly clusterId: string | null
  /** v1+, -1 when unknown */
  readonly controllerId: number
  /** described topics */
  readonly topics: readonly MetadataTopic[]
  /** v8-10 */
  readonly clusterAuthorizedOperations: number
  /** v13+ top-level error (KIP-1102, e.g. REBOOTSTRAP_REQUIRED) */
  readonly errorCode: number
}

const FIRST_FLEXIBLE = 9
const NO_AUTH_OPS = -2147483648

function encodeRequest(w: Writer, req: MetadataRequest, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  writeArrayLength(w, req.topics === null ? null : req.topics.length, flex)
  for (const t of req.topics ?? []) {
    if (v >= 10) w.uuid(t.topicId ?? ZERO_UUID)
    if (v >= 10) writeNullableString(w, t.name, flex)
    else {
      if (t.name === null) throw new InvalidArgumentError(`Metadata v${v} cannot ask for a topic by id; needs v10+`)
      writeString(w, t.name, flex)
    }
    if (flex) w.taggedFields()
  }
  if (v >= 4) w.boolean(req.allowAutoTopicCreation)
  if (v >= 8 && v <= 10) w.boolean(req.includeClusterAuthorizedOperations ?? false)
  if (v >= 8) w.boolean(req.includeTopicAuthorizedOperations ?? false)
  if (flex) w.taggedFields()
}

function decodeRequest(r: Reader, v: number): MetadataRequest {
  const flex = v >= FIRST_FLEXIBLE
  const topics = r.nullableArray('topics', flex, (rr) => {
    const topicId = v >= 10 ? rr.uuid('topic_id') : undefined
    const name = v >= 10 ? readNullableString(rr, 'name', flex) : readString(rr, 'name', flex)
    if (flex) rr.taggedFields()
    return topicId === undefined ? { name } : { topicId, name }
  })
  const allowAutoTopicCreation = v >= 4 ? r.boolean('allow_auto_topic_creation') : true
  const includeClusterAuthorizedOperations = v >= 8 && v <= 10 ? r.boolean('include_cluster_authorized_operations') : false
  const includeTopicAuthorizedOperations = v >= 8 ? r.boolean('include_topic_authorized_operations') : false
  if (flex) r.taggedFields()
  return { topics, allowAutoTopicCreation, includeClusterAuthorizedOperations, includeTopicAuthorizedOperations }
}

function encodeResponse(w: Writer, res: MetadataResponse, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  if (v >= 3) w.int32(res.throttleTimeMs)
  writeArrayLength(w, res.brokers.length, flex)
  for (const b of res.brokers) {
    w.int32(b.nodeId)
    writeString(w, b.host, flex)
    w.int32(b.port)
    if (v >= 1) writeNullableString(w, b.rack, flex)
    if (flex) w.taggedFields()
  }
  if (v >= 2) writeNullableString(w, res.clusterId, flex)
  if (v >= 1) w.int32(res.controllerId)
  writeArrayLength(w, res.topics.length, flex)
  for (const t of res.topics) {
    w.int16(t.errorCode)
    if (v >= 12) writeNullableString(w, t.name, flex)
    else writeString(w, t.name ?? '', flex)
    if (v >= 10) w.uuid(t.topicId)
    if (v >= 1) w.boolean(t.isInternal)
    writeArrayLength(w, t.partitions.length, flex)
    for (const p of t.partitions) {
      w.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId)
      if (v >= 7) w.int32(p.leaderEpoch)
      writeInt32Array(w, p.replicaNodes, flex)
      writeInt32Array(w, p.isrNodes, flex)
      if (v >= 5) writeInt32Array(w, p.offlineReplicas, flex)
      if (flex) w.taggedFields()
    }
    if (v >= 8) w.int32(t.topicAuthorizedOperations)
    if (flex) w.taggedFields()
  }
  if (v >= 8 && v <= 10) w.int32(res.clusterAuthorizedOperations)
  if (v >= 13) w.int16(res.errorCode)
  if (flex) w.taggedFields()
}

function decodeResponse(r: Reader, v: number): MetadataResponse {
  const flex = v >= FIRST_FLEXIBLE
  const throttleTimeMs = v >= 3 ? r.int32('throttle_time_ms') : 0
  const brokers = r.array('brokers', flex, (rr) => {
    const nodeId = rr.int32('node_id')
    const host = readString(rr, 'host', flex)
    const port = rr.int32('port')
    const rack = v >= 1 ? readNullableString(rr, 'rack', flex) : null
    if (flex) rr.taggedFields()
    return { nodeId, host, port, rack }
  }, 9)
  const clusterId = v >= 2 ? readNullableString(r, 'cluster_id', flex) : null
  const controllerId = v >= 1 ? r.int32('controller_id') : -1
  const topics = r.array('topics', flex, (rr) => {
    const errorCode = rr.int16('error_code')
    const name = v >= 12 ? readNullableString(rr, 'name', flex) : readString(rr, 'name', flex)
    const topicId = v >= 10 ? rr.uuid('topic_id') : ZERO_UUID
    const isInternal = v >= 1 ? rr.boolean('is_internal') : false
    const partitions = rr.array('partitions', flex, (pr) => {
      const pErrorCode = pr.int16('error_code')
      const partitionIndex = pr.int32('partition_index')
      const leaderId = pr.int32('leader_id')
      const leaderEpoch = v >= 7 ? pr.int32('leader_epoch') : -1
      const replicaNodes = readInt32Array(pr, 'replica_nodes', flex)
      const isrNodes = readInt32Array(pr, 'isr_nodes', flex)
      const offlineReplicas = v >= 5 ? readInt32Array(pr, 'offline_replicas', flex) : []
      if (flex) pr.taggedFields()
      return { errorCode: pErrorCode, partitionIndex, leaderId, leaderEpoch, replicaNodes, isrNodes, offlineReplicas }
    }, 10)
    const topicAuthorizedOperations = v >= 8 ? rr.int32('topic_authorized_operations') : NO_AUTH_OPS
    if (flex) rr.taggedFields()
    return { errorCode, name, topicId, isInternal, partitions, topicAuthorizedOperations }
  }, 3)
  const clusterAuthorizedOperations = v >= 8 && v <= 10 ? r.int32('cluster_authorized_operations') : NO_AUTH_OPS
  const errorCode = v >= 13 ? r.int16('error_code') : 0
  if (flex) r.taggedFields()
  return { throttleTimeMs, brokers, clusterId, controllerId, topics, clusterAuthorizedOperations, errorCode }
}

/** Metadata (key 3), v1-v13: brokers, partition leaders, and (v10+) topic ids. Flexible from v9. */
export const MetadataApi: ApiDefinition<MetadataRequest, MetadataResponse> = {
  apiKey: 3,
  name: 'Metadata',
  minVersion: 1,
  maxVersion: 13,
  firstFlexibleVersion: FIRST_FLEXIBLE,
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  estimateRequestSize: (req) => {
    let n = 8
    for (const t of req.topics ?? []) n += 16 + stringSize(t.name) + 1
    return n
  },
}

/** The real transport of the producer: Metadata, Produce and InitProducerId over BrokerPool connections. */
import { BrokerPool } from '../network/broker-pool.js'
import type { TraceHook } from '../network/connection.js'
import { saslAuthenticator } from '../network/sasl/authenticate.js'
import { tlsSocketFactory } from '../network/tls.js'
import { InitProducerIdApi } from '../protocol/init-producer-id.js'
import { AddOffsetsToTxnApi } from '../protocol/add-offsets-to-txn.js'
import { AddPartitionsToTxnApi } from '../protocol/add-partitions-to-txn.js'
import { END_TXN_MAX_VERSION_TV1, EndTxnApi } from '../protocol/end-txn.js'
import { transactionVersion } from '../protocol/features.js'
import { COORDINATOR_KEY_TYPE_GROUP, COORDINATOR_KEY_TYPE_TRANSACTION, coordinatorResults, FindCoordinatorApi } from '../protocol/find-coordinator.js'
import { TXN_OFFSET_COMMIT_MAX_VERSION_TV1, TxnOffsetCommitApi } from '../protocol/txn-offset-commit.js'
import { MetadataApi } from '../protocol/metadata.js'
import { ProduceApi, type ProduceRequest } from '../protocol/produce.js'
import { ZERO_UUID } from '../protocol/writer.js'
import { ProtocolError } from '../protocol/errors.js'
import type { Connection } from '../network/connection.js'
import { NetworkError } from '../network/errors.js'
import type { ResolvedConfig } from './config.js'
import { channels } from './metrics.js'
import type { ProducerLogger } from './logger.js'
import type { BrokerAddress, CoordinatorResult, InitProducerIdResult, MetadataResult, ProduceData, ProduceResult, ProducerTransport, TopicPartitions, TransactionTransport, TxnGroup, TxnOffset, TxnProducer } from './transport.js'

/** Java sends Integer.MAX_VALUE as the transaction timeout of a non-transactional InitProducerId. */
const NO_TRANSACTION_TIMEOUT = 2147483647

/** AddPartitionsToTxn v4+ is for brokers (KAFKA-15757). */
const ADD_PARTITIONS_MAX_CLIENT_VERSION = 3
/** COORDINATOR_NOT_AVAILABLE (15), for a FindCoordinator answer that lacks the key asked for. */
const COORDINATOR_NOT_AVAILABLE = 15

/** Batches from this size on are written by reference; smaller ones are cheaper to copy. */
const SHARE_BATCHES_FROM = 2048

/** The real transport: `BrokerPool` connections speaking Metadata, Produce and InitProducerId. */
export class KafkaTransport implements ProducerTransport {
  private readonly pool: BrokerPool
  /** KIP-516 topic ids from Metadata v10+, for Produce v13. */
  private readonly topicIds = new Map<string, string>()
  private readonly topicNames = new Map<string, string>()
  /** Per connection: its `bytesReceived` at the last Produce response (for the per-broker incoming bytes). */
  private readonly receivedSeen = new WeakMap<Connection, number>()

  /** @param trace called with every frame sent and received (the CLI's `--dump`); omit it on the hot path */
  constructor(
    config: ResolvedConfig,
    private readonly logger: ProducerLogger,
    trace?: TraceHook,
  ) {
    this.pool = new BrokerPool({
      bootstrapServers: config.bootstrapServers,
      clientId: config.clientId,
      requestTimeoutMs: config.requestTimeoutMs,
      connectionSetupTimeoutMs: config.socketConnectionSetupTimeoutMs,
      maxInFlightRequests: config.maxInFlightRequestsPerConnection,
      reconnectBackoffMs: config.retryBackoffMs,
      reconnectBackoffMaxMs: config.retryBackoffMaxMs,
      onThrottle: (ms, api, broker) => {
        this.logger.debug('broker throttled the client', { throttleTimeMs: ms, api })
        if (channels.throttle.hasSubscribers) channels.throttle.publish({ broker, api, throttleTimeMs: ms })
      },
      onBrokerEvent: (e) => {
        if (channels.broker.hasSubscribers) channels.broker.publish(e)
      },
      onInvalidBroker: (r) => this.logger.warn(`broker ${r.advertisedBy} advertised an unusable address for node ${r.nodeId}; not connecting to it`, { ...r }),
      ...(trace !== undefined ? { trace } : {}),
      // Issue 13: TLS per broker (SNI = its host) and the SASL step of every connection.
      ...(config.ssl !== undefined ? { socketFactory: tlsSocketFactory(config.ssl) } : {}),
      ...(config.sasl !== undefined
        ? { authenticator: saslAuthenticator(config.sasl, (e) => this.logger.debug('SASL authenticated', { broker: e.broker, mechanism: e.mechanism, reauthentication: e.reauthentication, sessionLifetimeMs: e.sessionLifetimeMs })) }
        : {}),
    })
  }

  async metadata(topics: string[]): Promise<MetadataResult> {
    const conn = await this.pool.anyConnection()
    const res = await conn.send(MetadataApi, { topics: topics.map((name) => ({ name })), allowAutoTopicCreation: true })
    const out: MetadataResult = { brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, advertisedBy: conn.broker })), topics: [] }
    for (const t of res.topics) {
      if (t.name === null) continue
      if (t.topicId !== ZERO_UUID) {
        this.topicIds.set(t.name, t.topicId)
        this.topicNames.set(t.topicId, t.name)
      }
      out.topics.push({
        topic: t.name,
        errorCode: t.errorCode,
        ...(t.topicId !== ZERO_UUID ? { topicId: t.topicId } : {}),
        partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch })),
      })
    }
    return out
  }

  async produce(nodeId: number, data: ProduceData): Promise<ProduceResult | null> {
    const conn = await this.pool.connectionFor(nodeId)
    let version = data.maxVersion !== undefined ? Math.min(conn.versionFor(ProduceApi), data.maxVersion) : conn.versionFor(ProduceApi)
    // Produce v13 names topics by id (KIP-516); fall back to v12 when an id is unknown.
    if (version >= 13 && data.topics.some((t) => !this.topicIds.has(t.topic))) version = 12
    let partitions = 0
    const request: ProduceRequest = {
      transactionalId: data.transactionalId ?? null,
      acks: data.acks,
      timeoutMs: data.timeoutMs,
      topicData: data.topics.map((t) => ({
        name: t.topic,
        topicId: this.topicIds.get(t.topic) ?? ZERO_UUID,
        partitionData: t.partitions.map((p) => {
          partitions++
          return { index: p.partition, records: p.records }
        }),
      })),
    }
    // Built batches are written from their own buffers (no copy into the request); the frame
    // buffer holds only headers, topic and partition fields.
    const opts = { version, sizeHint: 64 * data.topics.length + 16 * partitions + 256, shareBytesFrom: SHARE_BATCHES_FROM }
    if (data.acks === 0) {
      await conn.send(ProduceApi, request, { ...opts, expectResponse: false })
      return null
    }
    const res = await faultOfConnection(conn, 'Produce', conn.send(ProduceApi, request, opts))
    const received = conn.bytesReceived
    const receivedBytes = received - (this.receivedSeen.get(conn) ?? 0)
    this.receivedSeen.set(conn, received)
    return {
      receivedBytes,
      throttleTimeMs: res.throttleTimeMs,
      nodeEndpoints: res.nodeEndpoints.map((n) => ({ nodeId: n.nodeId, host: n.host, port: n.port, advertisedBy: conn.broker })),
      topics: res.responses.map((t) => ({
        topic: t.name !== '' ? t.name : (this.topicNames.get(t.topicId) ?? t.name),
        partitions: t.partitionResponses.map((p) => ({
          partition: p.index,
          errorCode: p.errorCode,
          baseOffset: p.baseOffset,
          logAppendTimeMs: BigInt(p.logAppendTimeMs),
          logStartOffset: p.logStartOffset,
          errorMessage: p.errorMessage,
          recordErrors: p.recordErrors.map((e) => ({ batchIndex: e.batchIndex, message: e.batchIndexErrorMessage })),
          currentLeader: p.currentLeader,
        })),
      })),
    }
  }

  async initProducerId(producerId: bigint, producerEpoch: number): Promise<InitProducerIdResult> {
    const conn = await this.pool.anyConnection()
    const res = await faultOfConnection(conn, 'InitProducerId', conn.send(InitProducerIdApi, { transactionalId: null, transactionTimeoutMs: NO_TRANSACTION_TIMEOUT, producerId, producerEpoch }))
    return { errorCode: res.errorCode, producerId: res.producerId, producerEpoch: res.producerEpoch, throttleTimeMs: res.throttleTimeMs }
  }

  /** Issue 14: the transaction coordinator requests (see {@link TransactionTransport}). */
  readonly transactions: TransactionTransport = {
    findCoordinator: async (keyType, key): Promise<CoordinatorResult> => {
      const conn = await this.pool.anyConnection()
      const version = conn.versionFor(FindCoordinatorApi)
      const res = await faultOfConnection(conn, 'FindCoordinator', conn.send(FindCoordinatorApi, { keyType: keyType === 'transaction' ? COORDINATOR_KEY_TYPE_TRANSACTION : COORDINATOR_KEY_TYPE_GROUP, coordinatorKeys: [key] }, { version }))
      const r = coordinatorResults(res, version, [key]).find((c) => c.key === key)
      if (r === undefined) return { errorCode: COORDINATOR_NOT_AVAILABLE, errorMessage: `FindCoordinator answered without key ${JSON.stringify(key)}`, nodeId: -1, host: '', port: 0 }
      return { errorCode: r.errorCode, errorMessage: r.errorMessage, nodeId: r.nodeId, host: r.host, port: r.port }
    },
    addBroker: (nodeId, host, port) => {
      if (this.pool.brokers.some((b) => b.nodeId === nodeId && b.host === host && b.port === port)) return
      this.updateBrokers([{ nodeId, host, port, advertisedBy: 'FindCoordinator' }])
    },
    transactionVersion: async (nodeId) => transactionVersion((await this.pool.connectionFor(nodeId)).finalizedFeatures),
    initProducerId: async (nodeId, p, transactionTimeoutMs) => {
      const conn = await this.pool.connectionFor(nodeId)
      const res = await faultOfConnection(conn, 'InitProducerId', conn.send(InitProducerIdApi, { transactionalId: p.transactionalId, transactionTimeoutMs, producerId: p.producerId, producerEpoch: p.producerEpoch }))
      return { errorCode: res.errorCode, producerId: res.producerId, producerEpoch: res.producerEpoch, throttleTimeMs: res.throttleTimeMs }
    },
    addPartitionsToTxn: async (nodeId, p, topics: Array<TopicPartitions<number>>) => {
      const conn = await this.pool.connectionFor(nodeId)
      // v4+ is broker-to-broker only (KAFKA-15757): clients send v3 at most.
      const version = Math.min(conn.versionFor(AddPartitionsToTxnApi), ADD_PARTITIONS_MAX_CLIENT_VERSION)
      const res = await faultOfConnection(conn, 'AddPartitionsToTxn', conn.send(AddPartitionsToTxnApi, { ...p, topics: topics.map((t) => ({ name: t.topic, partitions: t.partitions })) }, { version }))
      return res.resultsByTopic.flatMap((t) => t.resultsByPartition.map((r) => ({ topic: t.name, partition: r.partitionIndex, errorCode: r.partitionErrorCode })))
    },
    addOffsetsToTxn: async (nodeId, p, groupId) => {
      const conn = await this.pool.connectionFor(nodeId)
      const res = await faultOfConnection(conn, 'AddOffsetsToTxn', conn.send(AddOffsetsToTxnApi, { ...p, groupId }))
      return res.errorCode
    },
    txnOffsetCommit: async (nodeId, p, group: TxnGroup, topics: Array<TopicPartitions<TxnOffset>>, tv2) => {
      const conn = await this.pool.connectionFor(nodeId)
      const best = conn.versionFor(TxnOffsetCommitApi)
      const version = tv2 ? best : Math.min(best, TXN_OFFSET_COMMIT_MAX_VERSION_TV1)
      const res = await faultOfConnection(
        conn,
        'TxnOffsetCommit',
        conn.send(TxnOffsetCommitApi, { ...p, ...group, topics: topics.map((t) => ({ name: t.topic, partitions: t.partitions.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, committedMetadata: o.metadata })) })) }, { version }),
      )
      return res.topics.flatMap((t) => t.partitions.map((r) => ({ topic: t.name, partition: r.partitionIndex, errorCode: r.errorCode })))
    },
    endTxn: async (nodeId, p: TxnProducer, commit, tv2) => {
      const conn = await this.pool.connectionFor(nodeId)
      const best = conn.versionFor(EndTxnApi)
      const version = tv2 ? best : Math.min(best, END_TXN_MAX_VERSION_TV1)
      const res = await faultOfConnection(conn, 'EndTxn', conn.send(EndTxnApi, { ...p, committed: commit }, { version }))
      return { errorCode: res.errorCode, producerId: res.producerId, producerEpoch: res.producerEpoch }
    },
  }

  /** The brokers the connection pool knows now (diagnostics and tests). */
  get knownBrokers(): BrokerAddress[] {
    return this.pool.brokers
  }

  updateBrokers(brokers: BrokerAddress[], complete = false): void {
    // A full Metadata response is the whole cluster: departed brokers are forgotten (the pool
    // drops them and ends their reconnect loops). An empty list proves nothing: keep what we know.
    if (complete) {
      if (brokers.length > 0) this.pool.updateBrokers(brokers)
      return
    }
    // KIP-951 endpoints are a subset: merge them into what we know instead of replacing the list.
    const known = new Map(this.pool.brokers.map((b) => [b.nodeId, b]))
    for (const b of brokers) known.set(b.nodeId, b)
    this.pool.updateBrokers([...known.values()])
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}

/**
 * A response that does not decode is a fault of the connection it came on (issue 18): its stream
 * can no longer be trusted, so close it and report a retriable `NetworkError`; the request is then
 * retried on a new connection within the usual timeouts (for Produce an unknown outcome, which the
 * idempotent retry makes safe). Other errors pass unchanged.
 */
export async function faultOfConnection<T>(conn: Pick<Connection, 'broker' | 'close'>, api: string, response: Promise<T>): Promise<T> {
  try {
    return await response
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err
    conn.close()
    throw new NetworkError(conn.broker, `undecodable ${api} response (${err.message}); connection closed, the request will be retried`, err)
  }
}

/** The transport for a validated configuration. */
export function createKafkaTransport(config: ResolvedConfig, logger: ProducerLogger, trace?: TraceHook): ProducerTransport {
  return new KafkaTransport(config, logger, trace)
}

// Batch encoding moved to batch-format.ts; re-exported for existing imports.
export { createBatchFormat } from './batch-format.js'

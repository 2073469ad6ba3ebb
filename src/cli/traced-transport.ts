/**
 * A producer transport whose connections report every frame to a trace hook, for `--dump` on
 * `produce` and `demo`.
 *
 * Why it exists: the producer's own `KafkaTransport` builds its `BrokerPool` without a way to pass
 * the network layer's `trace` option. This is the same mapping onto `BrokerPool` with the hook
 * added; once `ProducerOptions` grows a trace option, this file can go.
 */
import type { TraceHook } from '../network/connection.js'
import { BrokerPool } from '../network/broker-pool.js'
import { InitProducerIdApi } from '../protocol/init-producer-id.js'
import { MetadataApi } from '../protocol/metadata.js'
import { ProduceApi, type ProduceRequest } from '../protocol/produce.js'
import { ZERO_UUID } from '../protocol/writer.js'
import type { ResolvedConfig } from '../producer/config.js'
import type { BrokerAddress, InitProducerIdResult, MetadataResult, ProduceData, ProduceResult, ProducerTransport } from '../producer/transport.js'

/** `transaction_timeout_ms` of a non-transactional InitProducerId (the Java client sends Integer.MAX_VALUE). */
const NO_TRANSACTION_TIMEOUT = 2147483647

/** {@link ProducerTransport} over a {@link BrokerPool} whose connections call `trace` for every frame. */
export class TracedTransport implements ProducerTransport {
  private readonly pool: BrokerPool
  private readonly topicIds = new Map<string, string>()
  private readonly topicNames = new Map<string, string>()

  /** @param config the producer's resolved config; @param trace called with every frame sent and received */
  constructor(config: ResolvedConfig, trace: TraceHook) {
    this.pool = new BrokerPool({
      bootstrapServers: config.bootstrapServers,
      clientId: config.clientId,
      requestTimeoutMs: config.requestTimeoutMs,
      connectionSetupTimeoutMs: config.socketConnectionSetupTimeoutMs,
      maxInFlightRequests: config.maxInFlightRequestsPerConnection,
      reconnectBackoffMs: config.retryBackoffMs,
      reconnectBackoffMaxMs: config.retryBackoffMaxMs,
      trace,
    })
  }

  async metadata(topics: string[]): Promise<MetadataResult> {
    const conn = await this.pool.anyConnection()
    const res = await conn.send(MetadataApi, { topics: topics.map((name) => ({ name })), allowAutoTopicCreation: true })
    const result: MetadataResult = { brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })), topics: [] }
    for (const t of res.topics) {
      if (t.name === null) continue
      if (t.topicId !== ZERO_UUID) {
        this.topicIds.set(t.name, t.topicId)
        this.topicNames.set(t.topicId, t.name)
      }
      result.topics.push({
        topic: t.name,
        errorCode: t.errorCode,
        partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch })),
      })
    }
    return result
  }

  async produce(nodeId: number, data: ProduceData): Promise<ProduceResult | null> {
    const conn = await this.pool.connectionFor(nodeId)
    let version = conn.versionFor(ProduceApi)
    // v13 names topics by id (KIP-516): without a known id, v12 names them.
    if (version >= 13 && data.topics.some((t) => !this.topicIds.has(t.topic))) version = 12
    const request: ProduceRequest = {
      transactionalId: null,
      acks: data.acks,
      timeoutMs: data.timeoutMs,
      topicData: data.topics.map((t) => ({
        name: t.topic,
        topicId: this.topicIds.get(t.topic) ?? ZERO_UUID,
        partitionData: t.partitions.map((p) => ({ index: p.partition, records: p.records })),
      })),
    }
    if (data.acks === 0) {
      await conn.send(ProduceApi, request, { version, expectResponse: false })
      return null
    }
    const res = await conn.send(ProduceApi, request, { version })
    return {
      throttleTimeMs: res.throttleTimeMs,
      nodeEndpoints: res.nodeEndpoints.map((n) => ({ nodeId: n.nodeId, host: n.host, port: n.port })),
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
    const res = await conn.send(InitProducerIdApi, { transactionalId: null, transactionTimeoutMs: NO_TRANSACTION_TIMEOUT, producerId, producerEpoch })
    return { errorCode: res.errorCode, producerId: res.producerId, producerEpoch: res.producerEpoch, throttleTimeMs: res.throttleTimeMs }
  }

  updateBrokers(brokers: BrokerAddress[]): void {
    const known = new Map(this.pool.brokers.map((b) => [b.nodeId, b]))
    for (const b of brokers) known.set(b.nodeId, b)
    this.pool.updateBrokers([...known.values()])
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}

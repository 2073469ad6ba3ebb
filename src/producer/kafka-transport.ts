import { resolveCompression } from '../compression/index.js'
import { BrokerPool } from '../network/broker-pool.js'
import type { TraceHook } from '../network/connection.js'
import { saslAuthenticator } from '../network/sasl/authenticate.js'
import { tlsSocketFactory } from '../network/tls.js'
import { InitProducerIdApi } from '../protocol/init-producer-id.js'
import { MetadataApi } from '../protocol/metadata.js'
import { ProduceApi, type ProduceRequest } from '../protocol/produce.js'
import { RecordBatchBuilder, decodeRecordBatches, restampBatch } from '../protocol/record-batch.js'
import { ZERO_UUID } from '../protocol/writer.js'
import type { ResolvedConfig } from './config.js'
import { ConfigError } from './errors.js'
import type { ProducerLogger } from './logger.js'
import type { BatchBuilder, BatchFormat, BatchRecord, BrokerAddress, InitProducerIdResult, MetadataResult, ProduceData, ProduceResult, ProducerTransport } from './transport.js'

/** Java sends Integer.MAX_VALUE as the transaction timeout of a non-transactional InitProducerId. */
const NO_TRANSACTION_TIMEOUT = 2147483647

/** Batches from this size on are written by reference; smaller ones are cheaper to copy. */
const SHARE_BATCHES_FROM = 2048

/** The real transport: `BrokerPool` connections speaking Metadata, Produce and InitProducerId. */
export class KafkaTransport implements ProducerTransport {
  private readonly pool: BrokerPool
  /** KIP-516 topic ids from Metadata v10+, for Produce v13. */
  private readonly topicIds = new Map<string, string>()
  private readonly topicNames = new Map<string, string>()

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
      onThrottle: (ms, api) => this.logger.debug('broker throttled the client', { throttleTimeMs: ms, api }),
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
    const out: MetadataResult = { brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })), topics: [] }
    for (const t of res.topics) {
      if (t.name === null) continue
      if (t.topicId !== ZERO_UUID) {
        this.topicIds.set(t.name, t.topicId)
        this.topicNames.set(t.topicId, t.name)
      }
      out.topics.push({
        topic: t.name,
        errorCode: t.errorCode,
        partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch })),
      })
    }
    return out
  }

  async produce(nodeId: number, data: ProduceData): Promise<ProduceResult | null> {
    const conn = await this.pool.connectionFor(nodeId)
    let version = conn.versionFor(ProduceApi)
    // Produce v13 names topics by id (KIP-516); fall back to v12 when an id is unknown.
    if (version >= 13 && data.topics.some((t) => !this.topicIds.has(t.topic))) version = 12
    let partitions = 0
    const request: ProduceRequest = {
      transactionalId: null,
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
    const res = await conn.send(ProduceApi, request, opts)
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
    // KIP-951 endpoints are a subset: merge them into what we know instead of replacing the list.
    const known = new Map(this.pool.brokers.map((b) => [b.nodeId, b]))
    for (const b of brokers) known.set(b.nodeId, b)
    this.pool.updateBrokers([...known.values()])
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}

/** The transport for a validated configuration. */
export function createKafkaTransport(config: ResolvedConfig, logger: ProducerLogger, trace?: TraceHook): ProducerTransport {
  return new KafkaTransport(config, logger, trace)
}

/**
 * RecordBatch v2 via `src/protocol/record-batch.ts`, compressed with the configured codec. Throws
 * `ConfigError` for an invalid compression type or level.
 */
export function createBatchFormat(config: ResolvedConfig): BatchFormat {
  let compress: ((records: Uint8Array) => Uint8Array) | undefined
  let decompress: ((codecId: number, data: Uint8Array) => Uint8Array) | undefined
  let codecId = 0
  try {
    const c = resolveCompression(config.compressionType, config.compressionLevel)
    if (c.codecId !== 0) {
      const { codec, level } = c
      compress = (records) => codec.compress(records, level)
      // Only our own batches are decoded, so the records are at most maxRequestSize × a generous ratio.
      decompress = (_id, data) => codec.decompress(data, Math.max(64 * 1024 * 1024, config.maxRequestSize * 64))
      codecId = c.codecId
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err
    const option = config.compressionLevel !== undefined && config.compressionType !== 'none' ? 'compressionLevel' : 'compressionType'
    throw new ConfigError(option, err instanceof Error ? err.message : String(err))
  }
  return {
    create: (maxBytes: number): BatchBuilder => new RecordBatchBuilder(maxBytes),
    build: (builder, producerId, epoch, baseSequence) => {
      const b = (builder as RecordBatchBuilder).build({ compression: compress, codecId, producerId, producerEpoch: epoch, baseSequence })
      return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
    },
    restamp: (batch, producerId, epoch, baseSequence) => restampBatch(batch, producerId, epoch, baseSequence),
    decode: (batch): BatchRecord[] => {
      const out: BatchRecord[] = []
      for (const b of decodeRecordBatches(batch, decompress !== undefined ? { decompress } : {})) {
        if (b.records === null) throw new Error('cannot read back a compressed batch without its codec')
        for (const r of b.records) {
          out.push({
            timestamp: r.timestamp,
            key: r.key === null ? null : Buffer.from(r.key.buffer, r.key.byteOffset, r.key.byteLength),
            value: r.value === null ? null : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
            headers: r.headers.length === 0 ? null : r.headers.map(([k, v]) => [k, v === null ? null : Buffer.from(v.buffer, v.byteOffset, v.byteLength)]),
          })
        }
      }
      return out
    },
  }
}

/**
 * The narrow view of the protocol and network layers the producer's internals need. The real
 * implementation (`kafka-transport.ts`) maps these shapes onto `src/protocol` and `src/network`;
 * unit tests script them, so the sender and the idempotence state machine can be driven without a
 * broker.
 */

/** One broker of the cluster. */
export interface BrokerAddress {
  nodeId: number
  host: string
  port: number
  /** The broker whose response advertised this address, for logs. */
  advertisedBy?: string
}

/** One partition of a Metadata response. */
export interface PartitionInfo {
  partition: number
  errorCode: number
  /** -1 when there is no leader. */
  leaderId: number
  leaderEpoch: number
}

/** One topic of a Metadata response. */
export interface TopicInfo {
  topic: string
  errorCode: number
  partitions: PartitionInfo[]
  /** KIP-516 topic id (Metadata v10+), when known: a recreated topic restarts its leader epochs. */
  topicId?: string
}

/** A Metadata response, reduced to what the producer uses. */
export interface MetadataResult {
  brokers: BrokerAddress[]
  topics: TopicInfo[]
}

/** One built RecordBatch for one partition. */
export interface PartitionData {
  partition: number
  /** The complete RecordBatch bytes (magic 2). */
  records: Buffer
}

/** The producer's part of a Produce request. */
export interface ProduceData {
  acks: 0 | 1 | -1
  timeoutMs: number
  /** The transactional id of a transactional producer's Produce, else absent (null on the wire). */
  transactionalId?: string
  /** Highest Produce version allowed (11 inside a transaction under the old protocol), else the negotiated one. */
  maxVersion?: number
  topics: Array<{ topic: string; partitions: PartitionData[] }>
}

/** KIP-951: the leader the broker knows about, returned with NOT_LEADER_OR_FOLLOWER. */
export interface LeaderHint {
  leaderId: number
  leaderEpoch: number
}

/** One partition of a Produce response. */
export interface PartitionResult {
  partition: number
  errorCode: number
  baseOffset: bigint
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTimeMs: bigint
  logStartOffset: bigint
  errorMessage: string | null
  /** Per-record errors (Produce v8+): the index in the batch and a message. */
  recordErrors: Array<{ batchIndex: number; message: string | null }>
  currentLeader: LeaderHint | null
}

/** A Produce response, reduced. */
export interface ProduceResult {
  throttleTimeMs: number
  topics: Array<{ topic: string; partitions: PartitionResult[] }>
  /** KIP-951 endpoints of leaders named in `currentLeader`. */
  nodeEndpoints: BrokerAddress[]
  /**
   * Bytes the connection received since the previous Produce response it delivered, this one
   * included (every frame, as Java's Selector `bytes-received`); absent when not measured.
   */
  receivedBytes?: number
}

/** An InitProducerId response, reduced. */
export interface InitProducerIdResult {
  errorCode: number
  producerId: bigint
  producerEpoch: number
  throttleTimeMs: number
}

/** What the producer asks of the layers below. */
export interface ProducerTransport {
  /** Metadata for `topics` from any broker, with auto-creation allowed. */
  metadata(topics: string[]): Promise<MetadataResult>
  /**
   * Sends a Produce request to `nodeId`. Resolves `null` when acks = 0 (no response expected) once
   * the request is written. Rejects with a network error (connection lost, request timeout).
   */
  produce(nodeId: number, data: ProduceData): Promise<ProduceResult | null>
  /** InitProducerId (non-transactional) from any broker; `producerId`/`epoch` -1 for a new id (KIP-360 otherwise). */
  initProducerId(producerId: bigint, producerEpoch: number): Promise<InitProducerIdResult>
  /**
   * Tells the network layer about brokers: `complete` for a full Metadata response (the list
   * replaces what is known; departed brokers are forgotten), otherwise KIP-951 hints merged in.
   */
  updateBrokers(brokers: BrokerAddress[], complete?: boolean): void
  /** Closes every connection. */
  close(): Promise<void>
  /** The transaction coordinator requests of a transactional producer; absent in transports that cannot send them. */
  readonly transactions?: TransactionTransport
}

/** A coordinator found by FindCoordinator, reduced. */
export interface CoordinatorResult {
  errorCode: number
  errorMessage: string | null
  nodeId: number
  host: string
  port: number
}

/** The partitions to add to a transaction, or an offset commit's topics. */
export interface TopicPartitions<P> {
  topic: string
  partitions: P[]
}

/** An offset to commit in a transaction. */
export interface TxnOffset {
  partition: number
  /** The offset of the next record to consume. */
  offset: bigint
  /** Leader epoch of the last consumed record, or -1. */
  leaderEpoch: number
  metadata: string | null
}

/** The consumer group of `sendOffsetsToTransaction` (Java `ConsumerGroupMetadata`). */
export interface TxnGroup {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
}

/** The producer id and epoch a transactional request carries. */
export interface TxnProducer {
  transactionalId: string
  producerId: bigint
  producerEpoch: number
}

/**
 * Requests of a transactional producer (see `transaction-manager.ts`). Each goes to the node it
 * names and resolves with the response's error codes; network failures reject as usual. `tv2`
 * selects the protocol: true allows the new versions (KIP-890 part 2), false caps them at the old ones.
 */
export interface TransactionTransport {
  /** FindCoordinator for a transactional id or a consumer group, from any broker (KIP-699 batched form when supported). */
  findCoordinator(keyType: 'transaction' | 'group', key: string): Promise<CoordinatorResult>
  /** Makes `nodeId` reachable at `host:port` (a coordinator may be a broker not yet in metadata). */
  addBroker(nodeId: number, host: string, port: number): void
  /** The broker's finalized `transaction.version` feature level on its connection (0 when absent). */
  transactionVersion(nodeId: number): Promise<number>
  /** InitProducerId with a transactional id, at its coordinator; -1/-1 for a first init, else a KIP-360 bump. */
  initProducerId(nodeId: number, p: TxnProducer, transactionTimeoutMs: number): Promise<InitProducerIdResult>
  /** AddPartitionsToTxn (v3 at most): per-partition error codes. */
  addPartitionsToTxn(nodeId: number, p: TxnProducer, topics: Array<TopicPartitions<number>>): Promise<Array<{ topic: string; partition: number; errorCode: number }>>
  /** AddOffsetsToTxn (old protocol only). */
  addOffsetsToTxn(nodeId: number, p: TxnProducer, groupId: string): Promise<number>
  /** TxnOffsetCommit at the group coordinator: per-partition error codes. */
  txnOffsetCommit(nodeId: number, p: TxnProducer, group: TxnGroup, topics: Array<TopicPartitions<TxnOffset>>, tv2: boolean): Promise<Array<{ topic: string; partition: number; errorCode: number }>>
  /** EndTxn: the error code and, under TV2 (v5+), the next producer id and epoch (-1 before). */
  endTxn(nodeId: number, p: TxnProducer, commit: boolean, tv2: boolean): Promise<{ errorCode: number; producerId: bigint; producerEpoch: number }>
}

/** Record header as the accumulator stores it (UTF-8 key, bytes value). */
export type HeaderPair = [string, Buffer | null]

/** The record-batch builder the accumulator appends into (implemented by `src/protocol/record-batch.ts`). */
export interface BatchBuilder {
  /** Appends one record if it fits under the builder's size limit (the first record always fits). */
  tryAppend(timestamp: number, key: Buffer | null, value: Buffer | null, headers: HeaderPair[] | null): boolean
  readonly recordCount: number
  /** Bytes the batch would have uncompressed. */
  readonly sizeInBytes: number
}

/** Creates, builds and re-stamps record batches. */
export interface BatchFormat {
  /** A new builder that refuses records once `maxBytes` would be exceeded (except the first). */
  create(maxBytes: number): BatchBuilder
  /** Finishes a batch: compression, CRC. `producerId`/`epoch`/`baseSequence` -1 when not idempotent. */
  build(builder: BatchBuilder, producerId: bigint, epoch: number, baseSequence: number): Buffer
  /** Rewrites producer id, epoch and base sequence of a built batch in place (and its CRC). */
  restamp(batch: Buffer, producerId: bigint, epoch: number, baseSequence: number): void
  /** Reads the records of a built batch back (to split a batch the broker found too large). */
  decode(batch: Buffer): BatchRecord[]
}

/** One record read back from a built batch. */
export interface BatchRecord {
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: HeaderPair[] | null
}

/**
 * A scripted transaction coordinator for the transactional producer's unit tests: it records every
 * request in order and answers from per-API scripts of error codes (default 0). Its only own rules
 * are the producer epoch's, ported from apache/kafka (checked against commit 1eb7644,
 * core/src/main/scala/kafka/coordinator/transaction/):
 * - InitProducerId: `TransactionMetadata.prepareIncrementProducerEpoch` (no expected epoch: current
 *   + 1, so a new id gets 0, and the last epoch becomes -1; an expected epoch equal to the current
 *   one, or no current one: + 1, the last epoch = the current one; equal to the last one: a retry,
 *   unchanged; otherwise PRODUCER_FENCED);
 * - EndTxn: `TransactionCoordinator.endTransaction`, its `isValidEpoch`: TV1 strict equality, else
 *   PRODUCER_FENCED (EndTxn below v5 has no epoch fields: -1/-1 here); TV2 `prepareAbortOrCommit`
 *   bumps the epoch (last = the old one) and the response returns it, and the stored epoch = the
 *   given one + 1 (`endTxnEpochBumped`) is a retry of a completed EndTxn: NONE with the stored epoch.
 *   Transaction states (CONCURRENT_TRANSACTIONS while a commit is being prepared, invalid transitions)
 *   are not modelled: tests script those answers.
 * Everything else is what the test scripts; the real broker's behaviour is covered by
 * test/integration/transactions.test.ts.
 */
import type { CoordinatorResult, InitProducerIdResult, TopicPartitions, TransactionTransport, TxnGroup, TxnOffset, TxnProducer } from '../../../src/producer/transport.js'
import { FakeTransport, type SeenRequest } from './fake-transport.js'

/** Kafka error code 90 (Errors.PRODUCER_FENCED). */
const PRODUCER_FENCED = 90

/** One transactional request as the fake coordinator saw it. */
export interface TxnCall {
  api: 'FindCoordinator' | 'InitProducerId' | 'AddPartitionsToTxn' | 'AddOffsetsToTxn' | 'TxnOffsetCommit' | 'EndTxn'
  nodeId: number
  producer?: TxnProducer
  detail?: unknown
}

export class FakeTxnTransport extends FakeTransport {
  /** The finalized transaction.version the coordinator reports. */
  transactionVersionLevel = 2
  coordinatorNode = 7
  readonly calls: TxnCall[] = []
  /** Scripted error codes per API, consumed one per request; 0 once empty. */
  readonly script: Record<TxnCall['api'], number[]> = { FindCoordinator: [], InitProducerId: [], AddPartitionsToTxn: [], AddOffsetsToTxn: [], TxnOffsetCommit: [], EndTxn: [] }
  producerId = 4000n
  /** The coordinator's stored epoch (-1: no producer yet) and the one before the last bump. */
  epoch = -1
  lastEpoch = -1
  /** Everything in call order: transactional calls and Produce requests. */
  readonly timeline: Array<TxnCall | { api: 'Produce'; request: SeenRequest }> = []

  constructor() {
    super()
    const inner = this.onProduce
    this.onProduce = (req) => {
      this.timeline.push({ api: 'Produce', request: req })
      return inner(req)
    }
  }

  private next(call: TxnCall): number {
    this.calls.push(call)
    this.timeline.push(call)
    return this.script[call.api].shift() ?? 0
  }

  readonly transactions: TransactionTransport = {
    findCoordinator: async (keyType: 'transaction' | 'group', key: string): Promise<CoordinatorResult> => {
      const errorCode = this.next({ api: 'FindCoordinator', nodeId: -1, detail: { keyType, key } })
      return { errorCode, errorMessage: null, nodeId: errorCode === 0 ? this.coordinatorNode : -1, host: 'coord', port: 9 }
    },
    addBroker: () => {},
    transactionVersion: async () => this.transactionVersionLevel,
    initProducerId: async (nodeId: number, p: TxnProducer, timeoutMs: number): Promise<InitProducerIdResult> => {
      let errorCode = this.next({ api: 'InitProducerId', nodeId, producer: p, detail: { timeoutMs } })
      if (errorCode === 0) {
        // TransactionMetadata.prepareIncrementProducerEpoch (see the file comment). No expected epoch
        // (a new producer): bump and forget the last epoch, so an older instance retrying with it is
        // fenced rather than taken for a retry.
        if (p.producerEpoch < 0) {
          this.lastEpoch = -1
          this.epoch++
        } else if (this.epoch < 0 || p.producerEpoch === this.epoch) {
          this.lastEpoch = this.epoch
          this.epoch++
        } else if (p.producerEpoch !== this.lastEpoch) errorCode = PRODUCER_FENCED
      }
      return { errorCode, producerId: errorCode === 0 ? this.producerId : -1n, producerEpoch: errorCode === 0 ? this.epoch : -1, throttleTimeMs: 0 }
    },
    addPartitionsToTxn: async (nodeId: number, p: TxnProducer, topics: Array<TopicPartitions<number>>) => {
      const errorCode = this.next({ api: 'AddPartitionsToTxn', nodeId, producer: p, detail: topics })
      return topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition, errorCode })))
    },
    addOffsetsToTxn: async (nodeId: number, p: TxnProducer, groupId: string) => this.next({ api: 'AddOffsetsToTxn', nodeId, producer: p, detail: groupId }),
    txnOffsetCommit: async (nodeId: number, p: TxnProducer, group: TxnGroup, topics: Array<TopicPartitions<TxnOffset>>, tv2: boolean) => {
      const errorCode = this.next({ api: 'TxnOffsetCommit', nodeId, producer: p, detail: { group, topics, tv2 } })
      return topics.flatMap((t) => t.partitions.map((o) => ({ topic: t.topic, partition: o.partition, errorCode })))
    },
    endTxn: async (nodeId: number, p: TxnProducer, commit: boolean, tv2: boolean) => {
      let errorCode = this.next({ api: 'EndTxn', nodeId, producer: p, detail: { commit, tv2 } })
      if (errorCode === 0) {
        // TransactionCoordinator.endTransactionWithTV1 / endTransaction (TV2), see the file comment.
        const retryAfterBump = tv2 && this.epoch === p.producerEpoch + 1
        if (p.producerEpoch !== this.epoch && !retryAfterBump) errorCode = PRODUCER_FENCED
        else if (tv2 && !retryAfterBump) {
          this.lastEpoch = this.epoch
          this.epoch++
        }
      }
      // EndTxn v5 (TV2) returns the epoch for the next transaction (KIP-890); older versions and errors -1.
      return { errorCode, producerId: errorCode === 0 && tv2 ? this.producerId : -1n, producerEpoch: errorCode === 0 && tv2 ? this.epoch : -1 }
    },
  }

  /** The API names of the timeline, in order. */
  apis(): string[] {
    return this.timeline.map((c) => c.api)
  }
}

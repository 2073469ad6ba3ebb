/**
 * A scripted transaction coordinator for the transactional producer's unit tests: it records every
 * request in order and answers from per-API scripts of error codes (default 0). It decides nothing
 * itself: each test scripts the broker answers it is about (the real broker's behaviour is covered
 * by test/integration/transactions.test.ts).
 */
import type { CoordinatorResult, InitProducerIdResult, TopicPartitions, TransactionTransport, TxnGroup, TxnOffset, TxnProducer } from '../../../src/producer/transport.js'
import { FakeTransport, type SeenRequest } from './fake-transport.js'

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
  epoch = 0
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
      const errorCode = this.next({ api: 'InitProducerId', nodeId, producer: p, detail: { timeoutMs } })
      if (errorCode === 0) this.epoch = p.producerEpoch < 0 ? 0 : p.producerEpoch + 1
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
      const errorCode = this.next({ api: 'EndTxn', nodeId, producer: p, detail: { commit, tv2 } })
      // EndTxn v5 (TV2) returns the bumped epoch for the next transaction (KIP-890); older versions -1.
      if (errorCode === 0 && tv2) this.epoch = p.producerEpoch + 1
      return { errorCode, producerId: errorCode === 0 && tv2 ? this.producerId : -1n, producerEpoch: errorCode === 0 && tv2 ? this.epoch : -1 }
    },
  }

  /** The API names of the timeline, in order. */
  apis(): string[] {
    return this.timeline.map((c) => c.api)
  }
}

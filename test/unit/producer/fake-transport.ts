import { gunzipSync } from 'node:zlib'
import { decodeRecordBatches, type DecodedRecordBatch } from '../../../src/protocol/record-batch.js'
import type { InitProducerIdResult, MetadataResult, PartitionResult, ProduceData, ProduceResult, ProducerTransport, BrokerAddress } from '../../../src/producer/transport.js'

/** Test batches are gzip at most; node:zlib inflates them (not our codec). */
function gunzipOnly(codecId: number, data: Uint8Array): Uint8Array {
  if (codecId !== 1) throw new Error(`fake transport: codec ${codecId} not supported`)
  return gunzipSync(data)
}

/** One Produce request as the fake broker saw it, batches decoded by the protocol decoder. */
export interface SeenRequest {
  nodeId: number
  data: ProduceData
  batches: Array<{ topic: string; partition: number; batch: DecodedRecordBatch }>
}

/** A scripted stand-in for the network: metadata, Produce and InitProducerId answers chosen by the test. */
export class FakeTransport implements ProducerTransport {
  numPartitions = 3
  leader = 1
  topicError = 0
  metadataCalls = 0
  initCalls: Array<[bigint, number]> = []
  initScript: Array<InitProducerIdResult | Error> = []
  readonly requests: SeenRequest[] = []
  /** Next offset per `topic/partition`. */
  readonly logs = new Map<string, number>()
  /** Decides the answer; default: success with offsets. */
  onProduce: (req: SeenRequest) => Promise<ProduceResult | null> | ProduceResult | null = (req) => this.ok(req)
  closed = false
  brokersSeen: BrokerAddress[] = []

  async metadata(topics: string[]): Promise<MetadataResult> {
    this.metadataCalls++
    await Promise.resolve()
    return {
      brokers: [{ nodeId: 1, host: 'h1', port: 1 }, { nodeId: 2, host: 'h2', port: 2 }],
      topics: topics.map((topic) => ({
        topic,
        errorCode: this.topicError,
        partitions: this.topicError !== 0 ? [] : Array.from({ length: this.numPartitions }, (_, partition) => ({ partition, errorCode: 0, leaderId: this.leader, leaderEpoch: 0 })),
      })),
    }
  }

  produce(nodeId: number, data: ProduceData): Promise<ProduceResult | null> {
    const req: SeenRequest = { nodeId, data, batches: [] }
    for (const t of data.topics) for (const p of t.partitions) req.batches.push({ topic: t.topic, partition: p.partition, batch: decodeRecordBatches(p.records, { decompress: gunzipOnly })[0] as DecodedRecordBatch })
    this.requests.push(req)
    return Promise.resolve().then(() => this.onProduce(req))
  }

  async initProducerId(producerId: bigint, producerEpoch: number): Promise<InitProducerIdResult> {
    this.initCalls.push([producerId, producerEpoch])
    const next = this.initScript.shift()
    if (next instanceof Error) throw next
    return next ?? { errorCode: 0, producerId: 1000n, producerEpoch: 0, throttleTimeMs: 0 }
  }

  /** Each call: the brokers and whether they were a complete list. */
  readonly brokerUpdates: Array<{ brokers: BrokerAddress[]; complete: boolean }> = []
  updateBrokers(brokers: BrokerAddress[], complete = false): void {
    this.brokerUpdates.push({ brokers, complete })
    this.brokersSeen = brokers
  }

  async close(): Promise<void> {
    this.closed = true
  }

  /** Success for every partition of `req`, appending to the fake logs. */
  ok(req: SeenRequest, override?: (topic: string, partition: number) => Partial<PartitionResult> | undefined): ProduceResult {
    const topics = new Map<string, PartitionResult[]>()
    for (const b of req.batches) {
      const o = override?.(b.topic, b.partition)
      let list = topics.get(b.topic)
      if (list === undefined) topics.set(b.topic, (list = []))
      const key = `${b.topic}/${b.partition}`
      const base = this.logs.get(key) ?? 0
      const errorCode = o?.errorCode ?? 0
      if (errorCode === 0) this.logs.set(key, base + b.batch.recordCount)
      list.push({ partition: b.partition, errorCode, baseOffset: errorCode === 0 ? BigInt(base) : -1n, logAppendTimeMs: -1n, logStartOffset: 0n, errorMessage: null, recordErrors: [], currentLeader: null, ...o })
    }
    return { throttleTimeMs: 0, nodeEndpoints: [], topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) }
  }

  /** Every record value (as string) the fake log accepted, per partition, in offset order. */
  values(topic: string, partition: number, acceptedOnly: Set<SeenRequest>): string[] {
    const out: string[] = []
    for (const r of this.requests) {
      if (!acceptedOnly.has(r)) continue
      for (const b of r.batches) if (b.topic === topic && b.partition === partition) for (const rec of b.batch.records ?? []) out.push(Buffer.from(rec.value ?? new Uint8Array()).toString())
    }
    return out
  }
}

/**
 * The idempotent producer against a simulated partition log that enforces the broker's sequence
 * rules (ProducerAppendInfo: same epoch → next sequence, new epoch → sequence 0, the last 5 batches
 * are duplicates answered with their original offset), while requests are lost before or after the
 * append and partitions answer NOT_LEADER_OR_FOLLOWER. Every record must end up in the log exactly
 * once and in send order.
 */
import { describe, expect, it } from 'vitest'
import { Producer } from '../../../src/index.js'
import { NetworkError } from '../../../src/network/errors.js'
import type { ProduceResult, PartitionResult } from '../../../src/producer/transport.js'
import { FakeTransport, type SeenRequest } from './fake-transport.js'

interface PartitionLog {
  producerId: bigint
  epoch: number
  lastSeq: number
  recent: Array<{ first: number; last: number; epoch: number; offset: number }>
  values: string[]
}

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}

class SequencedBroker {
  readonly logs = new Map<number, PartitionLog>()
  outOfOrder = 0
  duplicates = 0

  append(req: SeenRequest, notLeader: (partition: number) => boolean): ProduceResult {
    const partitions: PartitionResult[] = []
    for (const { partition, batch } of req.batches) {
      const base: PartitionResult = { partition, errorCode: 0, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: 0n, errorMessage: null, recordErrors: [], currentLeader: null }
      if (notLeader(partition)) {
        partitions.push({ ...base, errorCode: 6 })
        continue
      }
      let log = this.logs.get(partition)
      if (log === undefined) this.logs.set(partition, (log = { producerId: -1n, epoch: -1, lastSeq: -1, recent: [], values: [] }))
      const first = batch.baseSequence
      const last = (first + batch.recordCount - 1) % 2147483648
      const dup = log.producerId === batch.producerId ? log.recent.find((r) => r.epoch === batch.producerEpoch && r.first === first && r.last === last) : undefined
      if (dup !== undefined) {
        this.duplicates++
        partitions.push({ ...base, baseOffset: BigInt(dup.offset) })
        continue
      }
      const fresh = log.producerId !== batch.producerId
      // A producer the log has not seen must start at sequence 0, like a new epoch.
      const ok = fresh ? first === 0 : (batch.producerEpoch > log.epoch ? first === 0 : batch.producerEpoch === log.epoch && first === (log.lastSeq + 1) % 2147483648)
      if (batch.producerEpoch < log.epoch && !fresh) {
        partitions.push({ ...base, errorCode: 47 })
        continue
      }
      if (!ok) {
        this.outOfOrder++
        partitions.push({ ...base, errorCode: 45 })
        continue
      }
      const offset = log.values.length
      for (const r of batch.records ?? []) log.values.push(Buffer.from(r.value ?? new Uint8Array()).toString())
      if (batch.producerEpoch !== log.epoch || fresh) log.recent = []
      log.producerId = batch.producerId
      log.epoch = batch.producerEpoch
      log.lastSeq = last
      log.recent.push({ first, last, epoch: batch.producerEpoch, offset })
      if (log.recent.length > 5) log.recent.shift()
      partitions.push({ ...base, baseOffset: BigInt(offset) })
    }
    return { throttleTimeMs: 0, nodeEndpoints: [], topics: [{ topic: req.batches[0]?.topic ?? 't', partitions }] }
  }
}

describe('idempotent producer against a sequence-enforcing simulated broker', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`exactly once and in order with lost requests, lost responses and leader errors (seed ${seed})`, async () => {
      const random = rng(seed)
      const t = new FakeTransport()
      t.numPartitions = 2
      const broker = new SequencedBroker()
      // One simulated connection: requests are answered in order. A break fails every request still
      // waiting on it; the broker may already have appended a prefix of them (responses lost), as
      // with a real TCP connection reset.
      const queue: Array<{ req: SeenRequest; resolve: (r: ProduceResult) => void; reject: (e: Error) => void }> = []
      let pumping = false
      let lostBefore = 0
      let lostAfter = 0
      const pump = async (): Promise<void> => {
        if (pumping) return
        pumping = true
        while (queue.length > 0) {
          await new Promise((r) => setTimeout(r, Math.floor(random() * 3)))
          if (random() < 0.06) {
            const broken = queue.splice(0)
            const cut = Math.floor(random() * (broken.length + 1))
            broken.forEach((item, i) => {
              if (i < cut) {
                broker.append(item.req, () => false)
                lostAfter++
              } else lostBefore++
              item.reject(new NetworkError('sim:1', 'connection reset'))
            })
            continue
          }
          const item = queue.shift()
          if (item !== undefined) item.resolve(broker.append(item.req, () => random() < 0.05))
        }
        pumping = false
      }
      t.onProduce = (req) =>
        new Promise<ProduceResult>((resolve, reject) => {
          queue.push({ req, resolve, reject })
          void pump()
        })
      const p = new Producer({ bootstrapServers: ['sim:1'], logger: {}, lingerMs: 0, batchSize: 300, retryBackoffMs: 1, retryBackoffMaxMs: 4, maxInFlightRequestsPerConnection: 5, partitioner: ({ value }) => Number((value ?? Buffer.from('0')).toString().split('-')[0]) % 2 }, { transport: t })
      const n = 3000
      const sends: Array<Promise<unknown>> = []
      for (let i = 0; i < n; i++) {
        sends.push(p.send({ topic: 't', value: `${i % 2}-${String(i).padStart(5, '0')}-${'x'.repeat(20)}` }))
        if (i % 200 === 0) await new Promise((r) => setTimeout(r, 1))
      }
      const results = await Promise.allSettled(sends)
      await p.close()
      expect(results.filter((r) => r.status === 'rejected')).toEqual([])
      expect(lostBefore).toBeGreaterThan(0)
      expect(lostAfter).toBeGreaterThan(0)
      expect(broker.duplicates + broker.outOfOrder).toBeGreaterThan(0) // the faults really hit the sequence rules
      for (const part of [0, 1]) {
        const values = broker.logs.get(part)?.values ?? []
        const ids = values.map((v) => Number(v.split('-')[1]))
        const expected = Array.from({ length: n }, (_, i) => i).filter((i) => i % 2 === part)
        expect(ids).toEqual(expected)
      }
    }, 30_000)
  }
})

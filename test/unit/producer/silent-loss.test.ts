/**
 * Issue 12 section 1: a fresh producer's first batch refused unwritten, its second batch written
 * (the broker accepts any first sequence of a producer it has no state for), and the first batch's
 * retry answered OUT_OF_ORDER_SEQUENCE_NUMBER. The records of the first batch must not be reported
 * delivered: the broker never wrote them.
 */
import { describe, expect, it } from 'vitest'
import { DeliveryOutcomeUnknownError, KafkaWireError, Producer } from '../../../src/index.js'
import type { PartitionResult, ProduceResult } from '../../../src/producer/transport.js'
import { FakeTransport, type SeenRequest } from './fake-transport.js'
import { KafkaPartitionModel } from './kafka-log-model.js'

const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

function answer(req: SeenRequest, log: KafkaPartitionModel, refuse: boolean): ProduceResult {
  const partitions: PartitionResult[] = req.batches.map(({ partition, batch }) => {
    const base = { partition, logAppendTimeMs: -1n, logStartOffset: 0n, errorMessage: null, recordErrors: [], currentLeader: null }
    // NOT_LEADER_OR_FOLLOWER: refused before the append, nothing written.
    if (refuse) return { ...base, errorCode: 6, baseOffset: -1n }
    const out = log.append(batch)
    return { ...base, errorCode: out.errorCode, baseOffset: BigInt(out.baseOffset) }
  })
  return { throttleTimeMs: 0, nodeEndpoints: [], topics: [{ topic: 't', partitions }] }
}

describe('no acknowledged record is missing from the log (issue 12 §1)', () => {
  it('B1 (seq 0..9) refused unwritten, B2 (seq 10..19) written and acknowledged, B1 retry OUT_OF_ORDER: B1 rejects, never resolves', async () => {
    const t = new FakeTransport()
    t.numPartitions = 1
    const log = new KafkaPartitionModel()
    let releaseB1: (() => void) | undefined
    let b2Answered: (() => void) | undefined
    const b2Done = new Promise<void>((r) => (b2Answered = r))
    t.onProduce = async (req) => {
      const seq = req.batches[0]?.batch.baseSequence
      if (seq === 0 && releaseB1 === undefined) {
        // Hold B1's answer until B2 was written and acknowledged, then refuse B1.
        await new Promise<void>((r) => (releaseB1 = r))
        await b2Done
        return answer(req, log, true)
      }
      const res = answer(req, log, false)
      if (seq === 10) setImmediate(() => b2Answered?.())
      return res
    }
    const p = new Producer({ bootstrapServers: ['fake:1'], logger: {}, lingerMs: 0, retryBackoffMs: 1, retryBackoffMaxMs: 2, deliveryTimeoutMs: 5000, requestTimeoutMs: 1000 }, { transport: t })
    const b1 = Array.from({ length: 10 }, (_, i) => p.send({ topic: 't', value: `b1-${i}` }))
    while (t.requests.length < 1) await tick()
    const b2 = Array.from({ length: 10 }, (_, i) => p.send({ topic: 't', value: `b2-${i}` }))
    while (t.requests.length < 2) await tick()
    releaseB1?.()
    const r1 = await Promise.allSettled(b1)
    const r2 = await Promise.allSettled(b2)
    await p.close()
    // The broker really did what the issue describes.
    expect(t.requests.map((r) => r.batches[0]?.batch.baseSequence).slice(0, 3)).toEqual([0, 10, 0])
    expect(log.values).toEqual(Array.from({ length: 10 }, (_, i) => `b2-${i}`))
    expect(log.outOfOrder).toBeGreaterThan(0)
    // B2 is acknowledged at the offsets where it is.
    for (const [i, r] of r2.entries()) {
      expect(r.status).toBe('fulfilled')
      if (r.status === 'fulfilled') expect(log.values[r.value.offset]).toBe(`b2-${i}`)
    }
    // B1 is not in the log: every one of its sends must reject with the typed "outcome unknown" error.
    for (const r of r1) {
      expect(r.status).toBe('rejected')
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(DeliveryOutcomeUnknownError)
        expect(r.reason).toBeInstanceOf(KafkaWireError)
        expect((r.reason as DeliveryOutcomeUnknownError).errorName).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER')
        expect((r.reason as DeliveryOutcomeUnknownError).code).toBe(45)
      }
    }
  })
})

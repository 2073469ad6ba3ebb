import { describe, expect, it } from 'vitest'
import { IdempotenceManager, incrementSequence } from '../../../src/producer/idempotence.js'
import { ProducerBatch } from '../../../src/producer/producer-batch.js'
import { DeliveryOutcomeUnknownError, ProducerFencedError } from '../../../src/index.js'
import { testBatch } from './helpers.js'

const batch = testBatch

function ready(): IdempotenceManager {
  const m = new IdempotenceManager()
  m.setProducerIdAndEpoch(42n, 0)
  return m
}


describe('IdempotenceManager', () => {
  it('wraps sequences at INT32_MAX to 0', () => {
    expect(incrementSequence(2147483647, 1)).toBe(0)
    expect(incrementSequence(2147483640, 10)).toBe(2)
  })

  it('a final failure under an older epoch still bumps its partition, so its other in-flight batches can go on', () => {
    const m = ready()
    const p = m.partition('p', 0)
    const q = m.partition('q', 0)
    const pa = batch(1)
    m.assignSequence(p, pa)
    const qa = batch(10)
    const qb = batch(10)
    m.assignSequence(q, qa)
    m.assignSequence(q, qb)
    // Partition p's next expected batch is refused: the epoch goes 0 -> 1 for p only.
    expect(m.onError(p, pa, 45, true)).toBe('retry')
    expect(m.bumpEpochIfNeeded()).toEqual([pa])
    expect(m.producerEpoch).toBe(1)
    // q's first batch (epoch 0) now fails for good (INVALID_RECORD, 87): q's sequences have a hole.
    expect(m.onError(q, qa, 87, true)).toBe('fail')
    expect(m.epochBumpRequired).toBe(true)
    // The bump rewrites q's remaining batch at sequence 0 of the new epoch instead of retrying it forever.
    expect(m.bumpEpochIfNeeded()).toEqual([qb])
    expect([qb.producerEpoch, qb.baseSequence]).toEqual([2, 0])
    expect(m.canDrain(q, qb)).toBe(true)
  })

  it('OUT_OF_ORDER_SEQUENCE_NUMBER for a batch below an acknowledged sequence fails it as outcome unknown, never success', () => {
    const m = ready()
    const s = m.partition('t', 0)
    const [a, b] = [batch(3), batch(3)]
    m.assignSequence(s, a)
    m.assignSequence(s, b)
    // seq 3-5 acknowledged: the broker may have accepted them as the first batch of a producer it had
    // no state for (ProducerAppendInfo.checkSequence), so nothing proves seq 0-2 were written.
    m.onSuccess(s, b)
    const d = m.classify(s, a, 45, true)
    expect(d.action).toBe('fail')
    expect(d.action === 'fail' ? d.error : undefined).toBeInstanceOf(DeliveryOutcomeUnknownError)
    expect(m.onError(s, a, 45, true)).toBe('fail')
    expect(s.inFlight).toEqual([])
    expect(m.epochBumpRequired).toBe(false)
  })

  it('nothing drains before a producer id', () => {
    const m = new IdempotenceManager()
    expect(m.canDrain(m.partition('t', 0), batch(1))).toBe(false)
  })

  it('assigns sequences at drain and advances by the record count, wrapping', () => {
    const m = ready()
    const s = m.partition('t', 0)
    const a = batch(3)
    const b = batch(2)
    m.assignSequence(s, a)
    m.assignSequence(s, b)
    expect([a.baseSequence, b.baseSequence, s.nextSequence]).toEqual([0, 3, 5])
    expect(a.lastSequence).toBe(2)
    // A batch that already has a sequence keeps it.
    m.assignSequence(s, a)
    expect(a.baseSequence).toBe(0)
    s.nextSequence = 2147483646
    const c = batch(4)
    m.assignSequence(s, c)
    expect(c.baseSequence).toBe(2147483646)
    expect(c.lastSequence).toBe(1)
    expect(s.nextSequence).toBe(2)
  })

  it('at most 5 batches of a partition are in flight', () => {
    const m = ready()
    const s = m.partition('t', 0)
    for (let i = 0; i < 5; i++) {
      const b = batch(1)
      expect(m.canDrain(s, b)).toBe(true)
      m.assignSequence(s, b)
    }
    expect(m.canDrain(s, batch(1))).toBe(false)
  })

  it('a retry drains only when it is first in line', () => {
    const m = ready()
    const s = m.partition('t', 0)
    const a = batch(1)
    const b = batch(1)
    m.assignSequence(s, a)
    m.assignSequence(s, b)
    expect(m.onError(s, b, 45, true)).toBe('retry') // OOSN behind an in-flight earlier batch: collateral
    expect(m.epochBumpRequired).toBe(false)
    expect(m.canDrain(s, b)).toBe(false)
    m.onSuccess(s, a)
    expect(m.canDrain(s, b)).toBe(true)
    expect(s.lastAckedSequence).toBe(0)
  })

  it('OOSN/UNKNOWN_PRODUCER_ID on the first batch in line bumps the epoch and rewrites in-flight sequences', () => {
    const m = ready()
    const s = m.partition('t', 0)
    const other = m.partition('t', 1)
    const o = batch(1)
    m.assignSequence(other, o)
    m.onSuccess(other, o)
    const a = batch(2)
    const b = batch(3)
    m.assignSequence(s, a)
    m.assignSequence(s, b)
    expect(m.onError(s, a, 59, true)).toBe('retry')
    expect(m.epochBumpRequired).toBe(true)
    const rewritten = m.bumpEpochIfNeeded()
    expect(rewritten).toEqual([a, b])
    expect(m.producerEpoch).toBe(1)
    expect([a.baseSequence, a.producerEpoch, b.baseSequence, b.producerEpoch]).toEqual([0, 1, 2, 1])
    expect(s.nextSequence).toBe(5)
    // The other partition moves to the new epoch lazily, restarting at 0.
    const n = batch(1)
    expect(m.canDrain(other, n)).toBe(true)
    m.assignSequence(other, n)
    expect([n.baseSequence, n.producerEpoch]).toEqual([0, 1])
  })

  it('a new batch waits while the partition still has batches of an older epoch in flight', () => {
    const m = ready()
    const s = m.partition('t', 0)
    const a = batch(1)
    m.assignSequence(s, a)
    m.requestEpochBump(m.partition('t', 9)) // another partition asked
    m.bumpEpochIfNeeded()
    expect(m.canDrain(s, batch(1))).toBe(false)
    m.onSuccess(s, a)
    expect(m.canDrain(s, batch(1))).toBe(true)
  })

  it('DUPLICATE_SEQUENCE_NUMBER is success; fencing errors are fatal', () => {
    const m = ready()
    const s = m.partition('t', 0)
    const a = batch(1)
    m.assignSequence(s, a)
    expect(m.onError(s, a, 46, true)).toBe('success')
    expect(s.inFlight).toEqual([])
    const b = batch(1)
    m.assignSequence(s, b)
    expect(m.onError(s, b, 90, true)).toBe('fatal')
    expect(m.fatalError).toBeInstanceOf(ProducerFencedError)
    expect(m.hasProducerId).toBe(false)
  })

  it('a final failure of a sequenced batch requests a bump (the chain has a hole)', () => {
    const m = ready()
    const s = m.partition('t', 0)
    const a = batch(1)
    m.assignSequence(s, a)
    expect(m.onError(s, a, 10, false)).toBe('fail')
    expect(m.epochBumpRequired).toBe(true)
  })

  it('an expired in-flight batch leaves an unresolved sequence: resolved if later batches were acked, else bump', () => {
    const m = ready()
    const s = m.partition('t', 0)
    const a = batch(1)
    const b = batch(1)
    m.assignSequence(s, a)
    m.assignSequence(s, b)
    m.onExpired(s, a)
    expect(s.unresolved).toBe(true)
    expect(m.canDrain(s, batch(1))).toBe(false)
    m.onSuccess(s, b) // the broker acknowledged seq 1, so seq 0 was written too
    expect(s.unresolved).toBe(false)
    expect(m.epochBumpRequired).toBe(false)

    const c = batch(1)
    m.assignSequence(s, c)
    m.onExpired(s, c) // nothing after it: unknown outcome
    expect(m.epochBumpRequired).toBe(true)
    m.bumpEpochIfNeeded()
    expect(s.unresolved).toBe(false)
    expect(s.nextSequence).toBe(0)
  })

  it('with an unresolved batch, OUT_OF_ORDER_SEQUENCE_NUMBER bumps only for the batch right after it', () => {
    const m = ready()
    const s = m.partition('t', 0)
    const [a, b, c] = [batch(1), batch(1), batch(1)]
    for (const x of [a, b, c]) m.assignSequence(s, x)
    m.onExpired(s, b) // seq 1: unknown fate, the next sequence after it is 2
    expect(s.unresolved).toBe(true)
    // a (seq 0) is refused: that does not prove a gap after b; wait for b's fate instead of bumping
    expect(m.onError(s, a, 45, true)).toBe('retry')
    expect(m.epochBumpRequired).toBe(false)
  })

  it('InitProducerId: retries retriable errors, shares one attempt, fails fatally on fencing', async () => {
    const m = new IdempotenceManager()
    const script = [{ errorCode: 15 }, { errorCode: 0 }]
    let calls = 0
    const init = async (): Promise<{ errorCode: number; producerId: bigint; producerEpoch: number; throttleTimeMs: number }> => {
      calls++
      const r = script.shift() ?? { errorCode: 0 }
      return { errorCode: r.errorCode, producerId: 9n, producerEpoch: 0, throttleTimeMs: 0 }
    }
    await Promise.all([m.ensureProducerId(init, () => 1, () => true), m.ensureProducerId(init, () => 1, () => true)])
    expect(calls).toBe(2)
    expect(m.producerId).toBe(9n)

    const f = new IdempotenceManager()
    await expect(f.ensureProducerId(async () => ({ errorCode: 90, producerId: -1n, producerEpoch: -1, throttleTimeMs: 0 }), () => 1, () => true)).rejects.toBeInstanceOf(ProducerFencedError)
  })

  it('an exhausted epoch asks for a new producer id', () => {
    const m = new IdempotenceManager()
    m.setProducerIdAndEpoch(1n, 32766)
    m.requestEpochBump(m.partition('t', 0))
    expect(m.bumpEpochIfNeeded()).toBe('reinit')
    expect(m.hasProducerId).toBe(false)
  })
})

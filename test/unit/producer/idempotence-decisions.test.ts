/**
 * One test per row of the idempotence decision table (docs/producer.md): `classify` decides
 * without changing anything, `apply` changes the state.
 */
import { describe, expect, it } from 'vitest'
import { ClusterAuthorizationFailedError, DeliveryOutcomeUnknownError, KafkaProtocolError, ProducerFencedError } from '../../../src/index.js'
import { IdempotenceManager, type PartitionSequenceState } from '../../../src/producer/idempotence.js'
import { ProducerBatch } from '../../../src/producer/producer-batch.js'
import { testBatch } from './helpers.js'

const batch = testBatch


/** A manager with id 42 epoch 0 and `n` batches of 5 records drained on partition t-0. */
function setup(n: number): { m: IdempotenceManager; s: PartitionSequenceState; bs: ProducerBatch[] } {
  const m = new IdempotenceManager()
  m.setProducerIdAndEpoch(42n, 0)
  const s = m.partition('t', 0)
  const bs = Array.from({ length: n }, () => batch(5))
  for (const b of bs) m.assignSequence(s, b)
  return { m, s, bs }
}

/** classify must not change the state it reads. */
function snapshot(m: IdempotenceManager, s: PartitionSequenceState): string {
  return JSON.stringify({ id: String(m.producerId), e: m.producerEpoch, bump: m.epochBumpRequired, fatal: m.fatalError?.name ?? null, next: s.nextSequence, acked: s.lastAckedSequence, inFlight: s.inFlight.length, unresolved: s.unresolved })
}

describe('idempotence decision table', () => {
  it('R1 DUPLICATE_SEQUENCE_NUMBER: success', () => {
    const { m, s, bs } = setup(1)
    const before = snapshot(m, s)
    const d = m.classify(s, bs[0] as ProducerBatch, 46, true)
    expect(snapshot(m, s)).toBe(before)
    expect(d).toEqual({ action: 'success' })
    m.apply(s, bs[0] as ProducerBatch, d)
    expect(s.inFlight).toEqual([])
    expect(s.lastAckedSequence).toBe(4)
  })

  it('R2 PRODUCER_FENCED / CLUSTER_AUTHORIZATION_FAILED / UNSUPPORTED_VERSION: fatal, each with its class', () => {
    for (const [code, cls] of [[90, ProducerFencedError], [31, ClusterAuthorizationFailedError], [35, KafkaProtocolError]] as const) {
      const { m, s, bs } = setup(1)
      const before = snapshot(m, s)
      const d = m.classify(s, bs[0] as ProducerBatch, code, true)
      expect(snapshot(m, s)).toBe(before)
      expect(d.action).toBe('fatal')
      expect(d.action === 'fatal' ? d.error : null).toBeInstanceOf(cls)
      m.apply(s, bs[0] as ProducerBatch, d)
      expect(m.fatalError).toBeInstanceOf(cls)
    }
  })

  it('R3 OUT_OF_ORDER_SEQUENCE_NUMBER at or below the last acknowledged sequence: fail, outcome unknown, no bump', () => {
    const { m, s, bs } = setup(2)
    m.onSuccess(s, bs[1] as ProducerBatch) // seq 5..9 acknowledged first (a producer the broker had no state for)
    const before = snapshot(m, s)
    const d = m.classify(s, bs[0] as ProducerBatch, 45, true)
    expect(snapshot(m, s)).toBe(before)
    expect(d.action).toBe('fail')
    expect(d.action === 'fail' ? [d.bump, d.error] : null).toEqual([false, expect.any(DeliveryOutcomeUnknownError)])
    // Also when no retry is left: never a bare broker error, never success.
    expect(m.classify(s, bs[0] as ProducerBatch, 45, false).action).toBe('fail')
    m.apply(s, bs[0] as ProducerBatch, d)
    expect(s.inFlight).toEqual([])
    expect(m.epochBumpRequired).toBe(false)
  })

  it('R4 OOSN / UNKNOWN_PRODUCER_ID for a rewritten or older-epoch batch: retry, no bump', () => {
    const { m, s, bs } = setup(2)
    const b = bs[0] as ProducerBatch
    b.sequenceReset = true
    expect(m.classify(s, b, 45, true)).toEqual({ action: 'retry', bump: false })
    expect(m.classify(s, b, 59, true)).toEqual({ action: 'retry', bump: false })
    b.sequenceReset = false
    m.setProducerIdAndEpoch(42n, 1) // another partition bumped meanwhile
    expect(m.classify(s, b, 59, true)).toEqual({ action: 'retry', bump: false })
  })

  it('R5 OOSN that is collateral damage (not first in flight, not next, or not right after an unresolved batch): retry, no bump', () => {
    const { m, s, bs } = setup(3)
    expect(m.classify(s, bs[1] as ProducerBatch, 45, true)).toEqual({ action: 'retry', bump: false }) // not first in flight
    const u = setup(3)
    u.m.onExpired(u.s, u.bs[0] as ProducerBatch) // seq 0..4 of unknown fate; next would be 5
    expect(u.s.unresolved).toBe(true)
    expect(u.m.classify(u.s, u.bs[2] as ProducerBatch, 45, true)).toEqual({ action: 'retry', bump: false }) // 10 is not right after
  })

  it('R6 OOSN / UNKNOWN_PRODUCER_ID for the next expected batch: bump the epoch and retry', () => {
    const { m, s, bs } = setup(2)
    const before = snapshot(m, s)
    const d = m.classify(s, bs[0] as ProducerBatch, 45, true)
    expect(snapshot(m, s)).toBe(before)
    expect(d).toEqual({ action: 'retry', bump: true })
    m.apply(s, bs[0] as ProducerBatch, d)
    expect(m.epochBumpRequired).toBe(true)
    expect(m.bumpEpochIfNeeded()).toEqual(bs)
    expect(bs.map((b) => [b.producerEpoch, b.baseSequence])).toEqual([[1, 0], [1, 5]])
    const u = setup(1)
    expect(u.m.classify(u.s, u.bs[0] as ProducerBatch, 59, true)).toEqual({ action: 'retry', bump: true })
  })

  it('R7 any other retriable error with retries left: retry, no bump', () => {
    const { m, s, bs } = setup(1)
    for (const code of [6, 19, 2, 7, 13]) expect(m.classify(s, bs[0] as ProducerBatch, code, true)).toEqual({ action: 'retry', bump: false })
  })

  it('R8 anything else, INVALID_PRODUCER_EPOCH included (KIP-588, not fatal): fail and bump', () => {
    const { m, s, bs } = setup(1)
    for (const [code, canRetry] of [[47, true], [87, true], [6, false]] as const) {
      const d = m.classify(s, bs[0] as ProducerBatch, code, canRetry)
      expect(d).toEqual({ action: 'fail', bump: true })
    }
    m.apply(s, bs[0] as ProducerBatch, { action: 'fail', bump: true })
    expect(m.fatalError).toBeNull()
    expect(m.epochBumpRequired).toBe(true)
    expect(s.inFlight).toEqual([])
  })
})

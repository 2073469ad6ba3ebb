/**
 * Issue 12 section 2: one test per deviation from the Java client / broker rules, each failing
 * without its fix.
 */
import { describe, expect, it } from 'vitest'
import { ClusterAuthorizationFailedError, KafkaProtocolError, KafkaWireError, ProducerFencedError } from '../../../src/index.js'
import { createBatchFormat } from '../../../src/producer/kafka-transport.js'
import { resolveConfig } from '../../../src/producer/config.js'
import type { BatchFormat, ProduceResult } from '../../../src/producer/transport.js'
import { sleep, until, useProducers } from './helpers.js'
import { FakeTransport, type SeenRequest } from './fake-transport.js'

const make = useProducers()

describe('issue 12 §2 deviations', () => {
  it('INVALID_PRODUCER_EPOCH on Produce fails that batch only; the producer lives on (KIP-588)', async () => {
    const t = new FakeTransport()
    let n = 0
    t.onProduce = (req) => (n++ === 0 ? t.ok(req, () => ({ errorCode: 47 })) : t.ok(req))
    const p = make(t, { partitioner: () => 0, retryBackoffMs: 1 })
    const err = await p.send({ topic: 'a', value: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KafkaProtocolError)
    expect(err).not.toBeInstanceOf(ProducerFencedError)
    expect((err as KafkaProtocolError).errorName).toBe('INVALID_PRODUCER_EPOCH')
    const md = await p.send({ topic: 'a', value: 'y' })
    expect(md.offset).toBeGreaterThanOrEqual(0)
  })

  it('CLUSTER_AUTHORIZATION_FAILED is fatal with its own class, not "fenced"', async () => {
    const t = new FakeTransport()
    t.onProduce = (req) => t.ok(req, () => ({ errorCode: 31 }))
    const p = make(t)
    const err = await p.send({ topic: 'a', value: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ClusterAuthorizationFailedError)
    expect(err).not.toBeInstanceOf(ProducerFencedError)
    expect((err as ClusterAuthorizationFailedError).errorName).toBe('CLUSTER_AUTHORIZATION_FAILED')
    await expect(p.send({ topic: 'a', value: 'y' })).rejects.toBeInstanceOf(ClusterAuthorizationFailedError)
  })

  it('maxInFlightRequestsPerConnection 1 without idempotence keeps per-partition order across a leader change', async () => {
    const t = new FakeTransport()
    t.numPartitions = 1
    const accepted: string[] = []
    let releaseFirst: ((r: ProduceResult) => void) | undefined
    let firstReq: SeenRequest | undefined
    t.onProduce = (req) => {
      if (firstReq === undefined && req.batches[0]?.topic === 'a') {
        firstReq = req
        return new Promise<ProduceResult>((r) => (releaseFirst = r))
      }
      for (const b of req.batches) if (b.topic === 'a') for (const r of b.batch.records ?? []) accepted.push(Buffer.from(r.value ?? []).toString())
      return t.ok(req)
    }
    const p = make(t, { enableIdempotence: false, acks: 1, maxInFlightRequestsPerConnection: 1, lingerMs: 0, retryBackoffMs: 1 })
    const first = p.send({ topic: 'a', value: 'first' })
    await until(() => firstReq !== undefined)
    // The leader moves to broker 2 while "first" is in flight to broker 1.
    t.leader = 2
    // A send to a new topic refreshes the metadata of every known topic.
    await p.send({ topic: 'other', value: 'refresh' })
    const second = p.send({ topic: 'a', value: 'second' })
    // Give the sender every chance to (wrongly) send "second" to the new leader.
    const before = t.requests.length
    for (let i = 0; i < 20; i++) await sleep(2)
    const sentMeanwhile = t.requests.length - before
    expect(t.requests.filter((r) => r.nodeId === 2).length).toBeGreaterThan(0) // the new leader is in use
    // Broker 1 is no longer the leader: "first" is retried to broker 2.
    releaseFirst?.(t.ok(firstReq as SeenRequest, () => ({ errorCode: 6 })))
    await Promise.all([first, second])
    expect(sentMeanwhile).toBe(0)
    expect(accepted).toEqual(['first', 'second'])
  })

  it('send() never throws and settles its promise and callback when an internal step throws', async () => {
    const t = new FakeTransport()
    const real = createBatchFormat(resolveConfig({ bootstrapServers: ['fake:1'] }))
    let fail = true
    const format: BatchFormat = {
      ...real,
      create: (max) => {
        if (fail) throw new Error('boom in create')
        return real.create(max)
      },
    }
    const p = make(t, { partitioner: () => 0 }, format)
    await p.send({ topic: 'a', value: 'warm' }).catch(() => undefined) // metadata known: the fast path runs in send()
    let promise: Promise<unknown> | undefined
    expect(() => (promise = p.send({ topic: 'a', value: 'x' }))).not.toThrow()
    await expect(promise).rejects.toBeInstanceOf(KafkaWireError)
    const viaCallback = await new Promise<Error | null>((resolve) => {
      expect(() => p.send({ topic: 'a', value: 'y' }, (err) => resolve(err))).not.toThrow()
    })
    expect(viaCallback).toBeInstanceOf(KafkaWireError)
    fail = false
    expect((await p.send({ topic: 'a', value: 'z' })).offset).toBeGreaterThanOrEqual(0)
  })
})

describe('issue 12 §2: brokers known from metadata', () => {
  it('a full Metadata response replaces the broker list; KIP-951 endpoints are merged', async () => {
    const { KafkaTransport } = await import('../../../src/producer/kafka-transport.js')
    const { ProducerLogger } = await import('../../../src/producer/logger.js')
    const tr = new KafkaTransport(resolveConfig({ bootstrapServers: ['127.0.0.1:1'] }), new ProducerLogger({}))
    tr.updateBrokers([{ nodeId: 1, host: 'a', port: 1 }, { nodeId: 2, host: 'b', port: 2 }], true)
    tr.updateBrokers([{ nodeId: 3, host: 'c', port: 3 }]) // a KIP-951 hint: merged
    expect(tr.knownBrokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3])
    tr.updateBrokers([{ nodeId: 2, host: 'b', port: 2 }], true) // brokers 1 and 3 left the cluster
    expect(tr.knownBrokers.map((b) => b.nodeId)).toEqual([2])
    tr.updateBrokers([], true) // an empty list proves nothing
    expect(tr.knownBrokers.map((b) => b.nodeId)).toEqual([2])
    await tr.close()
  })

  it('the producer passes Metadata broker lists as complete', async () => {
    const t = new FakeTransport()
    const p = make(t)
    await p.send({ topic: 'a', value: 'x' })
    expect(t.brokerUpdates.some((u) => u.complete && u.brokers.length === 2)).toBe(true)
  })
})

describe('issue 12 §2: metadata refresh rules', () => {
  it('a stale Metadata response (older leader epoch) does not undo a newer leader (KIP-320/951)', async () => {
    const t = new FakeTransport()
    t.numPartitions = 1
    let leader = { id: 1, epoch: 5 }
    t.metadata = async (topics) => {
      t.metadataCalls++
      return { brokers: [{ nodeId: 1, host: 'h1', port: 1 }, { nodeId: 2, host: 'h2', port: 2 }], topics: topics.map((topic) => ({ topic, errorCode: 0, partitions: [{ partition: 0, errorCode: 0, leaderId: leader.id, leaderEpoch: leader.epoch }] })) }
    }
    const p = make(t, { partitioner: () => 0, lingerMs: 0 })
    await p.send({ topic: 'a', value: '1' })
    leader = { id: 2, epoch: 6 }
    await p.send({ topic: 'refresh-1', value: 'x' }) // a new topic refreshes every known one
    await p.send({ topic: 'a', value: '2' })
    leader = { id: 1, epoch: 5 } // a broker that has not seen the leader change yet
    await p.send({ topic: 'refresh-2', value: 'x' })
    await p.send({ topic: 'a', value: '3' })
    const nodesForA = t.requests.filter((r) => r.batches[0]?.topic === 'a').map((r) => r.nodeId)
    expect(nodesForA).toEqual([1, 2, 2])
  })

  it('a topic nothing was sent to for metadataMaxIdleMs is no longer refreshed; it comes back on the next send', async () => {
    const { ProducerMetadata } = await import('../../../src/producer/metadata.js')
    const { ProducerLogger } = await import('../../../src/producer/logger.js')
    const t = new FakeTransport()
    const asked: string[][] = []
    const real = t.metadata.bind(t)
    t.metadata = (topics) => {
      asked.push([...topics].sort())
      return real(topics)
    }
    let now = 1_000_000
    const md = new ProducerMetadata(t, { maxAgeMs: 300_000, maxIdleMs: 5_000, retryBackoffMs: 0, retryBackoffMaxMs: 0, maxBlockMs: 1000, now: () => now }, new ProducerLogger({}), () => undefined)
    await md.waitFor('busy')
    await md.waitFor('idle')
    expect(md.refreshedTopics.sort()).toEqual(['busy', 'idle'])
    now += 6_000
    await md.waitFor('busy') // a send to "busy" only
    md.requestUpdate()
    await new Promise((r) => setTimeout(r, 5))
    expect(asked[asked.length - 1]).toEqual(['busy'])
    expect(md.get('idle')).toBeUndefined()
    await md.waitFor('idle') // sent to again: fetched again
    expect(md.refreshedTopics.sort()).toEqual(['busy', 'idle'])
    md.close(new Error('done'))
  })

  it('consecutive failed refreshes back off exponentially (one backoff helper)', async () => {
    const { backoffMs } = await import('../../../src/network/backoff.js')
    const mid = (): number => 0.5 // no jitter
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, 100, 1000, mid))).toEqual([100, 200, 400, 800, 1000, 1000])
    expect(backoffMs(3, 100, 1000, () => 0)).toBeCloseTo(320)
    expect(backoffMs(3, 100, 1000, () => 0.999999)).toBeLessThanOrEqual(480)
    const { ProducerMetadata } = await import('../../../src/producer/metadata.js')
    const { ProducerLogger } = await import('../../../src/producer/logger.js')
    const t = new FakeTransport()
    let fail = 3
    const real = t.metadata.bind(t)
    t.metadata = (topics) => (fail-- > 0 ? Promise.reject(new Error('down')) : real(topics))
    const md = new ProducerMetadata(t, { maxAgeMs: 300_000, maxIdleMs: 300_000, retryBackoffMs: 1, retryBackoffMaxMs: 8, maxBlockMs: 5000 }, new ProducerLogger({}), () => undefined)
    const failuresSeen: number[] = []
    const waited = md.waitFor('a')
    while (fail >= 0) {
      failuresSeen.push(md.refreshFailures)
      await new Promise((r) => setTimeout(r, 1))
    }
    await waited
    expect(Math.max(...failuresSeen)).toBeGreaterThanOrEqual(2)
    expect(md.refreshFailures).toBe(0)
    md.close(new Error('done'))
  })
})

describe('issue 12 §2: exact buffer-memory accounting', () => {
  it('a double release is a detectable bug, not clamped', async () => {
    const { BufferPool } = await import('../../../src/producer/buffer-pool.js')
    const { BufferAccountingError } = await import('../../../src/index.js')
    const pool = new BufferPool(100, 1000)
    expect(pool.tryAllocate(60)).toBe(true)
    pool.release(60)
    expect(() => pool.release(60)).toThrow(BufferAccountingError)
    expect(pool.availableMemory).toBe(100)
  })

  it("an expired in-flight batch's memory is not reused while its request still holds it", async () => {
    const t = new FakeTransport()
    let answer: ((r: ProduceResult) => void) | undefined
    let held: SeenRequest | undefined
    t.onProduce = (req) => {
      held = req
      return new Promise<ProduceResult>((r) => (answer = r))
    }
    const p = make(t, { partitioner: () => 0, lingerMs: 0, deliveryTimeoutMs: 300, requestTimeoutMs: 250, bufferMemory: 100_000, batchSize: 1000 })
    const err = await p.send({ topic: 'a', value: 'x' }).catch((e: unknown) => e)
    expect((err as Error).name).toBe('TimeoutError')
    // The record failed, but the request with its bytes is still out: its 1000 bytes stay reserved.
    expect(p.debugState().bufferAvailable).toBe(99_000)
    answer?.(t.ok(held as SeenRequest))
    await until(() => p.debugState().bufferAvailable === 100_000)
    expect(p.debugState().bufferAvailable).toBe(100_000)
  })

  it('the parts of a split batch reserve their share of the original, no more, no less', async () => {
    const t = new FakeTransport()
    const availableAtRequest: number[] = []
    let first = true
    t.onProduce = (req) => {
      availableAtRequest.push(p.debugState().bufferAvailable)
      if (first) {
        first = false
        return t.ok(req, () => ({ errorCode: 10 })) // MESSAGE_TOO_LARGE: split
      }
      return t.ok(req)
    }
    const p = make(t, { partitioner: () => 0, lingerMs: 50, bufferMemory: 100_000, batchSize: 1000, maxInFlightRequestsPerConnection: 1 })
    await Promise.all(['a', 'b', 'c', 'd'].map((v) => p.send({ topic: 'a', value: v })))
    // Original: 1000 reserved. Parts of 2 records each: 500 each, released as each completes.
    expect(availableAtRequest).toEqual([99_000, 99_000, 99_500])
    expect(p.debugState().bufferAvailable).toBe(100_000)
  })
})

describe('issue 12 §3: one error root', () => {
  it('protocol, network and compression errors are KafkaWireErrors', async () => {
    const { ProtocolError, KafkaProtocolError: KPE, NotImplementedError } = await import('../../../src/protocol/errors.js')
    const { NetworkError } = await import('../../../src/network/errors.js')
    const { CompressionError } = await import('../../../src/compression/errors.js')
    const { UnsupportedApiVersionError } = await import('../../../src/protocol/versions.js')
    const { FrameSizeError } = await import('../../../src/network/frame-reader.js')
    const errs: Error[] = [new ProtocolError('bad', 'f'), new KPE(6), new NotImplementedError('x'), new NetworkError('b:1', 'lost'), new CompressionError('gzip', 'corrupt'), new UnsupportedApiVersionError({ name: 'Produce', apiKey: 0, minVersion: 3, maxVersion: 13 }, undefined), new FrameSizeError(5, 4)]
    for (const e of errs) expect(e).toBeInstanceOf(KafkaWireError)
    expect(new NetworkError('b:1', 'lost').retriable).toBe(true)
    expect(new KPE(6).retriable).toBe(true)
  })
})

/**
 * Issue 12 section 2: one test per deviation from the Java client / broker rules, each failing
 * without its fix.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ClusterAuthorizationError, KafkaProtocolError, KafkaWireError, Producer, ProducerFencedError, type ProducerOptions } from '../../../src/index.js'
import { createBatchFormat } from '../../../src/producer/kafka-transport.js'
import { resolveConfig } from '../../../src/producer/config.js'
import type { BatchFormat, ProduceResult } from '../../../src/producer/transport.js'
import { FakeTransport, type SeenRequest } from './fake-transport.js'

const producers: Producer[] = []
function make(t: FakeTransport, opts: Partial<ProducerOptions> = {}, format?: BatchFormat): Producer {
  const p = new Producer({ bootstrapServers: ['fake:1'], logger: {}, ...opts }, { transport: t, ...(format !== undefined ? { format } : {}) })
  producers.push(p)
  return p
}
afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 0 })))
})
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
async function until(cond: () => boolean, limitMs = 10_000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error('condition not reached')
    await sleep(2)
  }
}

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
    expect(err).toBeInstanceOf(ClusterAuthorizationError)
    expect(err).not.toBeInstanceOf(ProducerFencedError)
    expect((err as ClusterAuthorizationError).errorName).toBe('CLUSTER_AUTHORIZATION_FAILED')
    await expect(p.send({ topic: 'a', value: 'y' })).rejects.toBeInstanceOf(ClusterAuthorizationError)
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

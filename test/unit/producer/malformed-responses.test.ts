/**
 * Issue 18 items 2-4 in the producer core: an undecodable InitProducerId or Produce response is a
 * fault of its connection (closed, request retried), a non-retriable InitProducerId error code is a
 * typed broker error, and no timer outlives close().
 */
import { afterEach, describe, expect, it } from 'vitest'
import { KafkaProtocolError, Producer, type ProducerOptions } from '../../../src/index.js'
import { InitProducerIdApi } from '../../../src/protocol/init-producer-id.js'
import { MetadataApi } from '../../../src/protocol/metadata.js'
import { ProduceApi } from '../../../src/protocol/produce.js'
import { ZERO_UUID } from '../../../src/protocol/writer.js'
import type { InitProducerIdResult } from '../../../src/producer/transport.js'
import { FakeServer, fakeApiVersions, type FakeRequest } from '../../support/fake-server.js'
import { NetworkError } from '../../../src/network/errors.js'
import type { MetadataResult } from '../../../src/producer/transport.js'
import { FakeTransport } from './fake-transport.js'

const servers: FakeServer[] = []
const producers: Producer[] = []
afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 0 })))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

/** A broker on the fake server: answers Metadata, InitProducerId and Produce; `mangle` picks answers to replace by garbage. */
async function broker(mangle: (req: FakeRequest, nth: number) => boolean): Promise<{ server: FakeServer; counts: Map<number, number> }> {
  const counts = new Map<number, number>()
  let port = 0
  const server = await FakeServer.start((client) => {
    client.onRequest = (req, c) => {
      const nth = (counts.get(req.apiKey) ?? 0) + 1
      counts.set(req.apiKey, nth)
      if (req.apiKey === 18) {
        const v = fakeApiVersions()
        c.replyApiVersions(req, { apiKeys: [...v.apiKeys, { apiKey: InitProducerIdApi.apiKey, minVersion: 0, maxVersion: 5 }] })
        return
      }
      if (mangle(req, nth)) {
        // The right correlation id, then bytes no decoder accepts.
        const bad = Buffer.alloc(4 + 4 + 3, 0xff)
        bad.writeInt32BE(7, 0)
        bad.writeInt32BE(req.correlationId, 4)
        c.write(bad)
        return
      }
      if (req.apiKey === MetadataApi.apiKey) {
        c.reply(req, MetadataApi, {
          throttleTimeMs: 0,
          brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
          clusterId: 'fake',
          controllerId: 1,
          topics: [{ errorCode: 0, name: 't', topicId: ZERO_UUID, isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }], topicAuthorizedOperations: -2147483648 }],
          clusterAuthorizedOperations: -2147483648,
          errorCode: 0,
        })
      } else if (req.apiKey === InitProducerIdApi.apiKey) {
        c.reply(req, InitProducerIdApi, { throttleTimeMs: 0, errorCode: 0, producerId: 77n, producerEpoch: 0 })
      } else if (req.apiKey === ProduceApi.apiKey) {
        c.reply(req, ProduceApi, { throttleTimeMs: 0, nodeEndpoints: [], responses: [{ name: 't', topicId: ZERO_UUID, partitionResponses: [{ index: 0, errorCode: 0, baseOffset: BigInt(nth), logAppendTimeMs: -1, logStartOffset: 0n, recordErrors: [], errorMessage: null, currentLeader: null }] }] })
      }
    }
  })
  servers.push(server)
  port = Number(server.address.split(':').pop())
  return { server, counts }
}

function producer(address: string, opts: Partial<ProducerOptions> = {}): Producer {
  const p = new Producer({ bootstrapServers: [address], logger: {}, retryBackoffMs: 5, retryBackoffMaxMs: 20, requestTimeoutMs: 5000, deliveryTimeoutMs: 20000, ...opts })
  producers.push(p)
  return p
}

describe('malformed responses in the producer core (issue 18 items 2-4)', () => {
  it('an undecodable InitProducerId response closes that connection and is retried; the producer is not disabled', async () => {
    const { server, counts } = await broker((req, nth) => req.apiKey === InitProducerIdApi.apiKey && nth === 1)
    const p = producer(server.address)
    const md = await p.send({ topic: 't', value: 'x' })
    expect(md.partition).toBe(0)
    expect(counts.get(InitProducerIdApi.apiKey)).toBe(2)
    expect((await p.send({ topic: 't', value: 'y' })).partition).toBe(0)
  })

  it('an undecodable Produce response is an unknown outcome on that connection: retried, not failed', async () => {
    const { server, counts } = await broker((req, nth) => req.apiKey === ProduceApi.apiKey && nth === 1)
    const p = producer(server.address)
    const md = await p.send({ topic: 't', value: 'x' })
    expect(md.offset).toBe(2) // the second Produce answered
    expect(counts.get(ProduceApi.apiKey)).toBe(2)
  })

  it('a non-retriable InitProducerId error code rejects with the typed broker error (code and name), not a plain Error', async () => {
    const t = new FakeTransport()
    t.initScript = [{ errorCode: 42, producerId: -1n, producerEpoch: -1, throttleTimeMs: 0 }]
    const p = new Producer({ bootstrapServers: ['fake:1'], logger: {} }, { transport: t })
    producers.push(p)
    const err = await p.send({ topic: 'a', value: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KafkaProtocolError)
    expect((err as KafkaProtocolError).errorName).toBe('INVALID_REQUEST')
    expect((err as KafkaProtocolError).code).toBe(42)
    // Not the end of the producer (found by the 100,000-iteration soak: a bit flip in the error
    // code disabled it for good): the next send asks again and is written.
    const later = await p.send({ topic: 'a', value: 'y' })
    expect(later.offset).toBeGreaterThanOrEqual(0)
    expect(t.requests.length).toBeGreaterThan(0)
  })

  it('close() during an in-flight InitProducerId leaves no backoff timer behind', async () => {
    const t = new FakeTransport()
    let answer: ((r: InitProducerIdResult) => void) | undefined
    t.initProducerId = (id, epoch) => {
      t.initCalls.push([id, epoch])
      return new Promise<InitProducerIdResult>((r) => (answer = r))
    }
    const p = new Producer({ bootstrapServers: ['fake:1'], logger: {}, retryBackoffMs: 600_000, retryBackoffMaxMs: 600_000 }, { transport: t })
    const sent = p.send({ topic: 'a', value: 'x' }).catch((e: unknown) => e)
    while (answer === undefined) await new Promise((r) => setImmediate(r))
    await p.close({ timeoutMs: 0 })
    await sent
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    // The answer arrives after close() resolved: a retriable error (COORDINATOR_NOT_AVAILABLE).
    answer({ errorCode: 15, producerId: -1n, producerEpoch: -1, throttleTimeMs: 0 })
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    expect(timersAfter).toBeLessThanOrEqual(timersBefore)
    expect(t.initCalls.length).toBe(1)
  })
})

/**
 * Issue 18, found by the malformed-response soak (seed 1, iterations 722, 1597, 4904, 4921 of 6,000):
 * a bit flip in a Metadata response's leader_epoch (0 → 2^27, 2^13, 2^12 or 2^11), with the leader id or the
 * broker's host flipped too. The send to that leader fails, the producer forgets the leader, and every
 * sane response after it (epoch 0) looked stale: the partition had no leader for good.
 */
describe('a corrupt huge leader epoch in Metadata does not pin the partition (issue 18)', () => {
  const CORRUPT_EPOCH = 2 ** 27 // leader_epoch 0 with bit 3 of its first byte flipped

  /** Metadata that answers `first` once, then the sane view: leader 1 at epoch 0. */
  function scriptedMetadata(t: FakeTransport, first: { leaderId: number; leaderEpoch: number }): void {
    let calls = 0
    t.metadata = async (topics): Promise<MetadataResult> => {
      t.metadataCalls++
      await Promise.resolve()
      const leader = calls++ === 0 ? first : { leaderId: 1, leaderEpoch: 0 }
      return { brokers: [{ nodeId: 1, host: 'h1', port: 1 }, { nodeId: 2, host: 'h2', port: 2 }], topics: topics.map((topic) => ({ topic, errorCode: 0, partitions: [{ partition: 0, errorCode: 0, ...leader }] })) }
    }
  }

  function make(t: FakeTransport): Producer {
    const p = new Producer({ bootstrapServers: ['fake:1'], logger: {}, partitioner: () => 0, lingerMs: 0, retryBackoffMs: 1, retryBackoffMaxMs: 10, requestTimeoutMs: 1000, deliveryTimeoutMs: 3000 }, { transport: t })
    producers.push(p)
    return p
  }

  it('a connection failure to the corrupt leader lets the next (older-epoch) Metadata response in', async () => {
    const t = new FakeTransport()
    t.numPartitions = 1
    scriptedMetadata(t, { leaderId: 5, leaderEpoch: CORRUPT_EPOCH }) // leader_id 1 flipped to 5: no such broker
    t.onProduce = (req) => {
      if (req.nodeId !== 1) throw new NetworkError(`node ${req.nodeId}`, `unknown broker id ${req.nodeId}; refresh metadata (known: 1, 2)`)
      return t.ok(req)
    }
    const p = make(t)
    const md = await p.send({ topic: 'a', value: 'x' })
    expect(md.offset).toBe(0)
    expect(t.requests.map((r) => r.nodeId)).toEqual([5, 1])
    expect(t.logs.get('a/0')).toBe(1) // written once
    expect((await p.send({ topic: 'a', value: 'y' })).offset).toBe(1)
  })

  it('NOT_LEADER_OR_FOLLOWER from the corrupt leader (no KIP-951 hint) lets the next Metadata response in', async () => {
    const t = new FakeTransport()
    t.numPartitions = 1
    scriptedMetadata(t, { leaderId: 2, leaderEpoch: CORRUPT_EPOCH }) // an existing broker that is not the leader
    t.onProduce = (req) => (req.nodeId === 1 ? t.ok(req) : t.ok(req, () => ({ errorCode: 6 })))
    const p = make(t)
    const md = await p.send({ topic: 'a', value: 'x' })
    expect(md.offset).toBe(0)
    expect(t.requests.map((r) => r.nodeId)).toEqual([2, 1])
    expect(t.logs.get('a/0')).toBe(1)
  })
})

// The sender feeds the per-topic, per-broker and compression figures of metrics() (Java
// producer-topic-metrics, producer-node-metrics, compression-rate-avg): checked through the public
// metrics() after real sends through a scripted transport.
import { channel } from 'node:diagnostics_channel'
import { describe, expect, it } from 'vitest'
import { ERROR_BY_NAME } from '../../../src/protocol/errors.js'
import { FakeTransport } from './fake-transport.js'
import { useProducers } from './helpers.js'

const make = useProducers()

describe('metrics() per topic, per broker and compression', () => {
  it('counts sends, retries and errors per topic, requests per broker, and the compression ratio of built batches', async () => {
    const t = new FakeTransport()
    let refusedOnce = false
    t.onProduce = (req) =>
      t.ok(req, (topic) => {
        if (topic === 'audit' && !refusedOnce) {
          refusedOnce = true
          return { errorCode: (ERROR_BY_NAME.NOT_ENOUGH_REPLICAS as { code: number }).code }
        }
        if (topic === 'bad') return { errorCode: (ERROR_BY_NAME.TOPIC_AUTHORIZATION_FAILED as { code: number }).code }
        return undefined
      })
    const p = make(t, { compressionType: 'gzip', retryBackoffMs: 1, lingerMs: 0 })
    const value = 'x'.repeat(2000)
    await Promise.all([0, 1, 2].map((i) => p.send({ topic: 'orders', partition: i % 3, value })))
    await p.send({ topic: 'audit', partition: 0, value })
    await expect(p.send({ topic: 'bad', partition: 0, value })).rejects.toThrow(/TOPIC_AUTHORIZATION_FAILED/)
    const m = p.metrics()
    expect(m.topics.orders?.['record-send-total']).toBe(3)
    expect(m.topics.orders?.['byte-total']).toBeGreaterThan(0)
    expect(m.topics.audit?.['record-retry-total']).toBe(1)
    expect(m.topics.audit?.['record-send-total']).toBe(1)
    expect(m.topics.bad?.['record-error-total']).toBe(1)
    // 2000 identical bytes compress far below 1 with gzip.
    expect(m['compression-rate-avg']).toBeLessThan(0.2)
    expect(m.topics.orders?.['compression-rate']).toBeLessThan(0.2)
    expect(m.nodes['1']?.['request-total']).toBe(t.requests.length)
    expect(m.nodes['1']?.['response-total']).toBe(t.requests.length)
    expect(m.nodes['1']?.['outgoing-byte-total']).toBe(t.requests.reduce((s, r) => s + r.data.topics.reduce((a, x) => a + x.partitions.reduce((b, y) => b + y.records.length, 0), 0), 0))
  })

  it('the batch-ready event carries the sizes after and before compression (the OTel compression-ratio instrument reads them)', async () => {
    const seen: Array<{ sizeInBytes: number; uncompressedBytes: number }> = []
    const onBatch = (m: unknown): void => void seen.push(m as { sizeInBytes: number; uncompressedBytes: number })
    channel('kafka-wire:producer:batch-ready').subscribe(onBatch)
    try {
      const p = make(new FakeTransport(), { compressionType: 'gzip', lingerMs: 0 })
      await p.send({ topic: 't', partition: 0, value: 'y'.repeat(5000) })
    } finally {
      channel('kafka-wire:producer:batch-ready').unsubscribe(onBatch)
    }
    expect(seen).toHaveLength(1)
    expect(seen[0]?.uncompressedBytes).toBeGreaterThan(5000)
    expect(seen[0]?.sizeInBytes).toBeLessThan(200)
  })
})

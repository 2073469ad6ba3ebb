/**
 * `producer.metrics()` on the real path against the real broker: rates follow Java's window
 * (2 samples of 30 s, at least one full window counted), not the time since the producer started.
 * Bounds are computed from times measured around the run, so a slow machine cannot fail it.
 */
import { randomBytes } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { Producer } from '../../src/index.js'
import { bootstrapServers } from '../support/broker.js'

describe('windowed producer metrics (real broker)', () => {
  it('record-send-rate is records over the elapsed time plus one full 30 s window, as Java Rate.windowSize', async () => {
    const topic = `metrics-${randomBytes(4).toString('hex')}`
    const admin = new Kafka({ clientId: 'metrics-admin', brokers: bootstrapServers(), logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true })
    } finally {
      await admin.disconnect()
    }
    const before = Date.now()
    const producer = new Producer({ bootstrapServers: bootstrapServers(), clientId: 'metrics-windows', logger: {} })
    try {
      const n = 200
      await Promise.all(Array.from({ length: n }, (_, i) => producer.send({ topic, key: `k${i}`, value: `value-${i}` })))
      const m = producer.metrics()
      const elapsedMs = Date.now() - before
      expect(m['record-send-total']).toBe(n)
      // The first sample starts at the first record (after `before`), so the window is at most
      // elapsed + 30 s and at least 30 s (samples - 1 = 1 full window is always counted).
      expect(m['record-send-rate']).toBeLessThanOrEqual(n / 30 + 1e-9)
      expect(m['record-send-rate']).toBeGreaterThanOrEqual(n / ((elapsedMs + 30_000) / 1000) - 1e-9)
      // Averages and maxima are over the samples in the window: set once records were sent.
      expect(m['record-size-avg']).toBeGreaterThan(0)
      expect(m['record-size-max']).toBeGreaterThanOrEqual(m['record-size-avg'])
      expect(m['request-latency-max']).toBeGreaterThanOrEqual(m['request-latency-avg'])
      expect(m['request-total']).toBeGreaterThan(0)
      expect(m['request-rate']).toBeLessThanOrEqual(m['request-total'] / 30 + 1e-9)
      expect(m['record-error-total']).toBe(0)
      expect(m['record-error-rate']).toBe(0)
    } finally {
      await producer.close({ timeoutMs: 10_000 })
    }
  })
})

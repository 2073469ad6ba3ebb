/**
 * An async value serializer with random delays against the real broker: every record is
 * acknowledged and each partition holds its records in send order, read back by kafkajs.
 */
import { Kafka, logLevel } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { Producer, type Serializer } from '../../src/index.js'
import { bootstrapServers } from '../support/broker.js'

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}

describe('async serializer against the real broker', () => {
  it('keeps per-partition send order with random serialization delays (seed 7)', async () => {
    const brokers = bootstrapServers()
    const topic = `kw-async-ser-${Date.now()}`
    const kafka = new Kafka({ clientId: 'kw-readback', brokers, logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })
    await admin.disconnect()
    const random = rng(7)
    const valueSerializer: Serializer<string> = (data) => {
      const b = Buffer.from(data)
      if (random() < 0.2) return b
      const delay = Math.floor(random() * 6)
      return new Promise((r) => setTimeout(() => r(b), delay))
    }
    const p = new Producer<string, string>({ bootstrapServers: brokers, logger: {}, valueSerializer, keySerializer: 'string', lingerMs: 2, batchSize: 2048 })
    const n = 2000
    const sends = Array.from({ length: n }, (_, i) => p.send({ topic, key: `k${i % 3}`, value: `k${i % 3}|${i}` }))
    const mds = await Promise.all(sends)
    await p.close()
    expect(mds.length).toBe(n)
    const consumer = kafka.consumer({ groupId: `kw-readback-${topic}` })
    await consumer.connect()
    const seen = new Map<number, number[]>()
    let count = 0
    try {
      await consumer.subscribe({ topic, fromBeginning: true })
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read back ${count}/${n}`)), 120_000)
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const i = Number((message.value?.toString() ?? '').split('|')[1])
              const list = seen.get(partition) ?? []
              list.push(i)
              seen.set(partition, list)
              if (++count >= n) {
                clearTimeout(timer)
                resolve()
              }
            },
          })
          .catch(reject)
      })
    } finally {
      await consumer.disconnect()
    }
    expect(count).toBe(n)
    for (const list of seen.values()) expect(list).toEqual([...list].sort((a, b) => a - b))
    // Keys map to partitions; each key's records are in send order.
    expect([...seen.values()].flat().length).toBe(n)
  }, 180_000)
})

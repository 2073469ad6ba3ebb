/**
 * flush() must always finish: many short rounds of the benchmark's send pattern (callback sends,
 * a bounded number unacknowledged, small `bufferMemory` so sends take the blocking path) against
 * the real broker, each round ended by flush(). A round that does not settle within a generous
 * bound (well past every producer timeout) fails with the producer's internal counts, so a hang
 * names what it waits for instead of stalling the suite.
 */
import { Kafka, logLevel } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { Producer, type ProducerDebugState } from '../../src/producer/producer.js'
import { bootstrapServers } from '../support/broker.js'

const VALUE = Buffer.alloc(100, 0x61)
const ROUNDS = Number(process.env.FLUSH_STRESS_ROUNDS ?? 42)
const RECORDS_PER_ROUND = Number(process.env.FLUSH_STRESS_RECORDS ?? 20_000)
const DELIVERY_TIMEOUT_MS = 20_000
const REQUEST_TIMEOUT_MS = 10_000
// Every wait inside the producer is bounded by these; past them a waiting flush() is a bug.
const ROUND_LIMIT_MS = DELIVERY_TIMEOUT_MS + REQUEST_TIMEOUT_MS + 10_000

class StuckError extends Error {}

/** The benchmark's topics have 6 partitions (the sticky partitioner moves between them). */
async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ clientId: 'kw-flush-stress-admin', brokers: bootstrapServers(), logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

/** Resolves with `p`, or rejects naming `what` and the producer's state once `ms` passed. */
async function bounded<T>(p: Promise<T>, ms: number, what: string, producer: Producer, progress: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const st: ProducerDebugState = producer.debugState()
      reject(new StuckError(`${what} did not settle within ${ms} ms (${progress()}); producer state: ${JSON.stringify(st)}`))
    }, ms)
  })
  try {
    return await Promise.race([p, limit])
  } finally {
    clearTimeout(timer)
  }
}

/** The benchmark's loop: callback sends, at most `window` unacknowledged, then flush(). */
async function round(producer: Producer, topic: string, total: number, window: number, n: number): Promise<{ acked: number; errors: number }> {
  let outstanding = 0
  let acked = 0
  let errors = 0
  let wake: (() => void) | null = null
  const onAck = (err: Error | null): void => {
    outstanding--
    acked++
    if (err !== null) errors++
    if (wake !== null && outstanding < window) {
      const w = wake
      wake = null
      w()
    }
  }
  const progress = (): string => `round ${n}: ${acked}/${total} acknowledged, ${outstanding} outstanding`
  const sendAll = async (): Promise<void> => {
    for (let i = 0; i < total; i++) {
      if (outstanding >= window) await new Promise<void>((r) => (wake = r))
      outstanding++
      producer.send({ topic, value: VALUE }, onAck)
    }
  }
  await bounded(sendAll(), ROUND_LIMIT_MS, `sending round ${n}`, producer, progress)
  await bounded(producer.flush(), ROUND_LIMIT_MS, `flush() of round ${n}`, producer, progress)
  return { acked, errors }
}

describe('flush() under the blocking send path (real broker)', () => {
  it(`settles every record in ${ROUNDS} rounds of ${RECORDS_PER_ROUND} callback sends with a small bufferMemory`, { timeout: 600_000 }, async () => {
    const topic = `kw-flush-stress-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    await createTopic(topic, 6)
    const rounds = [
      // The benchmark's settings with a buffer of a few batches: most sends wait for memory.
      { batchSize: 65536, bufferMemory: 4 * 65536 },
      // Smaller batches, so many complete while a flush registers.
      { batchSize: 16384, bufferMemory: 8 * 16384 },
      // More batches in flight across the 6 partitions (5 requests of up to 6 batches each).
      { batchSize: 65536, bufferMemory: 32 * 65536 },
    ]
    const perConfig = Math.max(2, Math.floor(ROUNDS / rounds.length))
    let stuck: Error | null = null
    let settled = 0
    for (const [i, cfg] of rounds.entries()) {
      const producer = new Producer({
        bootstrapServers: bootstrapServers(),
        clientId: `kw-flush-stress-${i}`,
        acks: 1,
        enableIdempotence: false,
        compressionType: 'none',
        lingerMs: 5,
        maxInFlightRequestsPerConnection: 5,
        batchSize: cfg.batchSize,
        bufferMemory: cfg.bufferMemory,
        deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
      })
      // The benchmark's window: as many records unacknowledged as bufferMemory holds values.
      const window = Math.max(1024, Math.floor(cfg.bufferMemory / VALUE.length))
      try {
        for (let n = 0; n < perConfig; n++) {
          // Alternate a warm-up-sized round and a full one, like the benchmark's two phases.
          const total = n % 2 === 0 ? Math.floor(RECORDS_PER_ROUND / 10) : RECORDS_PER_ROUND
          const r = await round(producer, topic, total, window, n)
          expect(r.errors, `round ${n}: records failed`).toBe(0)
          expect(r.acked, `round ${n}: every record acknowledged by the time flush() resolved`).toBe(total)
          const st = producer.debugState()
          expect(st.incompleteBatches, `round ${n}: batches left after flush(): ${JSON.stringify(st)}`).toBe(0)
          expect(st.blockedSends).toBe(0)
          settled++
        }
        await bounded(producer.close(), ROUND_LIMIT_MS, 'close()', producer, () => `after ${settled} rounds`)
      } catch (err) {
        if (!(err instanceof StuckError)) throw err
        stuck = err
        await producer.close({ timeoutMs: 0 })
        break
      }
    }
    expect(stuck?.message ?? null).toBeNull()
    expect(settled).toBe(perConfig * rounds.length)
  })
})

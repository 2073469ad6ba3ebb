/**
 * Producer under broker faults. Uses a broker this file owns (SIGSTOP/SIGCONT through the harness):
 * the shared development brokers are never signalled.
 */
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../src/broker/index.js'
import { Producer, ProducerClosedError, TimeoutError } from '../../src/index.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

let cluster: KafkaCluster
let brokers: string[]

function kafka(): Kafka {
  return new Kafka({ clientId: 'kw-faults', brokers, logLevel: logLevel.NOTHING })
}

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafka().admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

/** Every value in `topic` (kafkajs reads up to the high watermark of each partition). */
async function readAll(topic: string): Promise<string[]> {
  const admin = kafka().admin()
  await admin.connect()
  const offsets = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  const expected = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0)
  const out: string[] = []
  if (expected === 0) return out
  const consumer = kafka().consumer({ groupId: `kw-faults-${topic}-${Math.random()}` })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${out.length}/${expected}`)), 60_000)
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          out.push(message.value?.toString() ?? '')
          if (out.length >= expected) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
      .catch(reject)
  })
  await consumer.disconnect()
  return out
}

function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1
  return counts
}

describe('Producer under broker faults (own broker, SIGSTOP)', () => {
  beforeAll(async () => {
    cluster = await KafkaCluster.start({ nodes: 1, heapMb: 512 })
    brokers = cluster.bootstrapServers
  }, 180_000)

  afterAll(async () => {
    if (cluster !== undefined) {
      if (cluster.nodes[0]?.paused === true) cluster.resume(1)
      await cluster.stop({ graceful: false })
    }
  }, 60_000)

  it('bufferMemory: with the broker paused, sends beyond the buffer block then reject after maxBlockMs; after resume all accepted records arrive, none both', async () => {
    const topic = `kw-buffer-${Date.now()}`
    await createTopic(topic, 2)
    const p = new Producer({ bootstrapServers: brokers, bufferMemory: 64 * 1024, batchSize: 16 * 1024, maxBlockMs: 1500, lingerMs: 5, logger: {} })
    await p.send({ topic, value: 'warm-up' })
    cluster.pause(1)
    const outcome = new Map<string, string>()
    const sends: Array<Promise<unknown>> = []
    const payload = 'p'.repeat(1000)
    for (let i = 0; i < 200; i++) {
      const v = `r${i}-${payload}`
      sends.push(
        p.send({ topic, value: v }).then(
          () => outcome.set(v, outcome.has(v) ? 'twice' : 'ok'),
          (e: unknown) => outcome.set(v, outcome.has(v) ? 'twice' : e instanceof TimeoutError && e.option === 'maxBlockMs' ? 'blocked' : `other: ${String(e)}`),
        ),
      )
    }
    await sleep(300)
    expect(p.metrics()['waiting-threads']).toBeGreaterThan(0)
    // Let maxBlockMs pass with the broker frozen.
    const deadline = Date.now() + 30_000
    while (![...outcome.values()].includes('blocked') && Date.now() < deadline) await sleep(100)
    const blocked = [...outcome.values()].filter((v) => v === 'blocked').length
    expect(blocked).toBeGreaterThan(0)
    cluster.resume(1)
    await Promise.all(sends)
    await p.close()
    const values = [...outcome.entries()]
    expect(values.filter(([, o]) => o !== 'ok' && o !== 'blocked')).toEqual([])
    const delivered = new Set((await readAll(topic)).filter((v) => v !== 'warm-up'))
    const ok = values.filter(([, o]) => o === 'ok').map(([v]) => v)
    expect(ok.length).toBeGreaterThan(0)
    expect(delivered.size).toBe(ok.length)
    for (const v of ok) expect(delivered.has(v)).toBe(true)
    for (const [v, o] of values) if (o === 'blocked') expect(delivered.has(v)).toBe(false)
  }, 120_000)

  it('deliveryTimeoutMs: with the broker paused longer than the timeout, every pending record rejects once with a timeout; the producer recovers after resume', async () => {
    const topic = `kw-delivery-${Date.now()}`
    await createTopic(topic, 3)
    const p = new Producer({ bootstrapServers: brokers, deliveryTimeoutMs: 2500, requestTimeoutMs: 2000, lingerMs: 5, logger: {} })
    await p.send({ topic, value: 'warm-up' })
    cluster.pause(1)
    const settled = new Map<number, unknown[]>()
    for (let i = 0; i < 50; i++) {
      p.send({ topic, value: `d${i}` }, (err, md) => {
        const list = settled.get(i) ?? []
        list.push(err ?? md)
        settled.set(i, list)
      })
    }
    const deadline = Date.now() + 30_000
    while (settled.size < 50 && Date.now() < deadline) await sleep(100)
    cluster.resume(1)
    expect(settled.size).toBe(50)
    for (const list of settled.values()) {
      expect(list.length).toBe(1)
      expect(list[0]).toBeInstanceOf(TimeoutError)
      expect((list[0] as TimeoutError).option).toBe('deliveryTimeoutMs')
    }
    // After resume the producer works again (idempotence: an expired in-flight batch forces an epoch bump).
    const after = await p.send({ topic, value: 'after', partition: 0 })
    expect(after.offset).toBeGreaterThanOrEqual(0)
    await sleep(200)
    for (const list of settled.values()) expect(list.length).toBe(1)
    await p.close()
    expect((await readAll(topic)).includes('after')).toBe(true)
  }, 120_000)

  it('honours a produce quota: throttle time shows in metrics and every record still arrives', async () => {
    const topic = `kw-quota-${Date.now()}`
    await createTopic(topic, 1)
    // A byte-rate quota for this client id, set with Kafka's own ConfigCommand.
    await cluster.runTool('org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', brokers.join(','), '--alter', '--add-config', 'producer_byte_rate=20000', '--entity-type', 'clients', '--entity-name', 'kw-throttled'])
    const p = new Producer({ bootstrapServers: brokers, clientId: 'kw-throttled', logger: {} })
    const value = 'q'.repeat(1000)
    const n = 1500 // up to 1.5 MB against a 20 kB/s quota
    let sent = 0
    for (let round = 0; round < 5 && p.metrics()['produce-throttle-time-max'] > 0 === false; round++) {
      await Promise.all(Array.from({ length: n / 5 }, () => p.send({ topic, value: `${sent++}-${value}` })))
    }
    await p.flush()
    const m = p.metrics()
    expect(m['produce-throttle-time-max']).toBeGreaterThan(0)
    expect(m['record-error-total']).toBe(0)
    await p.close()
    expect((await readAll(topic)).length).toBe(sent)
  }, 120_000)

  it('close({ timeoutMs: 0 }) with the broker paused fails what is pending and leaks no handles', async () => {
    const topic = `kw-close-${Date.now()}`
    await createTopic(topic, 1)
    const before = handleCounts()
    const p = new Producer({ bootstrapServers: brokers, logger: {} })
    await p.send({ topic, value: 'warm-up' })
    cluster.pause(1)
    try {
      const pending = Array.from({ length: 20 }, (_, i) => p.send({ topic, value: `c${i}` }))
      await sleep(100)
      await p.close({ timeoutMs: 0 })
      const results = await Promise.allSettled(pending)
      for (const r of results) {
        expect(r.status).toBe('rejected')
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ProducerClosedError)
      }
      await expect(p.send({ topic, value: 'late' })).rejects.toBeInstanceOf(ProducerClosedError)
      await sleep(50)
      const after = handleCounts()
      expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual(before.TCPSocketWrap ?? 0)
      expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0)
    } finally {
      cluster.resume(1)
    }
  }, 60_000)
})

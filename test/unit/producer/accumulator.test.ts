/** The accumulator owns its queues' invariants: head polling, expiry, split re-enqueueing, draining. */
import { describe, expect, it } from 'vitest'
import { RecordAccumulator } from '../../../src/producer/accumulator.js'
import { BufferPool } from '../../../src/producer/buffer-pool.js'
import { ProducerBatch } from '../../../src/producer/producer-batch.js'
import { createBatchFormat } from '../../../src/producer/batch-format.js'
import { resolveConfig } from '../../../src/producer/config.js'
import { TopicMetadata } from '../../../src/producer/metadata.js'

function setup(): { acc: RecordAccumulator; pool: BufferPool } {
  const pool = new BufferPool(10_000, 1000)
  return { acc: new RecordAccumulator(100, createBatchFormat(resolveConfig({ bootstrapServers: ['x:1'] })), pool), pool }
}

function add(acc: RecordAccumulator, pool: BufferPool, partition: number, createdMs: number, value: string): ProducerBatch {
  const q = acc.queue('t', partition)
  expect(pool.tryAllocate(100)).toBe(true)
  return acc.appendNewBatch(q, 100, createdMs, createdMs, null, Buffer.from(value), null, null, null, null)
}

/** Topic `t` with 3 partitions: leaders 1, 2, unknown. */
function metadataOfT(): { get(topic: string): TopicMetadata | undefined } {
  const t = new TopicMetadata('t', 3)
  t.leaders.set([1, 2, -1])
  return { get: (topic) => (topic === 't' ? t : undefined) }
}

describe('RecordAccumulator', () => {
  it('ready groups sendable queues by leader and says when the rest become ready (Java RecordAccumulator.ready)', () => {
    const { acc, pool } = setup()
    const md = metadataOfT()
    const linger0 = add(acc, pool, 0, 100, 'a') // lingers until 100 + 50
    add(acc, pool, 1, 120, 'b')
    add(acc, pool, 1, 121, 'c') // a second batch behind: partition 1 is ready at once
    add(acc, pool, 2, 100, 'x') // no leader
    const other = acc.queue('u', 0) // topic not in metadata
    expect(pool.tryAllocate(100)).toBe(true)
    acc.appendNewBatch(other, 100, 100, 100, null, Buffer.from('u'), null, null, null, null)
    let r = acc.ready(md, 130, 50, false)
    expect([...r.byLeader.keys()]).toEqual([2])
    expect(r.byLeader.get(2)?.map((q) => q.partition)).toEqual([1])
    expect(r.nextReadyMs).toBe(150)
    expect([...r.unknownLeaderTopics].sort()).toEqual(['t', 'u'])
    // Linger over: partition 0 joins its leader.
    r = acc.ready(md, 150, 50, false)
    expect(r.byLeader.get(1)?.map((q) => q.partition)).toEqual([0])
    // A flush or close (expedite) sends lingering batches at once.
    expect(acc.ready(md, 101, 50, true).byLeader.get(1)?.map((q) => q.partition)).toEqual([0])
    // A retry waits for its backoff, whatever else holds.
    linger0.attempts = 1
    linger0.retryAtMs = 400
    r = acc.ready(md, 300, 50, true)
    expect(r.byLeader.has(1)).toBe(false)
    expect(r.nextReadyMs).toBe(400)
  })

  it('ready sends lingering batches at once while someone waits for buffer memory (Java exhausted)', async () => {
    const { acc, pool } = setup()
    add(acc, pool, 0, 100, 'a')
    const md = metadataOfT()
    expect(acc.ready(md, 101, 50, false).byLeader.size).toBe(0)
    const waiting = pool.allocate(9_950, 0).catch(() => undefined) // cannot fit: queues a waiter
    expect(pool.queued).toBeGreaterThan(0)
    expect(acc.ready(md, 101, 50, false).byLeader.get(1)?.map((q) => q.partition)).toEqual([0])
    pool.failAll(new Error('done'))
    await waiting
  })

  it('pollHead takes batches in order and forgets an emptied queue', () => {
    const { acc, pool } = setup()
    const a = add(acc, pool, 0, 1, 'a')
    const b = add(acc, pool, 0, 2, 'b')
    const q = acc.queue('t', 0)
    expect(acc.pollHead(q)).toBe(a)
    expect(acc.nonEmpty.has(q)).toBe(true)
    expect(acc.pollHead(q)).toBe(b)
    expect(acc.nonEmpty.has(q)).toBe(false)
  })

  it('expiredBatches removes only batches past the limit and says when the next one expires', () => {
    const { acc, pool } = setup()
    const old0 = add(acc, pool, 0, 0, 'old')
    add(acc, pool, 0, 50, 'young')
    const old1 = add(acc, pool, 1, 10, 'old1')
    const { expired, nextMs } = acc.expiredBatches(100, 60)
    expect(expired.map(([, b]) => b)).toEqual([old0, old1])
    expect(nextMs).toBe(110)
    expect(acc.nonEmpty.has(acc.queue('t', 1))).toBe(false)
    expect(acc.queue('t', 0).batches.length).toBe(1)
  })

  it('splitAndReenqueue swaps the original for its parts, in front of its queue', () => {
    const { acc, pool } = setup()
    const big = add(acc, pool, 0, 0, 'big')
    const later = add(acc, pool, 0, 1, 'later')
    const q = acc.queue('t', 0)
    acc.pollHead(q)
    const format = createBatchFormat(resolveConfig({ bootstrapServers: ['x:1'] }))
    const parts = [new ProducerBatch('t', 0, format.create(100), 0, 50), new ProducerBatch('t', 0, format.create(100), 0, 50)]
    acc.splitAndReenqueue(q, big, parts, false)
    expect(q.batches).toEqual([parts[0], parts[1], later])
    expect(acc.incomplete.has(big)).toBe(false)
    expect(parts.every((p) => acc.incomplete.has(p))).toBe(true)
  })

  it('drainAll empties every queue', () => {
    const { acc, pool } = setup()
    const a = add(acc, pool, 0, 0, 'a')
    const b = add(acc, pool, 3, 0, 'b')
    expect(acc.drainAll().sort((x, y) => x.partition - y.partition)).toEqual([a, b])
    expect(acc.nonEmpty.size).toBe(0)
  })
})

describe('RecordAccumulator.append', () => {
  it('reports a created batch, a full one, and null when memory must be waited for', () => {
    const pool = new BufferPool(2500, 1000)
    const acc = new RecordAccumulator(1000, createBatchFormat(resolveConfig({ bootstrapServers: ['x:1'] })), pool)
    const q = acc.queue('t', 0)
    const v = Buffer.alloc(20)
    const first = acc.append(q, 0, null, v, null, 40, 0, null, null, null)
    expect(first).toMatchObject({ batchCreated: true, batchFull: false })
    const second = acc.append(q, 0, null, v, null, 40, 0, null, null, null)
    expect(second).toMatchObject({ batchCreated: false, batchFull: false, batch: null })
    // Fill the first batch until a record no longer fits: a second batch opens behind a full one.
    let r = second
    while (r !== null && !r.batchCreated) r = acc.append(q, 0, null, v, null, 40, 0, null, null, null)
    expect(r).toMatchObject({ batchCreated: true, batchFull: true })
    expect(pool.availableMemory).toBe(500)
    // No memory for a third batch: nothing appended.
    while (r !== null && !r.batchCreated) r = acc.append(q, 0, null, v, null, 40, 0, null, null, null)
    let last: unknown = r
    for (let i = 0; i < 100 && last !== null; i++) last = acc.append(q, 0, null, v, null, 40, 0, null, null, null)
    expect(last).toBeNull()
    // A reservation made while waiting is used for the new batch, or returned when the record fits.
    expect(pool.tryAllocate(500)).toBe(true)
    expect(acc.append(acc.queue('t', 1), 0, null, v, null, 40, 0, null, null, null, 500)).toMatchObject({ batchCreated: true })
    expect(pool.availableMemory).toBe(0)
  })
})

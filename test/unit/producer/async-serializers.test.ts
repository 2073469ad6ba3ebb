/**
 * Serializers that return promises: per-partition send order kept whatever their delays, a
 * throwing/rejecting serializer fails only its record with SerializationError, headers reach the
 * serializer, and every wait is bounded.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Producer, ProducerClosedError, SerializationError, TimeoutError, type ProducerOptions, type Serializer } from '../../../src/index.js'
import { FakeTransport } from './fake-transport.js'

const producers: Array<Producer<unknown, unknown>> = []
function make(t: FakeTransport, opts: Partial<ProducerOptions<unknown, unknown>>): Producer<unknown, unknown> {
  const p = new Producer<unknown, unknown>({ bootstrapServers: ['fake:1'], logger: {}, partitioner: () => 0, lingerMs: 0, ...opts }, { transport: t })
  producers.push(p)
  return p
}
afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 0 })))
})

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}

function logged(t: FakeTransport): string[] {
  return t.requests.flatMap((r) => r.batches.flatMap((b) => (b.batch.records ?? []).map((x) => Buffer.from(x.value ?? []).toString())))
}

describe('async serializers', () => {
  for (const seed of [1, 2, 3]) {
    it(`keep send order with random delays, mixed with synchronous results (seed ${seed})`, async () => {
      const random = rng(seed)
      const t = new FakeTransport()
      const valueSerializer: Serializer<unknown> = (data) => {
        const b = Buffer.from(String(data))
        // About a third synchronous: they must still wait behind earlier pending ones.
        if (random() < 0.33) return b
        const delay = Math.floor(random() * 8)
        return new Promise((r) => setTimeout(() => r(b), delay))
      }
      const p = make(t, { valueSerializer })
      const n = 300
      const sends = Array.from({ length: n }, (_, i) => p.send({ topic: 'a', value: `v${i}` }))
      const mds = await Promise.all(sends)
      expect(logged(t)).toEqual(Array.from({ length: n }, (_, i) => `v${i}`))
      expect(mds.map((m) => m.offset)).toEqual(Array.from({ length: n }, (_, i) => i))
    })
  }

  it('a throwing or rejecting serializer fails only its record, with SerializationError', async () => {
    const t = new FakeTransport()
    const valueSerializer: Serializer<unknown> = (data) => {
      if (data === 'throw') throw new Error('cannot encode')
      if (data === 'reject') return Promise.reject(new Error('registry down'))
      return Promise.resolve(Buffer.from(String(data)))
    }
    const p = make(t, { valueSerializer })
    const results = await Promise.allSettled(['a', 'throw', 'b', 'reject', 'c'].map((v) => p.send({ topic: 'a', value: v })))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'])
    for (const i of [1, 3]) {
      const e = (results[i] as PromiseRejectedResult).reason as SerializationError
      expect(e).toBeInstanceOf(SerializationError)
      expect(e.part).toBe('value')
      expect((e.cause as Error).message).toMatch(i === 1 ? /cannot encode/ : /registry down/)
    }
    expect(logged(t)).toEqual(['a', 'b', 'c'])
  })

  it('serializers receive the topic and the record headers, and may add headers', async () => {
    const t = new FakeTransport()
    const seen: Array<[string, number]> = []
    const valueSerializer: Serializer<unknown> = async (data, topic, headers) => {
      seen.push([topic, headers.length])
      headers.push(['schema-id', Buffer.from('7')])
      return Buffer.from(String(data))
    }
    const p = make(t, { valueSerializer })
    await p.send({ topic: 'a', value: 'x', headers: { h: 'v' } })
    await p.send({ topic: 'a', value: 'y' })
    expect(seen).toEqual([['a', 1], ['a', 0]])
    const hdrs = t.requests.flatMap((r) => r.batches.flatMap((b) => (b.batch.records ?? []).map((x) => x.headers.map(([k]) => k))))
    expect(hdrs).toEqual([['h', 'schema-id'], ['schema-id']])
  })

  it('a synchronous serializer keeps the synchronous path: the record is in a batch when send() returns', async () => {
    const t = new FakeTransport()
    const p = make(t, { valueSerializer: 'string', lingerMs: 20 })
    await p.send({ topic: 'a', value: 'warm' }) // metadata known now
    expect(p.debugState().incompleteBatches).toBe(0)
    const now = p.send({ topic: 'a', value: 'now' })
    expect(p.debugState().incompleteBatches).toBe(1)
    expect(p.debugState().blockedSends).toBe(0)
    await now
  })

  it('a serializer promise that never settles fails its record after maxBlockMs; close() fails waiting ones', async () => {
    const t = new FakeTransport()
    const valueSerializer: Serializer<unknown> = (data) => (data === 'hang' ? new Promise<Buffer>(() => undefined) : Buffer.from(String(data)))
    const p = make(t, { valueSerializer, maxBlockMs: 100 })
    const hung = p.send({ topic: 'a', value: 'hang' })
    const behind = p.send({ topic: 'a', value: 'after' })
    await expect(hung).rejects.toBeInstanceOf(TimeoutError)
    expect((await behind).offset).toBe(0)
    const p2 = make(new FakeTransport(), { valueSerializer, maxBlockMs: 60_000 })
    const hung2 = p2.send({ topic: 'a', value: 'hang' })
    await p2.close({ timeoutMs: 0 })
    await expect(hung2).rejects.toBeInstanceOf(ProducerClosedError)
  })
})

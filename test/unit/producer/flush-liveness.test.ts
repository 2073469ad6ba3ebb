/**
 * flush() must never wait for a batch nothing will complete: a batch that fails to build (a codec
 * error) or whose completion throws must still settle, and debugState() must account for every
 * incomplete batch (queued, in flight, or an "orphan", which is a bug).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Producer, type ProducerOptions } from '../../../src/index.js'
import { createBatchFormat } from '../../../src/producer/kafka-transport.js'
import { resolveConfig } from '../../../src/producer/config.js'
import type { BatchFormat } from '../../../src/producer/transport.js'
import { FakeTransport } from './fake-transport.js'

const producers: Producer[] = []
function make(t: FakeTransport, opts: Partial<ProducerOptions> = {}, format?: BatchFormat): Producer {
  const p = new Producer({ bootstrapServers: ['fake:1'], logger: {}, ...opts }, { transport: t, ...(format !== undefined ? { format } : {}) })
  producers.push(p)
  return p
}
afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 0 })))
})

/** The real batch format, except that `build` throws for the first `failures` batches. */
function failingFormat(failures: number): BatchFormat {
  const real = createBatchFormat(resolveConfig({ bootstrapServers: ['fake:1'] }))
  let left = failures
  return {
    ...real,
    build: (builder, producerId, epoch, baseSequence) => {
      if (left > 0) {
        left--
        throw new Error('codec exploded')
      }
      return real.build(builder, producerId, epoch, baseSequence)
    },
  }
}

describe('flush() liveness', () => {
  it('a batch that fails to build fails its records and flush() still resolves', async () => {
    const t = new FakeTransport()
    const p = make(t, { enableIdempotence: false, acks: 1, lingerMs: 60_000 }, failingFormat(1))
    const first = p.send({ topic: 'a', partition: 0, value: 'x' })
    await p.flush()
    await expect(first).rejects.toThrow('codec exploded')
    expect(p.debugState().incompleteBatches).toBe(0)
    // The producer keeps working afterwards.
    const next = p.send({ topic: 'a', partition: 0, value: 'y' })
    await p.flush()
    expect((await next).partition).toBe(0)
  })

  it('the same with idempotence: the failed batch does not wedge its partition', async () => {
    const t = new FakeTransport()
    const p = make(t, { lingerMs: 60_000 }, failingFormat(1))
    const first = p.send({ topic: 'a', partition: 1, value: 'x' })
    await p.flush()
    await expect(first).rejects.toThrow('codec exploded')
    const next = p.send({ topic: 'a', partition: 1, value: 'y' })
    await p.flush()
    expect((await next).partition).toBe(1)
    expect(p.debugState()).toMatchObject({ incompleteBatches: 0, orphanBatches: 0, flushWaiters: 0 })
  })

  it('debugState() counts queued, in-flight and blocked work while a flush waits', async () => {
    const t = new FakeTransport()
    let release: (() => void) | null = null
    const gate = new Promise<void>((r) => (release = r))
    t.onProduce = async (req) => {
      await gate
      return t.ok(req)
    }
    // Room for one batch only: the second batch's send blocks on memory.
    const p = make(t, { enableIdempotence: false, acks: 1, batchSize: 1024, bufferMemory: 1024, lingerMs: 0 })
    const a = p.send({ topic: 'a', partition: 0, value: Buffer.alloc(900) })
    const b = p.send({ topic: 'a', partition: 0, value: Buffer.alloc(900) })
    const flushed = p.flush()
    while (t.requests.length === 0) await new Promise((r) => setTimeout(r, 1))
    const st = p.debugState()
    expect(st).toMatchObject({ incompleteBatches: 1, inFlightBatches: 1, queuedBatches: 0, orphanBatches: 0, blockedSends: 1, poolWaiters: 1 })
    ;(release as unknown as () => void)()
    await flushed
    await Promise.all([a, b])
    expect(p.debugState()).toMatchObject({ incompleteBatches: 0, blockedSends: 0, poolWaiters: 0, flushWaiters: 0 })
  })
})

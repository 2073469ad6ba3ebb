/** Shared helpers of the producer unit tests: producers closed after each test, polling, test batches. */
import { afterEach } from 'vitest'
import { Producer, type ProducerOptions } from '../../../src/index.js'
import { ProducerBatch } from '../../../src/producer/producer-batch.js'
import type { BatchBuilder, BatchFormat } from '../../../src/producer/transport.js'
import type { FakeTransport } from './fake-transport.js'

/** Registers an afterEach that closes every producer `make` created; returns `make`. */
export function useProducers(): (t: FakeTransport, opts?: Partial<ProducerOptions>, format?: BatchFormat) => Producer {
  const producers: Producer[] = []
  afterEach(async () => {
    await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 0 })))
  })
  return (t, opts = {}, format) => {
    const p = new Producer({ bootstrapServers: ['fake:1'], logger: {}, ...opts }, { transport: t, ...(format !== undefined ? { format } : {}) })
    producers.push(p)
    return p
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `cond` (no timed assertion: the limit only turns a hang into a failure). */
export async function until(cond: () => boolean, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached')
    await sleep(2)
  }
}

/** A builder that only counts records (10 bytes each). */
export function testBuilder(): BatchBuilder {
  let n = 0
  return {
    tryAppend: () => {
      n++
      return true
    },
    get recordCount() {
      return n
    },
    get sizeInBytes() {
      return n * 10
    },
  }
}

/** A batch of `records` empty records on t-0. */
export function testBatch(records: number): ProducerBatch {
  const b = new ProducerBatch('t', 0, testBuilder(), Date.now(), 100)
  for (let i = 0; i < records; i++) b.tryAppend(0, null, null, null, null, null, null)
  return b
}

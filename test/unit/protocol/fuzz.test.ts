// Feeds random and mutated frames to every decoder: the only acceptable failure is a
// ProtocolError (malformed bytes, named field); any other exception is a decoder bug. A hang
// would trip the test timeout. Deterministic seeds make a failure reproducible.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ApiDefinition } from '../../../src/protocol/api.js'
import { ApiVersionsApi } from '../../../src/protocol/api-versions.js'
import { ProtocolError } from '../../../src/protocol/errors.js'
import { decodeResponseFrame } from '../../../src/protocol/frame.js'
import { InitProducerIdApi } from '../../../src/protocol/init-producer-id.js'
import { MetadataApi } from '../../../src/protocol/metadata.js'
import { ProduceApi } from '../../../src/protocol/produce.js'
import { Reader } from '../../../src/protocol/reader.js'
import { decodeRecordBatches, RecordBatchBuilder } from '../../../src/protocol/record-batch.js'

function prng(seed: number): () => number {
  let x = seed | 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return x >>> 0
  }
}

const APIS: ApiDefinition<unknown, unknown>[] = [ApiVersionsApi, MetadataApi, ProduceApi, InitProducerIdApi] as ApiDefinition<unknown, unknown>[]

// Seeds: the Kafka-generated golden bodies of every API (requests and responses).
const seeds = new Map<string, Buffer[]>()
for (const line of readFileSync(new URL('./fixtures/kafka-java-golden.txt', import.meta.url), 'utf8').split('\n')) {
  const [name, hex] = line.split(' ')
  if (name === undefined || name === '' || hex === undefined) continue
  const key = name.replace(/\.v\d+$/, '')
  const list = seeds.get(key) ?? []
  list.push(Buffer.from(hex, 'hex'))
  seeds.set(key, list)
}

function mutate(src: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(src)
  const ops = 1 + (rnd() % 4)
  for (let k = 0; k < ops; k++) {
    const op = rnd() % 7
    const at = b.length === 0 ? 0 : rnd() % b.length
    switch (op) {
      case 0: if (b.length > 0) b[at] = rnd() & 0xff; break // random byte
      case 1: if (b.length > 0) b[at] = (b[at] as number) ^ (1 << (rnd() % 8)); break // bit flip
      case 2: b = b.subarray(0, at); break // truncate
      case 3: if (at + 4 <= b.length) b.writeInt32BE([0x7fffffff, -2, -1, 0x10000, 0][rnd() % 5] as number, at); break // hostile int32
      case 4: if (at + 2 <= b.length) b.writeInt16BE([0x7fff, -2, -1, 0][rnd() % 4] as number, at); break // hostile int16
      case 5: if (b.length > 0) b[at] = [0xff, 0x80, 0x00, 0x7f][rnd() % 4] as number; break // varint edge bytes
      case 6: { // splice random bytes in
        const ins = Buffer.allocUnsafe(rnd() % 8)
        for (let i = 0; i < ins.length; i++) ins[i] = rnd() & 0xff
        b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)])
        break
      }
    }
  }
  return b
}

function randomBytes(rnd: () => number, max: number): Buffer {
  const b = Buffer.allocUnsafe(rnd() % max)
  for (let i = 0; i < b.length; i++) b[i] = rnd() & 0xff
  return b
}

function expectOnlyProtocolError(fn: () => unknown, describeInput: () => string): void {
  try {
    fn()
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw new Error(`non-ProtocolError ${String(e)} for ${describeInput()}`)
  }
}

describe('decoder fuzzing', () => {
  it('response and request decoders of every API at every version throw only ProtocolError (≥ 100k frames)', () => {
    const rnd = prng(0xc0ffee)
    let frames = 0
    let rejected = 0
    for (const api of APIS) {
      for (const kind of ['Response', 'Request'] as const) {
        const pool = seeds.get(`${api.name}${kind}`) ?? []
        expect(pool.length).toBeGreaterThan(0)
        const iterations = kind === 'Response' ? 20_000 : 6_000
        for (let i = 0; i < iterations; i++) {
          const base = pool[rnd() % pool.length] as Buffer
          const input = i % 5 === 0 ? randomBytes(rnd, 96) : mutate(base, rnd)
          const v = api.minVersion + (rnd() % (api.maxVersion - api.minVersion + 1))
          const decode = kind === 'Response' ? api.decodeResponse : api.decodeRequest
          frames++
          expectOnlyProtocolError(() => {
            try {
              decode(new Reader(input), v)
            } catch (e) {
              rejected++
              throw e
            }
          }, () => `${api.name}${kind} v${v} ${input.toString('hex')}`)
        }
      }
    }
    expect(frames).toBeGreaterThanOrEqual(100_000)
    expect(rejected).toBeGreaterThan(frames / 4) // the mutations really do produce malformed input
  })

  it('whole response frames (header + body) throw only ProtocolError', () => {
    const rnd = prng(42)
    for (let i = 0; i < 10_000; i++) {
      const api = APIS[rnd() % APIS.length] as ApiDefinition<unknown, unknown>
      const pool = seeds.get(`${api.name}Response`) ?? []
      const body = pool[rnd() % pool.length] as Buffer
      const frame = mutate(Buffer.concat([Buffer.from('0000000700', 'hex'), body]), rnd)
      const v = api.minVersion + (rnd() % (api.maxVersion - api.minVersion + 1))
      expectOnlyProtocolError(() => decodeResponseFrame(api, v, frame), () => `${api.name} v${v} ${frame.toString('hex')}`)
    }
  })

  it('decodeRecordBatches throws only ProtocolError on mutated batches', () => {
    const rnd = prng(7)
    const builder = new RecordBatchBuilder(4096)
    for (let i = 0; i < 5; i++) builder.tryAppend(1700000000000 + i * 1000, Buffer.from(`k${i}`), Buffer.from('v'.repeat(i * 7)), i % 2 === 0 ? [['h', Buffer.from('x')], ['n', null]] : null)
    const batch = Buffer.from(builder.build({ producerId: 3n, producerEpoch: 0, baseSequence: 0 }))
    const two = Buffer.concat([batch, batch])
    for (let i = 0; i < 20_000; i++) {
      const input = i % 10 === 0 ? randomBytes(rnd, 200) : mutate(i % 2 === 0 ? batch : two, rnd)
      expectOnlyProtocolError(() => decodeRecordBatches(input, { decompress: (_c, d) => d }), () => input.toString('hex'))
    }
  })
})

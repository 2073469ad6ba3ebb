// Round trips and decoder fuzzing for the transaction APIs: random valid requests and responses at
// every version survive encode → decode unchanged; mutated Kafka-generated frames only ever raise a
// ProtocolError. Deterministic seeds make a failure reproducible.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ApiDefinition } from '../../../src/protocol/api.js'
import { AddOffsetsToTxnApi } from '../../../src/protocol/add-offsets-to-txn.js'
import { AddPartitionsToTxnApi } from '../../../src/protocol/add-partitions-to-txn.js'
import { decodeControlRecordKey, decodeEndTransactionMarker } from '../../../src/protocol/control-record.js'
import { EndTxnApi } from '../../../src/protocol/end-txn.js'
import { ProtocolError } from '../../../src/protocol/errors.js'
import { FindCoordinatorApi } from '../../../src/protocol/find-coordinator.js'
import { decodeResponseFrame } from '../../../src/protocol/frame.js'
import { Reader } from '../../../src/protocol/reader.js'
import { decodeRecordBatches } from '../../../src/protocol/record-batch.js'
import { TxnOffsetCommitApi } from '../../../src/protocol/txn-offset-commit.js'
import { Writer } from '../../../src/protocol/writer.js'

function prng(seed: number): () => number {
  let x = seed | 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return x >>> 0
  }
}

type Rnd = () => number
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[rnd() % xs.length] as T
const str = (rnd: Rnd, max = 12): string => {
  const n = rnd() % (max + 1)
  let s = ''
  for (let i = 0; i < n; i++) s += pick(rnd, ['a', 'z', '-', '.', '_', '0', 'é', '€', '𝄞'])
  return s
}
const int16 = (rnd: Rnd): number => (rnd() & 0xffff) - 0x8000
const int32 = (rnd: Rnd): number => rnd() | 0
const int64 = (rnd: Rnd): bigint => BigInt.asIntN(64, (BigInt(rnd()) << 32n) | BigInt(rnd()))
const nullable = <T>(rnd: Rnd, f: () => T): T | null => (rnd() % 4 === 0 ? null : f())
const list = <T>(rnd: Rnd, max: number, f: () => T): T[] => Array.from({ length: rnd() % (max + 1) }, f)

/** A random request/response valid at version `v`: fields absent at `v` hold the decoder's defaults. */
interface Gen<Req, Res> { api: ApiDefinition<Req, Res>; req: (rnd: Rnd, v: number) => Req; res: (rnd: Rnd, v: number) => Res }

/** One API's generator with its types closed over, so APIs of different types share a list. */
interface Case { api: ApiDefinition<unknown, unknown>; roundTrips: (rnd: Rnd, v: number) => void }

function roundTrip<T>(encode: (w: Writer, x: T, v: number) => void, decode: (r: Reader, v: number) => T, x: T, v: number): T {
  const w = new Writer(4)
  encode(w, x, v)
  const r = new Reader(w.finish())
  const back = decode(r, v)
  expect(r.remaining).toBe(0)
  return back
}

function gen<Req, Res>(g: Gen<Req, Res>): Case {
  return {
    api: g.api,
    roundTrips: (rnd, v) => {
      const req = g.req(rnd, v)
      expect(roundTrip(g.api.encodeRequest, g.api.decodeRequest, req, v)).toEqual(req)
      const w = new Writer(4)
      g.api.encodeRequest(w, req, v)
      expect(g.api.estimateRequestSize?.(req, v)).toBeGreaterThanOrEqual(w.length)
      const res = g.res(rnd, v)
      expect(roundTrip(g.api.encodeResponse, g.api.decodeResponse, res, v)).toEqual(res)
    },
  }
}

const gens: Case[] = [
  gen({
    api: FindCoordinatorApi,
    req: (rnd, v) => ({ keyType: v === 0 ? 0 : rnd() % 3, coordinatorKeys: v < 4 ? [str(rnd)] : list(rnd, 4, () => str(rnd)) }),
    res: (rnd, v) => v < 4
      ? { throttleTimeMs: v >= 1 ? int32(rnd) : 0, errorCode: int16(rnd), errorMessage: v >= 1 ? nullable(rnd, () => str(rnd)) : null, nodeId: int32(rnd), host: str(rnd), port: int32(rnd), coordinators: [] }
      : { throttleTimeMs: int32(rnd), errorCode: 0, errorMessage: null, nodeId: 0, host: '', port: 0, coordinators: list(rnd, 3, () => ({ key: str(rnd), nodeId: int32(rnd), host: str(rnd), port: int32(rnd), errorCode: int16(rnd), errorMessage: nullable(rnd, () => str(rnd)) })) },
  }),
  gen({
    api: AddPartitionsToTxnApi,
    req: (rnd) => ({ transactionalId: str(rnd), producerId: int64(rnd), producerEpoch: int16(rnd), topics: list(rnd, 3, () => ({ name: str(rnd), partitions: list(rnd, 5, () => int32(rnd)) })) }),
    res: (rnd) => ({ throttleTimeMs: int32(rnd), resultsByTopic: list(rnd, 3, () => ({ name: str(rnd), resultsByPartition: list(rnd, 4, () => ({ partitionIndex: int32(rnd), partitionErrorCode: int16(rnd) })) })) }),
  }),
  gen({
    api: AddOffsetsToTxnApi,
    req: (rnd) => ({ transactionalId: str(rnd), producerId: int64(rnd), producerEpoch: int16(rnd), groupId: str(rnd) }),
    res: (rnd) => ({ throttleTimeMs: int32(rnd), errorCode: int16(rnd) }),
  }),
  gen({
    api: TxnOffsetCommitApi,
    req: (rnd, v) => ({
      transactionalId: str(rnd), groupId: str(rnd), producerId: int64(rnd), producerEpoch: int16(rnd),
      generationId: v >= 3 ? int32(rnd) : -1, memberId: v >= 3 ? str(rnd) : '', groupInstanceId: v >= 3 ? nullable(rnd, () => str(rnd)) : null,
      topics: list(rnd, 3, () => ({ name: str(rnd), partitions: list(rnd, 3, () => ({ partitionIndex: int32(rnd), committedOffset: int64(rnd), committedLeaderEpoch: v >= 2 ? int32(rnd) : -1, committedMetadata: nullable(rnd, () => str(rnd)) })) })),
    }),
    res: (rnd) => ({ throttleTimeMs: int32(rnd), topics: list(rnd, 3, () => ({ name: str(rnd), partitions: list(rnd, 3, () => ({ partitionIndex: int32(rnd), errorCode: int16(rnd) })) })) }),
  }),
  gen({
    api: EndTxnApi,
    req: (rnd) => ({ transactionalId: str(rnd), producerId: int64(rnd), producerEpoch: int16(rnd), committed: rnd() % 2 === 0 }),
    res: (rnd, v) => ({ throttleTimeMs: int32(rnd), errorCode: int16(rnd), producerId: v >= 5 ? int64(rnd) : -1n, producerEpoch: v >= 5 ? int16(rnd) : -1 }),
  }),
]

describe('transaction API round trips', () => {
  for (const g of gens) {
    it(`${g.api.name}: 300 random requests and responses per version survive encode → decode (seed 0x7a11)`, () => {
      const rnd = prng(0x7a11 + g.api.apiKey)
      for (let v = g.api.minVersion; v <= g.api.maxVersion; v++) {
        for (let i = 0; i < 300; i++) g.roundTrips(rnd, v)
      }
    })
  }
})

// Seeds: the Kafka-generated golden bodies.
const seeds = new Map<string, Buffer[]>()
for (const line of readFileSync(new URL('./fixtures/kafka-java-txn-golden.txt', import.meta.url), 'utf8').split('\n')) {
  const [name, hex] = line.split(' ')
  if (name === undefined || name === '' || hex === undefined) continue
  const key = name.replace(/\.v\d+$/, '')
  seeds.set(key, [...(seeds.get(key) ?? []), Buffer.from(hex, 'hex')])
}

function mutate(src: Buffer, rnd: Rnd): Buffer {
  let b = Buffer.from(src)
  const ops = 1 + (rnd() % 4)
  for (let k = 0; k < ops; k++) {
    const at = b.length === 0 ? 0 : rnd() % b.length
    switch (rnd() % 7) {
      case 0: if (b.length > 0) b[at] = rnd() & 0xff; break
      case 1: if (b.length > 0) b[at] = (b[at] as number) ^ (1 << (rnd() % 8)); break
      case 2: b = b.subarray(0, at); break
      case 3: if (at + 4 <= b.length) b.writeInt32BE(pick(rnd, [0x7fffffff, -2, -1, 0x10000, 0]), at); break
      case 4: if (at + 2 <= b.length) b.writeInt16BE(pick(rnd, [0x7fff, -2, -1, 0]), at); break
      case 5: if (b.length > 0) b[at] = pick(rnd, [0xff, 0x80, 0x00, 0x7f]); break
      case 6: {
        const ins = Buffer.allocUnsafe(rnd() % 8)
        for (let i = 0; i < ins.length; i++) ins[i] = rnd() & 0xff
        b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)])
        break
      }
    }
  }
  return b
}

function onlyProtocolError(fn: () => unknown, input: () => string): boolean {
  try {
    fn()
    return false
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw new Error(`non-ProtocolError ${String(e)} for ${input()}`)
    return true
  }
}

describe('transaction API decoder fuzzing', () => {
  it('request and response decoders at every version throw only ProtocolError (≥ 100k frames, seed 0xbadc0de)', () => {
    const rnd = prng(0xbadc0de)
    let frames = 0
    let rejected = 0
    for (const { api } of gens) {
      for (const kind of ['Response', 'Request'] as const) {
        const pool = seeds.get(`${api.name}${kind}`) ?? []
        expect(pool.length, `${api.name}${kind} seeds`).toBeGreaterThan(0)
        for (let i = 0; i < (kind === 'Response' ? 12_000 : 8_000); i++) {
          const base = pick(rnd, pool)
          const input = mutate(base, rnd)
          const v = api.minVersion + (rnd() % (api.maxVersion - api.minVersion + 1))
          const decode = kind === 'Response' ? api.decodeResponse : api.decodeRequest
          frames++
          if (onlyProtocolError(() => decode(new Reader(input), v), () => `${api.name}${kind} v${v} ${input.toString('hex')}`)) rejected++
        }
      }
    }
    expect(frames).toBeGreaterThanOrEqual(100_000)
    expect(rejected).toBeGreaterThan(frames / 4) // the mutations really do produce malformed input
  })

  it('whole response frames (header + body) throw only ProtocolError (seed 99)', () => {
    const rnd = prng(99)
    for (let i = 0; i < 10_000; i++) {
      const { api } = pick(rnd, gens)
      const body = pick(rnd, seeds.get(`${api.name}Response`) ?? [])
      const frame = mutate(Buffer.concat([Buffer.from('0000000700', 'hex'), body]), rnd)
      const v = api.minVersion + (rnd() % (api.maxVersion - api.minVersion + 1))
      onlyProtocolError(() => decodeResponseFrame(api, v, frame), () => `${api.name} v${v} ${frame.toString('hex')}`)
    }
  })

  it('mutated transactional and control batches, and their markers, throw only ProtocolError (seed 5)', () => {
    const rnd = prng(5)
    const pool = [...(seeds.get('Batch.transactional') ?? []), ...(seeds.get('Batch.commitMarker') ?? []), ...(seeds.get('Batch.abortMarker') ?? [])]
    expect(pool.length).toBe(3)
    for (let i = 0; i < 20_000; i++) {
      const input = mutate(pick(rnd, pool), rnd)
      onlyProtocolError(() => {
        for (const b of decodeRecordBatches(input)) {
          if (!b.isControl) continue
          for (const r of b.records ?? []) {
            decodeControlRecordKey(r.key)
            decodeEndTransactionMarker(r.value)
          }
        }
      }, () => input.toString('hex'))
    }
  })
})

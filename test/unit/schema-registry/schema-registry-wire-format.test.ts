import { describe, expect, it } from 'vitest'
import { WireFormatError } from '../../../src/schema-registry/errors.js'
import { decodeFrame, encodeFrame, encodeMessageIndexes, encodeProtobufFrame } from '../../../src/schema-registry/wire-format.js'

/** Small seeded PRNG (mulberry32) so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('Confluent wire format', () => {
  it('frames a payload as magic 0 + big-endian id + payload', () => {
    expect([...encodeFrame(0x01020304, Buffer.from([9, 8]))]).toEqual([0, 1, 2, 3, 4, 9, 8])
    expect([...encodeFrame(1, new Uint8Array())]).toEqual([0, 0, 0, 0, 1])
  })

  it('refuses ids outside int32 >= 0', () => {
    expect(() => encodeFrame(-1, Buffer.alloc(0))).toThrow(WireFormatError)
    expect(() => encodeFrame(2 ** 31, Buffer.alloc(0))).toThrow(WireFormatError)
    expect(() => encodeFrame(1.5, Buffer.alloc(0))).toThrow(WireFormatError)
  })

  it('encodes message indexes as zigzag varints, [0] as the single byte 0 (Confluent MessageIndexes)', () => {
    expect([...encodeMessageIndexes([0])]).toEqual([0])
    expect([...encodeMessageIndexes([1])]).toEqual([2, 2])
    expect([...encodeMessageIndexes([0, 1])]).toEqual([4, 0, 2])
    // 300 -> zigzag 600 -> varint 0xd8 0x04
    expect([...encodeMessageIndexes([300])]).toEqual([2, 0xd8, 0x04])
    expect([...encodeMessageIndexes([])]).toEqual([0])
  })

  it('frames Protobuf with indexes between the id and the payload', () => {
    expect([...encodeProtobufFrame(5, [1, 0], Buffer.from([0x0a]))]).toEqual([0, 0, 0, 0, 5, 4, 2, 0, 0x0a])
  })

  it('decodes what it encodes (2000 random cases, seed 16)', () => {
    const rand = prng(16)
    for (let n = 0; n < 2000; n++) {
      const id = Math.floor(rand() * 2 ** 31)
      const indexes = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => Math.floor(rand() * (rand() < 0.5 ? 4 : 2 ** 31)))
      const payload = Buffer.from(Array.from({ length: Math.floor(rand() * 20) }, () => Math.floor(rand() * 256)))
      const frame = decodeFrame(encodeProtobufFrame(id, indexes, payload), { protobuf: true })
      expect(frame.schemaId).toBe(id)
      expect(frame.messageIndexes).toEqual(indexes.length === 1 && indexes[0] === 0 ? [0] : indexes)
      expect(frame.payload.equals(payload)).toBe(true)
      const plain = decodeFrame(encodeFrame(id, payload))
      expect(plain.schemaId).toBe(id)
      expect(plain.payload.equals(payload)).toBe(true)
    }
  })

  it('refuses short records, other magic bytes, negative ids and lying index counts before allocating', () => {
    expect(() => decodeFrame(Buffer.from([0, 0, 0]))).toThrow(/shorter than the 5-byte/)
    expect(() => decodeFrame(Buffer.from([1, 0, 0, 0, 1]))).toThrow(/magic byte 1/)
    expect(() => decodeFrame(Buffer.from([0, 0xff, 0xff, 0xff, 0xff]))).toThrow(/negative schema id/)
    // count 2^30 claimed with 0 bytes left
    expect(() => decodeFrame(Buffer.from([0, 0, 0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x08]), { protobuf: true })).toThrow(WireFormatError)
    expect(() => decodeFrame(Buffer.from([0, 0, 0, 0, 1, 0x80]), { protobuf: true })).toThrow(/past the end/)
    expect(() => decodeFrame(Buffer.from([0, 0, 0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), { protobuf: true })).toThrow(/longer than 32 bits/)
    expect(() => decodeFrame(Buffer.from([0, 0, 0, 0, 1, 2, 1]), { protobuf: true })).toThrow(/negative message index/)
  })
})

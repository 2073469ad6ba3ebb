import { compressFrameSync } from 'lz4-napi'
import { describe, expect, it } from 'vitest'
import { xxhash32 } from '../../../src/compression/xxhash32.js'
import { randomBytes } from './inputs.js'

describe('xxhash32', () => {
  it('matches the reference values', () => {
    const enc = new TextEncoder()
    // Published XXH32 test values (seed 0 unless stated).
    expect(xxhash32(new Uint8Array(0))).toBe(0x02cc5d05)
    expect(xxhash32(enc.encode('a'))).toBe(0x550d7456)
    expect(xxhash32(enc.encode('abc'))).toBe(0x32d153ff)
    expect(xxhash32(enc.encode('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f)
  })

  it('agrees with lz4-napi on content checksums of long inputs (every tail length)', () => {
    for (const n of [15, 16, 17, 31, 100, 1000, 65536 + 3]) {
      const data = randomBytes(n, n)
      const frame = compressFrameSync(Buffer.from(data), { contentChecksum: true })
      expect(xxhash32(data)).toBe(frame.readUInt32LE(frame.length - 4))
    }
  })

  it('hashes a sub-range and honours the seed', () => {
    const data = randomBytes(64)
    expect(xxhash32(data, 0, 8, 40)).toBe(xxhash32(data.slice(8, 40)))
    expect(xxhash32(data, 1)).not.toBe(xxhash32(data, 0))
  })
})

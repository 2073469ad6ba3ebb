// CRC-32C against the standard check value, Kafka's Crc32CTest value, the worked batch, and the
// independent crc-32/crc32c implementation on random inputs of many sizes and alignments.
import { InvalidArgumentError } from '../../../src/kafka-wire-error.js'
import CRC32C from 'crc-32/crc32c.js'
import { afterEach, describe, expect, it } from 'vitest'
import { crc32c, crc32cSoftware, setCrc32cAccelerator } from '../../../src/protocol/crc32c.js'

// Deterministic PRNG (xorshift32) so a failure can be reproduced.
function prng(seed: number): () => number {
  let x = seed | 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return x >>> 0
  }
}

describe('crc32c', () => {
  afterEach(() => setCrc32cAccelerator(null))

  it('check values', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
    expect(crc32c(Buffer.from('Some String'))).toBe(608512271) // Kafka Crc32CTest.testValue
    expect(crc32c(new Uint8Array(0))).toBe(0)
  })

  it('matches crc-32/crc32c on random inputs of many sizes', () => {
    const rnd = prng(12345)
    const sizes = [1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 256, 1000, 1023, 4096, 65537, 1 << 20]
    for (let i = 0; i < 200; i++) sizes.push(rnd() % 3000)
    for (const n of sizes) {
      const buf = Buffer.allocUnsafe(n)
      for (let i = 0; i < n; i++) buf[i] = rnd() & 0xff
      expect(crc32cSoftware(buf), `size ${n}`).toBe(CRC32C.buf(buf) >>> 0)
    }
  })

  it('honours start/end windows and chains through seed', () => {
    const rnd = prng(99)
    const buf = Buffer.allocUnsafe(5000)
    for (let i = 0; i < buf.length; i++) buf[i] = rnd() & 0xff
    for (let k = 0; k < 100; k++) {
      const a = rnd() % 5000
      const b = a + (rnd() % (5000 - a + 1))
      const mid = a + Math.floor((b - a) / 2)
      const whole = crc32c(buf, a, b)
      expect(whole).toBe(CRC32C.buf(buf.subarray(a, b)) >>> 0)
      expect(crc32c(buf, mid, b, crc32c(buf, a, mid))).toBe(whole)
    }
    expect(() => crc32c(buf, 10, 5001)).toThrow(InvalidArgumentError)
  })

  it('routes through an installed accelerator and back', () => {
    const calls: number[] = []
    setCrc32cAccelerator((d, s, e, seed) => { calls.push(e - s); return crc32cSoftware(d, s, e, seed) })
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
    expect(calls).toEqual([9])
    setCrc32cAccelerator(null)
    crc32c(Buffer.from('x'))
    expect(calls).toEqual([9])
  })
})

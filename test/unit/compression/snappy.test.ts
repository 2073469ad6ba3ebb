import { uncompressSync as napiUncompress, compressSync as napiCompress } from '@napi-rs/snappy'
import SnappyJS from 'snappyjs'
import { describe, expect, it } from 'vitest'
import { CompressionError } from '../../../src/compression/errors.js'
import { isXerialFramed, snappyCompress, snappyDecompress } from '../../../src/compression/snappy.js'
import { mixedText, prng, randomBytes, roundTripInputs, sameBytes } from './inputs.js'

describe('snappy (pure TS)', () => {
  for (const [label, input] of roundTripInputs()) {
    it(`round-trips ${label}`, () => {
      const compressed = snappyCompress(input)
      expect(sameBytes(snappyDecompress(compressed, input.length), input)).toBe(true)
    })

    it(`${label}: snappyjs and @napi-rs/snappy decode our output`, () => {
      const compressed = Buffer.from(snappyCompress(input))
      expect(sameBytes(SnappyJS.uncompress(compressed), input)).toBe(true)
      expect(sameBytes(napiUncompress(compressed), input)).toBe(true)
    })

    it(`${label}: we decode snappyjs and @napi-rs/snappy output`, () => {
      const buf = Buffer.from(input)
      expect(sameBytes(snappyDecompress(SnappyJS.compress(buf), input.length), input)).toBe(true)
      expect(sameBytes(snappyDecompress(napiCompress(buf), input.length), input)).toBe(true)
    })
  }

  it('decodes every length 0..600 of mixed data, ours and @napi-rs/snappy (stream-end edge cases)', () => {
    const all = mixedText(700, 3)
    for (let n = 0; n <= 600; n++) {
      const input = all.subarray(0, n)
      expect(sameBytes(snappyDecompress(snappyCompress(input), n), input)).toBe(true)
      expect(sameBytes(snappyDecompress(napiCompress(Buffer.from(input)), n), input)).toBe(true)
      expect(sameBytes(SnappyJS.uncompress(Buffer.from(snappyCompress(input))), input)).toBe(true)
    }
  })

  it('runs with every period 1..20 (overlapping copies, word and byte paths), checked by @napi-rs/snappy', () => {
    for (let p = 1; p <= 20; p++) {
      for (const n of [7, 16, 17, 33, 300 + p * 7, 70_000]) {
        const input = Uint8Array.from({ length: n }, (_, i) => (i % p) * 37)
        expect(sameBytes(snappyDecompress(snappyCompress(input), n), input), `period ${p} n=${n}`).toBe(true)
        expect(sameBytes(napiUncompress(Buffer.from(snappyCompress(input))), input), `period ${p} n=${n} (napi)`).toBe(true)
        expect(sameBytes(snappyDecompress(napiCompress(Buffer.from(input)), n), input), `period ${p} n=${n} (ours)`).toBe(true)
      }
    }
  })

  it('shrinks repetitive data and bounds incompressible growth', () => {
    expect(snappyCompress(new Uint8Array(65536).fill(1)).length).toBeLessThan(4000)
    const noise = randomBytes(65536)
    expect(snappyCompress(noise).length).toBeLessThanOrEqual(32 + noise.length + noise.length / 6)
  })

  it('writes the uncompressed length as the varint preamble', () => {
    expect([...snappyCompress(new Uint8Array(300)).subarray(0, 2)]).toEqual([0xac, 0x02])
    expect([...snappyCompress(new Uint8Array(0))]).toEqual([0])
  })

  it('decodes xerial-framed snappy made of several chunks', () => {
    const a = randomBytes(40000, 5)
    const b = new Uint8Array(50000).fill(9)
    const chunks = [napiCompress(Buffer.from(a)), napiCompress(Buffer.from(b))]
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
    const parts: Buffer[] = [header]
    for (const c of chunks) {
      const len = Buffer.alloc(4)
      len.writeUInt32BE(c.length)
      parts.push(len, c)
    }
    const framed = Buffer.concat(parts)
    expect(isXerialFramed(framed)).toBe(true)
    const out = snappyDecompress(framed, a.length + b.length)
    expect(sameBytes(out, Buffer.concat([a, b]))).toBe(true)
    expect(() => snappyDecompress(framed, a.length + b.length - 1)).toThrow(CompressionError)
  })

  describe('hostile input', () => {
    it('refuses a declared length above maxOutputBytes before allocating', () => {
      // Preamble claims 2^30 bytes; the caller allows 1 MiB.
      expect(() => snappyDecompress(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x04, 0x00), 1 << 20)).toThrow(/exceeds maxOutputBytes/)
      // Preamble claims 2^32-1 bytes: no Uint8Array could hold it.
      expect(() => snappyDecompress(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00), 2 ** 32)).toThrow(/below 2\^31/)
      expect(() => snappyDecompress(snappyCompress(new Uint8Array(1000)), 999)).toThrow(CompressionError)
    })

    it('refuses a claim the input cannot possibly expand to', () => {
      expect(() => snappyDecompress(Uint8Array.of(0x80, 0x80, 0x40, 0x00), 1 << 30)).toThrow(/impossible/)
    })

    it('rejects an over-long varint, copy before start, truncated literal, short stream', () => {
      expect(() => snappyDecompress(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), 100)).toThrow(CompressionError)
      expect(() => snappyDecompress(Uint8Array.of(4, 0x01 | (0 << 2), 0x05), 100)).toThrow(/offset/)
      expect(() => snappyDecompress(Uint8Array.of(10, 9 << 2, 0x61), 100)).toThrow(/literal/)
      expect(() => snappyDecompress(Uint8Array.of(10, 0 << 2, 0x61), 100)).toThrow(/ended after 1 of 10/)
      expect(() => snappyDecompress(new Uint8Array(0), 100)).toThrow(CompressionError)
    })

    it('rejects a xerial chunk that runs past the input', () => {
      const framed = Uint8Array.of(0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0)
      expect(() => snappyDecompress(framed, 100)).toThrow(/runs past/)
    })

    it('mutated streams throw CompressionError or stay within the bound, never anything else', () => {
      const valid = snappyCompress(new TextEncoder().encode('the quick brown fox jumps over the lazy dog. '.repeat(50)))
      const next = prng(42)
      for (let round = 0; round < 3000; round++) {
        const bad = valid.slice(0, Math.max(1, (next() * valid.length) | 0))
        for (let k = 0; k < 3; k++) bad[(next() * bad.length) | 0] = (next() * 256) | 0
        try {
          expect(snappyDecompress(bad, 4096).length).toBeLessThanOrEqual(4096)
        } catch (err) {
          expect(err).toBeInstanceOf(CompressionError)
        }
      }
    })
  })
})

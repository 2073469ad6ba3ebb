import { compressSync, uncompressSync } from 'lz4-napi'
import { describe, expect, it } from 'vitest'
import { CompressionError } from '../../../src/compression/errors.js'
import { lz4BlockBound, lz4CompressBlock, lz4DecompressBlock } from '../../../src/compression/lz4-block.js'
import { jsonLike, prng, randomBytes, sameBytes } from './inputs.js'

// The block codec copies whole words past the end of short literals and matches. These tests give
// it buffers with no slack at all (the source ends where the block ends, the output is exactly the
// bound or exactly the decoded size), so a word that strays out of bounds would throw a RangeError.

/** lz4-napi's `compressSync`/`uncompressSync` use a raw block behind a 4-byte little-endian size. */
function withSizePrefix(block: Uint8Array, size: number): Buffer {
  const b = Buffer.alloc(4 + block.length)
  b.writeUInt32LE(size, 0)
  b.set(block, 4)
  return b
}

/** Our block for `input`, compressed from a source array holding exactly the input. */
function compressExact(input: Uint8Array): Uint8Array {
  const src = input.slice()
  const out = new Uint8Array(lz4BlockBound(src.length))
  const end = lz4CompressBlock(src, 0, src.length, out, 0)
  return out.slice(0, end)
}

/** Decode `block` into an output of exactly `size` bytes, from a source array holding only the block. */
function decompressExact(block: Uint8Array, size: number): Uint8Array {
  const src = block.slice()
  const dst = new Uint8Array(size)
  expect(lz4DecompressBlock(src, 0, src.length, dst, 0, size, 0)).toBe(size)
  return dst
}

/** Inputs of every shape the fast paths distinguish: literals, long matches, overlapping runs. */
function shapes(): Array<[string, Uint8Array]> {
  const json = jsonLike(70_000, 5)
  const periods: Uint8Array[] = []
  for (let p = 1; p <= 20; p++) periods.push(Uint8Array.from({ length: 300 + p * 7 }, (_, i) => (i % p) * 37))
  return [
    ['json-like', json],
    ['noise', randomBytes(70_000, 9)],
    ['zeros', new Uint8Array(70_000)],
    ...periods.map((b, i): [string, Uint8Array] => [`period ${i + 1}`, b]),
  ]
}

describe('lz4 block codec with no slack around the buffers', () => {
  it('every length 0..300 and a few large ones: our block fits the bound, lz4-napi and we decode it', () => {
    for (const [label, data] of shapes()) {
      const lengths = [...Array.from({ length: 301 }, (_, n) => n), 1000, 4095, 4096, 65535, 65536].filter((n) => n <= data.length)
      for (const n of lengths) {
        const input = data.subarray(0, n)
        const block = compressExact(input)
        expect(block.length, `${label} n=${n}`).toBeLessThanOrEqual(lz4BlockBound(n))
        expect(sameBytes(uncompressSync(withSizePrefix(block, n)), input), `${label} n=${n} (lz4-napi)`).toBe(true)
        expect(sameBytes(decompressExact(block, n), input), `${label} n=${n} (ours)`).toBe(true)
      }
    }
  })

  it('compresses a block that starts inside a larger array (frame blocks after the first)', () => {
    const data = jsonLike(3 * 65536 + 123, 11)
    for (let base = 0; base < data.length; base += 65536) {
      const end = Math.min(base + 65536, data.length)
      const out = new Uint8Array(lz4BlockBound(end - base))
      const blockEnd = lz4CompressBlock(data, base, end, out, 0)
      expect(sameBytes(uncompressSync(withSizePrefix(out.subarray(0, blockEnd), end - base)), data.subarray(base, end))).toBe(true)
    }
  })

  it('decodes lz4-napi blocks into an output of exactly the decoded size', () => {
    for (const [label, data] of shapes()) {
      for (const n of [0, 1, 5, 13, 17, 64, 255, 1000, 65536].filter((k) => k <= data.length)) {
        const input = data.subarray(0, n)
        const block = compressSync(Buffer.from(input)).subarray(4)
        expect(sameBytes(decompressExact(block, n), input), `${label} n=${n}`).toBe(true)
      }
    }
  })

  it('mutated blocks and tight output limits: CompressionError or a bounded result, never a RangeError', () => {
    const next = prng(21)
    const samples = [jsonLike(3000, 4), Uint8Array.from({ length: 2000 }, (_, i) => i % 3), new TextEncoder().encode('abcdefgh'.repeat(300))]
    for (let round = 0; round < 6000; round++) {
      const input = samples[round % samples.length]!
      const valid = compressExact(input)
      const bad = valid.slice(0, Math.max(1, (next() * (valid.length + 1)) | 0))
      const flips = round % 4 // a quarter keep their bytes and only face the limit or truncation
      for (let k = 0; k < flips; k++) bad[(next() * bad.length) | 0] = (next() * 256) | 0
      const limit = (next() * (input.length + 64)) | 0
      const dst = new Uint8Array(limit)
      try {
        expect(lz4DecompressBlock(bad, 0, bad.length, dst, 0, limit, 0)).toBeLessThanOrEqual(limit)
      } catch (err) {
        expect(err).toBeInstanceOf(CompressionError)
      }
    }
  })

  it('a block whose output passes the limit by one byte is refused, one that fits is not', () => {
    const input = jsonLike(5000, 8)
    const block = compressExact(input)
    expect(() => lz4DecompressBlock(block, 0, block.length, new Uint8Array(4999), 0, 4999, 0)).toThrow(/output limit/)
    expect(sameBytes(decompressExact(block, 5000), input)).toBe(true)
  })
})

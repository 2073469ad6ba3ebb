import { compressFrameSync, decompressFrameSync } from 'lz4-napi'
import { describe, expect, it } from 'vitest'
import { CompressionError } from '../../../src/compression/errors.js'
import { lz4FrameCompress, lz4FrameDecompress } from '../../../src/compression/lz4.js'
import { xxhash32 } from '../../../src/compression/xxhash32.js'
import { mixedText, prng, randomBytes, roundTripInputs, sameBytes } from './inputs.js'

describe('lz4 frame (pure TS)', () => {
  for (const [label, input] of roundTripInputs()) {
    it(`round-trips ${label}`, () => {
      expect(sameBytes(lz4FrameDecompress(lz4FrameCompress(input), input.length), input)).toBe(true)
    })

    it(`${label}: lz4-napi decodes our frame`, () => {
      expect(sameBytes(decompressFrameSync(Buffer.from(lz4FrameCompress(input))), input)).toBe(true)
    })

    it(`${label}: we decode lz4-napi frames, with and without checksums`, () => {
      const buf = Buffer.from(input)
      expect(sameBytes(lz4FrameDecompress(compressFrameSync(buf), input.length), input)).toBe(true)
      const checked = compressFrameSync(buf, { contentChecksum: true, blockChecksums: true })
      expect(sameBytes(lz4FrameDecompress(checked, input.length), input)).toBe(true)
    })
  }

  it('decodes every length 0..600 of mixed data, ours and lz4-napi (block-end edge cases)', () => {
    const all = mixedText(700, 3)
    for (let n = 0; n <= 600; n++) {
      const input = all.subarray(0, n)
      expect(sameBytes(lz4FrameDecompress(lz4FrameCompress(input), n), input)).toBe(true)
      expect(sameBytes(lz4FrameDecompress(compressFrameSync(Buffer.from(input)), n), input)).toBe(true)
      expect(sameBytes(decompressFrameSync(Buffer.from(lz4FrameCompress(input))), input)).toBe(true)
    }
  })

  it('matches may reach into earlier blocks only when the frame says blocks are dependent', () => {
    const frame = (flg: number): Uint8Array => {
      const descriptor = Uint8Array.of(flg, 0x40)
      const hc = (xxhash32(descriptor) >>> 8) & 0xff
      const block1 = [0x80, ...new TextEncoder().encode('abcdefgh')] // 8 literals, block ends
      const block2 = [0x04, 0x08, 0x00, 0x10, 0x7a] // match 8 bytes at offset 8, then literal 'z'
      return Uint8Array.of(0x04, 0x22, 0x4d, 0x18, flg, 0x40, hc, block1.length, 0, 0, 0, ...block1, block2.length, 0, 0, 0, ...block2, 0, 0, 0, 0)
    }
    expect(new TextDecoder().decode(lz4FrameDecompress(frame(0x40), 100))).toBe('abcdefghabcdefghz')
    expect(() => lz4FrameDecompress(frame(0x60), 100)).toThrow(/offset 8 is out of range/)
  })

  it('writes the header Kafka writes: magic, FLG 0x60, BD 0x40, header checksum 0x82', () => {
    const frame = lz4FrameCompress(new TextEncoder().encode('kafka'))
    expect([...frame.subarray(0, 7)]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])
    expect([...frame.subarray(frame.length - 4)]).toEqual([0, 0, 0, 0])
  })

  it('splits input into 64 KiB blocks and stores incompressible blocks uncompressed', () => {
    const noise = randomBytes(65536 + 10)
    const frame = lz4FrameCompress(noise)
    const view = new DataView(frame.buffer, frame.byteOffset)
    expect(view.getUint32(7, true)).toBe((0x80000000 | 65536) >>> 0)
    expect(view.getUint32(7 + 4 + 65536, true)).toBe((0x80000000 | 10) >>> 0)
    expect(frame.length).toBe(7 + 4 + 65536 + 4 + 10 + 4)
  })

  it('shrinks JSON-like and repetitive data', () => {
    expect(lz4FrameCompress(new Uint8Array(1 << 20).fill(3)).length).toBeLessThan(8000)
  })

  describe('hostile input', () => {
    const valid = lz4FrameCompress(new TextEncoder().encode('abcdefgh'.repeat(2000)))

    it('enforces maxOutputBytes', () => {
      expect(() => lz4FrameDecompress(valid, 15999)).toThrow(/maxOutputBytes/)
      expect(lz4FrameDecompress(valid, 16000).length).toBe(16000)
    })

    it('checks the header checksum, magic, version and block size', () => {
      const bad = valid.slice()
      bad[6] = bad[6]! ^ 1
      expect(() => lz4FrameDecompress(bad, 1 << 20)).toThrow(/header checksum/)
      expect(() => lz4FrameDecompress(Uint8Array.of(1, 2, 3, 4, 0x60, 0x40, 0x82, 0, 0, 0, 0), 100)).toThrow(/magic/)
      const huge = valid.slice()
      huge.set([0xff, 0xff, 0x00, 0x00], 7) // 65535-byte compressed block claim, input has far fewer
      expect(() => lz4FrameDecompress(huge, 1 << 20)).toThrow(/runs past/)
    })

    it('rejects a match offset reaching before the block and a truncated frame', () => {
      // block: token 0x00 (no literals, match len 4), offset 5 with nothing decoded yet
      const frame = Uint8Array.of(0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 3, 0, 0, 0, 0x00, 5, 0, 0, 0, 0, 0)
      expect(() => lz4FrameDecompress(frame, 100)).toThrow(/offset/)
      expect(() => lz4FrameDecompress(valid.subarray(0, valid.length - 2), 1 << 20)).toThrow(CompressionError)
      expect(() => lz4FrameDecompress(new Uint8Array(0), 100)).toThrow(CompressionError)
    })

    it('verifies content checksums', () => {
      const checked = Buffer.from(compressFrameSync(Buffer.from('hello hello hello hello'), { contentChecksum: true }))
      checked[checked.length - 1] = checked[checked.length - 1]! ^ 0xff
      expect(() => lz4FrameDecompress(checked, 100)).toThrow(/checksum/)
    })

    it('mutated frames throw CompressionError or stay within the bound, never anything else', () => {
      const sample = lz4FrameCompress(new TextEncoder().encode('the quick brown fox jumps over the lazy dog. '.repeat(50)))
      const next = prng(7)
      for (let round = 0; round < 3000; round++) {
        const bad = sample.slice(0, Math.max(1, (next() * sample.length) | 0))
        // Keep the header valid half the time so the block decoder gets exercised.
        const from = round % 2 === 0 ? 11 : 0
        for (let k = 0; k < 3; k++) bad[from + ((next() * Math.max(1, bad.length - from)) | 0)] = (next() * 256) | 0
        try {
          expect(lz4FrameDecompress(bad, 4096).length).toBeLessThanOrEqual(4096)
        } catch (err) {
          expect(err).toBeInstanceOf(CompressionError)
        }
      }
    })
  })
})

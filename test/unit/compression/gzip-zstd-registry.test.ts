import * as zlib from 'node:zlib'
import { gunzipSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { COMPRESSION_CODEC_IDS, compressionTypeOfAttributes } from '../../../src/compression/codec.js'
import { CompressionError, ConfigError } from '../../../src/compression/errors.js'
import { gzipCodec } from '../../../src/compression/gzip.js'
import { getCodec, registerCodec, resolveCompression, restoreBuiltinCodec } from '../../../src/compression/registry.js'
import { snappyCompress, snappyDecompress } from '../../../src/compression/snappy.js'
import { roundTripInputs, sameBytes } from './inputs.js'

const nodeHasZstd = 'zstdCompressSync' in zlib

describe('gzip', () => {
  for (const [label, input] of roundTripInputs()) {
    it(`round-trips ${label} and interoperates with plain zlib`, () => {
      const compressed = gzipCodec.compress(input, 1)
      expect(sameBytes(gzipCodec.decompress(compressed, input.length), input)).toBe(true)
      expect(sameBytes(gunzipSync(compressed), input)).toBe(true)
      expect(sameBytes(gzipCodec.decompress(gzipSync(input), input.length), input)).toBe(true)
    })
  }

  it('bounds output and types corrupt input', () => {
    const bomb = gzipSync(new Uint8Array(10_000_000))
    expect(() => gzipCodec.decompress(bomb, 1_000_000)).toThrow(/exceeds maxOutputBytes 1000000/)
    expect(() => gzipCodec.decompress(Uint8Array.of(1, 2, 3, 4), 100)).toThrow(CompressionError)
  })
})

describe('registry and resolveCompression', () => {
  it('maps names to the attribute ids Kafka uses', () => {
    expect(COMPRESSION_CODEC_IDS).toEqual({ none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 })
    expect(getCodec('gzip').id).toBe(1)
    expect(getCodec('snappy').id).toBe(2)
    expect(getCodec('lz4').id).toBe(3)
    expect(compressionTypeOfAttributes(0x0b)).toBe('lz4')
    expect(compressionTypeOfAttributes(0x07)).toBeUndefined()
  })

  it('resolves defaults and validates levels', () => {
    expect(resolveCompression().codecId).toBe(0)
    expect(resolveCompression('lz4')).toMatchObject({ codecId: 3, level: 9 })
    expect(resolveCompression('gzip', 9).level).toBe(9)
    expect(resolveCompression('snappy').level).toBeUndefined()
    expect(() => resolveCompression('snappy', 3)).toThrow(ConfigError)
    expect(() => resolveCompression('gzip', 10)).toThrow(/compressionLevel/)
    expect(() => resolveCompression('lz4', 1.5)).toThrow(ConfigError)
    expect(() => resolveCompression('brotli')).toThrow(/compressionType.*unknown compression type "brotli"/)
  })

  it('lets a native implementation replace a codec and restores the built-in', () => {
    const calls: string[] = []
    registerCodec('snappy', {
      compress: (input) => (calls.push('c'), snappyCompress(input)),
      decompress: (input, max) => (calls.push('d'), snappyDecompress(input, max)),
    })
    const { codec, codecId } = resolveCompression('snappy')
    expect(codecId).toBe(2)
    const data = new TextEncoder().encode('plug me in')
    expect(sameBytes(codec.decompress(codec.compress(data), 100), data)).toBe(true)
    expect(calls).toEqual(['c', 'd'])
    restoreBuiltinCodec('snappy')
    getCodec('snappy').compress(data)
    expect(calls).toEqual(['c', 'd'])
  })

  it('zstd: built in on Node with node:zlib zstd, otherwise a ConfigError saying what to do', () => {
    if (nodeHasZstd) {
      const { codec, level } = resolveCompression('zstd')
      expect(level).toBe(3)
      for (const [, input] of roundTripInputs()) expect(sameBytes(codec.decompress(codec.compress(input, 3), input.length), input)).toBe(true)
      expect(() => codec.decompress(codec.compress(new Uint8Array(5000)), 4999)).toThrow(CompressionError)
    } else {
      expect(() => resolveCompression('zstd')).toThrow(ConfigError)
      expect(() => resolveCompression('zstd')).toThrow(/22\.15.*registerCodec\('zstd'/s)
    }
  })

  it('zstd: a plug-in makes it available on any Node', () => {
    registerCodec('zstd', { compress: (input) => input.slice(), decompress: (input) => input.slice() })
    try {
      expect(resolveCompression('zstd', 5)).toMatchObject({ codecId: 4, level: 5 })
    } finally {
      restoreBuiltinCodec('zstd')
    }
    if (!nodeHasZstd) expect(() => getCodec('zstd')).toThrow(ConfigError)
  })
})

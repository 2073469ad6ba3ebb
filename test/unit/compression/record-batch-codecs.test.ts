import CRC32C from 'crc-32/crc32c.js'
import { describe, expect, it } from 'vitest'
import { COMPRESSION_CODEC_IDS, type CompressionType } from '../../../src/compression/codec.js'
import { CompressionError } from '../../../src/compression/errors.js'
import { recordsCompressor, recordsDecompressor, registerCodec, resolveCompression, restoreBuiltinCodec } from '../../../src/compression/registry.js'
import { snappyCompress, snappyDecompress } from '../../../src/compression/snappy.js'
import { decodeRecordBatches, RecordBatchBuilder } from '../../../src/protocol/record-batch.js'

const enc = new TextEncoder()

function buildBatch(codec: CompressionType, n: number): Uint8Array {
  const resolved = resolveCompression(codec)
  const builder = new RecordBatchBuilder(1 << 20)
  for (let i = 0; i < n; i++) builder.tryAppend(1_700_000_000_000 + i, enc.encode(`k${i}`), enc.encode(`{"n":${i},"pad":"${'z'.repeat(100)}"}`), [['h', enc.encode('v')]])
  const compression = recordsCompressor(resolved)
  return builder.build(compression === undefined ? {} : { compression, codecId: resolved.codecId })
}

describe('codecs inside a RecordBatch', () => {
  for (const codec of ['none', 'gzip', 'snappy', 'lz4'] as const) {
    it(`${codec}: codec bits set, CRC (checked by crc-32/crc32c) covers the compressed bytes, records decode`, () => {
      const batch = buildBatch(codec, 50)
      const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength)
      expect(view.getInt16(21) & 7).toBe(COMPRESSION_CODEC_IDS[codec])
      // CRC-32C over attributes..end of the bytes as sent, i.e. after compression.
      expect(CRC32C.buf(batch.subarray(21)) >>> 0).toBe(view.getUint32(17))
      if (codec !== 'none') expect(batch.length).toBeLessThan(61 + 50 * 100)
      const [decoded] = decodeRecordBatches(batch, { decompress: recordsDecompressor() })
      expect(decoded?.crcValid).toBe(true)
      expect(decoded?.records?.map((r) => new TextDecoder().decode(r.key ?? new Uint8Array()))).toEqual(Array.from({ length: 50 }, (_, i) => `k${i}`))
    })
  }

  it('none needs no compressor; a plugged-in codec is what the builder calls', () => {
    expect(recordsCompressor(resolveCompression('none'))).toBeUndefined()
    let calls = 0
    registerCodec('snappy', { compress: (b) => (calls++, snappyCompress(b)), decompress: (b, max) => snappyDecompress(b, max) })
    try {
      buildBatch('snappy', 3)
      expect(calls).toBe(1) // once per batch, not per record
    } finally {
      restoreBuiltinCodec('snappy')
    }
  })

  it('the decompressor bounds output and rejects reserved codec ids', () => {
    const batch = buildBatch('lz4', 200)
    expect(() => decodeRecordBatches(batch, { decompress: recordsDecompressor(1000) })).toThrow(/maxOutputBytes 1000/)
    expect(() => recordsDecompressor()(5, new Uint8Array(4))).toThrow(CompressionError)
  })
})

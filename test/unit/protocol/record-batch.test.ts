// RecordBatch v2 layout byte by byte (the worked batch of the protocol reference, CRC from
// java.util.zip.CRC32C), builder limits, re-stamping, the compression hook and the decoder.
import { InvalidArgumentError } from '../../../src/kafka-wire-error.js'
import { gunzipSync, gzipSync } from 'node:zlib'
import CRC32C from 'crc-32/crc32c.js'
import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../../../src/protocol/errors.js'
import {
  decodeRecordBatches, estimateRecordSize, RECORD_BATCH_OVERHEAD, RecordBatchBuilder, restampBatch, type RecordHeader,
} from '../../../src/protocol/record-batch.js'

const b = (s: string): Buffer => Buffer.from(s, 'utf8')
const WORKED = [
  '0000000000000000', '00000044', 'ffffffff', '02', 'e7fe61e9', // baseOffset 0, length 68, PLE -1, magic 2, CRC
  '0000', '00000000', '0000018bcfe56800', '0000018bcfe56800', // attributes, lastOffsetDelta 0, base/max timestamp
  '00000000000003e8', '0000', '00000000', '00000001', // producer id 1000, epoch 0, base sequence 0, count 1
  '24', '00', '00', '00', '06', '6b6579', '0a', '76616c7565', '02', '02', '68', '02', '76', // one record
].join('')

describe('RecordBatchBuilder', () => {
  it('builds the worked 80-byte batch byte for byte (CRC 0xe7fe61e9)', () => {
    const builder = new RecordBatchBuilder(16384)
    expect(builder.tryAppend(1700000000000, b('key'), b('value'), [['h', b('v')]])).toBe(true)
    const out = builder.build({ producerId: 1000n, producerEpoch: 0, baseSequence: 0 })
    expect(Buffer.from(out).toString('hex')).toBe(WORKED)
    expect(out.length).toBe(80)
    expect(builder.sizeInBytes).toBe(80)
    expect(CRC32C.buf(out.subarray(21)) >>> 0).toBe(0xe7fe61e9)
  })

  it('computes lastOffsetDelta, max timestamp and per-record deltas; defaults to no producer id', () => {
    const builder = new RecordBatchBuilder(1024)
    const ts = [1000, 999, 5000, 1001]
    ts.forEach((t, i) => expect(builder.tryAppend(t, i === 1 ? null : b(`k${i}`), i === 2 ? null : b(`v${i}`), i === 3 ? [['ä', null], ['x', b('')]] : null)).toBe(true))
    const out = Buffer.from(builder.build())
    expect(out.readInt32BE(8)).toBe(out.length - 12)
    expect(out.readInt32BE(23)).toBe(3) // lastOffsetDelta
    expect(Number(out.readBigInt64BE(27))).toBe(1000) // base = first record
    expect(Number(out.readBigInt64BE(35))).toBe(5000) // max
    expect(out.readBigInt64BE(43)).toBe(-1n)
    expect(out.readInt16BE(51)).toBe(-1)
    expect(out.readInt32BE(53)).toBe(-1)
    expect(out.readInt32BE(57)).toBe(4)
    expect(out.readInt16BE(21)).toBe(0)
    // second record starts right after the first: length varint, attrs, tsDelta -1 (01), offsetDelta 1 (02), null key (01)
    const first = out[61] as number
    const second = 61 + 1 + first / 2
    expect(out.subarray(second + 1, second + 5).toString('hex')).toBe('00010201')
    const [batch] = decodeRecordBatches(out)
    expect(batch?.crcValid).toBe(true)
    expect(batch?.records?.map((r) => [r.timestamp, r.offset, r.key && Buffer.from(r.key).toString(), r.value && Buffer.from(r.value).toString(), r.headers.map(([k, v]) => [k, v && Buffer.from(v).toString()])])).toEqual([
      [1000, 0n, 'k0', 'v0', []], [999, 1n, null, 'v1', []], [5000, 2n, 'k2', null, []], [1001, 3n, 'k3', 'v3', [['ä', null], ['x', '']]],
    ])
  })

  it('encodes large timestamp deltas as varlongs', () => {
    const builder = new RecordBatchBuilder(1024)
    builder.tryAppend(1, null, null, null)
    builder.tryAppend(1 + 2 ** 40, null, null, null)
    builder.tryAppend(1 - 2 ** 40, null, null, null)
    const [batch] = decodeRecordBatches(builder.build())
    expect(batch?.records?.map((r) => r.timestamp)).toEqual([1, 1 + 2 ** 40, 1 - 2 ** 40])
    expect(batch?.maxTimestamp).toBe(1 + 2 ** 40)
  })

  it('refuses records that overflow the capacity, except the first', () => {
    const builder = new RecordBatchBuilder(100)
    expect(builder.tryAppend(0, null, new Uint8Array(500), null)).toBe(true) // first record always fits
    expect(builder.isFull).toBe(true)
    expect(builder.tryAppend(0, null, new Uint8Array(1), null)).toBe(false)
    expect(builder.recordCount).toBe(1)
    const small = new RecordBatchBuilder(61 + 20)
    expect(small.tryAppend(0, null, new Uint8Array(5), null)).toBe(true) // 7 + 5 bytes
    const before = small.sizeInBytes
    expect(small.tryAppend(0, null, new Uint8Array(5), null)).toBe(false)
    expect(small.sizeInBytes).toBe(before)
    expect(small.isFull).toBe(false)
  })

  it('estimateRecordSize bounds the bytes a record adds', () => {
    const headers: RecordHeader[] = [['trace-id', b('abc')]]
    const builder = new RecordBatchBuilder(1 << 20)
    builder.tryAppend(0, null, null, null)
    const before = builder.sizeInBytes
    builder.tryAppend(2 ** 45, b('key'), new Uint8Array(300), headers)
    expect(builder.sizeInBytes - before).toBeLessThanOrEqual(estimateRecordSize(b('key'), new Uint8Array(300), headers))
  })

  it('cannot build an empty batch or append after build', () => {
    expect(() => new RecordBatchBuilder(100).build()).toThrow(/empty/)
    const builder = new RecordBatchBuilder(100)
    builder.tryAppend(0, null, null, null)
    const out = builder.build()
    expect(builder.build()).toBe(out)
    expect(() => builder.tryAppend(0, null, null, null)).toThrow(/built/)
  })

  it('restampBatch rewrites producer id, epoch, sequence and the CRC in place', () => {
    const builder = new RecordBatchBuilder(1024)
    builder.tryAppend(1700000000000, b('key'), b('value'), [['h', b('v')]])
    const out = builder.build({ transactional: true })
    restampBatch(out, 1000n, 0, 0)
    const buf = Buffer.from(out)
    expect(buf.readBigInt64BE(43)).toBe(1000n)
    expect(buf.readInt16BE(21)).toBe(0x10)
    expect(buf.readUInt32BE(17)).toBe(CRC32C.buf(buf.subarray(21)) >>> 0)
    restampBatch(out, 7n, 3, 2147483647)
    const [d] = decodeRecordBatches(out)
    expect([d?.producerId, d?.producerEpoch, d?.baseSequence, d?.crcValid, d?.isTransactional]).toEqual([7n, 3, 2147483647, true, true])
  })

  it('compression hook: only the records section is compressed, codec bits set, CRC over compressed bytes', () => {
    const builder = new RecordBatchBuilder(1 << 16)
    for (let i = 0; i < 50; i++) builder.tryAppend(1000 + i, b(`key-${i}`), b('value '.repeat(20)), [['n', b(String(i))]])
    const plainSize = builder.sizeInBytes
    const out = Buffer.from(builder.build({ compression: (records) => gzipSync(records), codecId: 1, producerId: 5n, producerEpoch: 1, baseSequence: 10 }))
    expect(out.length).toBeLessThan(plainSize)
    expect(out.readInt16BE(21) & 7).toBe(1)
    expect(out.readInt32BE(57)).toBe(50)
    expect(out.readUInt32BE(17)).toBe(CRC32C.buf(out.subarray(21)) >>> 0)
    expect(out.subarray(61, 63).toString('hex')).toBe('1f8b') // gzip magic right after the header
    const [raw] = decodeRecordBatches(out)
    expect(raw?.records).toBeNull()
    const [d] = decodeRecordBatches(out, { decompress: (codec, data) => { expect(codec).toBe(1); return gunzipSync(data) } })
    expect(d?.records?.length).toBe(50)
    expect(Buffer.from(d?.records?.[49]?.key ?? []).toString()).toBe('key-49')
    const one = new RecordBatchBuilder(100)
    one.tryAppend(0, null, null, null)
    expect(() => one.build({ compression: (x) => x, codecId: 9 })).toThrow(InvalidArgumentError)
  })
})

describe('decodeRecordBatches on bad input', () => {
  const good = Buffer.from(WORKED, 'hex')
  it('reports a CRC mismatch without throwing', () => {
    const bad = Buffer.from(good)
    bad[70] = (bad[70] as number) ^ 1
    expect(decodeRecordBatches(bad)[0]?.crcValid).toBe(false)
  })
  it('decodes consecutive batches', () => {
    expect(decodeRecordBatches(Buffer.concat([good, good])).length).toBe(2)
  })
  it('throws ProtocolError naming the field for truncation and hostile lengths', () => {
    expect(() => decodeRecordBatches(good.subarray(0, 79))).toThrow(/batches\[0\]\.batch_length/)
    expect(() => decodeRecordBatches(good.subarray(0, 40))).toThrow(ProtocolError)
    const magic = Buffer.from(good); magic[16] = 1
    expect(() => decodeRecordBatches(magic)).toThrow(/magic/)
    const count = Buffer.from(good); count.writeInt32BE(2 ** 30, 57)
    expect(() => decodeRecordBatches(count)).toThrow(/records_count/)
    const keyLen = Buffer.from(good); keyLen[65] = 0x7e // key length 63 > bytes left
    expect(() => decodeRecordBatches(keyLen)).toThrow(/records\[0\]\.key/)
    const recLen = Buffer.from(good); recLen[61] = 0x22 // record length 17 instead of 18
    expect(() => decodeRecordBatches(recLen)).toThrow(ProtocolError)
  })
  it('has a header of 61 bytes', () => {
    expect(RECORD_BATCH_OVERHEAD).toBe(61)
  })
})

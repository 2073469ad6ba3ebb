import { describe, expect, it } from 'vitest'
import { compressFrameSync } from 'lz4-napi'
import { crc32c } from '../../../src/protocol/crc32c.js'
import { apiByKey } from '../../../src/cli/apis.js'
import { decodeFrame } from '../../../src/cli/dump/frame.js'
import { recordBatchRows } from '../../../src/cli/dump/record-batch.js'
import { renderFrame } from '../../../src/cli/dump/render.js'
import type { DumpRow, FieldRow } from '../../../src/cli/dump/rows.js'
import { makeStyle } from '../../../src/cli/io.js'
import { ApiVersionsApi } from '../../../src/protocol/api-versions.js'
import { encodeRequestHeader } from '../../../src/protocol/headers.js'
import { Writer } from '../../../src/protocol/writer.js'

/** protocol-reference §1.6: one record (key "key", value "value", header h=v), CRC computed by the JDK's CRC32C. */
const WORKED_BATCH = Buffer.from(
  '0000000000000000' + '00000044' + 'ffffffff' + '02' + 'e7fe61e9' +
    '0000' + '00000000' + '0000018bcfe56800' + '0000018bcfe56800' +
    '00000000000003e8' + '0000' + '00000000' + '00000001' +
    '2400000006' + '6b6579' + '0a' + '76616c7565' + '02' + '0268' + '0276',
  'hex',
)

function field(rows: DumpRow[], suffix: string): FieldRow {
  const row = rows.find((r): r is FieldRow => r.kind === 'field' && r.path.endsWith(suffix))
  if (row === undefined) throw new Error(`no row ${suffix}; rows: ${rows.map((r) => (r.kind === 'field' ? r.path : r.text)).join(', ')}`)
  return row
}

describe('record batch dump', () => {
  it('annotates every field of the worked batch and checks its JDK-computed CRC', () => {
    const rows = recordBatchRows(WORKED_BATCH, 0, WORKED_BATCH.length, 0, 'records')
    const crc = field(rows, 'records.batch.crc')
    expect(crc.value).toBe('0xe7fe61e9')
    expect(crc.check).toBe(true)
    expect(crc.offset).toBe(17)
    expect(Buffer.from(crc.bytes).toString('hex')).toBe('e7fe61e9')
    expect(field(rows, 'batch.producer_id').value).toBe('1000')
    expect(field(rows, 'batch.base_timestamp').note).toBe('2023-11-14T22:13:20.000Z')
    expect(field(rows, 'batch.records[0].key').value).toBe('"key" (3 bytes)')
    expect(field(rows, 'batch.records[0].value').value).toBe('"value" (5 bytes)')
    expect(field(rows, 'batch.records[0].headers[0].key').value).toBe('"h" (1 byte)')
    expect(field(rows, 'batch.records[0].headers[0].value').offset).toBe(WORKED_BATCH.length - 1)
    // Every byte of the batch is claimed by exactly one field, in order.
    let next = 0
    for (const r of rows) {
      if (r.kind !== 'field') continue
      expect(r.offset).toBe(next)
      next += r.bytes.length
    }
    expect(next).toBe(WORKED_BATCH.length)
  })

  it('flags a corrupted batch as a CRC mismatch', () => {
    const bad = Buffer.from(WORKED_BATCH)
    bad[bad.length - 1] = 0x77
    const crc = field(recordBatchRows(bad, 0, bad.length, 0, 'records'), 'batch.crc')
    expect(crc.check).toBe(false)
    expect(crc.note).toContain('MISMATCH')
  })

  it('says when records_count and the records disagree', () => {
    const batch = Buffer.from(WORKED_BATCH)
    batch.writeInt32BE(2, 57)
    batch.writeUInt32BE(crc32c(batch, 21, batch.length), 17)
    const rows = recordBatchRows(batch, 0, batch.length, 0, 'records')
    expect(field(rows, 'batch.crc').check).toBe(true)
    expect(rows.at(-1)).toEqual({ kind: 'heading', text: 'records.batch: records_count says 2 but 1 records are present' })
  })

  it('expands an lz4 batch into its decompressed records', () => {
    // The records section of the worked batch, lz4-framed by lz4-napi (not our codec), attributes 3, CRC recomputed.
    const records = WORKED_BATCH.subarray(61)
    const compressed = compressFrameSync(Buffer.from(records))
    const batch = Buffer.concat([WORKED_BATCH.subarray(0, 61), compressed])
    batch.writeInt32BE(batch.length - 12, 8)
    batch.writeInt16BE(3, 21)
    batch.writeUInt32BE(crc32c(batch, 21, batch.length), 17)
    const rows = recordBatchRows(batch, 0, batch.length, 0, 'records')
    expect(field(rows, 'batch.attributes').note).toBe('lz4, CreateTime')
    expect(field(rows, 'batch.crc').check).toBe(true)
    expect(field(rows, 'batch.records_compressed').value).toBe(`${compressed.length} bytes of lz4`)
    expect(field(rows, 'batch.records_compressed').note).toBe('LZ4 frame (magic 0x184D2204)')
    const value = field(rows, 'batch.records[0].value')
    expect(value.decompressed).toBe(true)
    expect(value.value).toBe('"value" (5 bytes)')
    expect(rows.some((r) => r.kind === 'heading' && r.text.includes(`decompressed with lz4: ${compressed.length} → ${records.length} bytes`))).toBe(true)
  })
})

describe('frame dump', () => {
  function apiVersionsFrame(): Buffer {
    const w = new Writer(64)
    const size = w.reserveInt32()
    encodeRequestHeader(w, { apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 'golden' }, true)
    ApiVersionsApi.encodeRequest(w, { clientSoftwareName: 'kafka-wire', clientSoftwareVersion: '0.1.0' }, 3)
    w.patchInt32(size, w.length - 4)
    return Buffer.from(w.finish())
  }

  it('decodes a request frame field by field with the API decoder', () => {
    const frame = apiVersionsFrame()
    const decoded = decodeFrame({ direction: 'send', frame, apiKey: 18, apiVersion: 3, correlationId: 7, broker: 'h:1' }, apiByKey)
    const fields = decoded.rows.filter((r): r is FieldRow => r.kind === 'field')
    expect(fields.map((f) => f.path)).toEqual([
      'size',
      'request_api_key',
      'request_api_version',
      'correlation_id',
      'client_id',
      '_tagged_fields.count',
      'client_software_name',
      'client_software_version',
      '_tagged_fields.count',
    ])
    expect(fields.reduce((n, f) => n + f.bytes.length, 0)).toBe(frame.length)
    const text = renderFrame(decoded, makeStyle(false))
    expect(text).toContain('>> ApiVersions v3 request  correlation_id=7  to h:1')
    expect(text).toMatch(/ 0004 {2}00 12 +request_api_key +18 {2}ApiVersions/)
    expect(text).not.toContain('\u001b[')
    expect(renderFrame(decoded, makeStyle(true))).toContain('\u001b[')
  })

  it('shows bytes no decoder claimed instead of hiding them', () => {
    const frame = Buffer.concat([apiVersionsFrame(), Buffer.from([0xde, 0xad])])
    frame.writeInt32BE(frame.length - 4, 0)
    const decoded = decodeFrame({ direction: 'send', frame, apiKey: 18, apiVersion: 3, correlationId: 7, broker: undefined }, apiByKey)
    const last = decoded.rows.filter((r): r is FieldRow => r.kind === 'field').at(-1)
    expect(last?.path).toBe('(not decoded)')
    expect(Buffer.from(last?.bytes ?? []).toString('hex')).toBe('dead')
  })

  it('reports a truncated frame as a decode fault after the fields it could read', () => {
    const frame = apiVersionsFrame().subarray(0, 18)
    const decoded = decodeFrame({ direction: 'send', frame, apiKey: 18, apiVersion: 3, correlationId: 7, broker: undefined }, apiByKey)
    const headings = decoded.rows.filter((r) => r.kind === 'heading').map((r) => (r.kind === 'heading' ? r.text : ''))
    expect(headings.at(-1)).toMatch(/^decode failed: client_id/)
  })
})

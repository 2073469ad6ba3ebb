/**
 * Field-by-field view of the RecordBatch v2 bytes inside a `records` field (protocol-reference
 * §1.4-1.5, Kafka's `DefaultRecordBatch`/`DefaultRecord`): every header field, the CRC-32C checked
 * over bytes 21..end, and each record (decompressed first when the batch is compressed).
 */
import { compressionTypeOfAttributes, getCodec, isXerialFramed } from '../../compression/index.js'
import { crc32c } from '../../protocol/crc32c.js'
import { Reader } from '../../protocol/reader.js'
import type { DumpRow, FieldRow } from './rows.js'
import { formatValue } from './values.js'

/** Offset of the attributes field: the CRC covers the batch from here to its end. */
const CRC_START = 21
/** Bytes of a batch header before the records (`RECORD_BATCH_OVERHEAD`). */
const BATCH_OVERHEAD = 61
/** baseOffset + batchLength: the part not counted by batchLength (`LOG_OVERHEAD`). */
const LOG_OVERHEAD = 12
/** Largest decompressed records section the dump inflates (protects against a hostile batch). */
const MAX_DECOMPRESSED = 64 * 1024 * 1024

/** Collects traced fields of a Reader as rows, with notes added by field name. */
class RowSink {
  readonly rows: DumpRow[] = []
  constructor(
    private readonly buf: Uint8Array,
    private readonly base: number,
    private readonly prefix: string,
    private readonly decompressed = false,
  ) {}

  attach(r: Reader): void {
    r.trace = (offset, length, path, value) => {
      const row: FieldRow = {
        kind: 'field',
        offset: offset + this.base,
        bytes: this.buf.subarray(offset, offset + length),
        path: `${this.prefix}.${path}`,
        value: formatValue(value),
        ...noteFor(path, value),
        ...(this.decompressed ? { decompressed: true } : {}),
      }
      this.rows.push(row)
    }
  }
}

function noteFor(path: string, value: unknown): { note?: string } {
  const field = path.slice(path.lastIndexOf('.') + 1)
  if (typeof value === 'bigint' || typeof value === 'number') {
    const n = Number(value)
    if ((field === 'base_timestamp' || field === 'max_timestamp') && n >= 0) return { note: new Date(n).toISOString() }
    if (field === 'producer_id' && n === -1) return { note: 'none (not idempotent)' }
    if (field === 'base_sequence' && n === -1) return { note: 'none' }
    if (field === 'partition_leader_epoch' && n === -1) return { note: 'set by the broker' }
  }
  return {}
}

function describeAttributes(attributes: number): string {
  const parts = [compressionTypeOfAttributes(attributes) ?? `codec ${attributes & 7}`, (attributes & 0x08) !== 0 ? 'LogAppendTime' : 'CreateTime']
  if ((attributes & 0x10) !== 0) parts.push('transactional')
  if ((attributes & 0x20) !== 0) parts.push('control')
  if ((attributes & 0x40) !== 0) parts.push('delete horizon')
  return parts.join(', ')
}

/**
 * Rows for every batch in `data[start, end)`, a `records` field's bytes. `base` is the offset of
 * `data[0]` in the frame, so offsets match the frame's; `prefix` is the records field's path.
 */
export function recordBatchRows(data: Uint8Array, start: number, end: number, base: number, prefix: string): DumpRow[] {
  const rows: DumpRow[] = []
  let pos = start
  let index = 0
  while (pos < end) {
    if (end - pos < LOG_OVERHEAD) {
      rows.push({ kind: 'heading', text: `${end - pos} trailing bytes: too short for a batch header` })
      break
    }
    const view = new DataView(data.buffer, data.byteOffset + pos, LOG_OVERHEAD)
    const batchLength = view.getInt32(8)
    const batchEnd = pos + LOG_OVERHEAD + batchLength
    const name = index === 0 && batchEnd >= end ? `${prefix}.batch` : `${prefix}.batch[${index}]`
    if (batchLength < BATCH_OVERHEAD - LOG_OVERHEAD || batchEnd > end) {
      rows.push({ kind: 'heading', text: `${name}: batch_length ${batchLength} does not fit the ${end - pos} bytes left` })
      break
    }
    rows.push(...oneBatch(data, pos, batchEnd, base, name))
    pos = batchEnd
    index++
  }
  return rows
}

function oneBatch(data: Uint8Array, start: number, end: number, base: number, name: string): DumpRow[] {
  const sink = new RowSink(data, base, name)
  try {
    batchFields(sink, data, start, end, name)
  } catch (err) {
    // A malformed batch still shows every field read before the fault, then the fault itself.
    sink.rows.push({ kind: 'heading', text: `${name}: ${(err as Error).message}` })
  }
  return sink.rows
}

function batchFields(sink: RowSink, data: Uint8Array, start: number, end: number, name: string): void {
  const r = new Reader(data, start, end)
  sink.attach(r)
  r.int64('base_offset')
  r.int32('batch_length')
  r.int32('partition_leader_epoch')
  const magic = r.int8('magic')
  if (magic !== 2) {
    sink.rows.push({ kind: 'heading', text: `${name}: magic ${magic} is not RecordBatch v2; not decoded further` })
    return
  }
  // The CRC row gets its check after the covered bytes are known.
  const crcIndex = sink.rows.length
  const crc = r.uint32('crc')
  const computed = crc32c(data, start + CRC_START, end)
  const crcRow = sink.rows[crcIndex] as FieldRow
  sink.rows[crcIndex] = {
    ...crcRow,
    value: `0x${crc.toString(16).padStart(8, '0')}`,
    note: crc === computed ? `CRC-32C of bytes ${CRC_START}..${end - start - 1} of the batch: checked` : `MISMATCH: computed 0x${computed.toString(16).padStart(8, '0')}`,
    check: crc === computed,
  }
  const attrIndex = sink.rows.length
  const attributes = r.int16('attributes')
  sink.rows[attrIndex] = { ...(sink.rows[attrIndex] as FieldRow), value: `0x${attributes.toString(16).padStart(4, '0')}`, note: describeAttributes(attributes) }
  r.int32('last_offset_delta')
  r.int64AsNumber('base_timestamp')
  r.int64AsNumber('max_timestamp')
  r.int64('producer_id')
  r.int16('producer_epoch')
  r.int32('base_sequence')
  const count = r.int32('records_count')
  const codec = compressionTypeOfAttributes(attributes)
  if (codec === undefined) {
    r.raw(end - r.pos, 'records_unknown_codec')
    sink.rows.push({ kind: 'heading', text: `${name}: compression id ${attributes & 7} is not one Kafka defines; records not decoded` })
    return
  }
  if (codec === 'none') {
    finishRecords(sink, name, readRecords(r, count), count, end - r.pos, data, r.pos, false)
    return
  }
  const compressed = r.raw(end - r.pos, 'records_compressed')
  const compressedRowIndex = sink.rows.length - 1
  sink.rows[compressedRowIndex] = {
    ...(sink.rows[compressedRowIndex] as FieldRow),
    value: `${compressed.length} bytes of ${codec}`,
    note: framing(codec, compressed),
    expanded: true,
  }
  let plain: Uint8Array
  try {
    plain = getCodec(codec).decompress(compressed, MAX_DECOMPRESSED)
  } catch (err) {
    sink.rows.push({ kind: 'heading', text: `${name}: could not decompress ${codec}: ${(err as Error).message}` })
    return
  }
  sink.rows.push({ kind: 'heading', text: `${name} records, decompressed with ${codec}: ${compressed.length} → ${plain.length} bytes (offsets +N within them)` })
  const inner = new RowSink(plain, 0, name, true)
  const ir = new Reader(plain)
  inner.attach(ir)
  let read = 0
  try {
    read = readRecords(ir, count)
  } finally {
    sink.rows.push(...inner.rows)
  }
  finishRecords(sink, name, read, count, ir.remaining, plain, ir.pos, true)
}

/** Flags a records_count the records do not match, and shows bytes left after the last record. */
function finishRecords(sink: RowSink, name: string, read: number, count: number, left: number, buf: Uint8Array, at: number, decompressed: boolean): void {
  if (left > 0) {
    sink.rows.push({
      kind: 'field',
      offset: at,
      bytes: buf.subarray(at, at + left),
      path: '(not decoded)',
      value: `${left} bytes`,
      note: 'after the last record',
      ...(decompressed ? { decompressed: true } : {}),
    })
  }
  if (read !== count) sink.rows.push({ kind: 'heading', text: `${name}: records_count says ${count} but ${read} records are present` })
}

/** How the codec wraps the records, recognised from its magic bytes (protocol-reference §1.7). */
function framing(codec: string, bytes: Uint8Array): string {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(8, bytes.byteLength))
  if (head.length < 4) return 'too short for any codec framing'
  if (codec === 'lz4') return head.readUInt32LE(0) === 0x184d2204 ? 'LZ4 frame (magic 0x184D2204)' : 'not an LZ4 frame'
  if (codec === 'gzip') return head[0] === 0x1f && head[1] === 0x8b ? 'gzip member (1f 8b)' : 'not gzip'
  if (codec === 'zstd') return head.readUInt32LE(0) === 0xfd2fb528 ? 'zstd frame (magic 0xFD2FB528)' : 'not a zstd frame'
  if (codec === 'snappy') return isXerialFramed(bytes) ? 'xerial snappy framing (as the Java client writes)' : 'raw snappy block'
  return codec
}

/** Reads up to `count` records (DefaultRecord layout), each inside a `records[i]` scope; returns how many. */
function readRecords(r: Reader, count: number): number {
  let i = 0
  for (; i < count && r.remaining > 0; i++) {
    r.enter('records', i)
    const length = r.varint('length')
    const recordEnd = r.pos + length
    if (length < 0 || recordEnd > r.end) r.fail('length', `record length ${length} exceeds the ${r.remaining} bytes left`)
    r.int8('attributes')
    r.varlong('timestamp_delta')
    r.varint('offset_delta')
    const keyLength = r.varint('key_length')
    if (keyLength >= 0) r.raw(keyLength, 'key')
    const valueLength = r.varint('value_length')
    if (valueLength >= 0) r.raw(valueLength, 'value')
    const headers = r.varint('headers_count')
    for (let h = 0; h < headers; h++) {
      r.enter('headers', h)
      const kl = r.varint('key_length')
      r.raw(Math.max(0, kl), 'key')
      const vl = r.varint('value_length')
      if (vl >= 0) r.raw(vl, 'value')
      r.leave()
    }
    if (r.pos !== recordEnd) r.fail('length', `record length says ${length} bytes but its fields took ${length + r.pos - recordEnd}`)
    r.leave()
  }
  return i
}

import { InvalidArgumentError } from '../kafka-wire-error.js'
import { crc32c } from './crc32c.js'
import { ProtocolError } from './errors.js'
import { Reader } from './reader.js'
import { sizeOfVarint, sizeOfVarlong, utf8Length, Writer } from './writer.js'

// RecordBatch v2 (magic 2), KIP-98. Offsets of the 61-byte header (DefaultRecordBatch.java):
/** Offset of BaseOffset (int64). */
export const BASE_OFFSET_OFFSET = 0
/** Offset of Length (int32, = batch size − 12). */
export const LENGTH_OFFSET = 8
/** Offset of PartitionLeaderEpoch (int32). */
export const PARTITION_LEADER_EPOCH_OFFSET = 12
/** Offset of Magic (int8 = 2). */
export const MAGIC_OFFSET = 16
/** Offset of the CRC-32C (uint32) covering ATTRIBUTES_OFFSET..end. */
export const CRC_OFFSET = 17
/** Offset of Attributes (int16); the CRC starts here. */
export const ATTRIBUTES_OFFSET = 21
/** Offset of LastOffsetDelta (int32). */
export const LAST_OFFSET_DELTA_OFFSET = 23
/** Offset of BaseTimestamp (int64). */
export const BASE_TIMESTAMP_OFFSET = 27
/** Offset of MaxTimestamp (int64). */
export const MAX_TIMESTAMP_OFFSET = 35
/** Offset of ProducerId (int64). */
export const PRODUCER_ID_OFFSET = 43
/** Offset of ProducerEpoch (int16). */
export const PRODUCER_EPOCH_OFFSET = 51
/** Offset of BaseSequence (int32). */
export const BASE_SEQUENCE_OFFSET = 53
/** Offset of RecordsCount (int32). */
export const RECORDS_COUNT_OFFSET = 57
/** Size of the batch header; records start here. */
export const RECORD_BATCH_OVERHEAD = 61
/** BaseOffset + Length: bytes not counted by the Length field. */
export const LOG_OVERHEAD = 12
/** Worst-case bytes of a record's framing: length 5 + timestamp delta 10 + offset delta 5 + attributes 1. */
export const MAX_RECORD_OVERHEAD = 21

/** Attribute bits 0-2: compression codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
export const COMPRESSION_CODEC_MASK = 0x07
/** Attribute bit 3: timestamps are LogAppendTime. */
export const TIMESTAMP_TYPE_MASK = 0x08
/** Attribute bit 4: the batch belongs to a transaction. */
export const TRANSACTIONAL_FLAG_MASK = 0x10
/** Attribute bit 5: control batch (brokers reject these from clients). */
export const CONTROL_FLAG_MASK = 0x20

/** ProducerId / epoch / sequence of a batch from a non-idempotent producer. */
export const NO_PRODUCER_ID = -1n
/** See {@link NO_PRODUCER_ID}. */
export const NO_PRODUCER_EPOCH = -1
/** See {@link NO_PRODUCER_ID}. */
export const NO_SEQUENCE = -1

/** A record header: key (non-null) and value (null allowed). */
export type RecordHeader = readonly [string, Uint8Array | null]

/** Options of {@link RecordBatchBuilder.build}. */
export interface BuildOptions {
  /** Compresses the records section (bytes after RecordsCount); the 61-byte header stays plain. */
  readonly compression?: (records: Uint8Array) => Uint8Array
  /** Codec id written into attribute bits 0-2 when `compression` is given. */
  readonly codecId?: number
  /** Idempotent producer id (default -1); may be re-stamped later with {@link restampBatch}. */
  readonly producerId?: bigint
  /** Producer epoch (default -1). */
  readonly producerEpoch?: number
  /** First sequence number (default -1). */
  readonly baseSequence?: number
  /** Sets the transactional attribute bit. */
  readonly transactional?: boolean
}

/** Exact encoded size of a record body (everything after its Length varint). */
function recordBodySize(timestampDelta: number, offsetDelta: number, key: Uint8Array | null, value: Uint8Array | null, headers: readonly RecordHeader[] | null): number {
  let n = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta)
  n += key === null ? 1 : sizeOfVarint(key.length) + key.length
  n += value === null ? 1 : sizeOfVarint(value.length) + value.length
  const hc = headers === null ? 0 : headers.length
  n += sizeOfVarint(hc)
  for (let i = 0; i < hc; i++) {
    const h = (headers as readonly RecordHeader[])[i] as RecordHeader
    const kl = utf8Length(h[0])
    n += sizeOfVarint(kl) + kl
    const hv = h[1]
    n += hv === null ? 1 : sizeOfVarint(hv.length) + hv.length
  }
  return n
}

/**
 * Upper bound of the bytes one record adds to a batch, whatever its timestamp and offset deltas.
 * The accumulator uses it to size a new batch as `max(batch.size, 61 + estimate)`.
 */
export function estimateRecordSize(key: Uint8Array | null, value: Uint8Array | null, headers: readonly RecordHeader[] | null): number {
  return recordBodySize(0, 0, key, value, headers) - 2 + MAX_RECORD_OVERHEAD
}

/**
 * Builds one RecordBatch v2 for one partition, appending records straight into the batch buffer
 * (no per-record objects). The header is written by {@link build}; producer id, epoch and base
 * sequence can be assigned then or re-stamped later with {@link restampBatch}, which is how the
 * idempotent producer assigns sequences at drain time.
 */
export class RecordBatchBuilder {
  /** Target size in bytes (batch.size, or one record's size when bigger). */
  readonly capacity: number
  private readonly w: Writer
  private count = 0
  private baseTimestamp = 0
  private maxTimestamp = -1
  private built: Uint8Array | null = null

  /** @param capacity batch.size, or the first record's estimated size if that is bigger */
  constructor(capacity: number) {
    this.capacity = capacity
    this.w = new Writer(Math.max(capacity, RECORD_BATCH_OVERHEAD + MAX_RECORD_OVERHEAD))
    this.w.pos = RECORD_BATCH_OVERHEAD
  }

  /** Records appended so far. */
  get recordCount(): number {
    return this.count
  }

  /** Current batch size in bytes (header plus uncompressed records). */
  get sizeInBytes(): number {
    return this.built === null ? this.w.pos : this.built.length
  }

  /** True once built, or when no more bytes fit within the capacity. */
  get isFull(): boolean {
    return this.built !== null || this.w.pos >= this.capacity
  }

  /** True once {@link build} was called. */
  get isBuilt(): boolean {
    return this.built !== null
  }

  /**
   * Appends a record. Returns false (and writes nothing) when it would push the batch past its
   * capacity; the first record is always accepted so an oversized record still gets a batch.
   * Throws once the batch was built.
   */
  tryAppend(timestampMs: number, key: Uint8Array | null, value: Uint8Array | null, headers: readonly RecordHeader[] | null): boolean {
    if (this.built !== null) throw new InvalidArgumentError('RecordBatchBuilder: cannot append to a built batch')
    if (this.count === 0) this.baseTimestamp = timestampMs
    const tsDelta = timestampMs - this.baseTimestamp
    const offsetDelta = this.count
    const hc = headers === null ? 0 : headers.length
    // The common record (small deltas, no headers) is sized and written inline, field by field
    // as in the spec, straight into the buffer: one bounds check per record, not one per field.
    const small = hc === 0 && tsDelta >= -0x40000000 && tsDelta < 0x40000000
    const keyLen = key === null ? -1 : key.length
    const valueLen = value === null ? -1 : value.length
    const body = small
      ? 1 + sizeOfVarint(tsDelta) + sizeOfVarint(offsetDelta) + (keyLen < 0 ? 1 : sizeOfVarint(keyLen) + keyLen) + (valueLen < 0 ? 1 : sizeOfVarint(valueLen) + valueLen) + 1
      : recordBodySize(tsDelta, offsetDelta, key, value, headers)
    const total = sizeOfVarint(body) + body
    const w = this.w
    if (this.count > 0 && w.pos + total > this.capacity) return false
    w.ensure(total)
    if (small) {
      const b = w.buf
      let p = putVarint(b, w.pos, body) // length
      b[p++] = 0 // attributes: none are defined for records
      p = putVarint(b, p, tsDelta) // timestampDelta (varlong; this one fits a varint)
      p = putVarint(b, p, offsetDelta) // offsetDelta
      p = putVarint(b, p, keyLen) // keyLength, -1 = null
      if (key !== null) p = putBytes(b, p, key)
      p = putVarint(b, p, valueLen) // valueLength, -1 = null
      if (value !== null) p = putBytes(b, p, value)
      b[p++] = 0 // headers count
      w.pos = p
    } else {
      w.varint(body)
      w.int8(0) // record attributes: none are defined
      w.varlong(tsDelta)
      w.varint(offsetDelta)
      if (key === null) w.varint(-1)
      else w.varint(key.length).raw(key)
      if (value === null) w.varint(-1)
      else w.varint(value.length).raw(value)
      w.varint(hc)
      for (let i = 0; i < hc; i++) {
        const h = (headers as readonly RecordHeader[])[i] as RecordHeader
        const kl = utf8Length(h[0])
        w.varint(kl)
        w.utf8(h[0], kl)
        const hv = h[1]
        if (hv === null) w.varint(-1)
        else w.varint(hv.length).raw(hv)
      }
    }
    if (timestampMs > this.maxTimestamp || this.count === 0) this.maxTimestamp = timestampMs
    this.count++
    return true
  }

  /**
   * Writes the header and CRC and returns the finished batch (a view of the builder's buffer when
   * uncompressed). With `compression`, only the records section is compressed and the codec bits
   * are set. Building twice returns the same bytes.
   */
  build(options: BuildOptions = {}): Uint8Array {
    if (this.built !== null) return this.built
    if (this.count === 0) throw new InvalidArgumentError('RecordBatchBuilder: cannot build an empty batch (Kafka requires RecordsCount > 0)')
    let attributes = options.transactional === true ? TRANSACTIONAL_FLAG_MASK : 0
    let out: Buffer
    if (options.compression !== undefined) {
      const codec = options.codecId ?? 0
      if (codec < 1 || codec > 4) throw new InvalidArgumentError(`compression codec id must be 1-4, got ${codec}`)
      const compressed = options.compression(this.w.buf.subarray(RECORD_BATCH_OVERHEAD, this.w.pos))
      out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + compressed.length)
      out.set(compressed, RECORD_BATCH_OVERHEAD)
      attributes |= codec
    } else {
      out = this.w.finish()
    }
    out.writeBigInt64BE(0n, BASE_OFFSET_OFFSET)
    out.writeInt32BE(out.length - LOG_OVERHEAD, LENGTH_OFFSET)
    out.writeInt32BE(-1, PARTITION_LEADER_EPOCH_OFFSET)
    out[MAGIC_OFFSET] = 2
    out.writeInt16BE(attributes, ATTRIBUTES_OFFSET)
    out.writeInt32BE(this.count - 1, LAST_OFFSET_DELTA_OFFSET)
    writeInt64Number(out, BASE_TIMESTAMP_OFFSET, this.baseTimestamp)
    writeInt64Number(out, MAX_TIMESTAMP_OFFSET, this.maxTimestamp)
    out.writeInt32BE(this.count, RECORDS_COUNT_OFFSET)
    restampBatch(out, options.producerId ?? NO_PRODUCER_ID, options.producerEpoch ?? NO_PRODUCER_EPOCH, options.baseSequence ?? NO_SEQUENCE)
    this.built = out
    return out
  }
}

/** Zig-zag varint of a signed 32-bit value at `p` (room already ensured); returns the next offset. */
function putVarint(b: Buffer, p: number, v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0
  while (u >= 0x80) {
    b[p++] = (u & 0x7f) | 0x80
    u >>>= 7
  }
  b[p++] = u
  return p
}

/** Copies `src` to `p`; a byte loop beats `set()`'s call overhead for small keys and values. */
function putBytes(b: Buffer, p: number, src: Uint8Array): number {
  const n = src.length
  if (n > 16) {
    b.set(src, p)
    return p + n
  }
  for (let i = 0; i < n; i++) b[p + i] = src[i] as number
  return p + n
}

function writeInt64Number(b: Buffer, at: number, v: number): void {
  const hi = Math.floor(v / 0x100000000)
  b.writeInt32BE(hi, at)
  b.writeUInt32BE(v - hi * 0x100000000, at + 4)
}

/**
 * Stamps producer id, epoch and base sequence into a built batch (in place) and recomputes its
 * CRC. Cheap: 14 bytes of writes plus one CRC pass. Used when the idempotent producer assigns
 * sequences at drain time or after an epoch bump.
 */
export function restampBatch(batch: Uint8Array, producerId: bigint, epoch: number, baseSequence: number): void {
  if (batch.length < RECORD_BATCH_OVERHEAD || batch[MAGIC_OFFSET] !== 2) throw new InvalidArgumentError('restampBatch: not a RecordBatch v2')
  const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength)
  dv.setBigInt64(PRODUCER_ID_OFFSET, producerId)
  dv.setInt16(PRODUCER_EPOCH_OFFSET, epoch)
  dv.setInt32(BASE_SEQUENCE_OFFSET, baseSequence)
  dv.setUint32(CRC_OFFSET, crc32c(batch, ATTRIBUTES_OFFSET, batch.length))
}

/** One decoded record. */
export interface DecodedRecord {
  /** Record attributes (always 0 today). */
  readonly attributes: number
  /** Absolute timestamp = batch BaseTimestamp + delta. */
  readonly timestamp: number
  /** Timestamp delta as stored. */
  readonly timestampDelta: number
  /** Offset delta as stored. */
  readonly offsetDelta: number
  /** Absolute offset = batch BaseOffset + delta. */
  readonly offset: bigint
  /** Key bytes (view), or null. */
  readonly key: Uint8Array | null
  /** Value bytes (view), or null. */
  readonly value: Uint8Array | null
  /** Headers in order. */
  readonly headers: readonly RecordHeader[]
}

/** One decoded RecordBatch v2. */
export interface DecodedRecordBatch {
  /** BaseOffset */
  readonly baseOffset: bigint
  /** Length field (batch size − 12) */
  readonly length: number
  /** PartitionLeaderEpoch */
  readonly partitionLeaderEpoch: number
  /** Magic (2) */
  readonly magic: number
  /** CRC stored in the batch */
  readonly crc: number
  /** Whether the stored CRC matches CRC-32C of attributes..end */
  readonly crcValid: boolean
  /** Raw attributes */
  readonly attributes: number
  /** Codec id (bits 0-2) */
  readonly compression: number
  /** 0 CreateTime, 1 LogAppendTime */
  readonly timestampType: 0 | 1
  /** Transactional bit */
  readonly isTransactional: boolean
  /** Control bit */
  readonly isControl: boolean
  /** LastOffsetDelta */
  readonly lastOffsetDelta: number
  /** BaseTimestamp */
  readonly baseTimestamp: number
  /** MaxTimestamp */
  readonly maxTimestamp: number
  /** ProducerId */
  readonly producerId: bigint
  /** ProducerEpoch */
  readonly producerEpoch: number
  /** BaseSequence */
  readonly baseSequence: number
  /** RecordsCount */
  readonly recordCount: number
  /** Records, or null when compressed and no decompressor was given. */
  readonly records: readonly DecodedRecord[] | null
  /** The records section as stored (compressed or not). */
  readonly recordsBytes: Uint8Array
}

/** Options of {@link decodeRecordBatches}. */
export interface DecodeBatchOptions {
  /** Inflates a compressed records section; without it compressed batches have `records: null`. */
  readonly decompress?: (codecId: number, data: Uint8Array) => Uint8Array
  /** Per-field trace sink (see Reader.trace) for `dump`. */
  readonly trace?: Reader['trace']
}

const MIN_RECORD_SIZE = 7

function decodeRecords(r: Reader, count: number, baseOffset: bigint, baseTimestamp: number): DecodedRecord[] {
  if (count * MIN_RECORD_SIZE > r.remaining) r.fail('records_count', `claims ${count} records but only ${r.remaining} bytes remain`)
  const out: DecodedRecord[] = new Array<DecodedRecord>(count)
  for (let i = 0; i < count; i++) {
    r.enter('records', i)
    const len = r.varint('length')
    if (len < 0) r.fail('length', `negative record length ${len}`)
    if (len > r.remaining) r.fail('length', `record length ${len} exceeds the ${r.remaining} bytes left`)
    const start = r.pos
    const attributes = r.int8('attributes')
    const timestampDelta = r.varlong('timestamp_delta')
    const offsetDelta = r.varint('offset_delta')
    const keyLen = r.varint('key_length')
    if (keyLen < -1) r.fail('key_length', `invalid key length ${keyLen}`)
    const key = keyLen === -1 ? null : r.raw(keyLen, 'key')
    const valueLen = r.varint('value_length')
    if (valueLen < -1) r.fail('value_length', `invalid value length ${valueLen}`)
    const value = valueLen === -1 ? null : r.raw(valueLen, 'value')
    const hc = r.varint('headers_count')
    if (hc < 0) r.fail('headers_count', `invalid header count ${hc}`)
    if (hc * 2 > r.remaining) r.fail('headers_count', `claims ${hc} headers but only ${r.remaining} bytes remain`)
    const headers: RecordHeader[] = new Array<RecordHeader>(hc)
    for (let h = 0; h < hc; h++) {
      r.enter('headers', h)
      const kl = r.varint('key_length')
      if (kl < 0) r.fail('key_length', `invalid header key length ${kl}`)
      const hk = Buffer.from(r.raw(kl, 'key')).toString('utf8')
      const vl = r.varint('value_length')
      if (vl < -1) r.fail('value_length', `invalid header value length ${vl}`)
      const hv = vl === -1 ? null : r.raw(vl, 'value')
      headers[h] = [hk, hv]
      r.leave()
    }
    if (r.pos - start !== len) r.fail('length', `record length says ${len} bytes but its fields took ${r.pos - start}`, start)
    const timestamp = baseTimestamp + timestampDelta
    out[i] = { attributes, timestamp, timestampDelta, offsetDelta, offset: baseOffset + BigInt(offsetDelta), key, value, headers }
    r.leave()
  }
  if (r.remaining !== 0) r.fail('records', `${r.remaining} bytes left after ${count} records`)
  return out
}

/**
 * Decodes consecutive RecordBatch v2 entries (a Produce `records` field, a log segment tail, a
 * Fetch response). Every length is checked before use; malformed input throws ProtocolError.
 * A CRC mismatch does not throw: it is reported as `crcValid: false`.
 */
export function decodeRecordBatches(buf: Uint8Array, options: DecodeBatchOptions = {}): DecodedRecordBatch[] {
  const r = new Reader(buf)
  r.trace = options.trace
  const batches: DecodedRecordBatch[] = []
  for (let b = 0; r.remaining > 0; b++) {
    r.enter('batches', b)
    const start = r.pos
    if (r.remaining < RECORD_BATCH_OVERHEAD) r.fail('batch', `truncated batch header: ${r.remaining} of ${RECORD_BATCH_OVERHEAD} bytes`)
    const baseOffset = r.int64('base_offset')
    const length = r.int32('batch_length')
    if (length < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) r.fail('batch_length', `batch length ${length} is below the ${RECORD_BATCH_OVERHEAD - LOG_OVERHEAD}-byte minimum`, start + LENGTH_OFFSET)
    const end = start + LOG_OVERHEAD + length
    if (end > r.end) r.fail('batch_length', `batch length ${length} exceeds the ${r.end - start - LOG_OVERHEAD} bytes left`, start + LENGTH_OFFSET)
    const partitionLeaderEpoch = r.int32('partition_leader_epoch')
    const magic = r.int8('magic')
    if (magic !== 2) r.fail('magic', `only RecordBatch v2 (magic 2) is supported, got magic ${magic}`, start + MAGIC_OFFSET)
    const crc = r.uint32('crc')
    const crcValid = crc32c(buf, start + ATTRIBUTES_OFFSET, end) === crc
    const attributes = r.int16('attributes')
    const lastOffsetDelta = r.int32('last_offset_delta')
    const baseTimestamp = r.int64AsNumber('base_timestamp')
    const maxTimestamp = r.int64AsNumber('max_timestamp')
    const producerId = r.int64('producer_id')
    const producerEpoch = r.int16('producer_epoch')
    const baseSequence = r.int32('base_sequence')
    const recordCount = r.int32('records_count')
    if (recordCount < 0) r.fail('records_count', `negative record count ${recordCount}`)
    const recordsBytes = r.raw(end - r.pos, 'records')
    const compression = attributes & COMPRESSION_CODEC_MASK
    let records: DecodedRecord[] | null = null
    if (compression === 0) {
      const rr = new Reader(buf, start + RECORD_BATCH_OVERHEAD, end)
      rr.trace = options.trace
      rr.enter('batches', b)
      records = decodeRecords(rr, recordCount, baseOffset, baseTimestamp)
    } else if (options.decompress !== undefined) {
      const plain = options.decompress(compression, recordsBytes)
      const rr = new Reader(plain)
      rr.trace = options.trace
      rr.enter('batches', b)
      rr.enter('decompressed')
      records = decodeRecords(rr, recordCount, baseOffset, baseTimestamp)
    }
    batches.push({
      baseOffset, length, partitionLeaderEpoch, magic, crc, crcValid, attributes, compression,
      timestampType: (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? 1 : 0,
      isTransactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
      isControl: (attributes & CONTROL_FLAG_MASK) !== 0,
      lastOffsetDelta, baseTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence, recordCount, records, recordsBytes,
    })
    r.leave()
  }
  return batches
}

/** Re-exported so callers of the decoder can catch it without another import. */
export { ProtocolError }

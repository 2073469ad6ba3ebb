import { InvalidArgumentError } from '../kafka-wire-error.js'
import { ProtocolError } from './errors.js'

/** One entry of a KIP-482 tagged-field section, already encoded. */
export interface RawTaggedField {
  /** The tag number; a section's tags are written in ascending order. */
  readonly tag: number
  /** The field's encoded bytes (without tag and size). */
  readonly data: Uint8Array
}

const MAX_UINT32 = 0xffffffff
const INT64_MIN = -(1n << 63n)
const INT64_MAX = (1n << 63n) - 1n
const textEncoder = new TextEncoder()

/** Bytes needed to encode `value` (0 ≤ value ≤ 2^32-1) as a protobuf-style unsigned varint. */
export function sizeOfUnsignedVarint(value: number): number {
  if (value < 0x80) return 1
  if (value < 0x4000) return 2
  if (value < 0x200000) return 3
  if (value < 0x10000000) return 4
  return 5
}

/** Bytes needed for a zig-zag varint of a signed 32-bit `value`. */
export function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint(((value << 1) ^ (value >> 31)) >>> 0)
}

/** Bytes needed for a zig-zag varlong of a safe-integer `value` (used for timestamp deltas). */
export function sizeOfVarlong(value: number): number {
  // zig-zag in float arithmetic: exact for |value| < 2^52, which covers every millisecond delta.
  let z = value >= 0 ? value * 2 : -value * 2 - 1
  let n = 1
  while (z >= 0x80) {
    z = Math.floor(z / 128)
    n++
  }
  return n
}

/** UTF-8 byte length of `s` without allocating (ASCII fast path). */
export function utf8Length(s: string): number {
  const n = s.length
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8')
  }
  return n
}

/**
 * Encodes a whole request (or batch) into one buffer.
 *
 * Callers pre-size it with an estimate so a request is written in a single allocation; when the
 * estimate was short the buffer doubles (one copy), so an estimate is a speed hint, never a
 * correctness condition. `finish()` returns a view, not a copy.
 */
export class Writer {
  /** The backing buffer; replaced when it grows, so never hold on to it across writes. */
  buf: Buffer
  /** Next write position in {@link buf} (bytes kept by reference are not counted here). */
  pos: number
  /** `raw()` keeps arrays of at least this many bytes by reference (see {@link shareLargeBytes}). */
  private shareMin = Infinity
  /** With sharing: the output so far, own-buffer views and shared arrays in order. */
  private chunks: Uint8Array[] | null = null
  /** Per chunk: its offset in the own buffer, or -1 for a shared array (for patch*). */
  private chunkOffsets: number[] = []
  /** Own-buffer offset where the bytes not yet in `chunks` start. */
  private chunkStart = 0
  /** Total bytes of shared arrays. */
  private sharedBytes = 0

  /** @param capacity initial buffer size in bytes (e.g. an API's size estimate plus headers). */
  constructor(capacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, capacity))
    this.pos = 0
  }

  /**
   * From now on `raw()` does not copy byte arrays of `minBytes` or more but keeps them by reference
   * (a Produce request's record batches, already built): the output is then several chunks, taken
   * with {@link finishChunks} and written with one `writev`. The arrays must not change until the
   * chunks are written.
   */
  shareLargeBytes(minBytes: number): this {
    this.shareMin = Math.max(1, minBytes)
    return this
  }

  /** Makes room for `n` more bytes, doubling the buffer if needed. */
  ensure(n: number): void {
    const need = this.pos + n
    if (need <= this.buf.length) return
    let cap = this.buf.length * 2
    while (cap < need) cap *= 2
    const next = Buffer.allocUnsafe(cap)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  /** Number of bytes written so far (shared arrays included). */
  get length(): number {
    return this.pos + this.sharedBytes
  }

  /** The bytes written so far: a view over the backing buffer (no copy) unless arrays were shared. */
  finish(): Buffer {
    if (this.chunks === null) return this.buf.subarray(0, this.pos)
    return Buffer.concat(this.finishChunks())
  }

  /** The bytes written so far as chunks in order (one view when nothing was shared). */
  finishChunks(): Uint8Array[] {
    if (this.chunks === null) return [this.buf.subarray(0, this.pos)]
    const out = this.chunks.slice()
    if (this.pos > this.chunkStart) out.push(this.buf.subarray(this.chunkStart, this.pos))
    return out
  }

  private share(bytes: Uint8Array): void {
    const chunks = this.chunks ?? (this.chunks = [])
    if (this.pos > this.chunkStart) {
      chunks.push(this.buf.subarray(this.chunkStart, this.pos))
      this.chunkOffsets.push(this.chunkStart)
    }
    chunks.push(bytes)
    this.chunkOffsets.push(-1)
    this.sharedBytes += bytes.length
    this.chunkStart = this.pos
  }

  /** Writes a boolean as one byte, 0 or 1. */
  boolean(v: boolean): this {
    return this.int8(v ? 1 : 0)
  }

  /** Writes a signed 8-bit integer. */
  int8(v: number): this {
    this.ensure(1)
    this.buf[this.pos++] = v & 0xff
    return this
  }

  /** Writes a big-endian signed 16-bit integer. */
  int16(v: number): this {
    this.ensure(2)
    this.buf.writeInt16BE(v, this.pos)
    this.pos += 2
    return this
  }

  /** Writes a big-endian signed 32-bit integer. */
  int32(v: number): this {
    this.ensure(4)
    this.buf.writeInt32BE(v, this.pos)
    this.pos += 4
    return this
  }

  /** Writes a big-endian unsigned 32-bit integer (e.g. a CRC). */
  uint32(v: number): this {
    this.ensure(4)
    this.buf.writeUInt32BE(v >>> 0, this.pos)
    this.pos += 4
    return this
  }

  /** Writes a big-endian signed 64-bit integer. */
  int64(v: bigint): this {
    if (v < INT64_MIN || v > INT64_MAX) throw new InvalidArgumentError(`int64 out of range: ${v}`)
    this.ensure(8)
    this.buf.writeBigInt64BE(v, this.pos)
    this.pos += 8
    return this
  }

  /** Writes a safe-integer number (e.g. a millisecond timestamp) as a big-endian int64, without a bigint. */
  int64FromNumber(v: number): this {
    if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(`int64FromNumber needs a safe integer, got ${v}`)
    this.ensure(8)
    const hi = Math.floor(v / 0x100000000)
    this.buf.writeInt32BE(hi, this.pos)
    this.buf.writeUInt32BE(v - hi * 0x100000000, this.pos + 4)
    this.pos += 8
    return this
  }

  /** Writes an unsigned varint (protobuf base-128), 0 ≤ v ≤ 2^32-1; negative int32 values are written as their uint32 bits. */
  uvarint(v: number): this {
    let u = v >>> 0
    if (!(v >= -0x80000000 && v <= MAX_UINT32)) throw new InvalidArgumentError(`uvarint out of range: ${v}`)
    this.ensure(5)
    const b = this.buf
    let p = this.pos
    while (u >= 0x80) {
      b[p++] = (u & 0x7f) | 0x80
      u >>>= 7
    }
    b[p++] = u
    this.pos = p
    return this
  }

  /** Writes a zig-zag varint of a signed 32-bit integer. */
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0)
  }

  /** Writes a zig-zag varlong; numbers must be safe integers, bigints any int64. */
  varlong(v: bigint | number): this {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(`varlong needs a safe integer, got ${v}`)
      if (v >= -0x40000000 && v < 0x40000000) return this.varint(v)
      let z = v >= 0 ? v * 2 : -v * 2 - 1
      this.ensure(10)
      while (z >= 0x80) {
        this.buf[this.pos++] = (z % 128) | 0x80
        z = Math.floor(z / 128)
      }
      this.buf[this.pos++] = z
      return this
    }
    if (v < INT64_MIN || v > INT64_MAX) throw new InvalidArgumentError(`varlong out of range: ${v}`)
    let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
    this.ensure(10)
    while (z >= 0x80n) {
      this.buf[this.pos++] = Number(z & 0x7fn) | 0x80
      z >>= 7n
    }
    this.buf[this.pos++] = Number(z)
    return this
  }

  /** Copies raw bytes (or keeps large ones by reference, see {@link shareLargeBytes}). */
  raw(bytes: Uint8Array): this {
    if (bytes.length >= this.shareMin) {
      this.share(bytes)
      return this
    }
    this.ensure(bytes.length)
    this.buf.set(bytes, this.pos)
    this.pos += bytes.length
    return this
  }

  /** Writes UTF-8 text with no length prefix; `byteLength` must be `utf8Length(s)`. */
  utf8(s: string, byteLength: number): void {
    this.ensure(byteLength)
    if (byteLength === s.length) {
      // ASCII: latin1 write is exact and cheaper than the UTF-8 encoder.
      this.buf.write(s, this.pos, byteLength, 'latin1')
    } else {
      textEncoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + byteLength))
    }
    this.pos += byteLength
  }

  /** STRING: int16 length then UTF-8 bytes. */
  string(s: string): this {
    const n = utf8Length(s)
    if (n > 0x7fff) throw new InvalidArgumentError(`string longer than 32767 bytes (${n})`)
    this.int16(n)
    this.utf8(s, n)
    return this
  }

  /** NULLABLE_STRING: int16 length (-1 = null) then UTF-8 bytes. */
  nullableString(s: string | null): this {
    return s === null ? this.int16(-1) : this.string(s)
  }

  /** COMPACT_STRING: uvarint(length+1) then UTF-8 bytes. */
  compactString(s: string): this {
    const n = utf8Length(s)
    this.uvarint(n + 1)
    this.utf8(s, n)
    return this
  }

  /** COMPACT_NULLABLE_STRING: uvarint 0 = null, else uvarint(length+1) and bytes. */
  compactNullableString(s: string | null): this {
    return s === null ? this.uvarint(0) : this.compactString(s)
  }

  /** BYTES: int32 length then bytes. */
  bytes(b: Uint8Array): this {
    this.int32(b.length)
    return this.raw(b)
  }

  /** NULLABLE_BYTES / RECORDS: int32 length (-1 = null) then bytes. */
  nullableBytes(b: Uint8Array | null): this {
    return b === null ? this.int32(-1) : this.bytes(b)
  }

  /** COMPACT_BYTES: uvarint(length+1) then bytes. */
  compactBytes(b: Uint8Array): this {
    this.uvarint(b.length + 1)
    return this.raw(b)
  }

  /** COMPACT_NULLABLE_BYTES / COMPACT_RECORDS: uvarint 0 = null. */
  compactNullableBytes(b: Uint8Array | null): this {
    return b === null ? this.uvarint(0) : this.compactBytes(b)
  }

  /** UUID: 16 raw bytes, given as Kafka's URL-safe base64 text form (22 characters). */
  uuid(id: string): this {
    const bytes = uuidToBytes(id)
    return this.raw(bytes)
  }

  /** Classic ARRAY count (int32; -1 = null). */
  arrayLength(n: number | null): this {
    return this.int32(n === null ? -1 : n)
  }

  /** COMPACT_ARRAY count (uvarint n+1; 0 = null). */
  compactArrayLength(n: number | null): this {
    return this.uvarint(n === null ? 0 : n + 1)
  }

  /** Writes an array count in the classic or compact form, then each element with `each`. */
  array<T>(items: readonly T[] | null, compact: boolean, each: (w: Writer, item: T, index: number) => void): this {
    if (compact) this.compactArrayLength(items === null ? null : items.length)
    else this.arrayLength(items === null ? null : items.length)
    if (items !== null) for (let i = 0; i < items.length; i++) each(this, items[i] as T, i)
    return this
  }

  /**
   * Writes a tagged-field section (KIP-482): count, then per field its tag, size and bytes.
   * Tags must be strictly ascending, as the Java reader rejects anything else.
   */
  taggedFields(fields?: readonly RawTaggedField[] | null): this {
    if (fields === undefined || fields === null || fields.length === 0) return this.uvarint(0)
    this.uvarint(fields.length)
    let last = -1
    for (const f of fields) {
      if (f.tag <= last) throw new ProtocolError(`tagged fields must be in strictly ascending tag order (tag ${f.tag} after ${last})`, '_tagged_fields', this.pos)
      last = f.tag
      this.uvarint(f.tag)
      this.uvarint(f.data.length)
      this.raw(f.data)
    }
    return this
  }

  /** Reserves 4 bytes for an int32 written later with {@link patchInt32}; returns their offset. */
  reserveInt32(): number {
    this.ensure(4)
    const at = this.pos
    this.pos += 4
    return at
  }

  /** Writes an int32 at an earlier offset (size prefixes, batch length). */
  patchInt32(offset: number, v: number): void {
    this.buf.writeInt32BE(v, offset)
    if (this.chunks !== null) this.patchChunk(offset, (b, at) => b.writeInt32BE(v, at))
  }

  /** Writes a uint32 at an earlier offset (the batch CRC). */
  patchUInt32(offset: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, offset)
    if (this.chunks !== null) this.patchChunk(offset, (b, at) => b.writeUInt32BE(v >>> 0, at))
  }

  // Bytes already cut into a chunk may live in a buffer the writer has since outgrown: patch the
  // chunk too (offsets are own-buffer offsets, which growing keeps).
  private patchChunk(offset: number, write: (b: Buffer, at: number) => void): void {
    const chunks = this.chunks as Uint8Array[]
    for (let i = 0; i < chunks.length; i++) {
      const start = this.chunkOffsets[i] as number
      const c = chunks[i] as Buffer
      if (start >= 0 && offset >= start && offset + 4 <= start + c.length) write(c, offset - start)
    }
  }
}

/** The all-zero UUID in Kafka's text form (`Uuid.ZERO_UUID`), meaning "no topic id". */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

/** Converts Kafka's URL-safe base64 UUID text (as printed by kafka-topics) to its 16 bytes. */
export function uuidToBytes(id: string): Uint8Array {
  const b = Buffer.from(id, 'base64url')
  if (b.length !== 16) throw new InvalidArgumentError(`not a Kafka UUID (need 22 base64url characters for 16 bytes): ${JSON.stringify(id)}`)
  return b
}

/** Converts 16 UUID bytes to Kafka's URL-safe base64 text form. */
export function uuidFromBytes(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url')
}

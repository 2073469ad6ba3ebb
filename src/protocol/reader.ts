import { InvalidArgumentError } from '../kafka-wire-error.js'
import { ProtocolError } from './errors.js'
import { uuidFromBytes } from './writer.js'

/**
 * Receives every decoded field when tracing is on: where it starts, how many bytes it spans, its
 * path in Kafka JSON spec names (e.g. `topic_data[0].partition_data[0].records`) and its value.
 * This is what the CLI `dump` prints.
 */
export type TraceSink = (offset: number, length: number, path: string, value: unknown) => void

/** Decoder for one tagged field: reads its body from `r` (bounded to the field's size). Return false to treat it as unknown. */
export type TaggedFieldHandler = (tag: number, r: Reader) => boolean | void

const textDecoder = new TextDecoder('utf-8', { fatal: false })

/**
 * Bounds-checked reader over a byte buffer. Every read names its field so a malformed frame
 * yields a {@link ProtocolError} saying which field broke; nothing is ever allocated from a
 * length the peer claims before that length is checked against the bytes actually present.
 *
 * Tracing costs one branch per field when `trace` is unset.
 */
export class Reader {
  /** The bytes being read. */
  readonly buf: Uint8Array
  /** Next read position. */
  pos: number
  /** Exclusive end of the readable region. */
  readonly end: number
  /** Optional per-field trace sink (see {@link TraceSink}). */
  trace: TraceSink | undefined
  private readonly view: DataView
  private readonly scope: string[] = []

  /** @param buf the bytes; @param offset first byte to read; @param end exclusive end (defaults to buf.length) */
  constructor(buf: Uint8Array, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) throw new InvalidArgumentError(`bad reader window [${offset}, ${end}) over ${buf.length} bytes`)
    this.buf = buf
    this.pos = offset
    this.end = end
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos
  }

  /** Enters a nested struct or array element for field paths, e.g. `enter('topic_data', 0)`. */
  enter(name: string, index?: number): void {
    this.scope.push(index === undefined ? name : `${name}[${index}]`)
  }

  /** Leaves the scope entered last. */
  leave(): void {
    this.scope.pop()
  }

  /** Full path of `field` in the current scope. */
  path(field: string): string {
    return this.scope.length === 0 ? field : `${this.scope.join('.')}.${field}`
  }

  /** Throws a {@link ProtocolError} for `field` at the current position. */
  fail(field: string, message: string, at = this.pos): never {
    throw new ProtocolError(message, this.path(field), at)
  }

  private need(n: number, field: string): void {
    if (n > this.end - this.pos) this.fail(field, `needs ${n} bytes but only ${this.end - this.pos} remain`)
  }

  private emit(start: number, field: string, value: unknown): void {
    if (this.trace !== undefined) this.trace(start, this.pos - start, this.path(field), value)
  }

  /** Reads one byte as a boolean (non-zero = true, like Kafka). */
  boolean(field: string): boolean {
    this.need(1, field)
    const v = this.buf[this.pos++] !== 0
    if (this.trace !== undefined) this.emit(this.pos - 1, field, v)
    return v
  }

  /** Reads a signed 8-bit integer. */
  int8(field: string): number {
    this.need(1, field)
    const v = this.view.getInt8(this.pos++)
    if (this.trace !== undefined) this.emit(this.pos - 1, field, v)
    return v
  }

  /** Reads a big-endian signed 16-bit integer. */
  int16(field: string): number {
    this.need(2, field)
    const v = this.view.getInt16(this.pos)
    this.pos += 2
    if (this.trace !== undefined) this.emit(this.pos - 2, field, v)
    return v
  }

  /** Reads a big-endian signed 32-bit integer. */
  int32(field: string): number {
    this.need(4, field)
    const v = this.view.getInt32(this.pos)
    this.pos += 4
    if (this.trace !== undefined) this.emit(this.pos - 4, field, v)
    return v
  }

  /** Reads a big-endian unsigned 32-bit integer. */
  uint32(field: string): number {
    this.need(4, field)
    const v = this.view.getUint32(this.pos)
    this.pos += 4
    if (this.trace !== undefined) this.emit(this.pos - 4, field, v)
    return v
  }

  /** Reads a big-endian signed 64-bit integer. */
  int64(field: string): bigint {
    this.need(8, field)
    const v = this.view.getBigInt64(this.pos)
    this.pos += 8
    if (this.trace !== undefined) this.emit(this.pos - 8, field, v)
    return v
  }

  /** Reads an int64 that must be a safe integer (timestamps); larger values are a ProtocolError. */
  int64AsNumber(field: string): number {
    this.need(8, field)
    const hi = this.view.getInt32(this.pos)
    const lo = this.view.getUint32(this.pos + 4)
    const v = hi * 0x100000000 + lo
    if (!Number.isSafeInteger(v)) this.fail(field, `int64 ${hi}:${lo} is not a safe integer`)
    this.pos += 8
    if (this.trace !== undefined) this.emit(this.pos - 8, field, v)
    return v
  }

  private rawUvarint(field: string): number {
    const start = this.pos
    let result = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) this.fail(field, 'varint is truncated', start)
      const b = this.buf[this.pos++] as number
      if (shift === 28 && b > 0x0f) this.fail(field, 'varint does not fit in 32 bits', start)
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
    }
    return this.fail(field, 'varint is longer than 5 bytes', start)
  }

  /** Reads an unsigned varint (0 … 2^32-1). */
  uvarint(field: string): number {
    const start = this.pos
    const v = this.rawUvarint(field)
    if (this.trace !== undefined) this.emit(start, field, v)
    return v
  }

  /** Reads a zig-zag varint (signed 32-bit). */
  varint(field: string): number {
    const start = this.pos
    const u = this.rawUvarint(field)
    const v = (u >>> 1) ^ -(u & 1)
    if (this.trace !== undefined) this.emit(start, field, v)
    return v
  }

  /** Reads a zig-zag varlong as a number; values beyond ±2^53 are a ProtocolError. */
  varlong(field: string): number {
    const start = this.pos
    let z = 0
    let mul = 1
    for (let i = 0; ; i++) {
      if (i >= 10) this.fail(field, 'varlong is longer than 10 bytes', start)
      if (this.pos >= this.end) this.fail(field, 'varlong is truncated', start)
      const b = this.buf[this.pos++] as number
      z += (b & 0x7f) * mul
      mul *= 128
      if ((b & 0x80) === 0) break
    }
    if (z > Number.MAX_SAFE_INTEGER) this.fail(field, 'varlong exceeds the safe integer range', start)
    const v = z % 2 === 0 ? z / 2 : -(z + 1) / 2
    if (this.trace !== undefined) this.emit(start, field, v)
    return v
  }

  /** Reads a zig-zag varlong as a bigint (full int64 range). */
  varlongBig(field: string): bigint {
    const start = this.pos
    let z = 0n
    let shift = 0n
    for (let i = 0; ; i++) {
      if (i >= 10) this.fail(field, 'varlong is longer than 10 bytes', start)
      if (this.pos >= this.end) this.fail(field, 'varlong is truncated', start)
      const b = this.buf[this.pos++] as number
      z |= BigInt(b & 0x7f) << shift
      shift += 7n
      if ((b & 0x80) === 0) break
    }
    z = BigInt.asUintN(64, z)
    const v = BigInt.asIntN(64, (z >> 1n) ^ -(z & 1n))
    if (this.trace !== undefined) this.emit(start, field, v)
    return v
  }

  /** Bytes at the cursor without a length prefix, as a zero-copy view. */
  raw(n: number, field: string): Uint8Array {
    if (n < 0) this.fail(field, `negative length ${n}`)
    this.need(n, field)
    const start = this.pos
    const v = this.buf.subarray(start, start + n)
    this.pos += n
    if (this.trace !== undefined) this.emit(start, field, v)
    return v
  }

  /** Skips `n` bytes. */
  skip(n: number, field: string): void {
    if (n < 0) this.fail(field, `negative length ${n}`)
    this.need(n, field)
    this.pos += n
  }

  private text(start: number, n: number, field: string): string {
    this.need(n, field)
    const s = textDecoder.decode(this.buf.subarray(this.pos, this.pos + n))
    this.pos += n
    if (this.trace !== undefined) this.emit(start, field, s)
    return s
  }

  /** STRING (int16 length); null is a ProtocolError. */
  string(field: string): string {
    const s = this.nullableString(field)
    if (s === null) return this.fail(field, 'null where a non-nullable string is required', this.pos - 2)
    return s
  }

  /** NULLABLE_STRING (int16 length, -1 = null). */
  nullableString(field: string): string | null {
    const start = this.pos
    this.need(2, field)
    const n = this.view.getInt16(this.pos)
    this.pos += 2
    if (n === -1) {
      if (this.trace !== undefined) this.emit(start, field, null)
      return null
    }
    if (n < 0) this.fail(field, `invalid string length ${n}`, start)
    return this.text(start, n, field)
  }

  /** COMPACT_STRING (uvarint length+1); null is a ProtocolError. */
  compactString(field: string): string {
    const start = this.pos
    const s = this.compactNullableString(field)
    if (s === null) return this.fail(field, 'null where a non-nullable compact string is required', start)
    return s
  }

  /** COMPACT_NULLABLE_STRING (uvarint length+1, 0 = null). */
  compactNullableString(field: string): string | null {
    const start = this.pos
    const n = this.rawUvarint(field)
    if (n === 0) {
      if (this.trace !== undefined) this.emit(start, field, null)
      return null
    }
    return this.text(start, n - 1, field)
  }

  private bytesBody(start: number, n: number, field: string): Uint8Array {
    this.need(n, field)
    const v = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    if (this.trace !== undefined) this.emit(start, field, v)
    return v
  }

  /** BYTES (int32 length); zero-copy view. */
  bytes(field: string): Uint8Array {
    const start = this.pos
    const b = this.nullableBytes(field)
    if (b === null) return this.fail(field, 'null where non-nullable bytes are required', start)
    return b
  }

  /** NULLABLE_BYTES / RECORDS (int32 length, -1 = null); zero-copy view. */
  nullableBytes(field: string): Uint8Array | null {
    const start = this.pos
    this.need(4, field)
    const n = this.view.getInt32(this.pos)
    this.pos += 4
    if (n === -1) {
      if (this.trace !== undefined) this.emit(start, field, null)
      return null
    }
    if (n < 0) this.fail(field, `invalid bytes length ${n}`, start)
    return this.bytesBody(start, n, field)
  }

  /** COMPACT_BYTES; zero-copy view. */
  compactBytes(field: string): Uint8Array {
    const start = this.pos
    const b = this.compactNullableBytes(field)
    if (b === null) return this.fail(field, 'null where non-nullable compact bytes are required', start)
    return b
  }

  /** COMPACT_NULLABLE_BYTES / COMPACT_RECORDS (0 = null); zero-copy view. */
  compactNullableBytes(field: string): Uint8Array | null {
    const start = this.pos
    const n = this.rawUvarint(field)
    if (n === 0) {
      if (this.trace !== undefined) this.emit(start, field, null)
      return null
    }
    return this.bytesBody(start, n - 1, field)
  }

  /** UUID: 16 bytes, returned in Kafka's URL-safe base64 text form. */
  uuid(field: string): string {
    this.need(16, field)
    const start = this.pos
    const v = uuidFromBytes(this.buf.subarray(start, start + 16))
    this.pos += 16
    if (this.trace !== undefined) this.emit(start, field, v)
    return v
  }

  /**
   * Reads an array count (classic int32 or compact uvarint) and checks it against the bytes
   * left: each element takes at least `minElementSize` bytes, so a count larger than
   * remaining/minElementSize is rejected before anything is allocated. Returns -1 for null.
   */
  arrayLength(field: string, compact: boolean, minElementSize = 1): number {
    const start = this.pos
    let n: number
    if (compact) {
      n = this.rawUvarint(field) - 1
    } else {
      this.need(4, field)
      n = this.view.getInt32(this.pos)
      this.pos += 4
      if (n < -1) this.fail(field, `invalid array length ${n}`, start)
    }
    if (n > 0 && n * minElementSize > this.end - this.pos) {
      this.fail(field, `array claims ${n} elements but only ${this.end - this.pos} bytes remain`, start)
    }
    if (this.trace !== undefined) this.emit(start, `${field}.length`, n)
    return n
  }

  /** Reads a non-nullable array: count, then `each` per element inside the `field[i]` scope. */
  array<T>(field: string, compact: boolean, each: (r: Reader, index: number) => T, minElementSize = 1): T[] {
    const n = this.arrayLength(field, compact, minElementSize)
    if (n < 0) return this.fail(field, 'null where a non-nullable array is required')
    return this.arrayBody(field, n, each)
  }

  /** Reads a nullable array (null when the count is -1 / compact 0). */
  nullableArray<T>(field: string, compact: boolean, each: (r: Reader, index: number) => T, minElementSize = 1): T[] | null {
    const n = this.arrayLength(field, compact, minElementSize)
    if (n < 0) return null
    return this.arrayBody(field, n, each)
  }

  private arrayBody<T>(field: string, n: number, each: (r: Reader, index: number) => T): T[] {
    const out: T[] = new Array<T>(n)
    for (let i = 0; i < n; i++) {
      this.scope.push(`${field}[${i}]`)
      out[i] = each(this, i)
      this.scope.pop()
    }
    return out
  }

  /**
   * Reads a tagged-field section (KIP-482). Known tags go to `handler` with a reader bounded to
   * the field's bytes (overruns are caught; unread bytes are skipped); unknown tags are skipped.
   * Tags must be strictly ascending, as in the Java reader.
   */
  taggedFields(handler?: TaggedFieldHandler, field = '_tagged_fields'): void {
    const count = this.uvarint(`${field}.count`)
    if (count > this.end - this.pos) this.fail(field, `claims ${count} tagged fields but only ${this.end - this.pos} bytes remain`)
    let last = -1
    for (let i = 0; i < count; i++) {
      const tagStart = this.pos
      const tag = this.rawUvarint(field)
      if (tag <= last) this.fail(field, `invalid or out-of-order tag ${tag} after ${last}`, tagStart)
      last = tag
      const size = this.rawUvarint(`${field}[${tag}].size`)
      this.need(size, `${field}[${tag}]`)
      const fieldEnd = this.pos + size
      let handled = false
      if (handler !== undefined) {
        const sub = new Reader(this.buf, this.pos, fieldEnd)
        sub.trace = this.trace
        for (const s of this.scope) sub.scope.push(s)
        handled = handler(tag, sub) !== false
      }
      if (!handled && this.trace !== undefined) this.trace(tagStart, fieldEnd - tagStart, this.path(`${field}[${tag}]`), 'unknown tag, skipped')
      this.pos = fieldEnd
    }
  }
}

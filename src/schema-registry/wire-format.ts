/**
 * The Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then the
 * payload; Protobuf payloads are preceded by the message indexes as zigzag varints (count, then
 * each index; the common `[0]` is the single byte 0). Confluent `AbstractKafkaSchemaSerDe` and
 * `MessageIndexes` (schema-registry `protobuf-serializer`).
 */
import { WireFormatError } from './errors.js'

/** Magic byte of the id-prefixed format. */
export const MAGIC_BYTE = 0
/** Magic byte + schema id. */
export const HEADER_SIZE = 5

/** A decoded frame: schema id, Protobuf message indexes when asked for, and the payload (a view, not a copy). */
export interface WireFrame {
  readonly schemaId: number
  readonly messageIndexes?: readonly number[]
  readonly payload: Buffer
}

function checkId(schemaId: number): void {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 2 ** 31 - 1) throw new WireFormatError(`schema id must be an int32 >= 0, got ${String(schemaId)}`)
}

/** Frames `payload` with `schemaId` (one allocation, one copy). */
export function encodeFrame(schemaId: number, payload: Uint8Array): Buffer {
  checkId(schemaId)
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length)
  out[0] = MAGIC_BYTE
  out.writeInt32BE(schemaId, 1)
  out.set(payload, HEADER_SIZE)
  return out
}

function zigzagSize(v: number): number {
  let z = ((v << 1) ^ (v >> 31)) >>> 0
  let n = 1
  while (z >= 0x80) {
    z >>>= 7
    n++
  }
  return n
}

function writeZigzag(buf: Buffer, offset: number, v: number): number {
  let z = ((v << 1) ^ (v >> 31)) >>> 0
  while (z >= 0x80) {
    buf[offset++] = (z & 0x7f) | 0x80
    z >>>= 7
  }
  buf[offset++] = z
  return offset
}

/** The encoded message indexes: `[0]` becomes the single byte 0 (Confluent's optimisation). */
export function encodeMessageIndexes(indexes: readonly number[]): Buffer {
  for (const i of indexes) if (!Number.isInteger(i) || i < 0 || i > 2 ** 31 - 1) throw new WireFormatError(`message index must be an int32 >= 0, got ${String(i)}`)
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0])
  let size = zigzagSize(indexes.length)
  for (const i of indexes) size += zigzagSize(i)
  const out = Buffer.allocUnsafe(size)
  let o = writeZigzag(out, 0, indexes.length)
  for (const i of indexes) o = writeZigzag(out, o, i)
  return out
}

/** Frames a Protobuf `payload` with `schemaId` and the message indexes of its type in the schema file. */
export function encodeProtobufFrame(schemaId: number, indexes: readonly number[], payload: Uint8Array): Buffer {
  checkId(schemaId)
  const idx = encodeMessageIndexes(indexes)
  const out = Buffer.allocUnsafe(HEADER_SIZE + idx.length + payload.length)
  out[0] = MAGIC_BYTE
  out.writeInt32BE(schemaId, 1)
  idx.copy(out, HEADER_SIZE)
  out.set(payload, HEADER_SIZE + idx.length)
  return out
}

/** Reads one zigzag varint (int32) at `offset`; returns the value and the next offset. */
function readZigzag(buf: Buffer, offset: number): [number, number] {
  let z = 0
  let shift = 0
  for (;;) {
    if (offset >= buf.length) throw new WireFormatError('message indexes: varint runs past the end of the record')
    const b = buf[offset++] ?? 0
    if (shift === 28 && (b & 0xf0) !== 0) throw new WireFormatError('message indexes: varint longer than 32 bits')
    z |= (b & 0x7f) << shift
    if ((b & 0x80) === 0) break
    shift += 7
  }
  z >>>= 0
  return [(z >>> 1) ^ -(z & 1), offset]
}

/**
 * Splits a framed record. With `protobuf`, also reads the message indexes; their count is checked
 * against the bytes left before anything is allocated.
 */
export function decodeFrame(data: Uint8Array, options: { protobuf?: boolean } = {}): WireFrame {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (buf.length < HEADER_SIZE) throw new WireFormatError(`record of ${buf.length} bytes is shorter than the 5-byte schema header`)
  if (buf[0] !== MAGIC_BYTE) throw new WireFormatError(`unknown magic byte ${String(buf[0])} (expected 0)`)
  const schemaId = buf.readInt32BE(1)
  if (schemaId < 0) throw new WireFormatError(`negative schema id ${schemaId}`)
  if (options.protobuf !== true) return { schemaId, payload: buf.subarray(HEADER_SIZE) }
  let [count, o] = readZigzag(buf, HEADER_SIZE)
  if (count === 0) return { schemaId, messageIndexes: [0], payload: buf.subarray(o) }
  // Each index takes at least one byte: a larger count is a lie, refuse it before allocating.
  if (count < 0 || count > buf.length - o) throw new WireFormatError(`message index count ${count} exceeds the ${buf.length - o} bytes left`)
  const indexes: number[] = new Array<number>(count)
  for (let i = 0; i < count; i++) {
    const [v, next] = readZigzag(buf, o)
    if (v < 0) throw new WireFormatError(`negative message index ${v}`)
    indexes[i] = v
    o = next
  }
  return { schemaId, messageIndexes: indexes, payload: buf.subarray(o) }
}

/** Key and value serializers: the built-in ones and the type of a custom one. */
import { InvalidArgumentError } from '../kafka-wire-error.js'
import type { HeaderPair } from './transport.js'

/**
 * Serializers turn a caller's key or value into bytes (Java `key.serializer` / `value.serializer`).
 * A serializer returns `null` for a null record key/value (a tombstone when it is the value). It
 * may return a promise (e.g. a schema-registry lookup): the producer keeps send order across such
 * records. `headers` is the record's header list, which the serializer may append to. A serializer
 * that throws or rejects fails that record's send with `SerializationError`.
 */
export type Serializer<T> = (data: T, topic: string, headers: HeaderPair[]) => Buffer | null | Promise<Buffer | null>

/** Bytes as the producer stores them: `null`, or a Buffer (strings are encoded as UTF-8 once). */
export type Bytes = Buffer | null

/** A key or value the producer sends as it is, without a serializer (the default key/value type). */
export type RawValue = Buffer | Uint8Array | string | null

/** The types the producer accepts without a serializer. */
export type RawBytes = Buffer | Uint8Array | string | null | undefined

/**
 * Converts the built-in accepted shapes to a Buffer without copying Buffers or Uint8Arrays' memory
 * (a Uint8Array is wrapped, not copied). Returns `undefined` for anything else so the caller can
 * report the offending field.
 */
export function toBytes(data: unknown): Bytes | undefined {
  if (data === null || data === undefined) return null
  if (typeof data === 'string') return Buffer.from(data, 'utf8')
  if (Buffer.isBuffer(data)) return data
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return undefined
}

/** UTF-8 strings (Java `StringSerializer`). Non-strings are converted with `String()`. */
export const stringSerializer: Serializer<unknown> = (data) => (data === null || data === undefined ? null : Buffer.from(typeof data === 'string' ? data : String(data), 'utf8'))

/** Buffers and Uint8Arrays as they are (Java `ByteArraySerializer`). */
export const bytesSerializer: Serializer<unknown> = (data) => {
  const b = toBytes(data)
  if (b === undefined) throw new InvalidArgumentError(`bytes serializer: expected Buffer, Uint8Array, string or null, got ${typeof data}`)
  return b
}

/** `JSON.stringify` then UTF-8. `null`/`undefined` stay null (tombstones). */
export const jsonSerializer: Serializer<unknown> = (data) => (data === null || data === undefined ? null : Buffer.from(JSON.stringify(data), 'utf8'))

/** Names accepted by the `keySerializer`/`valueSerializer` options for the built-in serializers. */
export type BuiltInSerializerName = 'string' | 'bytes' | 'json'

/** Resolves an option value to a serializer function (or `undefined`: raw bytes). */
export function resolveSerializer(option: BuiltInSerializerName | Serializer<never> | undefined): Serializer<unknown> | undefined {
  if (option === undefined) return undefined
  if (option === 'string') return stringSerializer
  if (option === 'bytes') return bytesSerializer
  if (option === 'json') return jsonSerializer
  return option as Serializer<unknown>
}

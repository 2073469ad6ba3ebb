import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

// Flexible versions (KIP-482) switch strings, bytes and arrays to their compact forms. These
// helpers keep the per-API encoders reading like the JSON spec: one line per field.

/** STRING or COMPACT_STRING. */
export function writeString(w: Writer, s: string, flexible: boolean): void {
  if (flexible) w.compactString(s)
  else w.string(s)
}

/** NULLABLE_STRING or COMPACT_NULLABLE_STRING. */
export function writeNullableString(w: Writer, s: string | null, flexible: boolean): void {
  if (flexible) w.compactNullableString(s)
  else w.nullableString(s)
}

/** NULLABLE_BYTES (RECORDS) or COMPACT_NULLABLE_BYTES (COMPACT_RECORDS). */
export function writeNullableBytes(w: Writer, b: Uint8Array | null, flexible: boolean): void {
  if (flexible) w.compactNullableBytes(b)
  else w.nullableBytes(b)
}

/** ARRAY or COMPACT_ARRAY count (null allowed). */
export function writeArrayLength(w: Writer, n: number | null, flexible: boolean): void {
  if (flexible) w.compactArrayLength(n)
  else w.arrayLength(n)
}

/** An array of int32 (e.g. replica ids). */
export function writeInt32Array(w: Writer, items: readonly number[], flexible: boolean): void {
  writeArrayLength(w, items.length, flexible)
  for (const x of items) w.int32(x)
}

/** Reads STRING or COMPACT_STRING. */
export function readString(r: Reader, field: string, flexible: boolean): string {
  return flexible ? r.compactString(field) : r.string(field)
}

/** Reads NULLABLE_STRING or COMPACT_NULLABLE_STRING. */
export function readNullableString(r: Reader, field: string, flexible: boolean): string | null {
  return flexible ? r.compactNullableString(field) : r.nullableString(field)
}

/** Reads NULLABLE_BYTES or COMPACT_NULLABLE_BYTES (zero-copy). */
export function readNullableBytes(r: Reader, field: string, flexible: boolean): Uint8Array | null {
  return flexible ? r.compactNullableBytes(field) : r.nullableBytes(field)
}

/** Reads an array of int32. */
export function readInt32Array(r: Reader, field: string, flexible: boolean): number[] {
  return r.array(field, flexible, (rr) => rr.int32('element'), 4)
}

/** Size of a STRING / COMPACT_STRING (upper bound for compact: 5-byte prefix). */
export function stringSize(s: string | null): number {
  return 5 + (s === null ? 0 : Buffer.byteLength(s, 'utf8'))
}

import { InvalidArgumentError } from '../kafka-wire-error.js'
/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of RecordBatch v2
 * (bytes 21..end of a batch). Node's zlib.crc32 is CRC-32/IEEE, so we carry our own.
 *
 * Slicing-by-16: sixteen 256-entry tables let the loop fold 16 input bytes per iteration with
 * independent table lookups, which V8 turns into plain loads on an Int32Array.
 */

const POLY = 0x82f63b78
const SLICES = 16

/** `TABLES[k * 256 + b]`: CRC of byte b followed by k zero bytes. */
const TABLES: Int32Array = (() => {
  const t = new Int32Array(256 * SLICES)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n] as number
    for (let k = 1; k < SLICES; k++) {
      c = (t[c & 0xff] as number) ^ (c >>> 8)
      t[k * 256 + n] = c
    }
  }
  return t
})()

/** A native CRC32C implementation that may be plugged in (e.g. an SSE4.2 addon); same contract as {@link crc32c}. */
export type Crc32cImpl = (data: Uint8Array, start: number, end: number, seed: number) => number

let accelerator: Crc32cImpl | null = null

/**
 * Installs (or with `null`, removes) an optional accelerated implementation. kafka-wire ships none;
 * the slot exists so an embedder can plug in a hardware CRC without touching the batch builder.
 */
export function setCrc32cAccelerator(impl: Crc32cImpl | null): void {
  accelerator = impl
}

/**
 * CRC-32C of `data[start, end)`, as an unsigned 32-bit number. `seed` is a previous result to
 * continue a running checksum over several chunks (0 to start).
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length, seed = 0): number {
  if (accelerator !== null) return accelerator(data, start, end, seed) >>> 0
  return crc32cSoftware(data, start, end, seed)
}

/** The built-in slicing-by-16 implementation (always available, used by the tests and bench). */
export function crc32cSoftware(data: Uint8Array, start = 0, end = data.length, seed = 0): number {
  if (start < 0 || end > data.length || start > end) throw new InvalidArgumentError(`crc32c range [${start}, ${end}) outside ${data.length} bytes`)
  const t = TABLES
  let crc = ~seed | 0
  let i = start
  const fastEnd = end - 16
  while (i <= fastEnd) {
    const a = crc ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24))
    crc =
      (t[3840 + (a & 0xff)] as number) ^
      (t[3584 + ((a >>> 8) & 0xff)] as number) ^
      (t[3328 + ((a >>> 16) & 0xff)] as number) ^
      (t[3072 + (a >>> 24)] as number) ^
      (t[2816 + (data[i + 4] as number)] as number) ^
      (t[2560 + (data[i + 5] as number)] as number) ^
      (t[2304 + (data[i + 6] as number)] as number) ^
      (t[2048 + (data[i + 7] as number)] as number) ^
      (t[1792 + (data[i + 8] as number)] as number) ^
      (t[1536 + (data[i + 9] as number)] as number) ^
      (t[1280 + (data[i + 10] as number)] as number) ^
      (t[1024 + (data[i + 11] as number)] as number) ^
      (t[768 + (data[i + 12] as number)] as number) ^
      (t[512 + (data[i + 13] as number)] as number) ^
      (t[256 + (data[i + 14] as number)] as number) ^
      (t[data[i + 15] as number] as number)
    i += 16
  }
  while (i < end) {
    crc = (t[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8)
    i++
  }
  return ~crc >>> 0
}

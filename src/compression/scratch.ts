/**
 * A reusable output buffer for the pure-TS compressors, so compressing a batch does not allocate a
 * worst-case-sized buffer every time. Codecs are synchronous and never re-entered, so one buffer per
 * process is enough; the result handed to callers is always an exact-size copy.
 */

/** Larger scratch buffers are allocated per call instead of being kept alive by the module. */
const RETAIN_LIMIT = 8 * 1024 * 1024

let scratch = new Uint8Array(64 * 1024)

/**
 * A buffer of at least `size` bytes whose contents are undefined. Valid until the next call.
 * @param size - bytes needed (the codec's worst-case bound)
 */
export function scratchBuffer(size: number): Uint8Array {
  if (size > RETAIN_LIMIT) return new Uint8Array(size)
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2))
  return scratch
}

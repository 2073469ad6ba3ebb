/**
 * XXH32 (xxHash, 32-bit), used by the LZ4 frame format for its header, block and content checksums.
 * Spec: https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md (section "XXH32 Algorithm").
 */

const PRIME32_1 = 0x9e3779b1
const PRIME32_2 = 0x85ebca77
const PRIME32_3 = 0xc2b2ae3d
const PRIME32_4 = 0x27d4eb2f
const PRIME32_5 = 0x165667b1

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

function readU32LE(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0
}

function round(acc: number, lane: number): number {
  acc = (acc + Math.imul(lane, PRIME32_2)) | 0
  return Math.imul(rotl(acc, 13), PRIME32_1)
}

/**
 * XXH32 of `input[start, end)`.
 * @param input - bytes to hash
 * @param seed - 32-bit seed (LZ4 frames use 0)
 * @param start - first byte, default 0
 * @param end - one past the last byte, default `input.length`
 * @returns the hash as an unsigned 32-bit number
 */
export function xxhash32(input: Uint8Array, seed = 0, start = 0, end = input.length): number {
  const len = end - start
  let p = start
  let h: number
  if (len >= 16) {
    let v1 = (seed + PRIME32_1 + PRIME32_2) | 0
    let v2 = (seed + PRIME32_2) | 0
    let v3 = seed | 0
    let v4 = (seed - PRIME32_1) | 0
    const limit = end - 16
    while (p <= limit) {
      v1 = round(v1, readU32LE(input, p))
      v2 = round(v2, readU32LE(input, p + 4))
      v3 = round(v3, readU32LE(input, p + 8))
      v4 = round(v4, readU32LE(input, p + 12))
      p += 16
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0
  } else {
    h = (seed + PRIME32_5) | 0
  }
  h = (h + len) | 0
  while (p + 4 <= end) {
    h = (h + Math.imul(readU32LE(input, p), PRIME32_3)) | 0
    h = Math.imul(rotl(h, 17), PRIME32_4)
    p += 4
  }
  while (p < end) {
    h = (h + Math.imul(input[p]!, PRIME32_5)) | 0
    h = Math.imul(rotl(h, 11), PRIME32_1)
    p++
  }
  h ^= h >>> 15
  h = Math.imul(h, PRIME32_2)
  h ^= h >>> 13
  h = Math.imul(h, PRIME32_3)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * Snappy, written from the format description
 * (https://github.com/google/snappy/blob/main/format_description.txt).
 *
 * We write **raw** snappy (one stream: varint length, then elements), as franz-go and librdkafka do;
 * the Java client reads it because xerial's `SnappyInputStream` falls back to raw decoding when the
 * xerial magic is absent (protocol-reference §1.7). We read both raw and the xerial framing Java
 * producers write (`SnappyOutputStream`: 16-byte header, then `[int32 BE length][raw block]` chunks).
 */
import type { Codec } from './codec.js'
import { CompressionError } from './errors.js'
import { scratchBuffer } from './scratch.js'

const CODEC = 'snappy'

// Element tags (low two bits of the tag byte).
const TAG_LITERAL = 0
const TAG_COPY_1 = 1
const TAG_COPY_2 = 2
const TAG_COPY_4 = 3

/** Input is compressed in independent 64 KiB fragments so every table entry and offset fits 16 bits. */
const FRAGMENT_SIZE = 1 << 16
const HASH_BITS = 14
const HASH_SHIFT = 32 - HASH_BITS
/** Stop looking for matches this close to the fragment end; the tail is emitted as a literal. */
const INPUT_MARGIN = 15
/** Positions relative to the fragment start, reused across calls (cleared per fragment). */
const hashTable = new Uint16Array(1 << HASH_BITS)

/** Largest output `snappyCompress` can produce for `n` input bytes (format worst case). */
export function snappyMaxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6)
}

function load32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)
}

function hash(u32: number): number {
  return Math.imul(u32, 0x1e35a7bd) >>> HASH_SHIFT
}

/** Write a literal element's tag and length bytes for `len` literal bytes; returns the new `op`. */
function literalHeader(len: number, out: Uint8Array, op: number): number {
  const n = len - 1
  if (n < 60) {
    out[op++] = n << 2
  } else if (n < 0x100) {
    out[op++] = 60 << 2
    out[op++] = n
  } else if (n < 0x10000) {
    out[op++] = 61 << 2
    out[op++] = n & 0xff
    out[op++] = n >>> 8
  } else if (n < 0x1000000) {
    out[op++] = 62 << 2
    out[op++] = n & 0xff
    out[op++] = (n >>> 8) & 0xff
    out[op++] = n >>> 16
  } else {
    out[op++] = 63 << 2
    out[op++] = n & 0xff
    out[op++] = (n >>> 8) & 0xff
    out[op++] = (n >>> 16) & 0xff
    out[op++] = n >>> 24
  }
  return op
}

function emitLiteral(src: Uint8Array, start: number, end: number, out: Uint8Array, op: number): number {
  op = literalHeader(end - start, out, op)
  if (end - start < 32) {
    for (let i = start; i < end; i++) out[op++] = src[i]!
    return op
  }
  out.set(src.subarray(start, end), op)
  return op + (end - start)
}

function emitCopy2(offset: number, len: number, out: Uint8Array, op: number): number {
  out[op] = ((len - 1) << 2) | TAG_COPY_2
  out[op + 1] = offset & 0xff
  out[op + 2] = offset >>> 8
  return op + 3
}

function emitCopy(offset: number, len: number, out: Uint8Array, op: number): number {
  // A copy element carries at most 64 bytes; keep the last piece >= 4 bytes.
  while (len >= 68) {
    op = emitCopy2(offset, 64, out, op)
    len -= 64
  }
  if (len > 64) {
    op = emitCopy2(offset, 60, out, op)
    len -= 60
  }
  if (len < 12 && offset < 2048) {
    out[op] = ((offset >>> 8) << 5) | ((len - 4) << 2) | TAG_COPY_1
    out[op + 1] = offset & 0xff
    return op + 2
  }
  return emitCopy2(offset, len, out, op)
}

/** Compress `src[base, end)` (at most FRAGMENT_SIZE bytes) as elements; offsets stay inside it. */
function compressFragment(src: Uint8Array, dv: DataView, base: number, end: number, out: Uint8Array, op: number): number {
  // `| 0` tells V8 these are int32, so the loops work on untagged integers.
  base |= 0
  end |= 0
  op |= 0
  let nextEmit = base
  if (end - base >= INPUT_MARGIN) {
    const outView = new DataView(out.buffer, out.byteOffset, out.byteLength)
    // A local alias: V8 reloads a module-level binding on every use inside the loop.
    const table = hashTable
    table.fill(0)
    const ipLimit = end - INPUT_MARGIN
    let ip = base + 1
    let nextBytes = dv.getInt32(ip, true)
    outer: for (;;) {
      // Skip faster through data that does not match: every 32 misses, step one byte further.
      let skip = 32
      let nextIp = ip
      let candidate: number
      let bytes: number
      do {
        ip = nextIp
        bytes = nextBytes
        const h = hash(bytes)
        nextIp = ip + (skip++ >>> 5)
        if (nextIp > ipLimit) break outer
        nextBytes = dv.getInt32(nextIp, true)
        candidate = base + table[h]!
        table[h] = ip - base
      } while (bytes !== dv.getInt32(candidate, true))

      // Literals before a copy end at least INPUT_MARGIN bytes before the fragment end and more
      // elements follow them in `out`, so copying whole words past the literal stays inside both.
      const litLen = ip - nextEmit
      op = literalHeader(litLen, out, op)
      for (let i = 0; i < litLen; i += 4) outView.setInt32(op + i, dv.getInt32(nextEmit + i, true), true)
      op += litLen
      let matchAgain: boolean
      do {
        const start = ip
        let m = 4
        // Compare four bytes at a time; the first differing word says how many of its bytes matched.
        for (;;) {
          if (ip + m + 4 > end) {
            while (ip + m < end && src[candidate + m] === src[ip + m]) m++
            break
          }
          const diff = dv.getInt32(candidate + m, true) ^ dv.getInt32(ip + m, true)
          if (diff !== 0) {
            // Little-endian: the lowest set bit marks the first differing byte.
            m += (31 - Math.clz32(diff & -diff)) >>> 3
            break
          }
          m += 4
        }
        ip += m
        op = emitCopy(start - candidate, m, out, op)
        nextEmit = ip
        if (ip >= ipLimit) break outer
        table[hash(dv.getInt32(ip - 1, true))] = ip - 1 - base
        const h = hash(dv.getInt32(ip, true))
        candidate = base + table[h]!
        table[h] = ip - base
        matchAgain = dv.getInt32(ip, true) === dv.getInt32(candidate, true)
      } while (matchAgain)
      nextBytes = dv.getInt32(++ip, true)
    }
  }
  if (nextEmit < end) op = emitLiteral(src, nextEmit, end, out, op)
  return op
}

/**
 * Compress to one raw snappy stream.
 * @param input - bytes to compress (any length below 2^32)
 * @returns a new exact-size array
 */
export function snappyCompress(input: Uint8Array): Uint8Array {
  const out = scratchBuffer(snappyMaxCompressedLength(input.length))
  let op = 0
  // Preamble: uncompressed length as an unsigned little-endian base-128 varint.
  let n = input.length
  while (n >= 0x80) {
    out[op++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  out[op++] = n
  // Unaligned little-endian 32-bit loads: V8 compiles DataView reads to single machine loads.
  const dv = new DataView(input.buffer, input.byteOffset, input.byteLength)
  for (let base = 0; base < input.length; base += FRAGMENT_SIZE) {
    op = compressFragment(input, dv, base, Math.min(base + FRAGMENT_SIZE, input.length), out, op)
  }
  return out.slice(0, op)
}

/**
 * Read the raw-stream preamble at `pos`; returns [uncompressedLength, bytesRead]. Integer-only
 * arithmetic keeps lengths small integers for V8; lengths of 2^31 or more are refused outright
 * (no Uint8Array can hold them).
 */
function readPreamble(src: Uint8Array, pos: number, end: number): [number, number] {
  let result = 0
  for (let i = 0; i < 5; i++) {
    if (pos + i >= end) throw new CompressionError(CODEC, 'truncated length preamble')
    const b = src[pos + i]!
    if (i === 4 && b > 7) break
    result |= (b & 0x7f) << (7 * i)
    if (b < 0x80) return [result, i + 1]
  }
  throw new CompressionError(CODEC, 'length preamble is not a varint below 2^31')
}

/**
 * Decode one raw snappy stream `src[pos, end)` into `dst` at `dp`, which must have room for the
 * `expected` bytes its preamble declared. Every length and offset is checked before it is used.
 */
function decodeRaw(src: Uint8Array, pos: number, end: number, dst: Uint8Array, dp: number, expected: number): void {
  const dstStart = dp
  const dstEnd = dp + expected
  // Short literals and copies move four bytes at a time through DataViews (single machine loads).
  const srcView = new DataView(src.buffer, src.byteOffset, src.byteLength)
  const dstView = new DataView(dst.buffer, dst.byteOffset, dst.byteLength)
  // `| 0` tells V8 these are int32, so the loop works on untagged integers. The loop calls nothing
  // (no `set`/`copyWithin`): a call inside it would make V8 reload every array's fields after each
  // one, which costs more than word loops save on the rare long runs.
  pos |= 0
  end |= 0
  dp |= 0
  while (pos < end) {
    const tag = src[pos++]!
    const kind = tag & 3
    if (kind === TAG_LITERAL) {
      let len = tag >>> 2
      if (len < 16 && end - pos >= 16 && dstEnd - dp >= 16) {
        // Common case, a literal of at most 16 bytes with room around it: copy 4, 8 or 16 bytes
        // whatever its length. Bytes past the literal land in output not produced yet, which what
        // follows overwrites (the stream must fill every byte up to dstEnd).
        dstView.setInt32(dp, srcView.getInt32(pos, true), true)
        if (len >= 4) {
          dstView.setInt32(dp + 4, srcView.getInt32(pos + 4, true), true)
          if (len >= 8) {
            dstView.setInt32(dp + 8, srcView.getInt32(pos + 8, true), true)
            dstView.setInt32(dp + 12, srcView.getInt32(pos + 12, true), true)
          }
        }
        pos += len + 1
        dp += len + 1
        continue
      }
      if (len >= 60) {
        // 1-4 little-endian length bytes follow; integer ops only, so V8 keeps `len` a small int.
        const extra = len - 59
        if (pos + extra > end) throw new CompressionError(CODEC, 'truncated literal length')
        len = src[pos]!
        if (extra > 1) len |= src[pos + 1]! << 8
        if (extra > 2) len |= src[pos + 2]! << 16
        if (extra > 3) len |= src[pos + 3]! << 24
        if (len < 0) throw new CompressionError(CODEC, 'literal length of 2^31 or more')
        pos += extra
      }
      len += 1
      if (len > end - pos) throw new CompressionError(CODEC, `literal of ${len} bytes runs past the input`)
      if (len > dstEnd - dp) throw new CompressionError(CODEC, 'literal runs past the declared length')
      const stop = pos + len
      while (pos + 4 <= stop) {
        dstView.setInt32(dp, srcView.getInt32(pos, true), true)
        dp += 4
        pos += 4
      }
      while (pos < stop) dst[dp++] = src[pos++]!
      continue
    }
    let len: number
    let offset: number
    if (kind === TAG_COPY_1) {
      if (pos >= end) throw new CompressionError(CODEC, 'truncated copy')
      len = ((tag >>> 2) & 7) + 4
      offset = ((tag >>> 5) << 8) | src[pos++]!
    } else if (kind === TAG_COPY_2) {
      if (pos + 2 > end) throw new CompressionError(CODEC, 'truncated copy')
      len = (tag >>> 2) + 1
      offset = src[pos]! | (src[pos + 1]! << 8)
      pos += 2
    } else {
      if (pos + 4 > end) throw new CompressionError(CODEC, 'truncated copy')
      len = (tag >>> 2) + 1
      offset = load32(src, pos) // a negative value (>= 2^31) fails the range check below
      pos += 4
    }
    if (offset <= 0 || offset > dp - dstStart) throw new CompressionError(CODEC, `copy offset ${offset} is out of range`)
    if (len > dstEnd - dp) throw new CompressionError(CODEC, 'copy runs past the declared length')
    let from = dp - offset
    if (len <= 16 && offset >= 4 && dstEnd - dp >= 16) {
      // Common case, a short copy with room: 16 bytes in words (each word read is already written
      // since offset >= 4); the surplus is overwritten by what follows.
      dstView.setInt32(dp, dstView.getInt32(from, true), true)
      dstView.setInt32(dp + 4, dstView.getInt32(from + 4, true), true)
      dstView.setInt32(dp + 8, dstView.getInt32(from + 8, true), true)
      dstView.setInt32(dp + 12, dstView.getInt32(from + 12, true), true)
      dp += len
    } else if (offset >= 4) {
      // Four bytes at a time: with offset >= 4 every word read was fully written already.
      const stop = dp + len
      while (dp + 4 <= stop) {
        dstView.setInt32(dp, dstView.getInt32(from, true), true)
        dp += 4
        from += 4
      }
      while (dp < stop) dst[dp++] = dst[from++]!
    } else {
      // Short copies are cheaper inline; overlapping ones must go forward byte by byte anyway,
      // which repeats the last `offset` bytes as the format intends.
      for (let i = 0; i < len; i++) dst[dp++] = dst[from++]!
    }
  }
  if (dp !== dstEnd) throw new CompressionError(CODEC, `stream ended after ${dp - dstStart} of ${expected} bytes`)
}

/** The densest element is a 3-byte copy of 64 bytes, so a claim beyond ~21x the input is a lie. */
const MAX_EXPANSION = 22

/** xerial `SnappyOutputStream` magic: 0x82 "SNAPPY" 0x00, then version and compatible-version int32s. */
const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00] as const
const XERIAL_HEADER_SIZE = 16

/** Whether `input` starts with the xerial framing magic. */
export function isXerialFramed(input: Uint8Array): boolean {
  if (input.length < XERIAL_HEADER_SIZE) return false
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (input[i] !== XERIAL_MAGIC[i]) return false
  return true
}

function readI32BE(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0
}

function decompressXerial(input: Uint8Array, maxOutputBytes: number): Uint8Array {
  // First pass: walk the chunk headers and preambles so the output is allocated once, after checking.
  let total = 0
  let pos = XERIAL_HEADER_SIZE
  while (pos < input.length) {
    if (pos + 4 > input.length) throw new CompressionError(CODEC, 'truncated xerial chunk length')
    const chunkLen = readI32BE(input, pos)
    pos += 4
    if (chunkLen > input.length - pos) throw new CompressionError(CODEC, `xerial chunk of ${chunkLen} bytes runs past the input`)
    const [len, n] = readPreamble(input, pos, pos + chunkLen)
    if (len > (chunkLen - n) * MAX_EXPANSION) throw new CompressionError(CODEC, `xerial chunk claims ${len} bytes, impossible for ${chunkLen} input bytes`)
    total += len
    if (total > maxOutputBytes) throw new CompressionError(CODEC, `output exceeds maxOutputBytes ${maxOutputBytes}`)
    pos += chunkLen
  }
  const out = Buffer.allocUnsafe(total)
  let op = 0
  pos = XERIAL_HEADER_SIZE
  while (pos < input.length) {
    const chunkLen = readI32BE(input, pos)
    pos += 4
    const [len, n] = readPreamble(input, pos, pos + chunkLen)
    decodeRaw(input, pos + n, pos + chunkLen, out, op, len)
    op += len
    pos += chunkLen
  }
  return out
}

/**
 * Decompress raw snappy or xerial-framed snappy.
 * @param input - compressed bytes
 * @param maxOutputBytes - upper bound on the result; larger claims are refused before allocating
 * @throws CompressionError on corrupt input or when the output would exceed the bound
 */
export function snappyDecompress(input: Uint8Array, maxOutputBytes: number): Uint8Array {
  if (isXerialFramed(input)) return decompressXerial(input, maxOutputBytes)
  const [len, n] = readPreamble(input, 0, input.length)
  if (len > maxOutputBytes) throw new CompressionError(CODEC, `declared length ${len} exceeds maxOutputBytes ${maxOutputBytes}`)
  if (len > (input.length - n) * MAX_EXPANSION) throw new CompressionError(CODEC, `declared length ${len} is impossible for ${input.length} input bytes`)
  // Not zero-filled: decodeRaw fails unless it wrote every one of the `len` bytes.
  const out = Buffer.allocUnsafe(len)
  decodeRaw(input, n, input.length, out, 0, len)
  return out
}

/** Snappy codec (attribute id 2): pure TypeScript, raw on write, raw or xerial on read. */
export const snappyCodec: Codec = {
  name: 'snappy',
  id: 2,
  compress: (input) => snappyCompress(input),
  decompress: (input, maxOutputBytes) => snappyDecompress(input, maxOutputBytes),
}

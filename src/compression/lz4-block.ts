/**
 * LZ4 block format, written from the spec
 * (https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md).
 *
 * A block is a run of sequences: token (literal length high nibble, match length − 4 low nibble),
 * optional length-extension bytes (255 = keep going), literals, a 2-byte little-endian offset and more
 * match-length bytes. The last sequence carries literals only. The end-of-block rules: the last 5 bytes
 * are always literals, and the last match starts at least 12 bytes before the end.
 */
import { InvalidArgumentError } from '../kafka-wire-error.js'
import { CompressionError } from './errors.js'

const CODEC = 'lz4'
const MIN_MATCH = 4
/** The last match must start at least this many bytes before the block end (MFLIMIT). */
const MF_LIMIT = 12
/** The last 5 bytes of a block are literals (LASTLITERALS). */
const LAST_LITERALS = 5
const MAX_OFFSET = 65535
const HASH_BITS = 13
const HASH_SHIFT = 32 - HASH_BITS
/** After 2^SKIP_TRIGGER consecutive misses the search step grows by one byte. */
const SKIP_TRIGGER = 6

/** Positions relative to the block start; blocks are at most 64 KiB so 16 bits suffice. Reused. */
const hashTable = new Uint16Array(1 << HASH_BITS)

/** Largest block the compressor accepts (our frames use 64 KiB blocks, as Kafka does). */
export const LZ4_MAX_COMPRESS_BLOCK = 1 << 16

/** Worst-case compressed size of `n` bytes (LZ4_COMPRESSBOUND). */
export function lz4BlockBound(n: number): number {
  return n + Math.floor(n / 255) + 16
}

function hash(u32: number): number {
  return Math.imul(u32, 0x9e3779b1) >>> HASH_SHIFT
}

function writeLength(out: Uint8Array, op: number, rest: number): number {
  while (rest >= 255) {
    out[op++] = 255
    rest -= 255
  }
  out[op++] = rest
  return op
}

function copyBytes(src: Uint8Array, start: number, len: number, out: Uint8Array, op: number): void {
  if (len < 32) {
    for (let i = 0; i < len; i++) out[op + i] = src[start + i]!
  } else {
    out.set(src.subarray(start, start + len), op)
  }
}

function emitLastLiterals(src: Uint8Array, anchor: number, end: number, out: Uint8Array, op: number): number {
  const litLen = end - anchor
  if (litLen >= 15) {
    out[op++] = 15 << 4
    op = writeLength(out, op, litLen - 15)
  } else {
    out[op++] = litLen << 4
  }
  copyBytes(src, anchor, litLen, out, op)
  return op + litLen
}

/**
 * Compress `src[base, end)` (at most 64 KiB) as one independent LZ4 block into `out` at `op`.
 * `out` must have `lz4BlockBound(end - base)` bytes of room.
 * @returns the position after the block
 */
export function lz4CompressBlock(src: Uint8Array, base: number, end: number, out: Uint8Array, op: number): number {
  if (end - base > LZ4_MAX_COMPRESS_BLOCK) throw new InvalidArgumentError('lz4 block larger than 64 KiB')
  // `| 0` tells V8 these are int32, so the loops work on untagged integers.
  base |= 0
  end |= 0
  op |= 0
  let anchor = base
  if (end - base < MF_LIMIT + 1) return emitLastLiterals(src, anchor, end, out, op)

  // Unaligned little-endian 32-bit loads: V8 compiles DataView reads to single machine loads.
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength)
  const outView = new DataView(out.buffer, out.byteOffset, out.byteLength)
  // A local alias: V8 reloads a module-level binding on every use inside the loop.
  const table = hashTable
  table.fill(0)
  const mfLimit = end - MF_LIMIT
  const matchLimit = end - LAST_LITERALS
  let ip = base + 1
  let forwardBytes = dv.getInt32(ip, true)

  outer: for (;;) {
    // Find a 4-byte match, stepping faster through incompressible data.
    let match: number
    let bytes: number
    let forwardIp = ip
    let attempts = 1 << SKIP_TRIGGER
    do {
      bytes = forwardBytes
      const h = hash(bytes)
      ip = forwardIp
      forwardIp += attempts++ >>> SKIP_TRIGGER
      if (forwardIp > mfLimit) break outer
      match = base + table[h]!
      forwardBytes = dv.getInt32(forwardIp, true)
      table[h] = ip - base
    } while (match >= ip || ip - match > MAX_OFFSET || dv.getInt32(match, true) !== bytes)

    // Extend backwards over bytes the literal run would otherwise carry.
    while (ip > anchor && match > base && src[ip - 1] === src[match - 1]) {
      ip--
      match--
    }

    let tokenPos = op++
    const litLen = ip - anchor
    if (litLen >= 15) {
      out[tokenPos] = 15 << 4
      op = writeLength(out, op, litLen - 15)
    } else {
      out[tokenPos] = litLen << 4
    }
    // Literals before a match end at least MF_LIMIT bytes before the block end and the block's
    // tail follows them in `out`, so copying whole words past `litLen` stays inside both buffers.
    outView.setInt32(op, dv.getInt32(anchor, true), true)
    outView.setInt32(op + 4, dv.getInt32(anchor + 4, true), true)
    if (litLen > 8) {
      for (let i = 8; i < litLen; i += 4) outView.setInt32(op + i, dv.getInt32(anchor + i, true), true)
    }
    op += litLen

    for (;;) {
      const offset = ip - match
      out[op++] = offset & 0xff
      out[op++] = offset >>> 8
      ip += MIN_MATCH
      match += MIN_MATCH
      const matchStart = ip
      for (;;) {
        if (ip + 4 > matchLimit) {
          while (ip < matchLimit && src[ip] === src[match]) {
            ip++
            match++
          }
          break
        }
        const diff = dv.getInt32(ip, true) ^ dv.getInt32(match, true)
        if (diff !== 0) {
          // Little-endian: the lowest set bit marks the first differing byte.
          ip += (31 - Math.clz32(diff & -diff)) >>> 3
          break
        }
        ip += 4
        match += 4
      }
      const extra = ip - matchStart
      if (extra >= 15) {
        out[tokenPos] = out[tokenPos]! | 15
        op = writeLength(out, op, extra - 15)
      } else {
        out[tokenPos] = out[tokenPos]! | extra
      }
      anchor = ip
      if (ip > mfLimit) break outer

      table[hash(dv.getInt32(ip - 2, true))] = ip - 2 - base
      // Is there an immediate second match? Then emit it with zero literals.
      const h = hash(dv.getInt32(ip, true))
      match = base + table[h]!
      table[h] = ip - base
      if (match < ip && dv.getInt32(match, true) === dv.getInt32(ip, true)) {
        tokenPos = op++
        out[tokenPos] = 0
        continue
      }
      break
    }
    forwardBytes = dv.getInt32(++ip, true)
  }
  return emitLastLiterals(src, anchor, end, out, op)
}

/**
 * Decode one LZ4 block `src[pos, end)` into `dst` from `dp`, never writing at or beyond `dstLimit`.
 * Matches may reach back to `windowStart` (the block start for independent blocks). Bytes between
 * the returned position and `dstLimit` may be overwritten with scratch (word copies run past the end).
 * @returns the position after the decoded data
 * @throws CompressionError on any malformed sequence or when output would pass `dstLimit`
 */
export function lz4DecompressBlock(
  src: Uint8Array,
  pos: number,
  end: number,
  dst: Uint8Array,
  dp: number,
  dstLimit: number,
  windowStart: number,
): number {
  // Short literals and matches move four bytes at a time through DataViews (single machine loads).
  const srcView = new DataView(src.buffer, src.byteOffset, src.byteLength)
  const dstView = new DataView(dst.buffer, dst.byteOffset, dst.byteLength)
  // `| 0` tells V8 these are int32, so the loop works on untagged integers.
  pos |= 0
  end |= 0
  dp |= 0
  dstLimit |= 0
  windowStart |= 0
  // The loop calls nothing (no `set`/`copyWithin`): a call inside it would make V8 reload every
  // array's fields after each one, which costs more than word loops save on the rare long runs.
  for (;;) {
    if (pos >= end) throw new CompressionError(CODEC, 'truncated block')
    const token = src[pos++]!
    let litLen = token >>> 4
    if (litLen < 15 && end - pos >= 16 && dstLimit - dp >= 16) {
      // Common case, a short literal with room around it: copy 4, 8 or 16 bytes whatever `litLen`
      // (most literals are 0-3 bytes). Bytes past `litLen` land in output not produced yet, which
      // what follows overwrites. Since 16 bytes remain and litLen < 15, the block cannot end here.
      dstView.setInt32(dp, srcView.getInt32(pos, true), true)
      if (litLen > 4) {
        dstView.setInt32(dp + 4, srcView.getInt32(pos + 4, true), true)
        if (litLen > 8) {
          dstView.setInt32(dp + 8, srcView.getInt32(pos + 8, true), true)
          dstView.setInt32(dp + 12, srcView.getInt32(pos + 12, true), true)
        }
      }
      dp += litLen
      pos += litLen
    } else {
      if (litLen === 15) {
        let b: number
        do {
          if (pos >= end) throw new CompressionError(CODEC, 'truncated literal length')
          b = src[pos++]!
          litLen += b
        } while (b === 255)
      }
      if (litLen > end - pos) throw new CompressionError(CODEC, `literal of ${litLen} bytes runs past the block`)
      if (litLen > dstLimit - dp) throw new CompressionError(CODEC, 'decoded data exceeds the output limit')
      const stop = pos + litLen
      while (pos + 4 <= stop) {
        dstView.setInt32(dp, srcView.getInt32(pos, true), true)
        dp += 4
        pos += 4
      }
      while (pos < stop) dst[dp++] = src[pos++]!
      if (pos === end) return dp
    }

    if (pos + 2 > end) throw new CompressionError(CODEC, 'truncated match offset')
    const offset = src[pos]! | (src[pos + 1]! << 8)
    pos += 2
    if (offset === 0 || offset > dp - windowStart) throw new CompressionError(CODEC, `match offset ${offset} is out of range`)
    let matchLen = token & 15
    if (matchLen === 15) {
      let b: number
      do {
        if (pos >= end) throw new CompressionError(CODEC, 'truncated match length')
        b = src[pos++]!
        matchLen += b
      } while (b === 255)
    }
    matchLen += MIN_MATCH
    let from = dp - offset
    const stop = dp + matchLen
    if (offset >= 4 && dstLimit - stop >= 16) {
      // Common case: words, forwards. With offset >= 4 every word read was fully written already
      // (overlapping matches included). At least 16 bytes go unconditionally, and the last word may
      // pass `stop`; the room check above covers both, and what follows overwrites the surplus.
      dstView.setInt32(dp, dstView.getInt32(from, true), true)
      dstView.setInt32(dp + 4, dstView.getInt32(from + 4, true), true)
      dstView.setInt32(dp + 8, dstView.getInt32(from + 8, true), true)
      dstView.setInt32(dp + 12, dstView.getInt32(from + 12, true), true)
      if (matchLen > 16) {
        dp += 16
        from += 16
        do {
          dstView.setInt32(dp, dstView.getInt32(from, true), true)
          dp += 4
          from += 4
        } while (dp < stop)
      }
      dp = stop
      continue
    }
    // Offsets below 4 (runs of 1-3 repeating bytes) and matches near the output limit: bytes,
    // forwards, which repeats the last `offset` bytes as the format intends.
    if (matchLen > dstLimit - dp) throw new CompressionError(CODEC, 'decoded data exceeds the output limit')
    for (let i = 0; i < matchLen; i++) dst[dp++] = dst[from++]!
  }
}

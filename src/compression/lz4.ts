/**
 * LZ4 frame format as Kafka uses it, written from the frame spec
 * (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md) and the shape of Java's
 * `Lz4BlockOutputStream` (protocol-reference §1.7): magic 0x184D2204, FLG 0x60 (version 01,
 * independent blocks, no checksums, no content size), BD 0x40 (64 KiB blocks), the *correct* header
 * checksum (KAFKA-3160 fixed it for magic ≥ 1), blocks, then a zero end mark.
 *
 * The decoder accepts any conforming frame: every block size, block checksums, content size and
 * content checksum (all verified), dependent blocks, and several concatenated frames.
 */
import type { Codec } from './codec.js'
import { CompressionError } from './errors.js'
import { LZ4_MAX_COMPRESS_BLOCK, lz4BlockBound, lz4CompressBlock, lz4DecompressBlock } from './lz4-block.js'
import { scratchBuffer } from './scratch.js'
import { xxhash32 } from './xxhash32.js'

const CODEC = 'lz4'
const FRAME_MAGIC = 0x184d2204
const LEGACY_MAGIC = 0x184c2102
const FLG_VERSION_01 = 0x40
const FLG_BLOCK_INDEPENDENT = 0x20
const FLG_BLOCK_CHECKSUM = 0x10
const FLG_CONTENT_SIZE = 0x08
const FLG_CONTENT_CHECKSUM = 0x04
const FLG_RESERVED = 0x02
const FLG_DICT_ID = 0x01
/** BD block-maximum-size id 4 = 64 KiB (Java's BLOCKSIZE_64KB). */
const BD_64KB = 4 << 4
const BLOCK_UNCOMPRESSED = 0x80000000
/** Magic, FLG, BD, HC, one block header, end mark: the least a frame with data needs. */
const FRAME_OVERHEAD = 4 + 3 + 4

function writeU32LE(b: Uint8Array, i: number, v: number): void {
  b[i] = v & 0xff
  b[i + 1] = (v >>> 8) & 0xff
  b[i + 2] = (v >>> 16) & 0xff
  b[i + 3] = v >>> 24
}

function readU32LE(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0
}

/** Worst-case frame size for `n` input bytes. */
export function lz4FrameBound(n: number): number {
  const blocks = Math.ceil(n / LZ4_MAX_COMPRESS_BLOCK)
  return FRAME_OVERHEAD + blocks * (4 + lz4BlockBound(LZ4_MAX_COMPRESS_BLOCK))
}

/**
 * Compress to one LZ4 frame laid out like Kafka's Java client writes it.
 * @param input - bytes to compress
 * @returns a new exact-size array
 */
export function lz4FrameCompress(input: Uint8Array): Uint8Array {
  const out = scratchBuffer(lz4FrameBound(input.length))
  writeU32LE(out, 0, FRAME_MAGIC)
  out[4] = FLG_VERSION_01 | FLG_BLOCK_INDEPENDENT
  out[5] = BD_64KB
  // Header checksum: second byte of XXH32 over the descriptor (FLG..BD), seed 0.
  out[6] = (xxhash32(out, 0, 4, 6) >>> 8) & 0xff
  let op = 7
  for (let base = 0; base < input.length; base += LZ4_MAX_COMPRESS_BLOCK) {
    const end = Math.min(base + LZ4_MAX_COMPRESS_BLOCK, input.length)
    const sizePos = op
    const after = lz4CompressBlock(input, base, end, out, sizePos + 4)
    const compressed = after - sizePos - 4
    if (compressed < end - base) {
      writeU32LE(out, sizePos, compressed)
      op = after
    } else {
      // Incompressible: store the block as is, flagged by the high bit of its size.
      writeU32LE(out, sizePos, (end - base) | BLOCK_UNCOMPRESSED)
      out.set(input.subarray(base, end), sizePos + 4)
      op = sizePos + 4 + (end - base)
    }
  }
  writeU32LE(out, op, 0)
  op += 4
  return out.slice(0, op)
}

/**
 * Output that grows on demand but never beyond the caller's bound. Not zero-filled: only bytes
 * below `length` are ever read (match windows included), and the result is cut at `length`.
 */
class BoundedOutput {
  buf: Uint8Array
  length = 0

  constructor(
    initial: number,
    readonly max: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(initial, max))
  }

  /** Make room for `n` more bytes, capped at `max`; returns the writable limit. */
  reserve(n: number): number {
    const want = Math.min(this.length + n, this.max)
    if (want > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.min(Math.max(want, this.buf.length * 2), this.max))
      next.set(this.buf.subarray(0, this.length))
      this.buf = next
    }
    return want
  }
}

function blockMaxSize(bd: number): number {
  const id = (bd >>> 4) & 7
  if ((bd & 0x8f) !== 0 || id < 4) throw new CompressionError(CODEC, `invalid block descriptor byte 0x${bd.toString(16)}`)
  return 1 << (2 * id + 8)
}

/** Decode one frame starting at `pos`; returns the position after it. */
function decodeFrame(input: Uint8Array, pos: number, out: BoundedOutput): number {
  const end = input.length
  if (pos + 7 > end) throw new CompressionError(CODEC, 'truncated frame header')
  const magic = readU32LE(input, pos)
  if (magic === LEGACY_MAGIC) throw new CompressionError(CODEC, 'legacy LZ4 frames are not used by Kafka')
  if (magic !== FRAME_MAGIC) throw new CompressionError(CODEC, `bad frame magic 0x${magic.toString(16)}`)
  const flg = input[pos + 4]!
  if ((flg & 0xc0) !== FLG_VERSION_01) throw new CompressionError(CODEC, `unsupported frame version ${flg >>> 6}`)
  if ((flg & FLG_RESERVED) !== 0) throw new CompressionError(CODEC, 'reserved FLG bit set')
  const blockMax = blockMaxSize(input[pos + 5]!)
  const descEnd = pos + 6 + (flg & FLG_CONTENT_SIZE ? 8 : 0) + (flg & FLG_DICT_ID ? 4 : 0)
  if (descEnd + 1 > end) throw new CompressionError(CODEC, 'truncated frame descriptor')
  const hc = (xxhash32(input, 0, pos + 4, descEnd) >>> 8) & 0xff
  if (input[descEnd] !== hc) throw new CompressionError(CODEC, `header checksum 0x${input[descEnd]!.toString(16)} != 0x${hc.toString(16)}`)
  if (flg & FLG_DICT_ID) throw new CompressionError(CODEC, 'frames with a dictionary id are not supported')
  let contentSize = -1
  if (flg & FLG_CONTENT_SIZE) {
    contentSize = readU32LE(input, pos + 6) + readU32LE(input, pos + 10) * 2 ** 32
    if (contentSize > out.max - out.length) throw new CompressionError(CODEC, `content size ${contentSize} exceeds maxOutputBytes ${out.max}`)
  }
  const independent = (flg & FLG_BLOCK_INDEPENDENT) !== 0
  const blockChecksum = (flg & FLG_BLOCK_CHECKSUM) !== 0
  const frameStart = out.length
  pos = descEnd + 1

  for (;;) {
    if (pos + 4 > end) throw new CompressionError(CODEC, 'truncated block header')
    const word = readU32LE(input, pos)
    pos += 4
    if (word === 0) break
    const size = word & 0x7fffffff
    if (size > blockMax) throw new CompressionError(CODEC, `block of ${size} bytes exceeds the frame's ${blockMax}-byte maximum`)
    if (size + (blockChecksum ? 4 : 0) > end - pos) throw new CompressionError(CODEC, `block of ${size} bytes runs past the input`)
    if (blockChecksum) {
      const want = readU32LE(input, pos + size)
      if (xxhash32(input, 0, pos, pos + size) !== want) throw new CompressionError(CODEC, 'block checksum mismatch')
    }
    if (word & BLOCK_UNCOMPRESSED) {
      if (size > out.max - out.length) throw new CompressionError(CODEC, `output exceeds maxOutputBytes ${out.max}`)
      out.reserve(size)
      out.buf.set(input.subarray(pos, pos + size), out.length)
      out.length += size
    } else {
      const limit = out.reserve(blockMax)
      const windowStart = independent ? out.length : frameStart
      try {
        out.length = lz4DecompressBlock(input, pos, pos + size, out.buf, out.length, limit, windowStart)
      } catch (err) {
        if (err instanceof CompressionError && limit === out.max && /output limit/.test(err.message)) {
          throw new CompressionError(CODEC, `output exceeds maxOutputBytes ${out.max}`)
        }
        throw err
      }
    }
    pos += size + (blockChecksum ? 4 : 0)
  }
  if (contentSize >= 0 && out.length - frameStart !== contentSize) {
    throw new CompressionError(CODEC, `frame declared ${contentSize} bytes but held ${out.length - frameStart}`)
  }
  if (flg & FLG_CONTENT_CHECKSUM) {
    if (pos + 4 > end) throw new CompressionError(CODEC, 'truncated content checksum')
    if (xxhash32(out.buf, 0, frameStart, out.length) !== readU32LE(input, pos)) throw new CompressionError(CODEC, 'content checksum mismatch')
    pos += 4
  }
  return pos
}

/**
 * Decompress one or more concatenated LZ4 frames.
 * @param input - compressed bytes
 * @param maxOutputBytes - upper bound on the result
 * @throws CompressionError on corrupt input or when the output would exceed the bound
 */
export function lz4FrameDecompress(input: Uint8Array, maxOutputBytes: number): Uint8Array {
  const out = new BoundedOutput(Math.max(input.length * 4, 1024), maxOutputBytes)
  let pos = 0
  do {
    pos = decodeFrame(input, pos, out)
  } while (pos < input.length)
  return out.length === out.buf.length ? out.buf : out.buf.slice(0, out.length)
}

/** LZ4 codec (attribute id 3): pure TypeScript frame + block implementation. */
export const lz4Codec: Codec = {
  name: 'lz4',
  id: 3,
  // Java's range and default (protocol-reference §1.7). Our compressor has one speed/ratio setting;
  // the level is validated for config compatibility and honoured by plugged-in native codecs.
  levels: { min: 1, max: 17, default: 9 },
  compress: (input) => lz4FrameCompress(input),
  decompress: (input, maxOutputBytes) => lz4FrameDecompress(input, maxOutputBytes),
}

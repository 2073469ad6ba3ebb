/**
 * zstd (attribute id 4) via node:zlib, which has it from Node 22.15 / 23.8. On older Node there is no
 * built-in: the user registers a native plug-in with `registerCodec('zstd', …)`. zstd also needs
 * Produce v7+ (KIP-110), which the producer checks against the negotiated version.
 */
import * as zlib from 'node:zlib'
import type { Codec, CodecLevels } from './codec.js'
import { zlibFailure } from './gzip.js'

interface ZlibZstd {
  zstdCompressSync(input: Uint8Array, options?: { params?: Record<number, number> }): Uint8Array
  zstdDecompressSync(input: Uint8Array, options?: { maxOutputLength?: number }): Uint8Array
}

/** @types/node 20 does not describe the zstd functions; look them up at run time. */
function builtinZstd(): ZlibZstd | undefined {
  const z = zlib as unknown as Partial<ZlibZstd>
  if (typeof z.zstdCompressSync !== 'function' || typeof z.zstdDecompressSync !== 'function') return undefined
  return z as ZlibZstd
}

/** Node's ZSTD_c_compressionLevel parameter id (zstd.h: ZSTD_c_compressionLevel = 100). */
function compressionLevelParam(): number {
  const c = zlib.constants as unknown as Record<string, number | undefined>
  return c.ZSTD_c_compressionLevel ?? 100
}

/** Java's zstd level range and default (protocol-reference §1.7); plug-ins inherit it. */
export const ZSTD_LEVELS: CodecLevels = { min: -131072, max: 22, default: 3 }

/** Message for a user who asks for zstd on a Node without it. */
export const ZSTD_UNAVAILABLE_HINT =
  `zstd is built into node:zlib from Node.js 22.15 (and 23.8); this is Node.js ${process.versions.node}. ` +
  `Upgrade Node.js, or install a native zstd package (e.g. zstd-napi) and register it with ` +
  `registerCodec('zstd', { compress, decompress }) before creating the producer.`

/** The node:zlib zstd codec, or `undefined` when this Node has none. */
export function createBuiltinZstdCodec(): Codec | undefined {
  const z = builtinZstd()
  if (z === undefined) return undefined
  const levelParam = compressionLevelParam()
  return {
    name: 'zstd',
    id: 4,
    levels: ZSTD_LEVELS,
    compress(input, level) {
      return z.zstdCompressSync(input, { params: { [levelParam]: level ?? ZSTD_LEVELS.default } })
    },
    decompress(input, maxOutputBytes) {
      try {
        return z.zstdDecompressSync(input, { maxOutputLength: Math.max(1, maxOutputBytes) })
      } catch (err) {
        throw zlibFailure('zstd', err, maxOutputBytes)
      }
    },
  }
}

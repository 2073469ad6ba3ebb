/** gzip (attribute id 1) via node:zlib: a standard gzip stream, as Java's `GzipOutputStream` writes. */
import { constants, gunzipSync, gzipSync } from 'node:zlib'
import type { Codec } from './codec.js'
import { CompressionError } from './errors.js'

/**
 * Wrap a node:zlib failure in a CompressionError; node reports an output over `maxOutputLength` as a
 * RangeError (ERR_BUFFER_TOO_LARGE), which we translate into the bound the caller set.
 */
export function zlibFailure(codec: string, err: unknown, maxOutputBytes: number): CompressionError {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ERR_BUFFER_TOO_LARGE') {
    return new CompressionError(codec, `output exceeds maxOutputBytes ${maxOutputBytes}`, { cause: err })
  }
  const message = err instanceof Error ? err.message : String(err)
  return new CompressionError(codec, `corrupt input: ${message}`, { cause: err })
}

/** gzip codec. Levels are zlib's: -1 (default, i.e. 6) and 0..9; Java uses the default. */
export const gzipCodec: Codec = {
  name: 'gzip',
  id: 1,
  levels: { min: -1, max: 9, default: constants.Z_DEFAULT_COMPRESSION },
  compress(input, level) {
    return gzipSync(input, { level: level ?? constants.Z_DEFAULT_COMPRESSION })
  },
  decompress(input, maxOutputBytes) {
    try {
      return gunzipSync(input, { maxOutputLength: Math.max(1, maxOutputBytes) })
    } catch (err) {
      throw zlibFailure('gzip', err, maxOutputBytes)
    }
  },
}

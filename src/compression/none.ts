/** The identity codec (attribute id 0), so callers can treat every batch alike. */
import type { Codec } from './codec.js'
import { CompressionError } from './errors.js'

/** No compression: `compress` returns its input; `decompress` only enforces the size bound. */
export const noneCodec: Codec = {
  name: 'none',
  id: 0,
  compress: (input) => input,
  decompress(input, maxOutputBytes) {
    if (input.length > maxOutputBytes) throw new CompressionError('none', `output exceeds maxOutputBytes ${maxOutputBytes}`)
    return input
  },
}

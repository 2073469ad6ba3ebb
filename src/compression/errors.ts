/** Errors raised by the compression layer. */
import { KafkaWireError } from '../errors.js'

/** A codec failed: corrupt or hostile input, or output larger than the caller allowed. */
export class CompressionError extends KafkaWireError {
  override readonly name = 'CompressionError'
  /** Codec name (`gzip`, `snappy`, `lz4`, `zstd`, `none`) that raised the error. */
  readonly codec: string

  /**
   * @param codec - codec name, used as the message prefix
   * @param message - what was wrong with the input
   * @param options - optional `cause` (e.g. the node:zlib error)
   */
  constructor(codec: string, message: string, options?: { cause?: unknown }) {
    super(`${codec}: ${message}`, options)
    this.codec = codec
  }
}

/** Config errors are the producer's (`option` names the key, e.g. `compressionType`); re-exported for codec users. */
export { ConfigError } from '../producer/errors.js'

/**
 * The codec contract shared by every compression implementation.
 *
 * A codec compresses the records section of one RecordBatch (everything after RecordsCount, see
 * protocol-reference §1.4) in one call, and decompresses it with a caller-chosen output bound so that a
 * hostile peer cannot make us allocate what it claims.
 */

/** Values accepted for the `compressionType` producer option. */
export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/** RecordBatch attribute bits 0-2 (JK `record/CompressionType.java`). */
export const COMPRESSION_CODEC_IDS = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
} as const satisfies Record<CompressionType, number>

/** A codec id as written in RecordBatch attributes. */
export type CodecId = (typeof COMPRESSION_CODEC_IDS)[CompressionType]

/** Mask of the compression bits in RecordBatch attributes. */
export const COMPRESSION_CODEC_MASK = 0x07

/** Every compression type, in id order. */
export const COMPRESSION_TYPES: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/** Accepted `compressionLevel` range of a codec that has levels. */
export interface CodecLevels {
  /** Lowest accepted level. */
  readonly min: number
  /** Highest accepted level. */
  readonly max: number
  /** Level used when the user gives none (the Java client's default, protocol-reference §1.7). */
  readonly default: number
}

/** One compression codec. Implementations are synchronous: compression runs once per batch. */
export interface Codec {
  /** Codec name as used in `compressionType`. */
  readonly name: CompressionType
  /** Attribute id (bits 0-2). */
  readonly id: CodecId
  /** Level range, when the codec has levels. */
  readonly levels?: CodecLevels
  /**
   * Compress a whole records section.
   * @param input - the encoded records
   * @param level - codec level, already validated against `levels`
   */
  compress(input: Uint8Array, level?: number): Uint8Array
  /**
   * Decompress a records section.
   * @param input - compressed bytes as found in the batch
   * @param maxOutputBytes - refuse (with `CompressionError`) to produce more than this
   */
  decompress(input: Uint8Array, maxOutputBytes: number): Uint8Array
}

/** The two functions a user supplies to plug in a native implementation for a codec name. */
export type CodecImplementation = Pick<Codec, 'compress' | 'decompress'> & { readonly levels?: CodecLevels }

/** Map an attribute value to its compression type, or `undefined` for the reserved ids 5-7. */
export function compressionTypeOfAttributes(attributes: number): CompressionType | undefined {
  return COMPRESSION_TYPES[attributes & COMPRESSION_CODEC_MASK]
}

/** Compression codecs for RecordBatch records sections (protocol-reference §1.7). */
export {
  COMPRESSION_CODEC_IDS,
  COMPRESSION_CODEC_MASK,
  COMPRESSION_TYPES,
  compressionTypeOfAttributes,
  type Codec,
  type CodecId,
  type CodecImplementation,
  type CodecLevels,
  type CompressionType,
} from './codec.js'
export { CompressionError, ConfigError } from './errors.js'
export {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  getCodec,
  isCompressionType,
  recordsCompressor,
  recordsDecompressor,
  registerCodec,
  resolveCompression,
  restoreBuiltinCodec,
  type ResolvedCompression,
} from './registry.js'
export { gzipCodec } from './gzip.js'
export { snappyCodec, snappyCompress, snappyDecompress, isXerialFramed } from './snappy.js'
export { lz4Codec, lz4FrameCompress, lz4FrameDecompress } from './lz4.js'
export { noneCodec } from './none.js'
export { xxhash32 } from './xxhash32.js'

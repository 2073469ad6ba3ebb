/**
 * Codec registry: the built-in codecs by name, replaceable by a user's native implementation
 * (e.g. lz4-napi, @napi-rs/snappy, a zstd addon) registered under the same name.
 */
import { COMPRESSION_CODEC_IDS, COMPRESSION_TYPES, type Codec, type CodecImplementation, type CompressionType } from './codec.js'
import { CompressionError, ConfigError } from './errors.js'
import { gzipCodec } from './gzip.js'
import { lz4Codec } from './lz4.js'
import { noneCodec } from './none.js'
import { snappyCodec } from './snappy.js'
import { createBuiltinZstdCodec, ZSTD_LEVELS, ZSTD_UNAVAILABLE_HINT } from './zstd.js'

const builtins = new Map<CompressionType, Codec>([
  ['none', noneCodec],
  ['gzip', gzipCodec],
  ['snappy', snappyCodec],
  ['lz4', lz4Codec],
])
const builtinZstd = createBuiltinZstdCodec()
if (builtinZstd !== undefined) builtins.set('zstd', builtinZstd)

const registered = new Map<CompressionType, Codec>(builtins)

/** Producer option names, as the errors report them. */
const TYPE_KEY = 'compressionType'
const LEVEL_KEY = 'compressionLevel'

/** Whether `name` is one of the compression types Kafka defines. */
export function isCompressionType(name: unknown): name is CompressionType {
  return typeof name === 'string' && (COMPRESSION_TYPES as readonly string[]).includes(name)
}

function checkName(name: unknown): CompressionType {
  if (!isCompressionType(name)) {
    throw new ConfigError(TYPE_KEY, `unknown compression type ${JSON.stringify(name)}; expected one of ${COMPRESSION_TYPES.join(', ')}`)
  }
  return name
}

/**
 * The codec currently registered for `name`.
 * @throws ConfigError for an unknown name, or for zstd on a Node without it and no plug-in
 */
export function getCodec(name: CompressionType): Codec {
  const codec = registered.get(checkName(name))
  if (codec === undefined) throw new ConfigError(TYPE_KEY, ZSTD_UNAVAILABLE_HINT)
  return codec
}

/**
 * Plug in an implementation for a codec name (the id comes from the name). Producers resolve their
 * codec at construction, so register before creating them.
 * @param name - `gzip`, `snappy`, `lz4` or `zstd` (`none` cannot be replaced)
 * @param impl - synchronous compress/decompress; decompress must honour `maxOutputBytes`
 * @returns the codec as registered
 */
export function registerCodec(name: Exclude<CompressionType, 'none'>, impl: CodecImplementation): Codec {
  const checked = checkName(name)
  if (checked === 'none') throw new ConfigError(TYPE_KEY, 'the "none" codec cannot be replaced')
  const levels = impl.levels ?? builtins.get(checked)?.levels ?? (checked === 'zstd' ? ZSTD_LEVELS : undefined)
  const codec: Codec = {
    name: checked,
    id: COMPRESSION_CODEC_IDS[checked],
    ...(levels !== undefined ? { levels } : {}),
    compress: (input, level) => impl.compress(input, level),
    decompress: (input, maxOutputBytes) => impl.decompress(input, maxOutputBytes),
  }
  registered.set(checked, codec)
  return codec
}

/** Put the built-in codec back for `name` (for zstd on old Node: remove the plug-in). */
export function restoreBuiltinCodec(name: CompressionType): void {
  const builtin = builtins.get(name)
  if (builtin === undefined) registered.delete(name)
  else registered.set(name, builtin)
}

/** A codec choice checked once, when a producer is constructed. */
export interface ResolvedCompression {
  /** The codec to call. */
  readonly codec: Codec
  /** Attribute bits 0-2 for batches compressed with it. */
  readonly codecId: number
  /** Validated level, or `undefined` for codecs without levels. */
  readonly level: number | undefined
}

/**
 * Validate the `compressionType` / `compressionLevel` options.
 * @param type - the user's compression type (default `none`)
 * @param level - the user's level; omitted means the codec's default
 * @throws ConfigError naming the option at fault
 */
export function resolveCompression(type: unknown = 'none', level?: number): ResolvedCompression {
  const codec = getCodec(checkName(type))
  if (codec.levels === undefined) {
    if (level !== undefined) throw new ConfigError(LEVEL_KEY, `compression type ${codec.name} has no levels`)
    return { codec, codecId: codec.id, level: undefined }
  }
  const { min, max } = codec.levels
  if (level !== undefined && (!Number.isInteger(level) || level < min || level > max)) {
    throw new ConfigError(LEVEL_KEY, `${String(level)} is not a valid ${codec.name} level (integer ${min}..${max})`)
  }
  return { codec, codecId: codec.id, level: level ?? codec.levels.default }
}

/**
 * The `compression` callback for `RecordBatchBuilder.build`: compresses a whole records section once
 * per batch with the resolved codec and level, or `undefined` for `none`.
 */
export function recordsCompressor(resolved: ResolvedCompression): ((records: Uint8Array) => Uint8Array) | undefined {
  if (resolved.codecId === COMPRESSION_CODEC_IDS.none) return undefined
  const { codec, level } = resolved
  return (records) => codec.compress(records, level)
}

/** Default bound for one decompressed records section: well above Kafka's 1 MiB default batch limits. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024

/**
 * The `decompress` callback for `decodeRecordBatches`: picks the codec from the attribute id and
 * refuses to inflate a records section beyond `maxOutputBytes`.
 * @throws CompressionError for an id with no codec (5-7, or zstd without one)
 */
export function recordsDecompressor(maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): (codecId: number, data: Uint8Array) => Uint8Array {
  return (codecId, data) => {
    const name = COMPRESSION_TYPES[codecId]
    if (name === undefined) throw new CompressionError(`codec ${codecId}`, 'unknown compression codec id in batch attributes')
    const codec = registered.get(name)
    if (codec === undefined) throw new CompressionError(name, ZSTD_UNAVAILABLE_HINT)
    return codec.decompress(data, maxOutputBytes)
  }
}

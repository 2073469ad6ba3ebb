/** The producer's options: their Java names, defaults and ranges, and their validation into a resolved configuration. */
import { ConfigError } from './errors.js'
import type { Logger } from './logger.js'
import type { ProducerInterceptor } from './interceptors.js'
import type { ProducerRecord } from './producer.js'
import type { RecordMetadata } from './producer-batch.js'
import type { BuiltInSerializerName, RawValue, Serializer } from './serializers.js'
import { saslOptionsProblem, sslOptionsProblem, type SaslOptions, type SslOptions } from '../network/security-options.js'

/** Compression codecs the producer can ask for (Java `compression.type`). */
export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/** `acks` as the caller writes it: 0 (no response), 1 (leader), -1 or 'all' (all in-sync replicas). */
export type Acks = 0 | 1 | -1 | 'all'

/**
 * What a custom partitioner receives (option `partitioner`, Java `partitioner.class`). Return a
 * partition number, or `undefined`/-1 to let the built-in partitioner decide.
 */
export interface PartitionerArgs {
  topic: string
  key: Buffer | null
  value: Buffer | null
  numPartitions: number
  /** Partitions whose leader is currently known. */
  availablePartitions: readonly number[]
}

/** A custom partitioner function. */
export type PartitionerFunction = (args: PartitionerArgs) => number | undefined

/**
 * Options of `new Producer(options)`. Names are the Java producer's config names in camelCase; each
 * line gives the Java name and the default.
 */
export interface ProducerOptions<K = RawValue, V = RawValue> {
  /** `bootstrap.servers`: `host:port` strings (or one comma-separated string). Required. */
  bootstrapServers: string[] | string
  /** `client.id`, sent in every request header. Default `kafka-wire`. */
  clientId?: string
  /** `acks`. Default `'all'`. */
  acks?: Acks
  /** `batch.size`: bytes per partition batch. Default 16384. */
  batchSize?: number
  /** `linger.ms`: how long a non-full batch waits for more records. Default 5 (Java 4.x, KIP-1030). */
  lingerMs?: number
  /** `buffer.memory`: bytes of batches buffered in total. Default 33554432 (32 MiB). */
  bufferMemory?: number
  /** `max.block.ms`: how long `send()` waits for buffer space or topic metadata. Default 60000. */
  maxBlockMs?: number
  /** `max.request.size`: largest Produce request, and so the largest record. Default 1048576. */
  maxRequestSize?: number
  /** `delivery.timeout.ms`: bound from `send()` to success or failure. Default 120000. */
  deliveryTimeoutMs?: number
  /** `request.timeout.ms`: bound on one request's round trip; also sent as the Produce timeout. Default 30000. */
  requestTimeoutMs?: number
  /** `retries`: attempts after the first. Default 2147483647 (bounded by `deliveryTimeoutMs`). */
  retries?: number
  /** `retry.backoff.ms`: first retry delay. Default 100. */
  retryBackoffMs?: number
  /** `retry.backoff.max.ms`: exponential backoff cap. Default 1000. */
  retryBackoffMaxMs?: number
  /** `max.in.flight.requests.per.connection`. Default 5. */
  maxInFlightRequestsPerConnection?: number
  /** `metadata.max.age.ms`: periodic metadata refresh. Default 300000. */
  metadataMaxAgeMs?: number
  /** `metadata.max.idle.ms`: a topic nothing was sent to for this long is no longer refreshed. Default 300000. */
  metadataMaxIdleMs?: number
  /** `enable.idempotence`. Default true (needs acks all, retries > 0, in-flight ≤ 5). */
  enableIdempotence?: boolean
  /** `compression.type`. Default `'none'`. */
  compressionType?: CompressionType
  /** `compression.gzip.level` / `compression.lz4.level` / `compression.zstd.level` for the chosen codec. */
  compressionLevel?: number
  /** `partitioner.class`: custom partitioner function. */
  partitioner?: PartitionerFunction
  /** `partitioner.ignore.keys`: spread keyed records like unkeyed ones. Default false. */
  partitionerIgnoreKeys?: boolean
  /** `key.serializer`: `'string' | 'bytes' | 'json'` or a function. Default: raw bytes/strings. */
  keySerializer?: BuiltInSerializerName | Serializer<K>
  /** `value.serializer`. */
  valueSerializer?: BuiltInSerializerName | Serializer<V>
  /** `interceptor.classes`: typed for the producer's key and value types. */
  interceptors?: ReadonlyArray<ProducerInterceptor<ProducerRecord<K, V>, RecordMetadata>>
  /** Logger (no Java config). Default: warnings and errors to stderr. */
  logger?: Logger
  /** `socket.connection.setup.timeout.ms`. Default 10000. */
  socketConnectionSetupTimeoutMs?: number
  /** `security.protocol=SSL`/`SASL_SSL` + `ssl.*`: `true` or `tls.connect` options (see docs/security.md). */
  ssl?: SslOptions
  /** `sasl.mechanism` + `sasl.jaas.config`: PLAIN, SCRAM-SHA-256/512 or OAUTHBEARER (see docs/security.md). */
  sasl?: SaslOptions
  /**
   * `transactional.id`: makes the producer transactional (see docs/transactions.md): call
   * `initTransactions()` once, then send inside `beginTransaction()` … `commitTransaction()`.
   * Implies idempotence. Default: none.
   */
  transactionalId?: string
  /** `transaction.timeout.ms`: the coordinator aborts a transaction open longer than this. Default 60000. */
  transactionTimeoutMs?: number
}

/** Options after validation and defaults. */
export interface ResolvedConfig {
  bootstrapServers: string[]
  clientId: string
  /** Normalized: 0, 1 or -1. */
  acks: 0 | 1 | -1
  batchSize: number
  lingerMs: number
  bufferMemory: number
  maxBlockMs: number
  maxRequestSize: number
  deliveryTimeoutMs: number
  requestTimeoutMs: number
  retries: number
  retryBackoffMs: number
  retryBackoffMaxMs: number
  maxInFlightRequestsPerConnection: number
  metadataMaxAgeMs: number
  metadataMaxIdleMs: number
  enableIdempotence: boolean
  compressionType: CompressionType
  compressionLevel: number | undefined
  partitionerIgnoreKeys: boolean
  socketConnectionSetupTimeoutMs: number
  /** TLS options, undefined for plaintext. */
  ssl: SslOptions | undefined
  /** SASL options, undefined without SASL. */
  sasl: SaslOptions | undefined
  /** The transactional id, undefined for a non-transactional producer. */
  transactionalId: string | undefined
  transactionTimeoutMs: number
}

type Kind = 'int' | 'boolean' | 'string' | 'function' | 'object' | 'special'

/** One row of the option table: kafka-wire name, Java name, type, default and range. */
export interface OptionSpec {
  readonly name: string
  readonly javaName: string
  readonly kind: Kind
  readonly default?: number | boolean | string
  readonly min?: number
  readonly max?: number
}

const INT32_MAX = 2147483647

/** The option table. Order is documentation order. */
export const PRODUCER_OPTIONS: readonly OptionSpec[] = [
  { name: 'bootstrapServers', javaName: 'bootstrap.servers', kind: 'special' },
  { name: 'clientId', javaName: 'client.id', kind: 'string', default: 'kafka-wire' },
  { name: 'acks', javaName: 'acks', kind: 'special', default: 'all' },
  { name: 'batchSize', javaName: 'batch.size', kind: 'int', default: 16384, min: 0, max: INT32_MAX },
  { name: 'lingerMs', javaName: 'linger.ms', kind: 'int', default: 5, min: 0, max: INT32_MAX },
  { name: 'bufferMemory', javaName: 'buffer.memory', kind: 'int', default: 33554432, min: 0, max: Number.MAX_SAFE_INTEGER },
  { name: 'maxBlockMs', javaName: 'max.block.ms', kind: 'int', default: 60000, min: 0, max: INT32_MAX },
  { name: 'maxRequestSize', javaName: 'max.request.size', kind: 'int', default: 1048576, min: 0, max: INT32_MAX },
  { name: 'deliveryTimeoutMs', javaName: 'delivery.timeout.ms', kind: 'int', default: 120000, min: 0, max: INT32_MAX },
  { name: 'requestTimeoutMs', javaName: 'request.timeout.ms', kind: 'int', default: 30000, min: 1, max: INT32_MAX },
  { name: 'retries', javaName: 'retries', kind: 'int', default: INT32_MAX, min: 0, max: INT32_MAX },
  { name: 'retryBackoffMs', javaName: 'retry.backoff.ms', kind: 'int', default: 100, min: 0, max: INT32_MAX },
  { name: 'retryBackoffMaxMs', javaName: 'retry.backoff.max.ms', kind: 'int', default: 1000, min: 0, max: INT32_MAX },
  { name: 'maxInFlightRequestsPerConnection', javaName: 'max.in.flight.requests.per.connection', kind: 'int', default: 5, min: 1, max: INT32_MAX },
  { name: 'metadataMaxAgeMs', javaName: 'metadata.max.age.ms', kind: 'int', default: 300000, min: 0, max: INT32_MAX },
  { name: 'metadataMaxIdleMs', javaName: 'metadata.max.idle.ms', kind: 'int', default: 300000, min: 5000, max: INT32_MAX },
  { name: 'enableIdempotence', javaName: 'enable.idempotence', kind: 'boolean', default: true },
  { name: 'compressionType', javaName: 'compression.type', kind: 'special', default: 'none' },
  { name: 'compressionLevel', javaName: 'compression.<codec>.level', kind: 'special' },
  { name: 'partitioner', javaName: 'partitioner.class', kind: 'function' },
  { name: 'partitionerIgnoreKeys', javaName: 'partitioner.ignore.keys', kind: 'boolean', default: false },
  { name: 'keySerializer', javaName: 'key.serializer', kind: 'special' },
  { name: 'valueSerializer', javaName: 'value.serializer', kind: 'special' },
  { name: 'interceptors', javaName: 'interceptor.classes', kind: 'special' },
  { name: 'logger', javaName: '(none)', kind: 'object' },
  { name: 'socketConnectionSetupTimeoutMs', javaName: 'socket.connection.setup.timeout.ms', kind: 'int', default: 10000, min: 1, max: INT32_MAX },
  { name: 'ssl', javaName: 'security.protocol=SSL, ssl.*', kind: 'special' },
  { name: 'sasl', javaName: 'sasl.mechanism, sasl.jaas.config', kind: 'special' },
  { name: 'transactionalId', javaName: 'transactional.id', kind: 'string' },
  { name: 'transactionTimeoutMs', javaName: 'transaction.timeout.ms', kind: 'int', default: 60000, min: 1, max: INT32_MAX },
]

/** Java's limit for idempotence (`MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE`). */
export const MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5

const BY_NAME = new Map(PRODUCER_OPTIONS.map((o) => [o.name, o]))
const COMPRESSION: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

function fail(spec: OptionSpec, message: string): never {
  throw new ConfigError(spec.name, `${message} (Java ${spec.javaName})`)
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`
  if (typeof v === 'number') return `${v}`
  return `a ${typeof v}`
}

function checkHostPort(spec: OptionSpec, s: string): string {
  const t = s.trim()
  const colon = t.lastIndexOf(':')
  const port = Number(t.slice(colon + 1))
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) fail(spec, `expected host:port, got ${JSON.stringify(s)}`)
  return t
}

/**
 * Validates `options` against the option table and fills defaults. Throws `ConfigError` naming the
 * first bad option: unknown key, wrong type, out of range, or a conflict (idempotence with acks ≠ all).
 */
export function resolveConfig(options: unknown): ResolvedConfig {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError('options', 'expected an object such as { bootstrapServers: ["127.0.0.1:9092"] }')
  }
  const o = options as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (!BY_NAME.has(key)) {
      throw new ConfigError(key, `unknown option; known options are ${PRODUCER_OPTIONS.map((s) => s.name).join(', ')}`)
    }
  }
  const spec = (name: string): OptionSpec => BY_NAME.get(name) as OptionSpec
  const num = (name: string): number => {
    const s = spec(name)
    const v = o[name]
    if (v === undefined) return s.default as number
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(s, `expected an integer, got ${describe(v)}`)
    if (s.min !== undefined && v < s.min) fail(s, `must be at least ${s.min}, got ${v}`)
    if (s.max !== undefined && v > s.max) fail(s, `must be at most ${s.max}, got ${v}`)
    return v
  }
  const bool = (name: string): boolean => {
    const v = o[name]
    if (v === undefined) return spec(name).default as boolean
    if (typeof v !== 'boolean') fail(spec(name), `expected true or false, got ${describe(v)}`)
    return v
  }

  // bootstrap.servers
  const bs = o.bootstrapServers
  let bootstrapServers: string[]
  const bsSpec = spec('bootstrapServers')
  if (bs === undefined) fail(bsSpec, 'is required, e.g. ["127.0.0.1:9092"]')
  if (typeof bs === 'string') bootstrapServers = bs.split(',').filter((x) => x.trim() !== '').map((x) => checkHostPort(bsSpec, x))
  else if (Array.isArray(bs)) {
    bootstrapServers = bs.map((x: unknown) => {
      if (typeof x !== 'string') fail(bsSpec, `expected strings, got ${describe(x)}`)
      return checkHostPort(bsSpec, x)
    })
  } else fail(bsSpec, `expected an array of host:port strings, got ${describe(bs)}`)
  if (bootstrapServers.length === 0) fail(bsSpec, 'needs at least one host:port')

  const clientIdV = o.clientId
  if (clientIdV !== undefined && typeof clientIdV !== 'string') fail(spec('clientId'), `expected a string, got ${describe(clientIdV)}`)
  const clientId = clientIdV ?? 'kafka-wire'

  const acksV = o.acks
  let acks: 0 | 1 | -1
  if (acksV === undefined || acksV === 'all' || acksV === -1) acks = -1
  else if (acksV === 0 || acksV === 1) acks = acksV
  else fail(spec('acks'), `expected 0, 1, -1 or 'all', got ${describe(acksV)}`)

  const compV = o.compressionType
  if (compV !== undefined && !COMPRESSION.includes(compV as CompressionType)) fail(spec('compressionType'), `expected one of ${COMPRESSION.join(', ')}, got ${describe(compV)}`)
  const compressionType = (compV ?? 'none') as CompressionType
  const levelV = o.compressionLevel
  if (levelV !== undefined && (typeof levelV !== 'number' || !Number.isInteger(levelV))) fail(spec('compressionLevel'), `expected an integer, got ${describe(levelV)}`)

  for (const name of ['keySerializer', 'valueSerializer']) {
    const v = o[name]
    if (v !== undefined && typeof v !== 'function' && v !== 'string' && v !== 'bytes' && v !== 'json') fail(spec(name), `expected 'string', 'bytes', 'json' or a function, got ${describe(v)}`)
  }
  if (o.partitioner !== undefined && typeof o.partitioner !== 'function') fail(spec('partitioner'), `expected a function, got ${describe(o.partitioner)}`)
  const ic = o.interceptors
  if (ic !== undefined) {
    if (!Array.isArray(ic)) fail(spec('interceptors'), `expected an array, got ${describe(ic)}`)
    for (const i of ic as unknown[]) {
      if (i === null || typeof i !== 'object') fail(spec('interceptors'), `expected objects with onSend/onAcknowledgement, got ${describe(i)}`)
    }
  }
  const lg = o.logger
  if (lg !== undefined && (lg === null || typeof lg !== 'object')) fail(spec('logger'), `expected an object with debug/info/warn/error methods, got ${describe(lg)}`)

  const retries = num('retries')
  const maxInFlight = num('maxInFlightRequestsPerConnection')
  const lingerMs = num('lingerMs')
  const requestTimeoutMs = num('requestTimeoutMs')
  let deliveryTimeoutMs = num('deliveryTimeoutMs')

  // Java: an explicit enable.idempotence=true with conflicting settings is an error; the default
  // silently turns idempotence off (ProducerConfig.postProcessAndValidateIdempotenceConfigs).
  const txnV = o.transactionalId
  if (txnV !== undefined && (typeof txnV !== 'string' || txnV === '')) fail(spec('transactionalId'), `expected a non-empty string, got ${describe(txnV)}`)
  const transactionalId = txnV as string | undefined
  // Java: a transactional.id needs idempotence; its conflicts are errors even when
  // enable.idempotence was left at its default (ProducerConfig.postProcessAndValidateIdempotenceConfigs).
  if (transactionalId !== undefined && o.enableIdempotence === false) fail(spec('transactionalId'), 'a transactional producer needs idempotence; remove enableIdempotence: false')
  const idemExplicit = o.enableIdempotence !== undefined || transactionalId !== undefined
  let enableIdempotence = bool('enableIdempotence')
  if (enableIdempotence) {
    const idem = spec('enableIdempotence')
    const conflict =
      acks !== -1 ? `requires acks='all' (got ${String(acksV)})` : retries === 0 ? 'requires retries > 0' : maxInFlight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE ? `requires maxInFlightRequestsPerConnection <= ${MAX_IN_FLIGHT_FOR_IDEMPOTENCE} (got ${maxInFlight})` : undefined
    if (conflict !== undefined) {
      if (idemExplicit) fail(idem, `the idempotent producer ${conflict}`)
      enableIdempotence = false
    }
  }

  // Java KafkaProducer.configureDeliveryTimeout: delivery.timeout.ms >= linger.ms + request.timeout.ms.
  if (deliveryTimeoutMs < lingerMs + requestTimeoutMs) {
    if (o.deliveryTimeoutMs !== undefined) fail(spec('deliveryTimeoutMs'), `must be at least lingerMs + requestTimeoutMs (${lingerMs + requestTimeoutMs}), got ${deliveryTimeoutMs}`)
    deliveryTimeoutMs = Math.min(lingerMs + requestTimeoutMs, INT32_MAX)
  }
  const sslProblem = sslOptionsProblem(o.ssl)
  if (sslProblem !== undefined) fail(spec('ssl'), sslProblem)
  const saslProblem = saslOptionsProblem(o.sasl)
  if (saslProblem !== undefined) fail(spec('sasl'), saslProblem)

  const retryBackoffMs = num('retryBackoffMs')
  let retryBackoffMaxMs = num('retryBackoffMaxMs')
  if (retryBackoffMaxMs < retryBackoffMs) retryBackoffMaxMs = retryBackoffMs

  return {
    bootstrapServers,
    clientId,
    acks,
    batchSize: num('batchSize'),
    lingerMs,
    bufferMemory: num('bufferMemory'),
    maxBlockMs: num('maxBlockMs'),
    maxRequestSize: num('maxRequestSize'),
    deliveryTimeoutMs,
    requestTimeoutMs,
    retries,
    retryBackoffMs,
    retryBackoffMaxMs,
    maxInFlightRequestsPerConnection: maxInFlight,
    metadataMaxAgeMs: num('metadataMaxAgeMs'),
    metadataMaxIdleMs: num('metadataMaxIdleMs'),
    enableIdempotence,
    compressionType,
    compressionLevel: levelV as number | undefined,
    partitionerIgnoreKeys: bool('partitionerIgnoreKeys'),
    socketConnectionSetupTimeoutMs: num('socketConnectionSetupTimeoutMs'),
    ssl: o.ssl === undefined || o.ssl === false ? undefined : (o.ssl as SslOptions),
    sasl: o.sasl as SaslOptions | undefined,
    transactionalId,
    transactionTimeoutMs: num('transactionTimeoutMs'),
  }
}

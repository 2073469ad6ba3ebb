/**
 * `-X key=value`: any producer option by its Java config name, as kcat passes librdkafka properties.
 * The table is derived from the producer's own option table (`PRODUCER_OPTIONS`), so a new option
 * is settable here the day it exists; values are parsed by the option's kind and then validated by
 * the producer's `resolveConfig`, so the CLI and the library refuse the same things.
 */
import { PRODUCER_OPTIONS, resolveConfig, type OptionSpec, type ProducerOptions } from '../producer/config.js'
import { ConfigError } from '../producer/errors.js'
import { isCompressionType } from '../compression/index.js'
import { UsageError } from './errors.js'

/** Java config names of the per-codec levels (Java `compression.<codec>.level`, KIP-390). */
const LEVEL_KEYS: Readonly<Record<string, 'gzip' | 'lz4' | 'zstd'>> = {
  'compression.gzip.level': 'gzip',
  'compression.lz4.level': 'lz4',
  'compression.zstd.level': 'zstd',
}

/**
 * Options that name Java classes or need code (serializers, interceptors, partitioner) or that the
 * CLI sets through its own flags: refused with the reason rather than silently ignored.
 */
const NOT_FROM_CLI: Readonly<Record<string, string>> = {
  'bootstrap.servers': 'use -b HOST:PORT[,...]',
  'key.serializer': 'the CLI sends keys as bytes',
  'value.serializer': 'the CLI sends values as bytes',
  'interceptor.classes': 'interceptors are code; use the library',
  'partitioner.class': 'partitioners are code; use the library (or -p / a "partition" field with --format json)',
}

/**
 * Security keys (`security.protocol`, `sasl.*`, `ssl.*`) are not producer options of this table:
 * they go to the security layer (`src/cli/security-options.ts` `cliSecurity`, through
 * `Context.security()`), which makes both the producer's `ssl`/`sasl` and the CLI's own connections' options.
 */
export function isSecurityKey(key: string): boolean {
  return key === 'security.protocol' || key.startsWith('sasl.') || key.startsWith('ssl.')
}

/** What `-X` flags produced. */
export interface JavaOptions {
  /** Producer options by their kafka-wire name (camelCase), parsed by kind. */
  readonly producer: Partial<Record<string, number | boolean | string>>
  /** Java names given, for error messages (`lingerMs` → `linger.ms`). */
  readonly javaNames: ReadonlyMap<string, string>
  /** `security.protocol`, `sasl.*`, `ssl.*` as given, in order, for the security layer. */
  readonly security: ReadonlyArray<readonly [string, string]>
  /** `compression.<codec>.level` by codec; the one of the final `compression.type` is used. */
  readonly levels: ReadonlyMap<string, number>
}

/** kafka-wire option by Java name, for every option of the table settable as text. */
const BY_JAVA_NAME: ReadonlyMap<string, OptionSpec> = new Map(PRODUCER_OPTIONS.filter((o) => !o.javaName.includes('<') && o.javaName !== '(none)').map((o) => [o.javaName, o]))

/** The Java names `-X` accepts, sorted (for `--help` and errors). */
export function javaOptionNames(): string[] {
  const names = new Set<string>([...BY_JAVA_NAME.keys(), ...Object.keys(LEVEL_KEYS)])
  for (const k of Object.keys(NOT_FROM_CLI)) names.delete(k)
  return [...names].sort()
}

function parseValue(spec: OptionSpec, key: string, text: string, command: string): number | boolean | string {
  if (spec.name === 'acks') {
    if (text === 'all' || text === '-1') return 'all'
    if (text === '0' || text === '1') return Number(text)
    throw new UsageError(`-X ${key}: expected all, -1, 1 or 0, got '${text}'`, command)
  }
  if (spec.name === 'compressionType') {
    if (!isCompressionType(text)) throw new UsageError(`-X ${key}: expected none, gzip, snappy, lz4 or zstd, got '${text}'`, command)
    return text
  }
  switch (spec.kind) {
    case 'int': {
      // Java's ConfigDef parses INT and LONG with trimming; anything else is a ConfigException.
      const t = text.trim()
      if (!/^-?\d+$/.test(t) || !Number.isSafeInteger(Number(t))) throw new UsageError(`-X ${key}: expected an integer, got '${text}'`, command)
      return Number(t)
    }
    case 'boolean': {
      // Java ConfigDef BOOLEAN: "true"/"false", case-insensitive, trimmed.
      const t = text.trim().toLowerCase()
      if (t === 'true') return true
      if (t === 'false') return false
      throw new UsageError(`-X ${key}: expected true or false, got '${text}'`, command)
    }
    case 'string':
      return text
    default:
      throw new UsageError(`-X ${key} cannot be set from the command line`, command)
  }
}

/**
 * Parses repeated `-X key=value` items. Unknown keys, values of the wrong kind and options the CLI
 * cannot set are a {@link UsageError} naming the key. Later items win over earlier ones.
 */
export function parseJavaOptions(items: readonly string[], command: string): JavaOptions {
  const producer: Partial<Record<string, number | boolean | string>> = {}
  const javaNames = new Map<string, string>()
  const security: Array<readonly [string, string]> = []
  const levels = new Map<string, number>()
  for (const item of items) {
    const eq = item.indexOf('=')
    // A security item without '=' may be a password typed with another separator: never echo it.
    if (eq <= 0) throw new UsageError(`-X needs key=value, got ${/^\s*(sasl|ssl)\./.test(item) ? 'a security item without =' : `'${item}'`}`, command)
    const key = item.slice(0, eq).trim()
    const text = item.slice(eq + 1)
    if (isSecurityKey(key)) {
      security.push([key, text])
      continue
    }
    const refused = NOT_FROM_CLI[key]
    if (refused !== undefined) throw new UsageError(`-X ${key} cannot be set from the command line: ${refused}`, command)
    const codec = LEVEL_KEYS[key]
    if (codec !== undefined) {
      const t = text.trim()
      if (!/^-?\d+$/.test(t)) throw new UsageError(`-X ${key}: expected an integer, got '${text}'`, command)
      levels.set(codec, Number(t))
      javaNames.set('compressionLevel', key)
      continue
    }
    const spec = BY_JAVA_NAME.get(key)
    if (spec === undefined) throw new UsageError(`-X ${key}: unknown producer option; known: ${javaOptionNames().join(', ')}`, command)
    producer[spec.name] = parseValue(spec, key, text, command)
    javaNames.set(spec.name, key)
  }
  return { producer, javaNames, security, levels }
}

/**
 * Applies parsed `-X` options over `base` (the command's own flags): `-X` wins. A level for the
 * codec finally chosen becomes `compressionLevel`. Then validates the result with the producer's
 * `resolveConfig`, turning a `ConfigError` into a {@link UsageError} naming the Java key.
 */
export function applyJavaOptions<K, V>(base: ProducerOptions<K, V>, x: JavaOptions, command: string): ProducerOptions<K, V> {
  // Values were parsed by kind above; resolveConfig below checks each against its option.
  const merged: ProducerOptions<K, V> = Object.assign({ ...base }, x.producer)
  // acks from -X without an explicit enable.idempotence: idempotence follows acks, as the flags do.
  if (x.producer.acks !== undefined && x.producer.enableIdempotence === undefined) merged.enableIdempotence = x.producer.acks === 'all' && base.enableIdempotence !== false
  // Java keeps one level per codec and uses the one of compression.type; so does this.
  const level = x.levels.get(merged.compressionType ?? 'none')
  if (level !== undefined) merged.compressionLevel = level
  try {
    resolveConfig({ ...merged, bootstrapServers: ['127.0.0.1:9092'] })
  } catch (err) {
    if (err instanceof ConfigError) {
      const java = x.javaNames.get(err.option)
      throw new UsageError(java !== undefined ? `-X ${java}: ${err.message}` : err.message, command)
    }
    throw err
  }
  return merged
}

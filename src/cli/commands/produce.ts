/** `kafka-wire produce`: records from stdin, a file or a generator, like `kcat -P`, with a summary. */
import { createReadStream, existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { isCompressionType } from '../../compression/index.js'
import type { Acks, CompressionType } from '../../producer/config.js'
import { bool, int, str, strs } from '../args.js'
import { connectAny } from '../client.js'
import type { Command } from '../command.js'
import type { Context } from '../context.js'
import { CliError, EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js'
import { applyJavaOptions, parseJavaOptions } from '../java-options.js'
import { parseJsonRecord } from '../json-records.js'
import { type CliProducerOptions, type CliRecord, cliLogger, runProducer, summaryLines } from '../produce-run.js'
import { ensureTopic } from '../topic.js'
import { SCHEMA_FLAGS, schemaValueSerializer, serializeValues } from '../schema-values.js'

/** Parses `--acks`. */
export function parseAcks(text: string | undefined, command: string): Acks {
  switch (text) {
    case undefined:
    case 'all':
    case '-1':
      return 'all'
    case '1':
      return 1
    case '0':
      return 0
    default:
      throw new UsageError(`--acks must be all, -1, 1 or 0, got '${text}'`, command)
  }
}

/** Parses `--compression`. */
export function parseCompression(text: string | undefined, command: string): CompressionType {
  if (text === undefined) return 'none'
  if (!isCompressionType(text)) throw new UsageError(`--compression must be none, gzip, snappy, lz4 or zstd, got '${text}'`, command)
  return text
}

/** Parses repeated `-H key=value` flags into header pairs. */
export function parseHeaders(items: readonly string[], command: string): Array<readonly [string, Buffer]> {
  return items.map((item) => {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new UsageError(`-H needs key=value, got '${item}'`, command)
    return [item.slice(0, eq), Buffer.from(item.slice(eq + 1), 'utf8')] as const
  })
}

/** Splits one input line into key and value at the first `separator` (no separator: null key). */
export function splitLine(line: string, separator: string | undefined): { key: Buffer | null; value: Buffer } {
  if (separator === undefined) return { key: null, value: Buffer.from(line, 'utf8') }
  const at = line.indexOf(separator)
  if (at < 0) return { key: null, value: Buffer.from(line, 'utf8') }
  return { key: Buffer.from(line.slice(0, at), 'utf8'), value: Buffer.from(line.slice(at + separator.length), 'utf8') }
}

async function* lines(input: NodeJS.ReadableStream, separator: string | undefined, headers: CliRecord['headers']): AsyncGenerator<CliRecord> {
  const rl = createInterface({ input, crlfDelay: Infinity })
  for await (const line of rl) {
    const { key, value } = splitLine(line, separator)
    yield { key, value, headers }
  }
}

async function* jsonLines(input: NodeJS.ReadableStream, headers: CliRecord['headers']): AsyncGenerator<CliRecord> {
  const rl = createInterface({ input, crlfDelay: Infinity })
  let n = 0
  for await (const line of rl) {
    const record = parseJsonRecord(line, ++n, headers)
    if (record !== undefined) yield record
  }
}

function* generated(count: number, size: number, headers: CliRecord['headers']): Generator<CliRecord> {
  // One payload for all records: the producer copies it into each batch.
  const value = Buffer.alloc(size)
  for (let i = 0; i < size; i++) value[i] = 0x61 + (i % 26)
  for (let i = 0; i < count; i++) yield { key: null, value, headers }
}

/** Producer options from the produce flags (shared with `demo`). */
export function producerOptions(ctx: Context, servers: string[]): CliProducerOptions {
  const acks = parseAcks(str(ctx.values, 'acks'), ctx.command)
  const explicit = bool(ctx.values, 'idempotence')
  if (explicit && bool(ctx.values, 'no-idempotence')) throw new UsageError('--idempotence and --no-idempotence contradict each other', ctx.command)
  if (explicit && acks !== 'all') throw new UsageError('--idempotence needs --acks all (enable.idempotence requires acks=all)', ctx.command)
  // Idempotence is the default with acks=all, as in the Java client since 3.0.
  const enableIdempotence = explicit || (!bool(ctx.values, 'no-idempotence') && acks === 'all')
  const options: CliProducerOptions = {
    bootstrapServers: servers,
    clientId: ctx.clientId,
    acks,
    enableIdempotence,
    compressionType: parseCompression(str(ctx.values, 'compression'), ctx.command),
    logger: cliLogger((line) => ctx.info(line)),
  }
  const linger = str(ctx.values, 'linger-ms')
  if (linger !== undefined) options.lingerMs = int(ctx.values, 'linger-ms', ctx.command, 5, 0)
  const batch = str(ctx.values, 'batch-size')
  if (batch !== undefined) options.batchSize = int(ctx.values, 'batch-size', ctx.command, 16384, 1)
  const timeout = str(ctx.values, 'delivery-timeout-ms')
  if (timeout !== undefined) {
    options.deliveryTimeoutMs = int(ctx.values, 'delivery-timeout-ms', ctx.command, 120_000, 1)
    options.requestTimeoutMs = Math.min(30_000, options.deliveryTimeoutMs)
  }
  const x = parseJavaOptions(strs(ctx.values, 'config'), ctx.command)
  // Security settings: the same ones the CLI's own connections use (Context.security).
  const { ssl, sasl } = ctx.security().producer
  if (ssl !== undefined) options.ssl = ssl
  if (sasl !== undefined) options.sasl = sasl
  return applyJavaOptions(options, x, ctx.command)
}

/** Flags shared by `produce` and `demo`. */
export const PRODUCER_FLAGS = {
  acks: { type: 'string', valueName: 'all|1|0', description: 'acknowledgements to wait for (default all)' },
  compression: { type: 'string', valueName: 'CODEC', description: 'none (default), gzip, snappy, lz4 or zstd' },
  idempotence: { type: 'boolean', description: 'idempotent producer (default with --acks all)' },
  'no-idempotence': { type: 'boolean', description: 'turn idempotence off (producer id -1 in every batch)' },
  'linger-ms': { type: 'string', valueName: 'MS', description: 'how long a batch waits for more records (default 5)' },
  'batch-size': { type: 'string', valueName: 'BYTES', description: 'bytes per partition batch (default 16384)' },
  'delivery-timeout-ms': { type: 'string', valueName: 'MS', description: 'give up on a record after this long (default 120000)' },
  config: {
    type: 'string',
    short: 'X',
    multiple: true,
    valueName: 'key=value',
    description:
      'any producer option by its Java name (e.g. -X linger.ms=20 -X compression.type=zstd), applied after the flags above; ' +
      'or a security setting (security.protocol, sasl.mechanism, sasl.username, sasl.password, ssl.ca.location, ' +
      'ssl.certificate.location, ssl.key.location; the password is best given in KAFKA_WIRE_SASL_PASSWORD)',
  },
} as const

/** `kafka-wire produce`. */
export const produceCommand: Command = {
  name: 'produce',
  summary: 'send records from stdin, a file or a generator (like kcat -P), then print a summary',
  usage: 'kafka-wire produce -t TOPIC [-b HOST:PORT] [-K SEP] [-H k=v ...] [--file F | --count N --size B] [options]',
  description:
    'Reads records one per line from stdin (or --file); with -K the text before the first SEP is the key. -H adds a\n' +
    'header to every record. --count/--size generate records instead. Prints a progress line on a terminal and a\n' +
    'summary (records, bytes, records/s, ack latency, errors by code) on stderr; exits 1 if any record failed.',
  flags: {
    topic: { type: 'string', short: 't', valueName: 'TOPIC', description: 'topic to produce to (required)' },
    partition: { type: 'string', short: 'p', valueName: 'N', description: 'send every record to this partition (default: partitioner)' },
    key: { type: 'string', short: 'K', valueName: 'SEP', description: 'split each line into key and value at the first SEP' },
    header: { type: 'string', short: 'H', multiple: true, valueName: 'k=v', description: 'add this header to every record' },
    file: { type: 'string', short: 'f', valueName: 'FILE', description: 'read records from FILE instead of stdin' },
    count: { type: 'string', valueName: 'N', description: 'generate N records instead of reading input' },
    size: { type: 'string', valueName: 'BYTES', description: 'value size of generated records (default 100)' },
    timestamp: { type: 'string', valueName: 'MS', description: 'timestamp of every record, ms since the epoch (default: now)' },
    format: {
      type: 'string',
      valueName: 'text|json',
      description: 'input lines: text (default; -K splits key and value) or json: {"key","value","headers","partition"} per line',
    },
    create: { type: 'boolean', description: 'have the broker auto-create a missing topic (the default, as kcat and the Java producer do; the broker\'s auto.create.topics.enable decides)' },
    'no-create': { type: 'boolean', description: 'fail at once if the topic does not exist instead of asking the broker to auto-create it' },
    ...PRODUCER_FLAGS,
    ...SCHEMA_FLAGS,
  },
  maxPositionals: 0,
  examples: [
    "printf 'k1:hello\\nk2:world\\n' | kafka-wire produce -b 127.0.0.1:9092 -t demo -K : -H source=cli",
    'echo \'{"key":"k1","value":{"total":42},"headers":{"source":"cli"},"partition":0}\' | kafka-wire produce -t demo --format json',
    'kafka-wire produce -t demo --count 1000 -X linger.ms=20 -X compression.type=zstd -X compression.zstd.level=6',
    'kafka-wire produce -t demo --count 100000 --size 100 --compression lz4',
    'echo hi | kafka-wire produce -t demo --dump --no-idempotence',
    'KAFKA_WIRE_SASL_PASSWORD=... kafka-wire produce -b broker:9096 -t demo --count 10 -X security.protocol=SASL_SSL -X sasl.mechanism=SCRAM-SHA-512 -X sasl.username=alice -X ssl.ca.location=ca.pem',
  ],
  async run(ctx) {
    const topic = str(ctx.values, 'topic')
    if (topic === undefined || topic === '') throw new UsageError('produce needs -t TOPIC', 'produce')
    const headerPairs = parseHeaders(strs(ctx.values, 'header'), 'produce')
    const headers = headerPairs.length > 0 ? headerPairs : null
    const countText = str(ctx.values, 'count')
    const file = str(ctx.values, 'file')
    if (countText !== undefined && file !== undefined) throw new UsageError('--count and --file are exclusive', 'produce')
    if (str(ctx.values, 'size') !== undefined && countText === undefined) throw new UsageError('--size needs --count', 'produce')
    if (file !== undefined && !existsSync(file)) throw new CliError(`--file ${file}: no such file`)
    const format = str(ctx.values, 'format') ?? 'text'
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got '${format}'`, 'produce')
    if (format === 'json' && str(ctx.values, 'key') !== undefined) throw new UsageError('-K splits text lines; with --format json the key is the "key" field', 'produce')
    if (format === 'json' && countText !== undefined) throw new UsageError('--format json reads input; --count generates it: pick one', 'produce')
    const partitionText = str(ctx.values, 'partition')
    const partition = partitionText === undefined ? undefined : int(ctx.values, 'partition', 'produce', 0, 0, 2 ** 31 - 1)
    const timestampText = str(ctx.values, 'timestamp')
    const timestamp = timestampText === undefined ? undefined : int(ctx.values, 'timestamp', 'produce', 0, 0)
    const count = countText === undefined ? undefined : int(ctx.values, 'count', 'produce', 0, 0)
    const size = int(ctx.values, 'size', 'produce', 100, 0, 100 * 1024 * 1024)
    // Validate every producer flag before a broker is touched (or started).
    producerOptions(ctx, [])
    const valueSerializer = schemaValueSerializer(ctx)
    if (valueSerializer !== undefined && count !== undefined) throw new UsageError('--value-avro-schema reads JSON lines: not with --count', 'produce')
    const noCreate = bool(ctx.values, 'no-create')
    if (noCreate && bool(ctx.values, 'create')) throw new UsageError('--create and --no-create contradict each other', 'produce')
    const servers = await ctx.bootstrap()
    const options = producerOptions(ctx, servers)
    // Check reachability and the topic first: one clear line instead of a producer retrying until its timeout.
    const conn = await connectAny(ctx, servers)
    let partitions: number
    try {
      partitions = await ensureTopic(conn, topic, !noCreate)
    } finally {
      conn.close()
    }
    if (partition !== undefined && partition >= partitions) throw new CliError(`topic "${topic}" has ${partitions} partition(s); --partition ${partition} does not exist`)
    let source: AsyncIterable<CliRecord> | Iterable<CliRecord>
    if (count !== undefined) {
      source = generated(count, size, headers)
    } else {
      const input = file !== undefined ? createReadStream(file) : ctx.io.stdin
      if (file === undefined && ctx.io.stdin.isTTY === true) ctx.info('kafka-wire: reading records from the terminal, one per line; end with Ctrl-D')
      source = format === 'json' ? jsonLines(input, headers) : lines(input, str(ctx.values, 'key'), headers)
      if (valueSerializer !== undefined) source = serializeValues(source, valueSerializer, topic)
    }
    const tty = ctx.io.stderr.isTTY === true
    const stats = await runProducer(source, {
      topic,
      ...(partition !== undefined ? { partition } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
      producer: options,
      ...(ctx.dump !== undefined ? { trace: ctx.dump.hook() } : {}),
      ...(tty
        ? {
            onProgress: (s) => {
              const rate = s.acked / Math.max(s.elapsedMs / 1000, 1e-9)
              ctx.io.stderr.write(`\r\u001b[Kproduced ${s.acked} acknowledged, ${s.failed} failed, ${s.sent - s.acked - s.failed} pending, ${Math.round(rate)} records/s`)
            },
          }
        : {}),
    })
    if (tty) ctx.io.stderr.write('\r\u001b[K')
    for (const line of summaryLines(stats)) ctx.info(line)
    if (stats.failed > 0) {
      const first = stats.firstError
      ctx.info(`kafka-wire: ${stats.failed} of ${stats.sent} records failed${first === undefined ? '' : `; first error: ${first.name}: ${first.message.split('\n')[0] ?? ''}`}`)
      return EXIT_FAILURE
    }
    return EXIT_OK
  },
}

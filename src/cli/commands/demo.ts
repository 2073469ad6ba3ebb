/**
 * `kafka-wire demo` (what `npm start` runs): ensures the local broker, runs a short idempotent
 * produce benchmark, then prints the annotated dump of one small Produce request.
 */
import { apiByKey } from '../apis.js'
import { int, str } from '../args.js'
import { connectAny } from '../client.js'
import type { Command } from '../command.js'
import { DumpPrinter } from '../dump/printer.js'
import { EXIT_FAILURE, EXIT_OK } from '../errors.js'
import { type CliRecord, runProducer, summaryLines } from '../produce-run.js'
import { ensureTopic } from '../topic.js'
import { PRODUCER_FLAGS, parseCompression, producerOptions } from './produce.js'

/** Topic the demo produces to (created by the broker on first use). */
export const DEMO_TOPIC = 'kafka-wire-demo'
const PRODUCE_KEY = 0
/**
 * Records allowed between send() and their ack. Unbounded, every record would queue at once and the
 * latency printed would be the queue's length; bounded, it is what an app sending at this rate sees.
 */
const DEMO_WINDOW = 10_000

function* payloads(count: number, size: number): Generator<CliRecord> {
  const value = Buffer.alloc(size, 0x78)
  for (let i = 0; i < count; i++) yield { key: null, value, headers: null }
}

/** `kafka-wire demo`. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'start the local broker, benchmark an idempotent producer, dump one Produce request (npm start)',
  usage: 'kafka-wire demo [-b HOST:PORT] [--count N] [--size B] [options]',
  description:
    'The one-minute tour: starts the local Apache Kafka if needed (kafka-wire broker stop stops it), produces\n' +
    '--count records of --size bytes with idempotence on and acks=all, prints records/s, MB/s and ack latency\n' +
    '(p50/p99/max), then sends 3 records with keys and headers through a second producer and prints that Produce\n' +
    'request and its response, annotated field by field, the record batch decompressed and its CRC checked.',
  flags: {
    topic: { type: 'string', short: 't', valueName: 'TOPIC', description: `topic to use (default ${DEMO_TOPIC}, auto-created)` },
    count: { type: 'string', valueName: 'N', description: 'records in the benchmark (default 200000)' },
    size: { type: 'string', valueName: 'BYTES', description: 'value size (default 100)' },
    'dump-compression': { type: 'string', valueName: 'CODEC', description: 'codec of the dumped request (default lz4)' },
    ...PRODUCER_FLAGS,
  },
  maxPositionals: 0,
  examples: ['npm start', 'kafka-wire demo --count 1000000 --compression lz4', 'kafka-wire demo -b 127.0.0.1:9092'],
  async run(ctx) {
    const topic = str(ctx.values, 'topic') ?? DEMO_TOPIC
    const count = int(ctx.values, 'count', 'demo', 200_000, 1)
    const size = int(ctx.values, 'size', 'demo', 100, 0, 1024 * 1024)
    const codec = parseCompression(str(ctx.values, 'dump-compression') ?? 'lz4', 'demo')
    producerOptions(ctx, [])
    const servers = await ctx.bootstrap()
    const options = producerOptions(ctx, servers)
    const conn = await connectAny(ctx, servers)
    try {
      await ensureTopic(conn, topic, true)
    } finally {
      conn.close()
    }
    const out = ctx.io.stdout
    const s = ctx.style
    out.write(
      `${s.bold('kafka-wire demo')}: ${count.toLocaleString('en-US')} records of ${size} B to topic ${topic} at ${servers.join(',')}\n` +
        `producer: acks=${String(options.acks)}, at most ${DEMO_WINDOW.toLocaleString('en-US')} records awaiting acks, idempotence ${options.enableIdempotence === true ? 'on' : 'off'}, compression ${options.compressionType ?? 'none'}` +
        `${options.lingerMs !== undefined ? `, linger ${options.lingerMs} ms` : ''}${options.batchSize !== undefined ? `, batch ${options.batchSize} B` : ''}\n`,
    )
    const tty = ctx.io.stderr.isTTY === true
    const stats = await runProducer(payloads(count, size), {
      topic,
      producer: options,
      window: DEMO_WINDOW,
      ...(tty ? { onProgress: (p) => ctx.io.stderr.write(`\r\u001b[K${p.acked.toLocaleString('en-US')} / ${count.toLocaleString('en-US')} acknowledged`) } : {}),
    })
    if (tty) ctx.io.stderr.write('\r\u001b[K')
    for (const line of summaryLines(stats)) out.write(`${line}\n`)

    // A second producer, traced: three small records, their Produce request and response annotated.
    out.write(`\n${s.bold(`One Produce request, annotated`)} (3 records with keys and headers, ${codec}, idempotent):\n\n`)
    const printer = new DumpPrinter({ out, style: s, lookup: apiByKey, apiKeys: new Set([PRODUCE_KEY]) })
    const dumpOptions = producerOptions(ctx, servers)
    const records: CliRecord[] = ['first', 'second', 'third'].map((word, i) => ({
      key: Buffer.from(`key-${i}`),
      value: Buffer.from(`${word} record from kafka-wire`),
      headers: [['source', Buffer.from('kafka-wire demo')]],
    }))
    const dumpStats = await runProducer(records, {
      topic,
      partition: 0,
      producer: { ...dumpOptions, compressionType: codec, lingerMs: 50, acks: 'all', enableIdempotence: true },
      trace: printer.hook(),
    })
    if (str(ctx.values, 'bootstrap') === undefined) out.write(`The local broker keeps running for the next command; stop it with: kafka-wire broker stop\n`)
    return stats.failed > 0 || dumpStats.failed > 0 ? EXIT_FAILURE : EXIT_OK
  },
}

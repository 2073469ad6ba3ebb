/**
 * Batches compressed by kafka-wire are produced to a real broker and read back identically by two
 * consumers we did not write: kafkajs (with codec plug-ins built on snappyjs, lz4-napi and
 * zstd-napi) and kcat (librdkafka, `check.crcs=true`). The broker itself validates the CRC and
 * decompresses every record on the way in.
 *
 * Two paths: batches built directly with the protocol layer's `RecordBatchBuilder` and our codecs,
 * sent in a minimal Produce v9 request over a plain socket (every byte ours, no producer logic), and
 * records sent through kafka-wire's `Producer` with `compressionType` set.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Socket } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CompressionCodecs, CompressionTypes, Kafka, logLevel } from 'kafkajs'
import { decompressFrameSync } from 'lz4-napi'
import SnappyJS from 'snappyjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi'
import * as zlib from 'node:zlib'
import { COMPRESSION_CODEC_IDS, type CompressionType } from '../../src/compression/codec.js'
import { CompressionError } from '../../src/compression/errors.js'
import { recordsCompressor, recordsDecompressor, registerCodec, resolveCompression, restoreBuiltinCodec } from '../../src/compression/registry.js'
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.js'
import { decodeRecordBatches } from '../../src/protocol/record-batch.js'
import { ProduceApi } from '../../src/protocol/produce.js'
import { RecordBatchBuilder } from '../../src/protocol/record-batch.js'
import { ZERO_UUID } from '../../src/protocol/writer.js'
import { Producer } from '../../src/producer/producer.js'
import { bootstrapServers, bootstrapServers39, brokerDataDir, brokerDataDir39 } from '../support/broker.js'

const run = promisify(execFile)
const CODECS: readonly CompressionType[] = ['gzip', 'snappy', 'lz4', 'zstd']
const BATCHES = 3
const PER_BATCH = 100
const PRODUCE_VERSION = 9
const nodeHasZstd = 'zstdCompressSync' in zlib

/** kafkajs codec plug-in shape (its typings say `any`). */
interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}
const codecs = CompressionCodecs as unknown as Record<number, () => KafkajsCodec>

beforeAll(() => {
  // Consumer-side decoders we did not write. Compression is never asked of them here.
  const consumeOnly = (name: string, decompress: (b: Buffer) => Buffer) => (): KafkajsCodec => ({
    compress: () => Promise.reject(new Error(`${name}: compress not used by this test`)),
    decompress: (b) => Promise.resolve(decompress(b)),
  })
  codecs[CompressionTypes.Snappy] = consumeOnly('snappy', (b) => SnappyJS.uncompress(b))
  codecs[CompressionTypes.LZ4] = consumeOnly('lz4', (b) => decompressFrameSync(b))
  codecs[CompressionTypes.ZSTD] = consumeOnly('zstd', (b) => zstdDecompress(b))
  // Node 20 has no built-in zstd: produce through a registered native plug-in, as a user would.
  if (!nodeHasZstd) {
    registerCodec('zstd', {
      compress: (input, level) => zstdCompress(input, { compressionLevel: level ?? 3 }),
      decompress: (input, max) => {
        const out = zstdDecompress(input)
        if (out.length > max) throw new CompressionError('zstd', `output exceeds maxOutputBytes ${max}`)
        return out
      },
    })
  }
})
afterAll(() => restoreBuiltinCodec('zstd'))

interface TestRecord {
  key: string
  value: string
  header: string
}

function makeRecords(codec: string): TestRecord[] {
  return Array.from({ length: BATCHES * PER_BATCH }, (_, i) => ({
    key: `key-${i}`,
    // ~1 KiB JSON-like value: compressible, but not trivially.
    value: JSON.stringify({ i, codec, user: `user-${(i * 7919) % 1000}`, tags: ['kafka', 'wire', codec], note: `record ${i} `.repeat(60 + (i % 7)) }),
    header: `h-${i % 5}`,
  }))
}

/** One Produce v9 request over a fresh socket; resolves when the broker acknowledged (acks=all). */
async function rawProduce(bootstrap: string, topic: string, batch: Uint8Array): Promise<void> {
  const [host, port] = bootstrap.split(':')
  const frame = encodeRequestFrame(ProduceApi, PRODUCE_VERSION, 1, 'kafka-wire-compression-test', {
    transactionalId: null,
    acks: -1,
    timeoutMs: 15_000,
    topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records: batch }] }],
  })
  const response = await new Promise<Buffer>((resolve, reject) => {
    const socket = new Socket()
    const chunks: Buffer[] = []
    let received = 0
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('produce timed out after 20 s'))
    }, 20_000)
    socket.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      received += chunk.length
      const all = Buffer.concat(chunks, received)
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) {
        clearTimeout(timer)
        socket.destroy()
        resolve(all.subarray(4, 4 + all.readInt32BE(0)))
      }
    })
    socket.connect(Number(port), host ?? '127.0.0.1', () => socket.write(frame))
  })
  const { response: res } = decodeResponseFrame(ProduceApi, PRODUCE_VERSION, response)
  const partition = res.responses[0]?.partitionResponses[0]
  expect(partition?.errorCode, `Produce error for ${topic}: ${partition?.errorMessage ?? ''}`).toBe(0)
}

function buildBatch(records: readonly TestRecord[], codec: CompressionType): Uint8Array {
  const resolved = resolveCompression(codec)
  const builder = new RecordBatchBuilder(4 * 1024 * 1024)
  const now = Date.now()
  const enc = new TextEncoder()
  for (const r of records) {
    expect(builder.tryAppend(now, enc.encode(r.key), enc.encode(r.value), [['h', enc.encode(r.header)]])).toBe(true)
  }
  const compression = recordsCompressor(resolved)
  const batch = builder.build(compression === undefined ? {} : { compression, codecId: resolved.codecId })
  // The codec bits are set and the records section really shrank.
  expect(new DataView(batch.buffer, batch.byteOffset).getInt16(21) & 7).toBe(COMPRESSION_CODEC_IDS[codec])
  expect(batch.length).toBeLessThan(61 + records.reduce((n, r) => n + r.key.length + r.value.length, 0) / 2)
  return batch
}

async function readWithKafkajs(brokers: string[], topics: readonly string[], expected: number): Promise<Map<string, TestRecord[]>> {
  const kafka = new Kafka({ clientId: 'kw-compression-kafkajs', brokers, logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `kw-compression-${Math.random().toString(36).slice(2)}` })
  const got = new Map<string, TestRecord[]>(topics.map((t) => [t, []]))
  let count = 0
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs read ${count} of ${expected} records in 45 s`)), 45_000)
      consumer
        .run({
          eachMessage: async ({ topic, message }) => {
            got.get(topic)?.push({
              key: message.key?.toString('utf8') ?? '',
              value: message.value?.toString('utf8') ?? '',
              header: message.headers?.h?.toString() ?? '',
            })
            if (++count === expected) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch((err: unknown) => {
          clearTimeout(timer)
          reject(err instanceof Error ? err : new Error(String(err)))
        })
    })
  } finally {
    await consumer.disconnect()
  }
  return got
}

async function readWithKcat(bootstrap: string, topic: string): Promise<TestRecord[]> {
  let stdout: string
  try {
    ;({ stdout } = await run(
      'kcat',
      ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'check.crcs=true', '-f', '%k\t%h\t%s\n'],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    ))
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') throw new Error('kcat is not installed: apt-get install -y kcat')
    throw err
  }
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [key = '', headers = '', value = ''] = line.split('\t')
      return { key, value, header: headers.replace(/^h=/, '') }
    })
}

async function createTopics(brokers: string[], topics: readonly string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'kw-compression-admin', brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })), waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

async function expectBothConsumersRead(brokers: string[], sent: ReadonlyMap<string, TestRecord[]>): Promise<void> {
  const topics = [...sent.keys()]
  const total = [...sent.values()].reduce((n, records) => n + records.length, 0)
  const viaKafkajs = await readWithKafkajs(brokers, topics, total)
  for (const topic of topics) {
    expect(viaKafkajs.get(topic), `kafkajs on ${topic}`).toEqual(sent.get(topic))
    expect(await readWithKcat(brokers[0] ?? '', topic), `kcat on ${topic}`).toEqual(sent.get(topic))
  }
}

/** The broker kept our codec: every stored batch of `topic` carries it, with a valid CRC, several records. */
function expectStoredCompressed(dataDir: string | undefined, topic: string, codec: CompressionType, records: number): void {
  if (dataDir === undefined) throw new Error('no broker data dir: set KAFKA_DATA_DIR / KAFKA_DATA_DIR_39')
  const batches = decodeRecordBatches(readFileSync(join(dataDir, `${topic}-0`, '00000000000000000000.log')), { decompress: recordsDecompressor() })
  expect(batches.map((b) => b.compression)).toEqual(batches.map(() => COMPRESSION_CODEC_IDS[codec]))
  expect(batches.every((b) => b.crcValid)).toBe(true)
  expect(batches.reduce((n, b) => n + b.recordCount, 0)).toBe(records)
  expect(batches.length).toBeLessThan(records)
}

function suite(label: string, servers: () => string[] | undefined, dataDir: () => string | undefined): void {
  describe(`kafka-wire compressed batches -> kafkajs and kcat (${label} broker)`, () => {
    it('batches built with RecordBatchBuilder + our codecs, sent as raw Produce v9', async () => {
      const brokers = servers()
      if (brokers === undefined) {
        console.warn(`[compression-consumers] no ${label} broker available: NOT covered`)
        expect(brokers).toBeUndefined()
        return
      }
      const suffix = Math.random().toString(36).slice(2, 10)
      const topics = CODECS.map((c) => `kw-wire-${c}-${suffix}`)
      await createTopics(brokers, topics)
      const sent = new Map<string, TestRecord[]>()
      for (const [i, codec] of CODECS.entries()) {
        const topic = topics[i] ?? ''
        const records = makeRecords(codec)
        sent.set(topic, records)
        for (let b = 0; b < BATCHES; b++) await rawProduce(brokers[0] ?? '', topic, buildBatch(records.slice(b * PER_BATCH, (b + 1) * PER_BATCH), codec))
        expectStoredCompressed(dataDir(), topic, codec, records.length)
      }
      await expectBothConsumersRead(brokers, sent)
    }, 180_000)

    it("records sent with kafka-wire's Producer and compressionType set", async () => {
      const brokers = servers()
      if (brokers === undefined) {
        console.warn(`[compression-consumers] no ${label} broker available: Producer path NOT covered`)
        expect(brokers).toBeUndefined()
        return
      }
      const suffix = Math.random().toString(36).slice(2, 10)
      const topics = CODECS.map((c) => `kw-producer-${c}-${suffix}`)
      await createTopics(brokers, topics)
      const sent = new Map<string, TestRecord[]>()
      for (const [i, codec] of CODECS.entries()) {
        const topic = topics[i] ?? ''
        const records = makeRecords(codec)
        sent.set(topic, records)
        // lingerMs lets several records share a batch, so the codec compresses multi-record sections.
        const producer = new Producer({ bootstrapServers: brokers, clientId: `kw-compression-${codec}`, compressionType: codec, lingerMs: 20 })
        try {
          await Promise.all(records.map((r) => producer.send({ topic, partition: 0, key: r.key, value: r.value, headers: { h: r.header } })))
        } finally {
          await producer.close()
        }
        expectStoredCompressed(dataDir(), topic, codec, records.length)
      }
      await expectBothConsumersRead(brokers, sent)
    }, 180_000)
  })
}

suite('main', bootstrapServers, brokerDataDir)
suite('3.9', bootstrapServers39, brokerDataDir39)

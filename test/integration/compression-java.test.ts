/**
 * Batches compressed by the Java producer (Kafka's own ProducerPerformance tool, the broker's
 * version of it) are read back from the broker's segment file and decoded with our decompressors.
 * This is the check that we read what Java writes: xerial-framed snappy, Java's LZ4 frame, gzip, zstd.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as zlib from 'node:zlib'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi'
import { COMPAT_KAFKA_VERSION, DEFAULT_KAFKA_VERSION, ensureKafkaJars } from '../../src/broker/index.js'
import { COMPRESSION_CODEC_IDS, type CompressionType } from '../../src/compression/codec.js'
import { CompressionError } from '../../src/compression/errors.js'
import { isXerialFramed } from '../../src/compression/snappy.js'
import { recordsDecompressor, registerCodec, restoreBuiltinCodec } from '../../src/compression/registry.js'
import { decodeRecordBatches } from '../../src/protocol/record-batch.js'
import { bootstrapServers, bootstrapServers39, brokerDataDir, brokerDataDir39 } from '../support/broker.js'

const run = promisify(execFile)
const CODECS: ReadonlyArray<Exclude<CompressionType, 'none'>> = ['gzip', 'snappy', 'lz4', 'zstd']
const RECORDS = 2000
const nodeHasZstd = 'zstdCompressSync' in zlib

// Node 20 has no zstd in node:zlib: exercise the plug-in path with a native package, as a user would.
beforeAll(() => {
  if (nodeHasZstd) return
  registerCodec('zstd', {
    compress: (input, level) => zstdCompress(input, { compressionLevel: level ?? 3 }),
    decompress: (input, maxOutputBytes) => {
      const out = zstdDecompress(input)
      if (out.length > maxOutputBytes) throw new CompressionError('zstd', `output exceeds maxOutputBytes ${maxOutputBytes}`)
      return out
    },
  })
})
afterAll(() => restoreBuiltinCodec('zstd'))

let workDir = ''
let payloads: string[] = []
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'kw-compression-'))
  // ~200-byte JSON payloads; ProducerPerformance picks one at random per record.
  payloads = Array.from({ length: 25 }, (_, i) =>
    JSON.stringify({ id: i, user: `user-${i * 7919}`, event: i % 2 === 0 ? 'page_view' : 'click', path: `/shop/item/${i * 31}`, pad: 'x'.repeat(90 + i) }),
  )
  writeFileSync(join(workDir, 'payloads.txt'), payloads.join('\n'))
})
afterAll(() => rmSync(workDir, { recursive: true, force: true }))

async function javaProduce(libs: string, bootstrap: string, topic: string, codec: CompressionType): Promise<void> {
  await run(
    process.env.JAVA_HOME ? `${process.env.JAVA_HOME}/bin/java` : 'java',
    [
      '-Xmx256m',
      '-cp',
      `${libs}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic', topic,
      '--num-records', String(RECORDS),
      '--payload-file', join(workDir, 'payloads.txt'),
      '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${bootstrap}`, `compression.type=${codec}`, 'linger.ms=20', 'batch.size=65536', 'acks=all',
    ],
    { timeout: 90_000 },
  )
}

function checkSegment(dataDir: string, topic: string, codec: Exclude<CompressionType, 'none'>): void {
  const segment = readFileSync(join(dataDir, `${topic}-0`, '00000000000000000000.log'))
  const batches = decodeRecordBatches(segment, { decompress: recordsDecompressor(16 * 1024 * 1024) })
  expect(batches.length).toBeGreaterThan(0)
  let records = 0
  const known = new Set(payloads)
  for (const batch of batches) {
    expect(batch.crcValid).toBe(true)
    expect(batch.compression).toBe(COMPRESSION_CODEC_IDS[codec])
    expect(batch.records).not.toBeNull()
    if (codec === 'snappy') expect(isXerialFramed(batch.recordsBytes)).toBe(true) // Java frames its snappy
    if (codec === 'lz4') expect([...batch.recordsBytes.subarray(0, 7)]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])
    for (const record of batch.records ?? []) {
      expect(known.has(Buffer.from(record.value ?? new Uint8Array(0)).toString('utf8'))).toBe(true)
      records++
    }
  }
  expect(records).toBe(RECORDS)
  // Several records per batch, so the codec really compressed a multi-record section.
  expect(Math.max(...batches.map((b) => b.recordCount))).toBeGreaterThan(1)
}

function suite(label: string, version: string, servers: () => string[] | undefined, dataDir: () => string | undefined): void {
  describe(`Java ${version} producer -> our decoder (${label})`, () => {
    for (const codec of CODECS) {
      it(`decodes ${codec} batches written by ProducerPerformance`, async () => {
        const bootstrap = servers()
        if (bootstrap === undefined) {
          // The 3.9 broker is optional locally; say loudly that it was not covered.
          console.warn(`[compression-java] no ${label} broker available: ${codec} against Kafka ${version} NOT covered`)
          expect(bootstrap).toBeUndefined()
          return
        }
        const dir = dataDir()
        if (dir === undefined) throw new Error(`no data dir for the ${label} broker: set KAFKA_DATA_DIR${label === '3.9' ? '_39' : ''}`)
        const libs = await ensureKafkaJars(version)
        const topic = `kw-java-${codec}-${Math.random().toString(36).slice(2, 10)}`
        await javaProduce(libs, bootstrap.join(','), topic, codec)
        checkSegment(dir, topic, codec)
      }, 120_000)
    }
  })
}

suite('main', DEFAULT_KAFKA_VERSION, bootstrapServers, brokerDataDir)
suite('3.9', COMPAT_KAFKA_VERSION, bootstrapServers39, brokerDataDir39)

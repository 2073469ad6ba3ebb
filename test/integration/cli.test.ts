/**
 * The CLI as users run it: `node dist/cli/main.js` in a subprocess against the real test broker.
 * Records are read back with kafkajs (a client we did not write); dumps are compared with golden
 * files after the only run-dependent parts (broker address, topic id) are normalized.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CompressionCodecs, CompressionTypes, Kafka, logLevel } from 'kafkajs'
import { decompressFrameSync } from 'lz4-napi'
import { beforeAll, describe, expect, it } from 'vitest'
import { bootstrapServers } from '../support/broker.js'
import { ROOT, cli, ensureBuilt } from './cli-helpers.js'

const GOLDEN = join(ROOT, 'test', 'golden')
/** Fixed timestamp of golden records (2023-11-14T22:13:20Z), as in protocol-reference §1.6. */
const GOLDEN_TIMESTAMP = '1700000000000'

/** kafkajs codec plug-in shape (its typings say `any`). */
interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

/** The frames of a dump (blocks starting with `>>` or `<<`), without the command's other output. */
function frames(stdout: string): string[] {
  return stdout
    .split('\n\n')
    .map((b) => b.replace(/^\n+/, ''))
    .filter((b) => b.startsWith('>> ') || b.startsWith('<< '))
}

/** Replaces what differs between runs: the broker address and the topic id (bytes and text). */
function normalize(dump: string, broker: string): string {
  // The title rule is padded to a fixed width, so its length follows the address length.
  let out = dump.split(broker).join('BROKER').replace(/ ─+$/gm, ' ───')
  for (const m of dump.matchAll(/topic_id +"([A-Za-z0-9_-]{22})"/g)) {
    const id = m[1] as string
    const hex = Buffer.from(id, 'base64url').toString('hex').replace(/(..)(?!$)/g, '$1 ')
    out = out.split(id).join('TOPIC-ID-TOPIC-ID-TOPI')
    out = out.split(hex.slice(0, 23)).join('xx xx xx xx xx xx xx xx')
    out = out.split(hex.slice(24)).join('xx xx xx xx xx xx xx xx')
  }
  return out
}

function matchGolden(name: string, actual: string): void {
  const file = join(GOLDEN, name)
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual)
  expect(existsSync(file), `${file} is missing; run with UPDATE_GOLDEN=1 once and review it`).toBe(true)
  expect(actual).toBe(readFileSync(file, 'utf8'))
}

async function readBack(topic: string, expected: number): Promise<Array<{ key: string | null; value: string | null; headers: Record<string, string> }>> {
  const kafka = new Kafka({ clientId: 'cli-test-reader', brokers: bootstrapServers(), logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `cli-test-${randomBytes(4).toString('hex')}` })
  const seen: Array<{ key: string | null; value: string | null; headers: Record<string, string> }> = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen.length} of ${expected} records in 45 s`)), 45_000)
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {}
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v)
          seen.push({ key: message.key === null ? null : message.key.toString(), value: message.value === null ? null : message.value.toString(), headers })
          if (seen.length >= expected) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return seen
}

describe('kafka-wire CLI (subprocess, real broker)', () => {
  const broker = (): string => bootstrapServers()[0] as string

  beforeAll(async () => {
    // kafkajs reads lz4 batches through lz4-napi's frame decoder (neither is ours).
    ;(CompressionCodecs as unknown as Record<number, () => KafkajsCodec>)[CompressionTypes.LZ4] = () => ({
      compress: () => Promise.reject(new Error('lz4 compress is not used by this test')),
      decompress: (b) => Promise.resolve(decompressFrameSync(b)),
    })
    await ensureBuilt()
  })

  it('produce from stdin with keys and headers; kafkajs reads the records back', async () => {
    const topic = `cli-stdin-${randomBytes(4).toString('hex')}`
    const input = 'k1:hello\nk2:world: with a colon\n:empty key\nno separator\n'
    const r = await cli(['produce', '-b', broker(), '-t', topic, '--create', '-K', ':', '-H', 'source=cli', '-H', 'eq=a=b'], { input })
    expect(r.stderr).toContain('records: 4 acknowledged, 0 failed, 4 sent')
    expect(r.code).toBe(0)
    const got = await readBack(topic, 4)
    expect(got).toEqual([
      { key: 'k1', value: 'hello', headers: { source: 'cli', eq: 'a=b' } },
      { key: 'k2', value: 'world: with a colon', headers: { source: 'cli', eq: 'a=b' } },
      { key: '', value: 'empty key', headers: { source: 'cli', eq: 'a=b' } },
      { key: null, value: 'no separator', headers: { source: 'cli', eq: 'a=b' } },
    ])
  })

  it('produce --file with a fixed partition; kafkajs reads the records back', async () => {
    const topic = `cli-file-${randomBytes(4).toString('hex')}`
    const file = join(mkdtempSync(join(tmpdir(), 'kw-cli-')), 'records.txt')
    writeFileSync(file, 'one\ntwo\nthree\n')
    const r = await cli(['produce', '-b', broker(), '-t', topic, '--create', '--file', file, '--partition', '0', '--acks', '1', '--compression', 'gzip'])
    expect(r.stderr).toContain('records: 3 acknowledged, 0 failed, 3 sent')
    expect(r.code).toBe(0)
    expect((await readBack(topic, 3)).map((m) => [m.key, m.value])).toEqual([
      [null, 'one'],
      [null, 'two'],
      [null, 'three'],
    ])
  })

  it('demo (what npm start runs) prints throughput, latency and one annotated Produce request', async () => {
    const r = await cli(['demo', '-b', broker(), '--count', '2000', '--topic', `cli-demo-${randomBytes(4).toString('hex')}`])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/producer: acks=all, .*idempotence on/)
    expect(r.stdout).toContain('records: 2000 acknowledged, 0 failed, 2000 sent')
    expect(r.stdout).toMatch(/throughput: [\d,]+ records\/s, [\d.]+ MB\/s/)
    expect(r.stdout).toMatch(/ack latency: p50 [\d.,]+ ms, p99 [\d.,]+ ms, max [\d.,]+ ms/)
    const [request, response] = frames(r.stdout)
    expect(request).toMatch(/^>> Produce v\d+ request/)
    expect(request).toMatch(/records\.batch\.producer_id +\d+\n/)
    expect(request).toMatch(/records\.batch\.crc +0x[0-9a-f]{8} {2}CRC-32C .*: checked/)
    expect(request).toMatch(/records\.batch\.records\[2\]\.headers\[0\]\.value +"kafka-wire demo"/)
    expect(response).toMatch(/^<< Produce v\d+ response/)
  })

  it('dump without a command dumps the ApiVersions handshake and Metadata of api-versions', async () => {
    const r = await cli(['dump', '-b', broker()])
    expect(r.code).toBe(0)
    const titles = frames(r.stdout).map((f) => (f.split('  ')[0] ?? '').replace(/ v\d+ /, ' '))
    expect(titles).toEqual(['>> ApiVersions request', '<< ApiVersions response', '>> Metadata request', '<< Metadata response'])
  })

  it('--dump of the ApiVersions request matches the golden file', async () => {
    const r = await cli(['api-versions', '-b', broker(), '--used', '--dump', '--dump-api', 'ApiVersions', '--dump-only', 'requests', '--client-id', 'golden'])
    expect(r.code).toBe(0)
    const dumped = frames(r.stdout)
    expect(dumped).toHaveLength(1)
    matchGolden('cli-dump-api-versions.txt', normalize(`${dumped.join('\n\n')}\n`, broker()))
  })

  it('--dump of a Produce request (fixed client id and timestamp, idempotence off) matches the golden file', async () => {
    const r = await cli(['produce', '-b', broker(), '-t', 'kafka-wire-cli-golden', '--create', '-K', ':', '-H', 'h=v', '--timestamp', GOLDEN_TIMESTAMP, '--no-idempotence', '--client-id', 'golden', '--linger-ms', '1000', '--dump', '--dump-api', 'Produce', '--dump-only', 'requests'], { input: 'key:value\nk2:second value\n' })
    expect(r.code).toBe(0)
    const dumped = frames(r.stdout)
    expect(dumped).toHaveLength(1)
    const text = dumped[0] as string
    expect(text).toMatch(/records\.batch\.crc +0x[0-9a-f]{8} {2}CRC-32C of bytes 21\.\.\d+ of the batch: checked/)
    matchGolden('cli-dump-produce.txt', normalize(`${text}\n`, broker()))
  })

  it('--dump expands an lz4 batch into its records with the CRC checked', async () => {
    const topic = `cli-lz4-${randomBytes(4).toString('hex')}`
    const r = await cli(['dump', 'produce', '-b', broker(), '-t', topic, '--create', '-K', '=', '--compression', 'lz4', '--dump-api', 'Produce'], { input: 'a=one\nb=two\nc=three\n' })
    expect(r.code).toBe(0)
    const [request, response] = frames(r.stdout)
    expect(request).toMatch(/^>> Produce v(9|1\d) request/)
    expect(request).toMatch(/records\.batch\.attributes +0x0003 {2}lz4, CreateTime/)
    expect(request).toMatch(/records\.batch\.crc +0x[0-9a-f]{8} {2}CRC-32C .*: checked/)
    expect(request).toMatch(/records, decompressed with lz4: \d+ → \d+ bytes/)
    expect(request).toMatch(/\+[0-9a-f]{4} {2}.*records\.batch\.records\[2\]\.value +"three" \(5 bytes\)/)
    expect(response).toMatch(/error_code +0 {2}NONE/)
    expect((await readBack(topic, 3)).map((m) => m.value)).toEqual(['one', 'two', 'three'])
  })

  it('an unknown flag is one line on stderr and exit code 2', async () => {
    const r = await cli(['produce', '-b', broker(), '-t', 'x', '--frobnicate'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('kafka-wire: unknown flag --frobnicate (see: kafka-wire produce --help)\n')
    expect(r.stdout).toBe('')
  })

  it('an unreachable broker is one line naming the address tried, exit code 1', async () => {
    const r = await cli(['metadata', '-b', '127.0.0.1:1'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^kafka-wire: broker unreachable: 127\.0\.0\.1:1: .*ECONNREFUSED.*\n$/)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('with --no-create a missing topic is one line naming it, exit code 1, nothing sent; by default the broker auto-creates it (as kcat)', async () => {
    const topic = `cli-missing-${randomBytes(4).toString('hex')}`
    const r = await cli(['produce', '-b', broker(), '-t', topic, '--no-create'], { input: 'x\n' })
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`kafka-wire: topic "${topic}" does not exist on ${broker()} (UNKNOWN_TOPIC_OR_PARTITION); create it, or drop --no-create to have the broker auto-create it\n`)
    const auto = await cli(['produce', '-b', broker(), '-t', topic], { input: 'x\n' })
    expect(auto.code).toBe(0)
    expect(auto.stderr).toMatch(/records: 1 acknowledged, 0 failed/)
  })

  it('a failed record is counted by error name and makes the exit code 1', async () => {
    const topic = `cli-fail-${randomBytes(4).toString('hex')}`
    // 2 MB is over the producer's default maxRequestSize (1 MiB): the record fails, the other one is acked.
    const ok = await cli(['produce', '-b', broker(), '-t', topic, '--create', '--count', '1', '--size', '10'])
    expect(ok.code).toBe(0)
    const r = await cli(['produce', '-b', broker(), '-t', topic, '--count', '1', '--size', '2000000'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('records: 0 acknowledged, 1 failed, 1 sent')
    expect(r.stderr).toContain('errors: RecordTooLargeError ×1')
    expect(r.stderr).toMatch(/1 of 1 records failed; first error: RecordTooLargeError: /)
  })

  it('bench runs the repository harness and passes options after --', async () => {
    const r = await cli(['bench', '--', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('--quick')
  })

  it('metadata and api-versions print their tables', async () => {
    const md = await cli(['metadata', '-b', broker(), '-t', 'kafka-wire-cli-golden'])
    expect(md.code).toBe(0)
    expect(md.stdout).toMatch(/^broker +host +port +rack$/m)
    expect(md.stdout).toMatch(/^kafka-wire-cli-golden +0 +\d+ +\d+ +\d+ +\d+/m)
    const av = await cli(['api-versions', '-b', broker()])
    expect(av.code).toBe(0)
    expect(av.stdout).toMatch(/^0 +Produce +\d+-\d+ +3-13 +v\d+$/m)
    expect(av.stdout).toMatch(/^1 +Fetch +\d+-\d+ +-$/m)
  })
})

// KafkaJS 2.2.4 runner: batching by sendBatch of N records, as its users do (KafkaJS has no linger).
import { readFileSync } from 'node:fs'
import kafkajs from 'kafkajs'
import { driveBatches, emitResult, fail, LatencyRecorder, MemoryPeaks, pkgVersion, readSettings, watchdog } from '../lib/runner-common.mjs'

// KafkaJS is CommonJS; Node cannot see all of its named exports from ESM.
const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs

async function main() {
  const memory = new MemoryPeaks()
  const s = readSettings()
  watchdog(s.timeoutMs)
  // KafkaJS ships no zstd codec; the harness skips it for zstd (clients.mjs), so refuse, never fall back
  if (s.compression !== 'none' && s.compression !== 'lz4') throw new Error(`compression ${s.compression} is not supported by this runner`)
  if (s.compression === 'lz4') {
    const { default: lz4 } = await import('lz4-napi')
    // KafkaJS ships only gzip; LZ4 needs a codec plugin. This one uses lz4-napi's LZ4 frame format,
    // which is what Kafka's lz4 (magic v2) expects.
    CompressionCodecs[CompressionTypes.LZ4] = () => ({
      compress: async (encoder) => lz4.compressFrame(encoder.buffer),
      decompress: async (buffer) => lz4.decompressFrame(buffer),
    })
  }
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: s.bootstrap.split(','), logLevel: logLevel.NOTHING, ...(s.security ? securityOptions(s.security) : {}) })
  const producer = kafka.producer({
    idempotent: s.idempotence,
    maxInFlightRequests: s.maxInFlight,
    allowAutoTopicCreation: false,
  })
  await producer.connect()
  const acks = s.acks === 'all' ? -1 : Number(s.acks)
  const compression = s.compression === 'lz4' ? CompressionTypes.LZ4 : CompressionTypes.None
  const lat = new LatencyRecorder('per sendBatch call')
  const { elapsedMs, recordsPerCall } = await driveBatches(
    s,
    (values) => producer.send({ topic: s.topic, acks, compression, messages: values.map((value) => ({ value })) }),
    lat,
  )
  await producer.disconnect()
  emitResult({
    client: 'kafkajs',
    version: pkgVersion('kafkajs'),
    records: s.records,
    warmupRecords: s.warmupRecords,
    elapsedMs,
    latency: lat.summary(),
    memory: memory.summary(),
    notes: `producer.send of ${recordsPerCall} records per call, ${s.maxInFlight} calls outstanding`,
  })
}

/** KafkaJS's ssl and sasl options for the harness's SASL_SSL settings (issue 13). */
function securityOptions(sec) {
  const mechanisms = { 'SCRAM-SHA-512': 'scram-sha-512', 'SCRAM-SHA-256': 'scram-sha-256', PLAIN: 'plain' }
  const mechanism = mechanisms[sec.mechanism]
  if (sec.protocol !== 'SASL_SSL' || mechanism === undefined) throw new Error(`security ${sec.protocol} ${sec.mechanism} is not supported by this runner`)
  return { ssl: { ca: [readFileSync(sec.caPath, 'utf8')] }, sasl: { mechanism, username: sec.username, password: sec.password } }
}

main().catch(fail)

// @platformatic/kafka runner: it has no linger either; the caller batches with send({ messages }).
import { readFileSync } from 'node:fs'
import { Producer, ProduceAcks } from '@platformatic/kafka'
import { driveBatches, emitResult, fail, LatencyRecorder, MemoryPeaks, pkgVersion, readSettings, watchdog } from '../lib/runner-common.mjs'


async function main() {
  const memory = new MemoryPeaks()
  const s = readSettings()
  watchdog(s.timeoutMs)
  const producer = new Producer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: s.bootstrap.split(','),
    acks: s.acks === 'all' ? ProduceAcks.ALL : ProduceAcks.LEADER,
    compression: s.compression,
    idempotent: s.idempotence,
    maxInflights: s.maxInFlight,
    autocreateTopics: false,
    ...(s.security ? securityOptions(s.security) : {}),
  })
  const lat = new LatencyRecorder('per send call')
  const { elapsedMs, recordsPerCall } = await driveBatches(
    s,
    (values) => producer.send({ messages: values.map((value) => ({ topic: s.topic, value })) }),
    lat,
  )
  await producer.close()
  emitResult({
    client: 'platformatic',
    version: `${pkgVersion('@platformatic/kafka')} (Node ${process.version})`,
    records: s.records,
    warmupRecords: s.warmupRecords,
    elapsedMs,
    latency: lat.summary(),
    memory: memory.summary(),
    // its constructor forces maxInflights 1 (and acks all) when idempotent
    notes: `send of ${recordsPerCall} records per call, ${s.maxInFlight} calls outstanding; Node ${process.version}${s.idempotence ? '; idempotent: the client forces maxInflights 1' : ''}`,
  })
}

/** @platformatic/kafka's tls and sasl options for the harness's SASL_SSL settings (issue 13). */
function securityOptions(sec) {
  if (sec.protocol !== 'SASL_SSL' || !['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'].includes(sec.mechanism)) throw new Error(`security ${sec.protocol} ${sec.mechanism} is not supported by this runner`)
  return { tls: { ca: readFileSync(sec.caPath, 'utf8') }, sasl: { mechanism: sec.mechanism, username: sec.username, password: sec.password } }
}

main().catch(fail)

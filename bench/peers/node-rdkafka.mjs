// node-rdkafka runner (librdkafka via N-API, linked against Debian's librdkafka).
import { createRequire } from 'node:module'
import { emitResult, fail, LatencyRecorder, LATENCY_SAMPLE_EVERY, pkgVersion, readSettings, watchdog } from '../lib/runner-common.mjs'

const require = createRequire(import.meta.url)

async function main() {
  const s = readSettings()
  watchdog(s.timeoutMs)
  const Kafka = require('node-rdkafka')
  // librdkafka silently has no codec it was built without; say so instead of failing later
  if (s.compression !== 'none' && !Kafka.features.includes(s.compression)) throw new Error(`librdkafka ${Kafka.librdkafkaVersion} was built without ${s.compression} (features: ${Kafka.features.join(',')})`)
  const producer = new Kafka.Producer(
    {
      'client.id': 'bench-node-rdkafka',
      'metadata.broker.list': s.bootstrap,
      'dr_cb': true,
      'compression.codec': s.compression,
      'batch.size': s.batchSize,
      'linger.ms': s.lingerMs,
      'max.in.flight.requests.per.connection': s.maxInFlight,
      'enable.idempotence': s.idempotence,
      'queue.buffering.max.messages': 1_000_000,
      'queue.buffering.max.kbytes': Math.floor(s.bufferMemory / 1024),
      ...(s.security ? librdkafkaSecurity(s.security) : {}),
    },
    { 'request.required.acks': s.acks === 'all' ? -1 : Number(s.acks) },
  )
  await new Promise((resolve, reject) => {
    producer.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve()))
  })
  producer.setPollInterval(1)
  const lat = new LatencyRecorder(`1 in ${LATENCY_SAMPLE_EVERY} records (opaque send time)`)
  let acked = 0
  let failed = 0
  let target = 0
  let onDone = null
  producer.on('delivery-report', (err, report) => {
    if (err) failed++
    const t0 = report.opaque
    if (typeof t0 === 'number') lat.add(performance.now() - t0)
    if (++acked === target && onDone) onDone()
  })
  const pool = s.payloads
  let next = 0
  const run = async (total, measure) => {
    target += total
    const done = new Promise((resolve) => (onDone = resolve))
    for (let i = 0; i < total; ) {
      const sample = measure && next % LATENCY_SAMPLE_EVERY === 0 ? performance.now() : undefined
      try {
        producer.produce(s.topic, null, pool[next % pool.length], null, null, sample)
        next++
        i++
      } catch (err) {
        // a full local queue is librdkafka's backpressure: let it drain, then retry the same record
        if (err && err.code === Kafka.CODES.ERRORS.ERR__QUEUE_FULL) await new Promise((r) => setTimeout(r, 1))
        else throw err
      }
    }
    producer.flush(60_000, () => {})
    await done
  }
  if (s.warmupRecords > 0) await run(s.warmupRecords, false)
  const start = performance.now()
  await run(s.records, true)
  const elapsedMs = performance.now() - start
  await new Promise((resolve) => producer.disconnect(10_000, () => resolve()))
  if (failed > 0) throw new Error(`${failed} records failed delivery`)
  emitResult({
    client: 'node-rdkafka',
    version: `${pkgVersion('node-rdkafka')} (librdkafka ${Kafka.librdkafkaVersion})`,
    records: s.records,
    warmupRecords: s.warmupRecords,
    elapsedMs,
    latency: lat.summary(),
  })
}

/** librdkafka's properties for the harness's SASL_SSL settings (PLAIN: see saslWhy in clients.mjs). */
function librdkafkaSecurity(sec) {
  if (sec.protocol !== 'SASL_SSL') throw new Error(`security ${sec.protocol} is not supported by this runner`)
  return { 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': sec.mechanism, 'sasl.username': sec.username, 'sasl.password': sec.password, 'ssl.ca.location': sec.caPath }
}

main().catch(fail)

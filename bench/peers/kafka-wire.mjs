// kafka-wire runner: the package's own build (dist/), as a user of the published package would run it.
// Two send modes, each its own client row (issue 15: users see what each form costs):
//   callback (row "kafka-wire"):         send(record, callback) per record
//   promise  (row "kafka-wire-promise"): send(record) per record, its promise's failure caught,
//                                         flush() at the end (the form most user code has)
// The mode is settings.sendMode (the harness sets it), or --send-mode callback|promise after the JSON.
// Transactional scenarios (issue 14): initTransactions() once, then beginTransaction(), txnRecords
// sends, commitTransaction() (which flushes the transaction's records first), its wall time taken.
// Paced scenarios (settings.rate, issue 15): each record is sent at its due time i / rate (Pacer),
// and every measured record's send-to-acknowledgement latency is taken, not 1 in 64.
// SASL_SSL scenarios (settings.security, issue 13): ssl { ca } and sasl SCRAM-SHA-512.
// --dist DIR after the JSON loads another build (row "kafka-wire-baseline", bench --baseline-dist):
// an older commit measured in the same run as this one, so a refactor's cost is a same-run ratio.
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { emitResult, fail, LatencyRecorder, LATENCY_SAMPLE_EVERY, MemoryPeaks, Pacer, readSettings, summarizeLatency, watchdog } from '../lib/runner-common.mjs'

const distFlag = process.argv.indexOf('--dist')
const dist = distFlag > 0 ? pathToFileURL(join(resolve(process.argv[distFlag + 1]), 'index.js')) : new URL('../../dist/index.js', import.meta.url)

async function main() {
  const s = readSettings()
  const flag = process.argv.indexOf('--send-mode')
  const mode = flag > 0 ? process.argv[flag + 1] : (s.sendMode ?? 'callback')
  if (mode !== 'callback' && mode !== 'promise') throw new Error(`--send-mode: ${mode} is not callback or promise`)
  const memory = new MemoryPeaks()
  let phase = 'starting'
  let next = 0
  let outstanding = 0
  watchdog(s.timeoutMs, () => `${phase}: ${next} records sent, ${outstanding} not yet acknowledged`)
  if (!existsSync(dist)) throw new Error(`${dist.pathname} not built (npm run build)`)
  const mod = await import(dist.href)
  if (typeof mod.Producer !== 'function') throw new Error(`${dist.pathname} does not export Producer yet`)
  const producer = new mod.Producer({
    bootstrapServers: s.bootstrap.split(','),
    clientId: 'bench-kafka-wire',
    acks: s.acks === 'all' ? 'all' : Number(s.acks),
    compressionType: s.compression,
    batchSize: s.batchSize,
    lingerMs: s.lingerMs,
    maxInFlightRequestsPerConnection: s.maxInFlight,
    enableIdempotence: s.idempotence,
    bufferMemory: s.bufferMemory,
    ...(s.security ? securityOptions(s.security) : {}),
    ...(s.transactional ? { transactionalId: s.transactionalId, transactionTimeoutMs: s.transactionTimeoutMs } : {}),
  })
  const txnRecords = s.transactional ? s.txnRecords : 0
  const commits = []
  let transactions = 0
  if (s.transactional) {
    phase = 'initTransactions'
    await producer.initTransactions()
  }
  const paced = s.rate ? new Pacer(s.rate) : null
  const every = paced ? 1 : LATENCY_SAMPLE_EVERY
  const lat = new LatencyRecorder(`${paced ? `every record, paced at ${s.rate} records/s` : `1 in ${LATENCY_SAMPLE_EVERY} records`}${mode === 'promise' ? ' (promise settled)' : ''}`)
  // Records handed over but not yet acknowledged are bounded by the same buffer size every client
  // gets (buffer.memory), so the loop cannot queue the whole run in memory; past the producer's own
  // limit its send() takes the blocking path, as the Java client's send() would block.
  const window = Math.max(1024, Math.floor(s.bufferMemory / s.valueSize))
  let firstError = null
  let wake = null
  const onAck = (err) => {
    outstanding--
    if (err && firstError === null) firstError = err
    if (wake !== null && outstanding < window) {
      const w = wake
      wake = null
      w()
    }
  }
  const onOk = () => onAck(null)
  const pool = s.payloads
  const topic = s.topic
  let inTxn = 0
  /** Ends the open transaction: commitTransaction()'s wall time is the commit latency. */
  const commit = async (measure) => {
    phase = `commitTransaction #${transactions + 1}`
    const t0 = performance.now()
    await producer.commitTransaction()
    if (measure) commits.push(performance.now() - t0)
    transactions++
    inTxn = 0
    phase = measure ? 'measured sends' : 'warm-up sends'
  }
  const run = async (total, measure) => {
    phase = measure ? 'measured sends' : 'warm-up sends'
    if (paced) {
      paced.start()
      if (measure) paced.maxLagMs = 0 // the warm-up's lag (JIT, first connections) is not reported
    }
    for (let i = 0; i < total; i++) {
      // a timer may fire a fraction of a millisecond early: wait again until the record is due
      for (let due = paced?.wait(i) ?? null; due !== null; due = paced.wait(i)) await due
      if (outstanding >= window) await new Promise((r) => (wake = r))
      if (firstError !== null) throw firstError
      if (txnRecords > 0 && inTxn === 0) producer.beginTransaction()
      const value = pool[next % pool.length]
      outstanding++
      const sample = measure && next % every === 0
      if (mode === 'promise') {
        // one promise per record, as user code that catches failures has (then(ok, fail) = catch + count)
        if (sample) {
          const t0 = performance.now()
          const done = (err) => {
            lat.add(performance.now() - t0)
            onAck(err)
          }
          producer.send({ topic, value }).then(() => done(null), done)
        } else {
          producer.send({ topic, value }).then(onOk, onAck)
        }
      } else if (sample) {
        const t0 = performance.now()
        producer.send({ topic, value }, (err) => {
          lat.add(performance.now() - t0)
          onAck(err)
        })
      } else {
        producer.send({ topic, value }, onAck)
      }
      next++
      if (txnRecords > 0 && (++inTxn === txnRecords || i === total - 1)) await commit(measure)
    }
    phase = `flush after ${measure ? 'measured' : 'warm-up'} records`
    await producer.flush()
    // a promise's handlers run in a microtask after its batch completes: count every one in
    while (outstanding > 0) await new Promise((r) => setImmediate(r))
    if (firstError !== null) throw firstError
  }
  if (s.warmupRecords > 0) await run(s.warmupRecords, false)
  const start = performance.now()
  await run(s.records, true)
  const elapsedMs = performance.now() - start
  phase = 'close'
  await producer.close()
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  emitResult({
    client: mode === 'promise' ? 'kafka-wire-promise' : 'kafka-wire',
    version: pkg.version,
    records: s.records,
    warmupRecords: s.warmupRecords,
    elapsedMs,
    latency: lat.summary(),
    memory: memory.summary(),
    notes: `${mode === 'promise' ? 'send(record) per record, promise failures caught, flush() at the end' : 'send(record, callback) per record'}${distFlag > 0 ? ` (build ${dist.pathname})` : ''}`,
    ...(paced ? { paced: { rate: s.rate, maxLagMs: Math.round(paced.maxLagMs * 1000) / 1000, basis: 'each record sent at its due time i / rate (timer, >= 1 ms): send() call to acknowledgement' } } : {}),
    ...(s.transactional
      ? { txn: { transactions, txnRecords, commitLatency: summarizeLatency(commits, 'every measured commitTransaction() (wall time, its flush included)'), commitTotalMs: commits.reduce((a, b) => a + b, 0) } }
      : {}),
  })
}

/** kafka-wire's ssl and sasl options for the harness's SASL_SSL settings. */
function securityOptions(sec) {
  const mechanisms = { 'SCRAM-SHA-512': 'scram-sha-512', 'SCRAM-SHA-256': 'scram-sha-256', PLAIN: 'plain' }
  const mechanism = mechanisms[sec.mechanism]
  if (sec.protocol !== 'SASL_SSL' || mechanism === undefined) throw new Error(`security ${sec.protocol} ${sec.mechanism} is not supported by this runner`)
  return { ssl: { ca: readFileSync(sec.caPath) }, sasl: { mechanism, username: sec.username, password: sec.password } }
}

main().catch(fail)

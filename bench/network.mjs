// Network-layer microbench: requests/s and bytes/s through ONE kafka-wire connection against a
// real broker, for pipelined Metadata (empty topic list) and ApiVersions, at maxInFlight 5 and 1.
// The in-flight-1 run is the baseline: the ratio shows what pipelining buys on this machine.
// A third scenario pushes bulk bytes: Produce acks=1 of one pre-built 64 KiB RecordBatch to a
// fresh 1-partition topic (deleted afterwards), so bytes/s means payload, not headers.
//   npx tsc -p tsconfig.build.json && node bench/network.mjs [--bootstrap 127.0.0.1:9092] [--requests 20000]
//     [--produce-requests 300] [--repeat 3] [--json]
import { Connection } from '../dist/network/connection.js'
import { parseHostPort } from '../dist/network/broker-pool.js'
import { ApiVersionsApi } from '../dist/protocol/api-versions.js'
import { MetadataApi } from '../dist/protocol/metadata.js'
import { ProduceApi } from '../dist/protocol/produce.js'
import { RecordBatchBuilder } from '../dist/protocol/record-batch.js'
import kafkajs from 'kafkajs'

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback
}
const bootstrap = arg('bootstrap', process.env.KAFKA_BOOTSTRAP?.split(',')[0] ?? '127.0.0.1:9092')
const requests = Number(arg('requests', '20000'))
const repeat = Number(arg('repeat', '3'))
const produceRequests = Number(arg('produce-requests', '300'))
const json = process.argv.includes('--json')
const { host, port } = parseHostPort(bootstrap, '--bootstrap')

const SCENARIOS = [
  { name: 'Metadata (no topics)', api: MetadataApi, request: { topics: [], allowAutoTopicCreation: false } },
  { name: 'ApiVersions', api: ApiVersionsApi, request: { clientSoftwareName: 'kafka-wire-bench', clientSoftwareVersion: '0.1.0' } },
]

/** Creates the Produce scenario: a fresh topic (auto-created through Metadata) and one 64 KiB batch. */
async function produceScenario(conn, topic) {
  let topicId = null
  for (let i = 0; i < 100 && topicId === null; i++) {
    const md = await conn.send(MetadataApi, { topics: [{ name: topic }], allowAutoTopicCreation: true })
    const t = md.topics[0]
    if (t && t.errorCode === 0 && (t.partitions[0]?.leaderId ?? -1) >= 0) topicId = t.topicId
    else await new Promise((r) => setTimeout(r, 100))
  }
  if (topicId === null) throw new Error(`topic ${topic} got no leader`)
  const builder = new RecordBatchBuilder(64 * 1024)
  const value = Buffer.alloc(250, 'kafka-wire network bench payload ')
  while (builder.tryAppend(Date.now(), null, value, null));
  const records = builder.build()
  return {
    name: `Produce acks=1 (${(records.length / 1024).toFixed(0)} KiB batch)`,
    api: ProduceApi,
    request: { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, topicId, partitionData: [{ index: 0, records }] }] },
    options: { sizeHint: records.length + 256 },
    count: produceRequests,
  }
}

/** Sends `count` requests keeping the pipeline full (the connection queues beyond maxInFlight). */
async function run(conn, sc, count) {
  const sent0 = conn.bytesSent
  const recv0 = conn.bytesReceived
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  // Submit in windows so the queue (and memory) stays bounded while the pipe stays full.
  const WINDOW = 1000
  let inWindow = []
  for (let i = 0; i < count; i++) {
    inWindow.push(conn.send(sc.api, sc.request, sc.options))
    if (inWindow.length === WINDOW) {
      await inWindow[WINDOW / 2]
      inWindow = inWindow.slice(WINDOW / 2 + 1)
    }
  }
  await Promise.all(inWindow)
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  const bytesSent = conn.bytesSent - sent0
  const bytesReceived = conn.bytesReceived - recv0
  return {
    scenario: sc.name,
    maxInFlight: conn.maxObservedInFlight,
    requests: count,
    seconds,
    requestsPerSec: count / seconds,
    sentBytesPerSec: bytesSent / seconds,
    receivedBytesPerSec: bytesReceived / seconds,
    avgRequestBytes: bytesSent / count,
    avgResponseBytes: bytesReceived / count,
    // Client CPU per request next to wall time per request: when CPU is far below wall, the
    // broker (which handles one request per connection at a time) is the limit, not kafka-wire.
    clientCpuUsPerRequest: (cpu.user + cpu.system) / count,
    wallUsPerRequest: (seconds * 1e6) / count,
  }
}

/** The run with the median requests/s. */
function median(samples) {
  const sorted = samples.slice().sort((a, b) => a.requestsPerSec - b.requestsPerSec)
  return sorted[Math.floor(sorted.length / 2)]
}

async function main() {
  const samples = new Map()
  const topic = `kw-bench-net-${Math.random().toString(36).slice(2, 10)}`
  let produce = null
  // Rounds alternate the in-flight settings so load drift on a shared machine hits both alike.
  for (let round = 0; round < repeat; round++) {
    for (const inFlight of [5, 1]) {
      const conn = new Connection({ host, port, clientId: 'kafka-wire-bench', maxInFlightRequests: inFlight, connectionsMaxIdleMs: 0 })
      await conn.connect()
      try {
        if (produceRequests > 0 && produce === null) produce = await produceScenario(conn, topic)
        for (const sc of produce === null ? SCENARIOS : [...SCENARIOS, produce]) {
          const count = sc.count ?? requests
          if (round === 0) await run(conn, sc, Math.min(1000, Math.ceil(count / 10))) // warm-up: JIT and broker caches
          const key = `${sc.name}|${inFlight}`
          if (!samples.has(key)) samples.set(key, [])
          samples.get(key).push({ inFlight, ...(await run(conn, sc, count)) })
        }
      } finally {
        conn.close()
      }
    }
  }
  const results = [...samples.values()].map(median)
  if (produce !== null) {
    const admin = new kafkajs.Kafka({ clientId: 'kw-bench-admin', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin()
    await admin.connect()
    await admin.deleteTopics({ topics: [topic], timeout: 30_000 }).catch((err) => console.error(`could not delete ${topic}: ${err.message}`))
    await admin.disconnect()
  }
  if (json) {
    console.log(JSON.stringify({ bootstrap, requests, results }))
    return
  }
  console.log(`kafka-wire network bench: ${requests} requests per run (Produce: ${produceRequests}), median of ${repeat} runs, one connection to ${bootstrap}`)
  console.log('| scenario | max in flight | requests/s | sent MB/s | received MB/s | bytes/request | bytes/response | client CPU µs/request | wall µs/request |')
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|')
  for (const r of results) {
    console.log(
      `| ${r.scenario} | ${r.inFlight} | ${Math.round(r.requestsPerSec).toLocaleString('en-US')} | ${(r.sentBytesPerSec / 1e6).toFixed(2)} | ${(r.receivedBytesPerSec / 1e6).toFixed(2)} | ${r.avgRequestBytes.toFixed(0)} | ${r.avgResponseBytes.toFixed(0)} | ${r.clientCpuUsPerRequest.toFixed(1)} | ${r.wallUsPerRequest.toFixed(1)} |`,
    )
  }
  for (const name of new Set(results.map((r) => r.scenario))) {
    const p = results.find((r) => r.scenario === name && r.inFlight === 5)
    const s = results.find((r) => r.scenario === name && r.inFlight === 1)
    console.log(`${name}: pipelined (5 in flight) ÷ one at a time = ${(p.requestsPerSec / s.requestsPerSec).toFixed(2)}x`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

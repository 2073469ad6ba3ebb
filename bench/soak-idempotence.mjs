#!/usr/bin/env node
// Soak (issue 12 §4, outside CI): pushes keyed idempotent records through the fault proxy to a
// 3-broker cluster while partition leaders are killed (SIGKILL) and paused (SIGSTOP), then reads the
// topic back with kcat and prints acknowledged / lost / duplicated / reordered / rejected-by-type.
// A new producer takes over every --per-producer records, so first batches (where the broker accepts
// any sequence) keep happening. Runs on the built output of `tsc -p tsconfig.soak.json` (npm run soak).
// Usage: npm run soak -- [--records 1000000] [--per-producer 10000] [--seed 1] [--faults mixed|none|no-corrupt]
// Exit code 1 when an acknowledged record is missing or a promise did not settle with a typed error.
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'

const BUILD = new URL('../dist-soak/', import.meta.url)
const { KafkaCluster } = await import(new URL('src/broker/index.js', BUILD).href)
const { Producer } = await import(new URL('src/index.js', BUILD).href)
const { Connection } = await import(new URL('src/network/connection.js', BUILD).href)
const { MetadataApi } = await import(new URL('src/protocol/metadata.js', BUILD).href)
const { FaultProxy } = await import(new URL('test/support/fault-proxy.js', BUILD).href)
const { DeliveryLedger } = await import(new URL('test/support/delivery-ledger.js', BUILD).href)
const { consumeWithKcat } = await import(new URL('test/support/kcat.js', BUILD).href)

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    'per-producer': { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    faults: { type: 'string', default: 'mixed' },
    partitions: { type: 'string', default: '6' },
  },
})
const RECORDS = Number(args.records)
const PER_PRODUCER = Number(args['per-producer'])
const SEED = Number(args.seed)
const PARTITIONS = Number(args.partitions)
const MAX_OUTSTANDING = 4_000
const REQUEST_TIMEOUT_MS = 5_000
const MIXES = {
  none: {},
  'no-corrupt': { swallowResponse: 0.01, dropBeforeForward: 0.01, delay: 0.05 },
  mixed: { corrupt: 0.05, swallowResponse: 0.01, dropBeforeForward: 0.01, delay: 0.05 },
}
const faults = MIXES[args.faults]
if (faults === undefined) throw new Error(`--faults must be one of ${Object.keys(MIXES).join(', ')}`)
for (const [name, v] of [['records', RECORDS], ['per-producer', PER_PRODUCER], ['partitions', PARTITIONS]]) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`)
}

const log = (line) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`)
const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** Partition → leader id, asked of any live node directly (not through the proxy). */
async function leaders(cluster, topic) {
  for (const node of cluster.nodes) {
    if (!cluster.isRunning(node.nodeId) || node.paused) continue
    const conn = new Connection({ host: '127.0.0.1', port: node.port, clientId: 'soak-observer', requestTimeoutMs: 5_000, connectionSetupTimeoutMs: 5_000 })
    try {
      await conn.connect()
      const md = await conn.send(MetadataApi, { topics: [{ name: topic }], allowAutoTopicCreation: false })
      return new Map((md.topics[0]?.partitions ?? []).map((p) => [p.partitionIndex, p.leaderId]))
    } catch {
      // try the next node
    } finally {
      conn.close()
    }
  }
  return new Map()
}

async function main() {
  const started = Date.now()
  log(`starting a 3-node Kafka cluster; ${RECORDS} records, a new producer every ${PER_PRODUCER}, faults ${args.faults} ${JSON.stringify(faults)}, seed ${SEED}`)
  const cluster = await KafkaCluster.start({ nodes: 3, log: (l) => log(l) })
  let proxy
  try {
    const topic = `soak-${Date.now()}`
    await cluster.createTopic(topic, { partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } })
    proxy = await FaultProxy.start({ upstream: cluster.bootstrapServers, seed: SEED, faults, delayMs: { min: 20, max: 1_000 } })
    const ledger = new DeliveryLedger(RECORDS, (n) => `p${Math.floor(n / PER_PRODUCER)}-k${n % 500}`)

    // Chaos: one node at a time is killed (and restarted) or paused for longer than request.timeout.ms.
    const chaos = []
    let producing = true
    const chaosDone = (async () => {
      let round = 0
      while (producing) {
        await sleep(4_000)
        if (!producing) break
        const partition = round % PARTITIONS
        const leader = (await leaders(cluster, topic)).get(partition)
        if (leader === undefined || leader < 0) continue
        if (round % 2 === 0) {
          await cluster.kill(leader)
          chaos.push(`SIGKILL node ${leader} (leader of ${partition})`)
          log(chaos.at(-1))
          await sleep(3_000)
          await cluster.restart(leader)
          chaos.push(`restarted node ${leader}`)
        } else {
          cluster.pause(leader)
          chaos.push(`SIGSTOP node ${leader} (leader of ${partition}) for ${REQUEST_TIMEOUT_MS + 2_000} ms`)
          log(chaos.at(-1))
          await sleep(REQUEST_TIMEOUT_MS + 2_000)
          cluster.resume(leader)
          chaos.push(`SIGCONT node ${leader}`)
        }
        round++
      }
    })()

    let outstanding = 0
    let wake
    const producers = Math.ceil(RECORDS / PER_PRODUCER)
    for (let p = 0; p < producers; p++) {
      const producer = new Producer({
        bootstrapServers: proxy.bootstrapServers,
        clientId: `soak-${p}`,
        acks: 'all',
        enableIdempotence: true,
        maxInFlightRequestsPerConnection: 5,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        deliveryTimeoutMs: 120_000,
        lingerMs: 5,
        batchSize: 8_192,
        logger: silent,
      })
      const end = Math.min(RECORDS, (p + 1) * PER_PRODUCER)
      for (let n = p * PER_PRODUCER; n < end; n++) {
        while (outstanding >= MAX_OUTSTANDING) await new Promise((r) => (wake = r))
        outstanding++
        ledger.track(n, producer.send({ topic, key: ledger.keyOf(n), value: ledger.valueOf(n) })).finally(() => {
          outstanding--
          const w = wake
          wake = undefined
          w?.()
        })
      }
      await producer.flush()
      await producer.close({ timeoutMs: 30_000 })
      log(`producer ${p + 1}/${producers} done (records < ${end}); proxy ${JSON.stringify(proxy.counts())}`)
    }
    producing = false
    await chaosDone
    const produceMs = Date.now() - started
    log('reading the topic back with kcat')
    const report = ledger.audit(await consumeWithKcat(cluster.bootstrapServers, topic, 600_000))
    const summary = {
      records: RECORDS,
      producers,
      seed: SEED,
      faultMix: args.faults,
      acknowledged: report.acknowledged,
      lost: report.lost,
      duplicated: report.duplicates,
      reordered: report.reorders,
      rejected: report.rejected,
      rejectedByType: report.rejectedByError,
      unsettled: report.unsettled,
      untypedRejections: report.untypedRejections,
      acknowledgedWithoutOffset: report.acknowledgedWithoutOffset,
      wrongOffset: report.wrongOffset,
      rejectedButWritten: report.rejectedButWritten,
      lostSamples: report.lostSamples,
      proxy: proxy.counts(),
      proxyErrors: proxy.errors.slice(0, 5),
      chaos,
      produceSeconds: Math.round(produceMs / 1000),
      totalSeconds: Math.round((Date.now() - started) / 1000),
    }
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
    log(`acknowledged ${report.acknowledged}  lost ${report.lost}  duplicated ${report.duplicates}  reordered ${report.reorders}  rejected ${report.rejected} ${JSON.stringify(report.rejectedByError)}`)
    process.exitCode = report.lost > 0 || report.unsettled > 0 || report.untypedRejections > 0 || report.wrongOffset > 0 ? 1 : 0
  } finally {
    await proxy?.stop()
    await cluster.stop({ graceful: false })
  }
}

main().catch((err) => {
  process.stderr.write(`soak failed: ${err?.stack ?? err}\n`)
  process.exitCode = 2
})

// The broker for a bench run: --bootstrap, or a fresh single node started by the project's own
// harness (dist/broker, from `npm run build`) on free ports, stopped when the bench ends.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT_DIR } from './clients.mjs'

async function loadHarness() {
  const file = join(ROOT_DIR, 'dist', 'broker', 'index.js')
  if (!existsSync(file)) return null
  try {
    return await import(`file://${file}`)
  } catch {
    return null
  }
}

/** Resolves { bootstrap, managed, kafkaVersion, kafkaLibs, pid (the JVM's, managed only), stop? }. */
export async function startBroker(opts, log) {
  const harness = await loadHarness()
  let kafkaLibs = process.env.KAFKA_LIBS || null
  if (opts.bootstrap !== null) {
    if (kafkaLibs === null && opts.kafkaLibs === null && harness?.ensureKafkaJars && harness.DEFAULT_KAFKA_VERSION) {
      // ProducerPerformance still needs the jars: take them from the harness's cache (downloads once)
      try {
        kafkaLibs = await harness.ensureKafkaJars(harness.DEFAULT_KAFKA_VERSION, log)
      } catch (err) {
        log(`no Kafka jars for ProducerPerformance: ${err.message}`)
      }
    }
    log(`broker: ${opts.bootstrap} (--bootstrap)`)
    return { bootstrap: opts.bootstrap, managed: false, kafkaLibs, pid: null }
  }
  if (harness === null || typeof harness.KafkaCluster?.start !== 'function') {
    throw new Error('the broker harness (dist/broker) is not built or does not export KafkaCluster; pass --bootstrap HOST:PORT')
  }
  log('starting a single Kafka node with the project harness (dist/broker)…')
  const cluster = await harness.KafkaCluster.start({ nodes: 1, log: (l) => log(`  ${l}`) })
  const version = cluster.kafkaVersion
  if (kafkaLibs === null && harness.libsDir) kafkaLibs = harness.libsDir(version)
  return {
    bootstrap: cluster.bootstrapServers.join(','),
    managed: true,
    kafkaVersion: version,
    kafkaLibs,
    pid: cluster.nodes[0]?.pid ?? null,
    stop: async () => {
      log('stopping the benchmark broker')
      await cluster.stop()
    },
  }
}

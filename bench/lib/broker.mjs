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

/**
 * The SASL users of the harness's secured broker (src/broker/security.ts DEFAULT_TEST_USERS): both
 * exist for PLAIN (listener JAAS) and SCRAM-SHA-256/512 (added at format time). Throwaway test
 * credentials of a broker that lives as long as the bench run.
 */
export const SASL_USERS = {
  'SCRAM-SHA-512': { username: 'bob', password: 'bob-secret' },
  PLAIN: { username: 'alice', password: 'alice-secret' },
}

/**
 * Resolves { bootstrap (PLAINTEXT), managed, kafkaVersion, kafkaLibs, pid (the JVM's, managed only),
 * saslSsl (with `secured`: { bootstrap, caPath } of the SASL_SSL listener; else null), stop? }.
 * `secured`: start the node with the harness's `security` option (SSL, SASL_PLAINTEXT, SASL_SSL
 * listeners beside PLAINTEXT, its test CA); the authorizer stays off, so the secured broker does no
 * per-request ACL work the plaintext scenarios would pay for.
 */
export async function startBroker(opts, log, { secured = false } = {}) {
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
    log(`broker: ${opts.bootstrap} (--bootstrap)${secured ? '; no SASL_SSL listener: the SASL_SSL scenarios are skipped' : ''}`)
    return { bootstrap: opts.bootstrap, managed: false, kafkaLibs, pid: null, saslSsl: null }
  }
  if (harness === null || typeof harness.KafkaCluster?.start !== 'function') {
    throw new Error('the broker harness (dist/broker) is not built or does not export KafkaCluster; pass --bootstrap HOST:PORT')
  }
  log(`starting a single Kafka node with the project harness (dist/broker)${secured ? ', with secured listeners (SASL_SSL for the clients)' : ''}…`)
  const cluster = await harness.KafkaCluster.start({ nodes: 1, log: (l) => log(`  ${l}`), ...(secured ? { security: { authorizer: false } } : {}) })
  const version = cluster.kafkaVersion
  if (kafkaLibs === null && harness.libsDir) kafkaLibs = harness.libsDir(version)
  return {
    bootstrap: cluster.bootstrapServers.join(','),
    managed: true,
    kafkaVersion: version,
    kafkaLibs,
    pid: cluster.nodes[0]?.pid ?? null,
    saslSsl: secured ? { bootstrap: cluster.listenerServers('SASL_SSL').join(','), caPath: cluster.pki.caPath } : null,
    stop: async () => {
      log('stopping the benchmark broker')
      await cluster.stop()
    },
  }
}

import type { TestProject } from 'vitest/node'
import { COMPAT_KAFKA_VERSION, DEFAULT_KAFKA_VERSION, KafkaCluster, parseFeatureList } from '../../src/broker/index.js'

/**
 * Starts the real brokers once per test run: the newest Kafka and the 3.9 compatibility broker,
 * both single KRaft nodes on free ports. `KAFKA_BOOTSTRAP` (and optionally `KAFKA_BOOTSTRAP_39`)
 * point the tests at existing brokers instead. Cluster tests start their own 3-node clusters.
 * `KAFKA_FEATURES=transaction.version=1` formats the main broker with those feature levels.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: KafkaCluster[] = []
  const log = (line: string): void => {
    process.stderr.write(`[kafka-harness] ${line}\n`)
  }
  const external = process.env.KAFKA_BOOTSTRAP
  if (external !== undefined && external !== '') {
    project.provide('kafkaBootstrap', external)
    project.provide('kafkaBootstrap39', process.env.KAFKA_BOOTSTRAP_39 ?? '')
    project.provide('kafkaDataDir', process.env.KAFKA_DATA_DIR ?? '')
    project.provide('kafkaDataDir39', process.env.KAFKA_DATA_DIR_39 ?? '')
    return async () => {}
  }
  try {
    const [main, compat] = await Promise.all([
      KafkaCluster.start({ kafkaVersion: process.env.KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION, log, features: parseFeatureList(process.env.KAFKA_FEATURES) }),
      process.env.KAFKA_SKIP_39 === '1' ? Promise.resolve(undefined) : KafkaCluster.start({ kafkaVersion: COMPAT_KAFKA_VERSION, log, heapMb: 512 }),
    ])
    started.push(main)
    if (compat !== undefined) started.push(compat)
    project.provide('kafkaBootstrap', main.bootstrapServers.join(','))
    project.provide('kafkaDataDir', main.dataDir(1))
    project.provide('kafkaBootstrap39', compat?.bootstrapServers.join(',') ?? '')
    project.provide('kafkaDataDir39', compat?.dataDir(1) ?? '')
  } catch (err) {
    await Promise.all(started.map((c) => c.stop({ graceful: false })))
    throw err
  }
  return async () => {
    await Promise.all(started.map((c) => c.stop({ graceful: false })))
  }
}

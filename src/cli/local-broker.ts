/**
 * The CLI's embedded broker: a real Apache Kafka from the test harness, started detached so it
 * outlives the CLI, with its state (configs, PIDs, ports, logs, data) in a git-ignored folder.
 */
import { join, resolve } from 'node:path'
import { DEFAULT_KAFKA_VERSION, KafkaCluster, checkJava, harnessHome } from '../broker/index.js'
import type { CliIo } from './io.js'

/** Environment variable naming the local broker's state folder. */
export const STATE_DIR_ENV = 'KAFKA_WIRE_STATE_DIR'

/** Where the local broker keeps its state: `--state-dir`, else `$KAFKA_WIRE_STATE_DIR`, else `.kafka/cli-broker`. */
export function stateDir(flag: string | undefined, env: CliIo['env']): string {
  if (flag !== undefined && flag !== '') return resolve(flag)
  const fromEnv = env[STATE_DIR_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv)
  return join(harnessHome(), 'cli-broker')
}

/** The local broker if its state file exists and every node is alive; otherwise undefined. */
export function runningLocalBroker(dir: string): KafkaCluster | undefined {
  const cluster = KafkaCluster.attach(dir)
  if (cluster === undefined) return undefined
  return cluster.nodes.every((n) => cluster.isRunning(n.nodeId)) ? cluster : undefined
}

/** Options of {@link startLocalBroker}. */
export interface LocalBrokerOptions {
  readonly dir: string
  readonly nodes: number
  readonly kafkaVersion: string
  /** Progress lines (download, format, ready). */
  readonly log: (line: string) => void
}

/**
 * Starts the local broker detached (checks Java first, for a clear install hint). Any earlier
 * state in `dir` is replaced; a still-running broker there must be stopped first.
 */
export async function startLocalBroker(options: LocalBrokerOptions): Promise<KafkaCluster> {
  await checkJava()
  return KafkaCluster.start({
    dir: options.dir,
    nodes: options.nodes,
    kafkaVersion: options.kafkaVersion,
    keepData: true,
    detached: true,
    log: options.log,
  })
}

/**
 * The bootstrap servers of the local broker, starting it (one node, default version) when it
 * is not running and saying so on stderr: every command without `-b` goes through here.
 */
export async function ensureLocalBroker(dir: string, io: CliIo): Promise<string[]> {
  const running = runningLocalBroker(dir)
  if (running !== undefined) return running.bootstrapServers
  io.stderr.write(`kafka-wire: no -b given and the local broker is not running: starting Apache Kafka ${DEFAULT_KAFKA_VERSION} in ${dir} (stop it with: kafka-wire broker stop)\n`)
  const cluster = await startLocalBroker({ dir, nodes: 1, kafkaVersion: DEFAULT_KAFKA_VERSION, log: (line) => io.stderr.write(`kafka-wire: ${line}\n`) })
  return cluster.bootstrapServers
}

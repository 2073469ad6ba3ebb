/** `kafka-wire broker start|stop|status`: the local Apache Kafka, detached, state in `.kafka/cli-broker`. */
import { DEFAULT_KAFKA_VERSION, HarnessToolError, KafkaCluster } from '../../broker/index.js'
import { int, str } from '../args.js'
import type { Command } from '../command.js'
import type { Context } from '../context.js'
import { CliError, EXIT_OK, UsageError } from '../errors.js'
import { runningLocalBroker, startLocalBroker } from '../local-broker.js'
import { table } from '../table.js'

async function start(ctx: Context): Promise<number> {
  const nodes = int(ctx.values, 'cluster', 'broker', 1, 1, 3)
  if (nodes !== 1 && nodes !== 3) throw new UsageError(`--cluster must be 1 or 3, got ${nodes}`, 'broker')
  const version = str(ctx.values, 'kafka-version') ?? DEFAULT_KAFKA_VERSION
  const running = runningLocalBroker(ctx.stateDir)
  if (running !== undefined) {
    ctx.info(`local broker already running: Kafka ${running.kafkaVersion}, ${running.nodes.length} node(s) at ${running.bootstrapServers.join(',')} (state in ${ctx.stateDir})`)
    ctx.io.stdout.write(`${running.bootstrapServers.join(',')}\n`)
    return EXIT_OK
  }
  ctx.info(`starting Apache Kafka ${version} (${nodes} node${nodes > 1 ? 's' : ''}) in the background, state in ${ctx.stateDir}`)
  let cluster: KafkaCluster
  try {
    cluster = await startLocalBroker({ dir: ctx.stateDir, nodes, kafkaVersion: version, log: (line) => ctx.info(line) })
  } catch (err) {
    // A missing tool (Java, Maven) comes with its own install hint: pass it on as is.
    if (err instanceof HarnessToolError) throw new CliError(err.message)
    const message = (err as Error).message
    // The harness appends the node's log tail: keep the first line here, the tail stays in the log file.
    throw new CliError(`could not start the local broker: ${message.split('\n')[0] ?? message} (logs in ${ctx.stateDir}/logs)`)
  }
  ctx.info(`local broker ready; stop it with: kafka-wire broker stop`)
  ctx.io.stdout.write(`${cluster.bootstrapServers.join(',')}\n`)
  return EXIT_OK
}

async function stop(ctx: Context): Promise<number> {
  const cluster = KafkaCluster.attach(ctx.stateDir)
  if (cluster === undefined || !cluster.nodes.some((n) => cluster.isRunning(n.nodeId))) {
    ctx.info(`local broker is not running (state dir ${ctx.stateDir})`)
    return EXIT_OK
  }
  ctx.info(`stopping the local broker (${cluster.nodes.length} node(s) at ${cluster.bootstrapServers.join(',')})`)
  await cluster.stop()
  ctx.info('stopped')
  return EXIT_OK
}

function status(ctx: Context): number {
  const cluster = KafkaCluster.attach(ctx.stateDir)
  if (cluster === undefined) {
    ctx.io.stdout.write(`local broker: not started (state dir ${ctx.stateDir})\n`)
    return 3
  }
  const up = cluster.nodes.filter((n) => cluster.isRunning(n.nodeId)).length
  const state = up === cluster.nodes.length ? ctx.style.green('running') : up === 0 ? ctx.style.red('stopped') : ctx.style.yellow(`degraded (${up}/${cluster.nodes.length} nodes up)`)
  ctx.io.stdout.write(`local broker: ${state}, Apache Kafka ${cluster.kafkaVersion}, state in ${cluster.dir}\n`)
  if (up > 0) ctx.io.stdout.write(`bootstrap: ${cluster.bootstrapServers.join(',')}\n`)
  const rows = cluster.nodes.map((n) => [String(n.nodeId), cluster.isRunning(n.nodeId) ? String(n.pid) : '-', `127.0.0.1:${n.port}`, String(n.controllerPort), cluster.isRunning(n.nodeId) ? 'up' : 'down', n.logPath])
  ctx.io.stdout.write(table(['node', 'pid', 'listener', 'controller', 'state', 'log'], rows, ctx.style))
  // Exit status like `systemctl status`: 0 running, 3 not running.
  return up === cluster.nodes.length ? EXIT_OK : 3
}

/** `kafka-wire broker`. */
export const brokerCommand: Command = {
  name: 'broker',
  summary: 'start, stop or inspect the local Apache Kafka broker (runs in the background)',
  usage: 'kafka-wire broker start|stop|status [--cluster 1|3] [--kafka-version V]',
  description:
    'Runs a real Apache Kafka (KRaft, from the official jars, downloaded once into .kafka/dist) on 127.0.0.1 in the\n' +
    'background. State (configs, pids, ports, logs, data) lives in .kafka/cli-broker. Every other command uses this\n' +
    'broker when no -b is given, starting it when needed. Needs Java 17+ (and Maven once, to fetch the jars).\n' +
    '`status` exits 0 when running, 3 when not.',
  flags: {
    cluster: { type: 'string', valueName: 'N', description: 'number of nodes: 1 (default) or 3 (replication factor 3, min ISR 2)' },
    'kafka-version': { type: 'string', valueName: 'V', description: `Apache Kafka version (default ${DEFAULT_KAFKA_VERSION}; 3.9.x and 4.x are supported)` },
  },
  maxPositionals: 1,
  examples: ['kafka-wire broker start --cluster 3', 'kafka-wire broker status', 'kafka-wire broker stop'],
  async run(ctx) {
    const action = ctx.positionals[0]
    switch (action) {
      case 'start':
        return start(ctx)
      case 'stop':
        return stop(ctx)
      case 'status':
        return status(ctx)
      case undefined:
        throw new UsageError("'kafka-wire broker' needs an action: start, stop or status", 'broker')
      default:
        throw new UsageError(`unknown broker action '${action}': use start, stop or status`, 'broker')
    }
  },
}

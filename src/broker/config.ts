/**
 * Broker configuration files for KRaft nodes on loopback, as the runbook recommends for tests:
 * combined broker+controller nodes with a static quorum (`controller.quorum.voters`), internal
 * topics sized for the cluster, and the start-up knobs that keep a 2-core machine responsive.
 * Facts: shared/docs/broker-runbook.md §3.
 */

/** Ports and folders of one node. */
export interface NodeLayout {
  readonly nodeId: number
  readonly port: number
  readonly controllerPort: number
  readonly dataDir: string
}

/** The contents of `server.properties` for `node` in a cluster made of `all`. */
export function nodeProperties(node: NodeLayout, all: readonly NodeLayout[], overrides: Readonly<Record<string, string>> = {}): string {
  const clusterSize = all.length
  const rf = String(Math.min(3, clusterSize))
  const minIsr = clusterSize >= 3 ? '2' : '1'
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(node.nodeId),
    'controller.quorum.voters': all.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    // 127.0.0.1, not localhost: Node may resolve localhost to ::1 first, where nothing listens
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'log.dirs': node.dataDir,
    'auto.create.topics.enable': 'true',
    'num.partitions': '1',
    'default.replication.factor': rf,
    'min.insync.replicas': minIsr,
    'unclean.leader.election.enable': 'false',
    'log.segment.bytes': '1048576',
    'offsets.topic.replication.factor': rf,
    'offsets.topic.num.partitions': String(clusterSize),
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
    'transaction.state.log.num.partitions': String(clusterSize),
    'share.coordinator.state.topic.replication.factor': rf,
    'share.coordinator.state.topic.min.isr': minIsr,
    'share.coordinator.state.topic.num.partitions': String(clusterSize),
    'group.initial.rebalance.delay.ms': '0',
    'num.network.threads': '2',
    'num.io.threads': clusterSize >= 3 ? '2' : '4',
    'background.threads': clusterSize >= 3 ? '2' : '4',
    'num.replica.fetchers': '1',
    'num.recovery.threads.per.data.dir': '1',
    // default 128 MiB, allocated on the heap at start-up
    'log.cleaner.dedupe.buffer.size': clusterSize >= 3 ? '4194304' : '8388608',
    // detect a SIGKILLed broker in 6 s instead of 9 s
    'broker.session.timeout.ms': '6000',
    'broker.heartbeat.interval.ms': '1000',
    // leadership stays where failover put it: tests reason about leaders
    'auto.leader.rebalance.enable': 'false',
    ...overrides,
  }
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`
}

/** Log4j2 (Kafka 4.x) configuration: INFO to stdout, noisy request loggers at WARN. */
export const LOG4J2_BROKER = `status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.req.name = kafka.request.logger
logger.req.level = WARN
logger.reqch.name = kafka.network.RequestChannel$
logger.reqch.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
`

/** Log4j2 (Kafka 4.x) configuration for tools: WARN to stderr. */
export const LOG4J2_TOOLS = `status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
`

/** reload4j (Kafka 3.x) configuration for the broker. */
export const LOG4J1_BROKER = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.state.change.logger=WARN
`

/** reload4j (Kafka 3.x) configuration for tools. */
export const LOG4J1_TOOLS = `log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
`

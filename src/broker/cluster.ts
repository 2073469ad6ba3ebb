import { InvalidArgumentError, KafkaWireError } from '../kafka-wire-error.js'
import { execFile, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { LOG4J1_BROKER, LOG4J1_TOOLS, LOG4J2_BROKER, LOG4J2_TOOLS, nodeProperties, type NodeLayout } from './config.js'
import { ensureKafkaJars } from './download.js'
import { javaBinary } from './java.js'
import { harnessHome } from './paths.js'
import { makeTestPki, scramFormatArgs, securityProperties, type BrokerSecurityOptions, type SecurePorts, type TestPki } from './security.js'
import { commandLine, freePorts, isAlive, portAccepts, spawnJava, tail, waitForExit } from './process.js'
import { DEFAULT_KAFKA_VERSION, kafkaRelease, type KafkaRelease } from './versions.js'

const run = promisify(execFile)

/** The cluster id every node is formatted with (the one Kafka's docker examples use). */
const CLUSTER_ID = '4L6g3nShT-eMCtK--X86sw'

/** Options of {@link KafkaCluster.start}. */
export interface ClusterOptions {
  /** Apache Kafka version to run (jars cached in `.kafka/dist/<version>`). Default {@link DEFAULT_KAFKA_VERSION}. */
  kafkaVersion?: string
  /** Number of combined broker+controller nodes: 1 (single) or 3 (RF 3, min ISR 2). Default 1. */
  nodes?: number
  /** Folder for configs, data, logs and the state file. Default `.kafka/run/<random>`. */
  dir?: string
  /** Keep the folder after {@link KafkaCluster.stop} (the CLI's background broker does). Default false. */
  keepData?: boolean
  /** Start the JVMs in their own process group so they outlive this process. Default false. */
  detached?: boolean
  /** Maximum heap per node in MiB. Default 768 for one node, 512 per node for three. */
  heapMb?: number
  /** Extra broker properties, applied to every node. */
  brokerConfig?: Readonly<Record<string, string>>
  /** Progress lines (download, start). */
  log?: (line: string) => void
  /** How long a node may take to accept connections. Default 120000. */
  startTimeoutMs?: number
  /**
   * Feature levels fixed when the nodes are formatted (`StorageTool format --feature name=level`,
   * KIP-1022, Kafka 3.9+), e.g. `{ 'transaction.version': 1 }` for a 4.x broker on the old
   * transaction protocol (4.x formats with `transaction.version=2`). Unset features take the
   * release's defaults.
   */
  features?: Readonly<Record<string, number>>
  /** Add SSL, SASL_PLAINTEXT and SASL_SSL listeners, a test PKI and SASL users (issue 13). */
  security?: BrokerSecurityOptions
  /** Open an unauthenticated JMX port on 127.0.0.1 (single node only), for broker metrics in tests. */
  jmx?: boolean
}

/**
 * Parses `name=level,name=level` (the `KAFKA_FEATURES` variable of the test setup) into
 * {@link ClusterOptions.features}; an empty or unset list gives `{}`.
 */
export function parseFeatureList(list: string | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const item of (list ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([^=]+)=(\d+)$/.exec(item)
    if (m === null) throw new InvalidArgumentError(`feature setting ${JSON.stringify(item)} is not name=level`)
    out[(m[1] as string).trim()] = Number(m[2])
  }
  featureFormatArgs(out) // validates names and levels now, not when a broker is formatted
  return out
}

/** `--feature name=level` arguments for StorageTool; refuses names and levels the tool would misread. */
export function featureFormatArgs(features: Readonly<Record<string, number>> | undefined): string[] {
  const args: string[] = []
  for (const [name, level] of Object.entries(features ?? {})) {
    if (!/^[a-z][a-z0-9.]*$/.test(name)) throw new InvalidArgumentError(`feature name ${JSON.stringify(name)} is not a Kafka feature name (lower case, dots)`)
    if (!Number.isInteger(level) || level < 0 || level > 0x7fff) throw new InvalidArgumentError(`feature ${name}: level ${level} is not an int16 >= 0`)
    args.push('--feature', `${name}=${level}`)
  }
  return args
}

/** One node as the harness started it. */
export interface NodeState extends NodeLayout {
  /** PID of the JVM, or 0 while the node is down. */
  pid: number
  /** The node's combined stdout/stderr. */
  readonly logPath: string
  readonly configPath: string
  paused: boolean
  /** Ports of the secured listeners, when the cluster was started with `security`. */
  readonly securePorts?: SecurePorts
}

/** What the state file records, so a later process (e.g. `kafka-wire broker stop`) can find the nodes. */
export interface ClusterState {
  readonly kafkaVersion: string
  readonly dir: string
  readonly nodes: NodeState[]
  readonly jvmArgs: string[]
  readonly detached: boolean
  /** The test PKI, when the cluster was started with `security`. */
  readonly pki?: TestPki
  /** JMX port of the single node, when started with `jmx`. */
  readonly jmxPort?: number
}

/** Options of {@link KafkaCluster.createTopic}. */
export interface TopicOptions {
  partitions?: number
  replicationFactor?: number
  configs?: Readonly<Record<string, string>>
}

/** A node did not start, or a tool failed: carries the node's log tail. */
export class BrokerStartError extends KafkaWireError {
  override readonly name = 'BrokerStartError'
}

/**
 * A real Apache Kafka cluster (one or three KRaft nodes) on 127.0.0.1, started from the official
 * jars. Only PIDs this harness spawned are ever signalled; each is checked against its command
 * line before a signal is sent.
 */
export class KafkaCluster {
  private readonly children = new Map<number, ChildProcess>()

  private constructor(
    private readonly state: ClusterState,
    private readonly release: KafkaRelease,
    private readonly libs: string,
    private readonly options: ClusterOptions,
  ) {}

  /**
   * Downloads the jars if needed, formats every node and starts them all; resolves when all accept
   * connections. A port taken between choosing it and the broker binding it (the machine is shared;
   * any client's ephemeral port can land on it) restarts the whole attempt on fresh ports, twice at most.
   */
  static async start(options: ClusterOptions = {}): Promise<KafkaCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await KafkaCluster.startOnce(options)
      } catch (err) {
        const portRace = err instanceof BrokerStartError && err.message.includes('Address already in use')
        if (!portRace || attempt >= 3 || options.dir !== undefined) throw err
        options.log?.(`a chosen port was taken before the broker bound it; starting again on new ports (attempt ${attempt + 1})`)
      }
    }
  }

  private static async startOnce(options: ClusterOptions): Promise<KafkaCluster> {
    const version = options.kafkaVersion ?? DEFAULT_KAFKA_VERSION
    const release = kafkaRelease(version)
    const log = options.log ?? (() => {})
    const libs = await ensureKafkaJars(version, log)
    const count = options.nodes ?? 1
    if (count !== 1 && count !== 3) throw new InvalidArgumentError(`nodes must be 1 or 3, got ${count}`)
    const dir = options.dir ?? join(harnessHome(), 'run', `${version}-${count}n-${randomBytes(4).toString('hex')}`)
    KafkaCluster.killStale(dir)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(join(dir, 'logs'), { recursive: true })
    const security = options.security
    const perNode = security === undefined ? 2 : 6
    // The PKI first: openssl takes seconds, and ports picked before it could be taken meanwhile.
    const pki = security === undefined ? undefined : await makeTestPki(join(dir, 'pki'))
    const ports = await freePorts(count * perNode)
    const layouts: NodeLayout[] = Array.from({ length: count }, (_, i) => ({
      nodeId: i + 1,
      port: ports[i * perNode] as number,
      controllerPort: ports[i * perNode + 1] as number,
      dataDir: join(dir, 'data', `node${i + 1}`),
    }))
    const heap = options.heapMb ?? (count === 1 ? 768 : 512)
    const logConf = join(dir, release.logging === 'log4j2' ? 'log4j2.properties' : 'log4j.properties')
    writeFileSync(logConf, release.logging === 'log4j2' ? LOG4J2_BROKER : LOG4J1_BROKER)
    if (options.jmx === true && count !== 1) throw new InvalidArgumentError('jmx is supported for single-node clusters only')
    const jmxPort = options.jmx === true ? ((await freePorts(1))[0] as number) : undefined
    const jmxArgs =
      jmxPort === undefined
        ? []
        : [
            `-Dcom.sun.management.jmxremote.port=${jmxPort}`,
            `-Dcom.sun.management.jmxremote.rmi.port=${jmxPort}`,
            '-Dcom.sun.management.jmxremote.authenticate=false',
            '-Dcom.sun.management.jmxremote.ssl=false',
            '-Dcom.sun.management.jmxremote.host=127.0.0.1',
            '-Djava.rmi.server.hostname=127.0.0.1',
          ]
    const jvmArgs = [
      ...jmxArgs,
      '-Xms256m',
      `-Xmx${heap}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:InitiatingHeapOccupancyPercent=35',
      '-XX:+ExplicitGCInvokesConcurrent',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      release.logging === 'log4j2' ? `-Dlog4j2.configurationFile=${logConf}` : `-Dlog4j.configuration=file:${logConf}`,
      `-Dkafka.logs.dir=${join(dir, 'logs')}`,
      '-cp',
      `${libs}/*`,
      'kafka.Kafka',
    ]
    const nodes: NodeState[] = layouts.map((layout, i) => {
      const configPath = join(dir, `node${layout.nodeId}.properties`)
      const securePorts: SecurePorts | undefined =
        security === undefined ? undefined : { ssl: ports[i * perNode + 2] as number, saslPlaintext: ports[i * perNode + 3] as number, saslSsl: ports[i * perNode + 4] as number, sslOneWay: ports[i * perNode + 5] as number }
      const secured = securePorts === undefined || pki === undefined || security === undefined ? {} : securityProperties(layout.port, layout.controllerPort, securePorts, pki, security)
      writeFileSync(configPath, nodeProperties(layout, layouts, { ...secured, ...options.brokerConfig }))
      return { ...layout, pid: 0, paused: false, configPath, logPath: join(dir, 'logs', `node${layout.nodeId}.out`), ...(securePorts !== undefined ? { securePorts } : {}) }
    })
    const state: ClusterState = { kafkaVersion: version, dir, nodes, jvmArgs, detached: options.detached ?? false, ...(pki !== undefined ? { pki } : {}), ...(jmxPort !== undefined ? { jmxPort } : {}) }
    const cluster = new KafkaCluster(state, release, libs, options)
    const started = Date.now()
    log(`formatting ${count} Kafka ${version} node(s) in ${dir}`)
    const featureArgs = featureFormatArgs(options.features)
    if (featureArgs.length > 0) log(`formatting with ${featureArgs.filter((_, i) => i % 2 === 1).join(', ')}`)
    const scram = security === undefined ? [] : scramFormatArgs(security)
    await Promise.all(nodes.map((n) => cluster.runTool('kafka.tools.StorageTool', ['format', '-t', CLUSTER_ID, '-c', n.configPath, '-g', ...featureArgs, ...scram])))
    try {
      for (const node of nodes) cluster.spawnNode(node)
      await Promise.all(nodes.map((n) => cluster.waitReady(n)))
    } catch (err) {
      await cluster.stop()
      throw err
    }
    log(`Kafka ${version}: ${count} node(s) ready at ${cluster.bootstrapServers.join(',')} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    return cluster
  }

  /** Reads the state file a previous {@link start} with `keepData` wrote (CLI `broker status/stop`). */
  static attach(dir: string, options: ClusterOptions = {}): KafkaCluster | undefined {
    const file = join(dir, 'cluster.json')
    if (!existsSync(file)) return undefined
    const state = JSON.parse(readFileSync(file, 'utf8')) as ClusterState
    const release = kafkaRelease(state.kafkaVersion)
    const libsArg = state.jvmArgs[state.jvmArgs.indexOf('-cp') + 1] ?? ''
    return new KafkaCluster(state, release, libsArg.replace(/\/\*$/, ''), { ...options, keepData: true })
  }

  /** Kills JVMs a crashed earlier run left behind in `dir` (only if their command line names this dir). */
  private static killStale(dir: string): void {
    const file = join(dir, 'cluster.json')
    if (!existsSync(file)) return
    try {
      const state = JSON.parse(readFileSync(file, 'utf8')) as ClusterState
      for (const node of state.nodes) {
        if (node.pid > 0 && isAlive(node.pid) && commandLine(node.pid).includes(node.configPath)) process.kill(node.pid, 'SIGKILL')
      }
    } catch {
      // an unreadable state file names no process we could safely signal
    }
  }

  /** `host:port` of every node's client listener. */
  get bootstrapServers(): string[] {
    return this.state.nodes.map((n) => `127.0.0.1:${n.port}`)
  }

  /**
   * `host:port` of every node's listener for `protocol` (`SSL`, `SASL_PLAINTEXT`, `SASL_SSL`;
   * `PLAINTEXT` = {@link bootstrapServers}). Throws when the cluster has no secured listeners.
   */
  listenerServers(protocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' | 'SSL_ONEWAY'): string[] {
    if (protocol === 'PLAINTEXT') return this.bootstrapServers
    return this.state.nodes.map((n) => {
      const p = n.securePorts
      if (p === undefined) throw new InvalidArgumentError('this cluster was started without `security`: it has no secured listeners')
      return `127.0.0.1:${protocol === 'SSL' ? p.ssl : protocol === 'SASL_PLAINTEXT' ? p.saslPlaintext : protocol === 'SSL_ONEWAY' ? p.sslOneWay : p.saslSsl}`
    })
  }

  /** The test PKI (CA, client certificate) of a cluster started with `security`. */
  get pki(): TestPki {
    if (this.state.pki === undefined) throw new InvalidArgumentError('this cluster was started without `security`: it has no test PKI')
    return this.state.pki
  }

  /**
   * Reads broker MBean attributes with Kafka's JmxTool (cluster started with `jmx`): the sum of
   * each attribute over every MBean matching `objectName` (e.g. all network processors of a listener).
   */
  async jmxSum(objectName: string, attributes: readonly string[]): Promise<Record<string, number>> {
    const port = this.state.jmxPort
    if (port === undefined) throw new InvalidArgumentError('this cluster was started without `jmx`')
    const { stdout } = await this.runTool('org.apache.kafka.tools.JmxTool', [
      '--jmx-url', `service:jmx:rmi:///jndi/rmi://127.0.0.1:${port}/jmxrmi`,
      '--object-name', objectName,
      '--attributes', attributes.join(','),
      '--one-time', 'true',
      '--report-format', 'csv',
    ])
    // One-time output is one `object-name:attribute,"value"` line per attribute and MBean.
    const out: Record<string, number> = {}
    for (const a of attributes) out[a] = 0
    let seen = 0
    for (const line of stdout.split('\n')) {
      const m = /^(.*):([A-Za-z0-9-]+),"?([-0-9.E+]+)"?$/.exec(line.trim())
      if (m === null || !attributes.includes(m[2] as string)) continue
      out[m[2] as string] = (out[m[2] as string] as number) + Number(m[3])
      seen++
    }
    if (seen === 0) throw new InvalidArgumentError(`JmxTool found no ${attributes.join(', ')} on ${objectName}: ${stdout.slice(0, 500)}`)
    return out
  }

  /** The Kafka version running. */
  get kafkaVersion(): string {
    return this.state.kafkaVersion
  }

  /** The cluster's folder (configs, data, logs). */
  get dir(): string {
    return this.state.dir
  }

  /** A read-only view of the nodes (ids, ports, PIDs, log paths, data dirs). */
  get nodes(): readonly Readonly<NodeState>[] {
    return this.state.nodes
  }

  /** The log file of `nodeId`, for failure reports. */
  logPath(nodeId: number): string {
    return this.node(nodeId).logPath
  }

  /** The data directory (`log.dirs`) of `nodeId`. */
  dataDir(nodeId: number): string {
    return this.node(nodeId).dataDir
  }

  /** Whether the JVM of `nodeId` is running (paused counts as running). */
  isRunning(nodeId: number): boolean {
    const node = this.node(nodeId)
    return node.pid > 0 && isAlive(node.pid)
  }

  /** SIGKILL: a crash. Resolves once the process is gone. */
  async kill(nodeId: number): Promise<void> {
    const node = this.node(nodeId)
    if (!this.owns(node)) return
    process.kill(node.pid, 'SIGKILL')
    await waitForExit(node.pid, 30_000)
    node.pid = 0
    node.paused = false
    this.save()
  }

  /** SIGSTOP: the node freezes with its sockets open (a GC pause or a hung host, as clients see it). */
  pause(nodeId: number): void {
    const node = this.node(nodeId)
    if (!this.owns(node)) throw new InvalidArgumentError(`node ${nodeId} is not running`)
    process.kill(node.pid, 'SIGSTOP')
    node.paused = true
  }

  /** SIGCONT after {@link pause}. */
  resume(nodeId: number): void {
    const node = this.node(nodeId)
    if (!this.owns(node)) throw new InvalidArgumentError(`node ${nodeId} is not running`)
    process.kill(node.pid, 'SIGCONT')
    node.paused = false
  }

  /** Stops `nodeId` gracefully if it runs (SIGTERM, then SIGKILL after `timeoutMs`). */
  async stopNode(nodeId: number, timeoutMs = 30_000): Promise<void> {
    const node = this.node(nodeId)
    if (!this.owns(node)) {
      node.pid = 0
      return
    }
    if (node.paused) process.kill(node.pid, 'SIGCONT')
    process.kill(node.pid, 'SIGTERM')
    if (!(await waitForExit(node.pid, timeoutMs)) && this.owns(node)) {
      process.kill(node.pid, 'SIGKILL')
      await waitForExit(node.pid, 10_000)
    }
    node.pid = 0
    node.paused = false
    this.save()
  }

  /** Starts `nodeId` again with the same command line (no re-format) and waits until it accepts connections. */
  async restart(nodeId: number): Promise<void> {
    const node = this.node(nodeId)
    if (this.owns(node)) await this.stopNode(nodeId)
    this.spawnNode(node)
    await this.waitReady(node)
  }

  /** Stops every node (SIGTERM, SIGKILL after a grace period) and removes the folder unless `keepData`. */
  async stop(options: { graceful?: boolean } = {}): Promise<void> {
    const graceful = options.graceful ?? true
    await Promise.all(
      this.state.nodes.map(async (node) => {
        if (!this.owns(node)) return
        if (graceful) await this.stopNode(node.nodeId, 20_000)
        else await this.kill(node.nodeId)
      }),
    )
    if (!(this.options.keepData ?? false)) rmSync(this.state.dir, { recursive: true, force: true })
  }

  /**
   * Creates a topic with Kafka's own TopicCommand (an implementation we did not write), retrying
   * while the cluster is still settling (e.g. a broker not yet registered for RF 3).
   */
  async createTopic(name: string, options: TopicOptions = {}): Promise<void> {
    const args = [
      '--bootstrap-server',
      this.bootstrapServers.join(','),
      '--create',
      '--if-not-exists',
      '--topic',
      name,
      '--partitions',
      String(options.partitions ?? 1),
      '--replication-factor',
      String(options.replicationFactor ?? Math.min(3, this.state.nodes.length)),
    ]
    for (const [key, value] of Object.entries(options.configs ?? {})) args.push('--config', `${key}=${value}`)
    const deadline = Date.now() + 60_000
    for (;;) {
      try {
        await this.runTool('org.apache.kafka.tools.TopicCommand', args)
        return
      } catch (err) {
        if (Date.now() > deadline) throw err
        await sleep(500)
      }
    }
  }

  /** Runs a Kafka tool class (TopicCommand, DumpLogSegments, ...) in its own small JVM; rejects with its output on failure. */
  async runTool(mainClass: string, args: readonly string[], timeoutMs = 120_000): Promise<{ stdout: string; stderr: string }> {
    const logConf = join(this.state.dir, this.release.logging === 'log4j2' ? 'tools-log4j2.properties' : 'tools-log4j.properties')
    if (!existsSync(logConf)) writeFileSync(logConf, this.release.logging === 'log4j2' ? LOG4J2_TOOLS : LOG4J1_TOOLS)
    const logFlag = this.release.logging === 'log4j2' ? `-Dlog4j2.configurationFile=${logConf}` : `-Dlog4j.configuration=file:${logConf}`
    try {
      return await run(javaBinary(), ['-Xmx256m', '-XX:TieredStopAtLevel=1', logFlag, '-cp', `${this.libs}/*`, mainClass, ...args], {
        timeout: timeoutMs,
        maxBuffer: 256 * 1024 * 1024,
      })
    } catch (err) {
      const e = err as Error & { stdout?: string; stderr?: string }
      throw new BrokerStartError(`${mainClass} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`.trim())
    }
  }

  private node(nodeId: number): NodeState {
    const node = this.state.nodes.find((n) => n.nodeId === nodeId)
    if (node === undefined) throw new InvalidArgumentError(`no node ${nodeId} in this cluster (nodes: ${this.state.nodes.map((n) => n.nodeId).join(', ')})`)
    return node
  }

  /** True only for a live PID that this harness started for `node` (its command line names the node's config). */
  private owns(node: NodeState): boolean {
    return node.pid > 0 && isAlive(node.pid) && commandLine(node.pid).includes(node.configPath)
  }

  private spawnNode(node: NodeState): void {
    const child = spawnJava(javaBinary(), [...this.state.jvmArgs, node.configPath], node.logPath, this.state.detached)
    if (child.pid === undefined) throw new BrokerStartError(`could not start java for node ${node.nodeId}`)
    node.pid = child.pid
    node.paused = false
    if (!this.state.detached) {
      this.children.set(node.nodeId, child)
      // reap the child so it never lingers as a zombie
      child.once('exit', () => this.children.delete(node.nodeId))
    }
    this.save()
  }

  private async waitReady(node: NodeState): Promise<void> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 120_000)
    // The client port opens only after the broker is unfenced (SocketServer defers its acceptor).
    // A listener port taken by another process makes the broker give up, yet that port still
    // accepts (the other process answers): check the log, so start() retries on fresh ports.
    const portTaken = (): boolean => existsSync(node.logPath) && readFileSync(node.logPath, 'utf8').includes('Address already in use')
    while (Date.now() < deadline) {
      const taken = portTaken()
      if (taken || !isAlive(node.pid)) {
        throw new BrokerStartError(`Kafka node ${node.nodeId} (pid ${node.pid}) ${taken ? 'could not bind a listener (Address already in use)' : 'exited during start-up'}; last log lines:\n${tail(node.logPath)}`)
      }
      // Secured listeners open alongside PLAINTEXT, but not necessarily in the same instant.
      const extra = node.securePorts === undefined ? [] : [node.securePorts.ssl, node.securePorts.saslPlaintext, node.securePorts.saslSsl, node.securePorts.sslOneWay]
      if (await portAccepts(node.port, 500)) {
        let all = true
        for (const p of extra) if (!(await portAccepts(p, 500))) all = false
        if (all && !portTaken()) return
      }
      await sleep(200)
    }
    throw new BrokerStartError(`Kafka node ${node.nodeId} did not accept connections on port ${node.port} in time; last log lines:\n${tail(node.logPath)}`)
  }

  private save(): void {
    writeFileSync(join(this.state.dir, 'cluster.json'), JSON.stringify(this.state, null, 2))
  }
}

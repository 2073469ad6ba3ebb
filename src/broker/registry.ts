/** Test harness for a real schema registry: Apicurio Registry from Maven Central, Confluent-compatible API. */
import { execFile, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { checkMaven, HarnessToolError } from './java.js'
import { KafkaWireError } from '../kafka-wire-error.js'
import { harnessHome } from './paths.js'
import { freePorts, spawnJava, tail, waitForExit } from './process.js'

const run = promisify(execFile)

/** The Apicurio Registry version the harness runs (a Quarkus app, `io.apicurio:apicurio-registry-app`). */
export const APICURIO_VERSION = '3.3.3'

/** Path of the Confluent-compatible API under the registry's root URL. */
export const CCOMPAT_PATH = '/apis/ccompat/v7'

/** Apicurio 3.x needs Java 21+; the Kafka brokers' default Java may be older, so this one is looked up first. */
const DEFAULT_REGISTRY_JAVA = '/usr/lib/jvm/temurin-25-jdk-amd64/bin/java'

/** The registry could not be downloaded or did not come up. */
export class RegistryStartError extends KafkaWireError {}

/** Where one Apicurio version is unpacked (its own folder, not the shared Kafka jar cache). */
export function apicurioDir(version = APICURIO_VERSION): string {
  return join(harnessHome(), 'registry', `apicurio-registry-app-${version}`)
}

/**
 * The Java used for the registry: `KAFKA_WIRE_REGISTRY_JAVA`, else Temurin 25 when installed, else
 * `$JAVA_HOME/bin/java` or `java` (which must then be 21+).
 */
export function registryJava(): string {
  const env = process.env.KAFKA_WIRE_REGISTRY_JAVA
  if (env !== undefined && env !== '') return env
  if (existsSync(DEFAULT_REGISTRY_JAVA)) return DEFAULT_REGISTRY_JAVA
  const home = process.env.JAVA_HOME
  return home !== undefined && home !== '' ? `${home}/bin/java` : 'java'
}

/** Checks that `java` is 21 or newer (Quarkus 3.3x refuses older ones with an unhelpful error). */
async function checkRegistryJava(java: string): Promise<void> {
  let text: string
  try {
    const { stderr, stdout } = await run(java, ['-version'], { timeout: 30_000 })
    text = `${stderr}${stdout}`
  } catch (err) {
    throw new HarnessToolError(`Java 21+ is needed for Apicurio Registry and '${java}' could not be run (${(err as Error).message.split('\n')[0]}); set KAFKA_WIRE_REGISTRY_JAVA`)
  }
  const match = /version "(\d+)/.exec(text)
  const major = match === null ? 0 : Number(match[1])
  if (major < 21) throw new HarnessToolError(`Apicurio Registry needs Java 21 or newer, '${java}' is Java ${major}; set KAFKA_WIRE_REGISTRY_JAVA`)
}

/**
 * Makes sure Apicurio Registry `version` is unpacked in the git-ignored cache and returns its folder.
 * Maven fetches the `tar.gz`/`all` artifact into a staging folder that is renamed into place only
 * once unpacked, so an interrupted download is never taken for a cached one.
 */
export async function ensureApicurio(version = APICURIO_VERSION, log: (line: string) => void = () => {}): Promise<string> {
  const dir = apicurioDir(version)
  if (existsSync(join(dir, 'quarkus-run.jar'))) return dir
  await checkMaven()
  const staging = `${dir}.partial`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  log(`downloading Apicurio Registry ${version} from Maven Central into ${dir} ...`)
  const started = Date.now()
  try {
    await run(
      'mvn',
      [
        '-q',
        '-B',
        'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy',
        `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`,
        `-DoutputDirectory=${staging}`,
      ],
      { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024, cwd: staging },
    )
    const archive = readdirSync(staging).find((f) => f.endsWith('.tar.gz'))
    if (archive === undefined) throw new RegistryStartError('Maven finished but no .tar.gz was copied')
    await run('tar', ['-xzf', archive], { cwd: staging, timeout: 10 * 60_000 })
    rmSync(join(staging, archive))
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string }
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n')
    throw new HarnessToolError(`could not download Apicurio Registry ${version}:\n${output || e.message}`)
  }
  if (!existsSync(join(staging, 'quarkus-run.jar'))) throw new HarnessToolError(`Apicurio Registry ${version}: quarkus-run.jar missing after unpacking in ${staging}`)
  rmSync(dir, { recursive: true, force: true })
  renameSync(staging, dir)
  log(`Apicurio Registry ${version} unpacked in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return dir
}

/** Options of {@link ApicurioRegistry.start}. */
export interface RegistryOptions {
  /** TCP port on 127.0.0.1; default: a free one. */
  port?: number
  /** How long to wait for the API to answer. Default 180 s (the JVM starts slowly on a busy machine). */
  startTimeoutMs?: number
  /** JVM heap in MiB. Default 384. */
  heapMb?: number
  log?: (line: string) => void
}

/** A running Apicurio Registry (in-memory storage) bound to 127.0.0.1, its management interface too (on another free port). */
export class ApicurioRegistry {
  /** Root URL, e.g. `http://127.0.0.1:41234`. */
  readonly rootUrl: string
  /** The Confluent-compatible API base URL (`rootUrl` + `/apis/ccompat/v7`). */
  readonly url: string
  /** How long start-up took, in ms (download excluded). */
  readonly startMs: number
  private readonly child: ChildProcess
  /** HTTP port of the API on 127.0.0.1. */
  readonly port: number
  /** Port of Quarkus' management interface, also on 127.0.0.1. */
  readonly managementPort: number
  /** The JVM's stdout/stderr. */
  readonly logPath: string

  private constructor(child: ChildProcess, port: number, managementPort: number, logPath: string, startMs: number) {
    this.child = child
    this.port = port
    this.managementPort = managementPort
    this.logPath = logPath
    this.startMs = startMs
    this.rootUrl = `http://127.0.0.1:${port}`
    this.url = `${this.rootUrl}${CCOMPAT_PATH}`
  }

  /** Downloads if needed, starts the registry and waits until its Confluent API answers. */
  static async start(options: RegistryOptions = {}): Promise<ApicurioRegistry> {
    const log = options.log ?? (() => {})
    const dir = await ensureApicurio(APICURIO_VERSION, log)
    const java = registryJava()
    await checkRegistryJava(java)
    const [free, managementPort] = await freePorts(2)
    const port = options.port ?? free
    if (port === undefined || managementPort === undefined) throw new RegistryStartError('no free port')
    const logsDir = join(harnessHome(), 'registry', 'logs')
    mkdirSync(logsDir, { recursive: true })
    const logPath = join(logsDir, `apicurio-${port}.log`)
    const started = Date.now()
    const child = spawnJava(
      java,
      [
        `-Xmx${options.heapMb ?? 384}m`,
        '-XX:TieredStopAtLevel=1',
        '-Dquarkus.http.host=127.0.0.1',
        `-Dquarkus.http.port=${port}`,
        // The management interface is fixed on at build time (quarkus.management.enabled=false is
        // ignored with a warning); without these it binds 0.0.0.0:9000, so keep it local and free.
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${managementPort}`,
        '-jar',
        join(dir, 'quarkus-run.jar'),
      ],
      logPath,
      false,
    )
    let exited: number | null | undefined
    child.once('exit', (code) => {
      exited = code
    })
    const deadline = started + (options.startTimeoutMs ?? 180_000)
    const probe = `http://127.0.0.1:${port}${CCOMPAT_PATH}/subjects`
    for (;;) {
      if (exited !== undefined) throw new RegistryStartError(`Apicurio Registry exited with code ${String(exited)} while starting:\n${tail(logPath)}`)
      try {
        const res = await fetch(probe, { signal: AbortSignal.timeout(2000) })
        await res.arrayBuffer()
        if (res.status === 200) break
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        throw new RegistryStartError(`Apicurio Registry did not answer on ${probe} within ${options.startTimeoutMs ?? 180_000} ms:\n${tail(logPath)}`)
      }
      await sleep(250)
    }
    const startMs = Date.now() - started
    log(`Apicurio Registry ${APICURIO_VERSION} up on 127.0.0.1:${port} in ${(startMs / 1000).toFixed(1)} s`)
    return new ApicurioRegistry(child, port, managementPort, logPath, startMs)
  }

  /** Stops the JVM we started (SIGTERM, then SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 20_000): Promise<void> {
    const pid = this.child.pid
    if (pid === undefined || this.child.exitCode !== null) return
    this.child.kill('SIGTERM')
    if (!(await waitForExit(pid, timeoutMs))) this.child.kill('SIGKILL')
    await waitForExit(pid, 5_000)
  }
}

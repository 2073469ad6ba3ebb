import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { checkJava, checkMaven, HarnessToolError } from './java.js'
import { libsDir } from './paths.js'
import { kafkaPom, kafkaRelease } from './versions.js'

const run = promisify(execFile)

/** Jars whose absence means the download is broken. */
const REQUIRED_JAR_PREFIXES = ['kafka_2.13-', 'kafka-tools-', 'kafka-clients-', 'kafka-server-common-', 'scala-library-']

function isComplete(dir: string): boolean {
  if (!existsSync(dir)) return false
  const jars = readdirSync(dir)
  return REQUIRED_JAR_PREFIXES.every((prefix) => jars.some((jar) => jar.startsWith(prefix)))
}

/**
 * Makes sure the jars of Apache Kafka `version` are in the git-ignored cache and returns their
 * folder. Downloads with Maven into a temporary folder renamed into place at the end, so an
 * interrupted download is never mistaken for a cached one.
 */
export async function ensureKafkaJars(version: string, log: (line: string) => void = () => {}): Promise<string> {
  const libs = libsDir(version)
  await checkJava()
  if (isComplete(libs)) return libs
  await checkMaven()
  const release = kafkaRelease(version)
  const home = dirname(libs)
  const staging = `${libs}.partial`
  mkdirSync(home, { recursive: true })
  rmSync(staging, { recursive: true, force: true })
  const pom = join(home, 'pom.xml')
  writeFileSync(pom, kafkaPom(release))
  log(`downloading Apache Kafka ${version} jars from Maven Central into ${libs} ...`)
  const started = Date.now()
  try {
    await run(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        pom,
        // fully qualified so Maven need not resolve the plugin prefix itself
        'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
        `-DoutputDirectory=${staging}`,
        '-DincludeScope=runtime',
      ],
      { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 },
    )
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string }
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n')
    throw new HarnessToolError(`could not download Apache Kafka ${version} with Maven:\n${output || e.message}`)
  }
  // Exactly one SLF4J binding: a stray logback jar would steal the broker's logs.
  for (const jar of readdirSync(staging)) if (jar.startsWith('logback-')) rmSync(join(staging, jar))
  if (!isComplete(staging)) throw new HarnessToolError(`Apache Kafka ${version}: Maven finished but jars are missing in ${staging}`)
  rmSync(libs, { recursive: true, force: true })
  renameSync(staging, libs)
  log(`Apache Kafka ${version}: ${readdirSync(libs).length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return libs
}

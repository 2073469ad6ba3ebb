import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

import { KafkaWireError } from '../kafka-wire-error.js'

const run = promisify(execFile)

/** A tool the harness needs (java, mvn) is missing or too old. */
export class HarnessToolError extends KafkaWireError {
  override readonly name = 'HarnessToolError'
}

/** Path of the `java` binary: `$JAVA_HOME/bin/java` when set, else `java` on the PATH. */
export function javaBinary(): string {
  const home = process.env.JAVA_HOME
  return home !== undefined && home !== '' ? `${home}/bin/java` : 'java'
}

/** Checks that Java 17 or newer is available (Kafka 4.x brokers and tools need it). */
export async function checkJava(): Promise<number> {
  let text: string
  try {
    const { stderr, stdout } = await run(javaBinary(), ['-version'], { timeout: 30_000 })
    text = `${stderr}${stdout}`
  } catch (err) {
    throw new HarnessToolError(
      `Java 17+ is needed to run the local Apache Kafka broker, and '${javaBinary()}' could not be run ` +
        `(${(err as Error).message.split('\n')[0]}). On Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless`,
    )
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text)
  const major = match === null ? 0 : Number(match[1] === '1' ? match[2] : match[1])
  if (major < 17) {
    throw new HarnessToolError(`Java ${major} found, Kafka needs Java 17 or newer: apt-get install -y openjdk-17-jre-headless`)
  }
  return major
}

/** Checks that Maven is available (it downloads the broker's jars from Maven Central). */
export async function checkMaven(): Promise<void> {
  try {
    await run('mvn', ['-v'], { timeout: 60_000 })
  } catch (err) {
    throw new HarnessToolError(
      `Maven ('mvn') is needed once to download the Apache Kafka jars from Maven Central and could not be run ` +
        `(${(err as Error).message.split('\n')[0]}). On Debian/Ubuntu: apt-get install -y maven`,
    )
  }
}

/**
 * Apache Kafka versions the harness can run, pinned, with the Maven coordinates of their jars.
 *
 * Why a pom per version: Kafka's Maven POMs leave out the logging backend that the release tarball
 * ships ("releaseOnly" in Kafka's build.gradle), so we add it ourselves; without it the broker logs
 * nothing. Facts: shared/docs/broker-runbook.md §1.3 and §8.
 */
import { ConfigError } from '../producer/errors.js'

/** The newest Apache Kafka release whose jars all resolve from Maven Central here. */
export const DEFAULT_KAFKA_VERSION = '4.4.0'
/** The compatibility broker: the last 3.x line, which still accepts the pre-KIP-896 API versions. */
export const COMPAT_KAFKA_VERSION = '3.9.2'

/** What differs between Kafka release lines for running a broker from jars. */
export interface KafkaRelease {
  readonly version: string
  /** 4.x logs through Log4j2, 3.x through reload4j (log4j 1 API). */
  readonly logging: 'log4j2' | 'reload4j'
  /** Extra `<dependency>` elements for the logging backend. */
  readonly loggingDependencies: readonly string[]
}

function dep(groupId: string, artifactId: string, version: string): string {
  return `<dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`
}

/** Describes a Kafka version; only 3.9.x and 4.x are supported (both run KRaft without ZooKeeper). */
export function kafkaRelease(version: string): KafkaRelease {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version)
  if (match === null) throw new ConfigError('kafkaVersion', `'${version}' is not of the form MAJOR.MINOR.PATCH`)
  const major = Number(match[1])
  const minor = Number(match[2])
  if (major >= 4) {
    const log4j = '2.25.3'
    return {
      version,
      logging: 'log4j2',
      loggingDependencies: [
        dep('org.slf4j', 'slf4j-api', '1.7.36'),
        dep('org.apache.logging.log4j', 'log4j-slf4j-impl', log4j),
        dep('org.apache.logging.log4j', 'log4j-core', log4j),
        dep('org.apache.logging.log4j', 'log4j-api', log4j),
      ],
    }
  }
  if (major === 3 && minor === 9) {
    return {
      version,
      logging: 'reload4j',
      loggingDependencies: [
        dep('org.slf4j', 'slf4j-api', '1.7.36'),
        dep('org.slf4j', 'slf4j-reload4j', '1.7.36'),
        dep('ch.qos.reload4j', 'reload4j', '1.2.25'),
      ],
    }
  }
  throw new ConfigError('kafkaVersion', `Kafka ${version} is not supported by the harness: use 3.9.x or 4.x`)
}

/** The pom.xml whose runtime dependencies are the broker's and the tools' jars. */
export function kafkaPom(release: KafkaRelease): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kafka-wire.harness</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>${release.version}</version>
  <packaging>pom</packaging>
  <dependencies>
    ${dep('org.apache.kafka', 'kafka_2.13', release.version)}
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>${release.version}</version>
      <exclusions>
        <!-- only ConnectPluginPath needs it; dropping it saves ~30 jars (jetty, jersey, hk2) -->
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
      </exclusions>
    </dependency>
    ${release.loggingDependencies.join('\n    ')}
  </dependencies>
</project>
`
}

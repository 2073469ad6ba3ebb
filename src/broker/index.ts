/**
 * The real-broker harness: Apache Kafka from its Maven Central jars, on loopback, for tests,
 * benchmarks and the CLI's local broker.
 */
export { KafkaCluster, BrokerStartError, parseFeatureList, type ClusterOptions, type ClusterState, type NodeState, type TopicOptions } from './cluster.js'
export { ensureKafkaJars } from './download.js'
export { HarnessToolError, checkJava, checkMaven } from './java.js'
export { harnessHome, libsDir } from './paths.js'
export { COMPAT_KAFKA_VERSION, DEFAULT_KAFKA_VERSION } from './versions.js'
export { DEFAULT_TEST_USERS, makeTestPki, type BrokerSecurityOptions, type SecurePorts, type TestPki, type TestUser } from './security.js'

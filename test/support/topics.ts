/** Topics for integration tests, created with kafkajs's admin client (not our code) and waited on until every partition has a leader. */
import { Kafka, logLevel } from 'kafkajs'

/** Creates `topics` with `numPartitions` partitions each (replication factor 1) and waits for their leaders. */
export async function createTopics(brokers: string[], topics: readonly string[], numPartitions = 1): Promise<void> {
  const admin = new Kafka({ clientId: 'kw-test-admin', brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })), waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}


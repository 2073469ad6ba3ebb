// Topic set-up and the end-offset check, through KafkaJS's admin client (an implementation we did
// not write, so a kafka-wire bug cannot hide its own lost records).
import kafkajs from 'kafkajs'
const { Kafka, logLevel } = kafkajs

/** Opens an admin connection; call close() when done. */
export async function openAdmin(bootstrap) {
  const kafka = new Kafka({ clientId: 'bench-admin', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  return {
    /** Creates a fresh topic and waits until its leaders are known. */
    async createTopic(topic, partitions) {
      const created = await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true, timeout: 30_000 })
      if (!created) throw new Error(`topic ${topic} already exists`)
    },
    /** Sum of the partitions' high watermarks (= records appended, for a fresh RF 1 topic). */
    async endOffsetSum(topic) {
      const offsets = await admin.fetchTopicOffsets(topic)
      return offsets.reduce((n, p) => n + Number(p.high), 0)
    },
    /**
     * Warms the broker (JIT, page cache, log segment creation) with an unmeasured produce, so
     * the first client measured does not pay for a cold JVM on the broker side.
     */
    async warmBroker(topic, partitions, values, count) {
      await this.createTopic(topic, partitions)
      const producer = kafka.producer({ allowAutoTopicCreation: false })
      await producer.connect()
      try {
        for (let sent = 0; sent < count; sent += 1000) {
          await producer.send({ topic, acks: 1, messages: Array.from({ length: 1000 }, (_, i) => ({ value: values[(sent + i) % values.length] })) })
        }
      } finally {
        await producer.disconnect()
        await this.deleteTopic(topic).catch(() => {})
      }
    },
    async deleteTopic(topic) {
      await admin.deleteTopics({ topics: [topic], timeout: 30_000 })
    },
    async close() {
      await admin.disconnect()
    },
  }
}

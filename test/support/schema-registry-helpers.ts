/** Helpers for the schema-registry and otel integration tests: topics and a kafkajs reader (a consumer we did not write). */
import { Kafka, logLevel, type IHeaders } from 'kafkajs'

/** A record as kafkajs read it. */
export interface ReadRecord {
  readonly topic: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: IHeaders
  readonly partition: number
  readonly offset: string
}

// createTopics moved to topics.ts (shared by the transaction tests); re-exported for these tests.
export { createTopics } from './topics.js'

/** Reads `expected` records from the beginning of `topics` with kafkajs, within 60 s. */
export async function readWithKafkajs(brokers: string[], topics: readonly string[], expected: number): Promise<ReadRecord[]> {
  const kafka = new Kafka({ clientId: 'kw-sr-kafkajs', brokers, logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `kw-sr-${Math.random().toString(36).slice(2)}` })
  const got: ReadRecord[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs read ${got.length} of ${expected} records in 60 s`)), 60_000)
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            got.push({ topic, partition, key: message.key, value: message.value, headers: message.headers ?? {}, offset: message.offset })
            if (got.length === expected) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch((err: unknown) => {
          clearTimeout(timer)
          reject(err instanceof Error ? err : new Error(String(err)))
        })
    })
  } finally {
    await consumer.disconnect()
  }
  return got
}

/** A unique topic name for one test. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

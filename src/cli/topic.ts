/** Checks that a topic exists (or has the broker create it) before records are sent to it. */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Connection } from '../network/connection.js'
import { MetadataApi } from '../protocol/metadata.js'
import { errorInfo } from '../protocol/errors.js'
import { CliError } from './errors.js'

const UNKNOWN_TOPIC_OR_PARTITION = 3
const LEADER_NOT_AVAILABLE = 5
/** How long to wait for a created topic's partitions to get leaders. */
const TOPIC_READY_TIMEOUT_MS = 30_000

/**
 * Resolves with the partition count of `topic` once every partition has a leader. A missing topic
 * is a {@link CliError} unless `create` is set (the CLI's default, as kcat's), in which case Metadata asks the broker to
 * auto-create it (`allow_auto_topic_creation`, needs `auto.create.topics.enable` on the broker).
 */
export async function ensureTopic(conn: Connection, topic: string, create: boolean): Promise<number> {
  const deadline = Date.now() + TOPIC_READY_TIMEOUT_MS
  for (;;) {
    const md = await conn.send(MetadataApi, { topics: [{ name: topic }], allowAutoTopicCreation: create, includeTopicAuthorizedOperations: false })
    const t = md.topics.find((x) => x.name === topic)
    const code = t?.errorCode ?? UNKNOWN_TOPIC_OR_PARTITION
    if (code === UNKNOWN_TOPIC_OR_PARTITION && !create) {
      throw new CliError(`topic "${topic}" does not exist on ${conn.broker} (UNKNOWN_TOPIC_OR_PARTITION); create it, or drop --no-create to have the broker auto-create it`)
    }
    if (t !== undefined && code === 0 && t.partitions.length > 0 && t.partitions.every((p) => p.leaderId >= 0)) return t.partitions.length
    if (code !== 0 && code !== UNKNOWN_TOPIC_OR_PARTITION && code !== LEADER_NOT_AVAILABLE) {
      throw new CliError(`topic "${topic}": ${errorInfo(code).name} (${code}) from ${conn.broker}`)
    }
    if (Date.now() > deadline) throw new CliError(`topic "${topic}" has no leader for every partition after ${TOPIC_READY_TIMEOUT_MS / 1000} s (${errorInfo(code).name})`)
    await sleep(200)
  }
}

import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../src/broker/index.js'
import { isAlive, portAccepts } from '../../src/broker/process.js'

/** Broker ids a Metadata request (kafkajs, an implementation we did not write) reports as alive. */
async function liveBrokerIds(bootstrap: string[]): Promise<number[]> {
  const kafka = new Kafka({ clientId: 'harness-test', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 2 } })
  const admin = kafka.admin()
  await admin.connect()
  try {
    const cluster = await admin.describeCluster()
    return cluster.brokers.map((b) => b.nodeId).sort()
  } finally {
    await admin.disconnect()
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  while (Date.now() < deadline) {
    try {
      last = await probe()
      if (ok(last)) return last
    } catch {
      // the cluster is between states; ask again
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`)
}

describe('broker harness', () => {
  const clusters: KafkaCluster[] = []
  afterAll(async () => {
    await Promise.all(clusters.map((c) => c.stop({ graceful: false })))
  })

  it('starts a single node, creates a topic with Kafka’s TopicCommand, and frees the port on stop()', async () => {
    const single = await KafkaCluster.start({ nodes: 1 })
    clusters.push(single)
    const port = single.nodes[0]?.port ?? 0
    expect(await portAccepts(port)).toBe(true)
    await single.createTopic('harness-single', { partitions: 3, replicationFactor: 1 })
    const { stdout } = await single.runTool('org.apache.kafka.tools.TopicCommand', [
      '--bootstrap-server',
      single.bootstrapServers.join(','),
      '--describe',
      '--topic',
      'harness-single',
    ])
    expect(stdout).toMatch(/PartitionCount:\s*3/)
    const pid = single.nodes[0]?.pid ?? 0
    await single.stop()
    expect(await portAccepts(port)).toBe(false)
    expect(isAlive(pid)).toBe(false)
  })

  it('runs a 3-node cluster: kill(n) gets the node fenced, restart(n) brings it back', async () => {
    const cluster = await KafkaCluster.start({ nodes: 3 })
    clusters.push(cluster)
    const bootstrap = cluster.bootstrapServers
    await waitFor('3 live brokers', () => liveBrokerIds(bootstrap), (ids) => ids.length === 3, 60_000)
    await cluster.createTopic('harness-rf3', { partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } })

    await cluster.kill(3)
    expect(cluster.isRunning(3)).toBe(false)
    // The controller fences node 3 after broker.session.timeout.ms (6 s); Metadata then lists 2 brokers.
    const survivors = bootstrap.slice(0, 2)
    expect(await waitFor('node 3 fenced', () => liveBrokerIds(survivors), (ids) => ids.length === 2, 60_000)).toEqual([1, 2])

    await cluster.restart(3)
    expect(cluster.isRunning(3)).toBe(true)
    expect(await waitFor('node 3 back', () => liveBrokerIds(bootstrap), (ids) => ids.length === 3, 60_000)).toEqual([1, 2, 3])

    cluster.pause(2)
    cluster.resume(2)
    expect(cluster.isRunning(2)).toBe(true)
  })
})

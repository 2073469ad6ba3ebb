// Transactions under broker failures (issue 14) on a real 3-broker cluster (RF 3, min ISR 2, the
// transaction log and the topic both replicated): the transaction coordinator's broker is killed
// (SIGKILL) while commitTransaction() runs, and the leader of a written partition is killed in the
// middle of a transaction. Whatever each call reports, a read_committed reader we did not write
// (kcat) must see every transaction whole or not at all, all of those reported committed, and none of
// those reported aborted.
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../src/broker/index.js'
import { Connection } from '../../src/network/connection.js'
import { COORDINATOR_KEY_TYPE_TRANSACTION, coordinatorResults, FindCoordinatorApi } from '../../src/protocol/find-coordinator.js'
import { Producer, TimeoutError, TransactionAbortableError, type RecordMetadata } from '../../src/index.js'
import { consumeWithKcat } from '../support/kcat.js'

const PARTITIONS = 6
const RECORDS_PER_TXN = 120
const WAIT_MS = 90_000
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

let cluster: KafkaCluster

beforeAll(async () => {
  cluster = await KafkaCluster.start({ nodes: 3, log: (l) => process.stderr.write(`[txn-faults] ${l}\n`) })
}, 300_000)

afterAll(async () => {
  await cluster?.stop({ graceful: false })
})

/** The node id coordinating `transactionalId`, asked of a running broker. */
async function coordinatorOf(transactionalId: string): Promise<number> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    for (const hp of cluster.bootstrapServers) {
      const i = hp.lastIndexOf(':')
      const conn = new Connection({ host: hp.slice(0, i), port: Number(hp.slice(i + 1)), clientId: 'kw-txn-faults' })
      try {
        await conn.connect()
        const version = conn.versionFor(FindCoordinatorApi)
        const res = await conn.send(FindCoordinatorApi, { keyType: COORDINATOR_KEY_TYPE_TRANSACTION, coordinatorKeys: [transactionalId] }, { version })
        const r = coordinatorResults(res, version, [transactionalId])[0]
        if (r !== undefined && r.errorCode === 0) return r.nodeId
      } catch {
        // a killed broker: ask the next one
      } finally {
        conn.close()
      }
    }
    if (Date.now() > deadline) throw new Error(`no coordinator for ${transactionalId}`)
    await sleep(500)
  }
}

async function leaderOf(topic: string, partition: number): Promise<number> {
  const admin = new Kafka({ clientId: 'kw-txn-faults-admin', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 5 } }).admin()
  await admin.connect()
  try {
    const md = await admin.fetchTopicMetadata({ topics: [topic] })
    return md.topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader ?? -1
  } finally {
    await admin.disconnect()
  }
}

type Outcome = 'committed' | 'aborted' | 'unknown'

interface Txn {
  values: string[]
  outcome: Outcome
  report: string
}

/** One transaction of RECORDS_PER_TXN records over every partition; `during` runs right after commitTransaction() is called. */
async function runTransaction(p: Producer, topic: string, n: number, midway?: () => Promise<void>, during?: () => Promise<void>): Promise<Txn> {
  p.beginTransaction()
  const values: string[] = []
  const sends: Array<Promise<RecordMetadata>> = []
  for (let i = 0; i < RECORDS_PER_TXN; i++) {
    const value = `t${n}-r${i}`
    values.push(value)
    sends.push(p.send({ topic, partition: i % PARTITIONS, value }))
    if (i === RECORDS_PER_TXN / 2 && midway !== undefined) await midway()
  }
  const commit = p.commitTransaction()
  const fault = during?.()
  let outcome: Outcome
  let report: string
  try {
    await commit
    outcome = 'committed'
    report = 'committed'
  } catch (err) {
    report = `${(err as Error).name}: ${(err as Error).message}`
    if (err instanceof TimeoutError) {
      // The commit goes on: ask again for its outcome.
      try {
        await p.commitTransaction()
        outcome = 'committed'
        report += ' → committed on the second call'
      } catch (again) {
        outcome = 'unknown'
        report += ` → ${(again as Error).name}`
      }
    } else if (err instanceof TransactionAbortableError) {
      await p.abortTransaction()
      outcome = 'aborted'
    } else outcome = 'unknown'
  }
  await fault
  await Promise.allSettled(sends)
  return { values, outcome, report }
}

/** kcat read_committed until every committed record is visible (markers follow the commit). */
async function readCommitted(topic: string, expectedAtLeast: number): Promise<string[]> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const got = (await consumeWithKcat(cluster.bootstrapServers, topic, 60_000, ['-X', 'isolation.level=read_committed'])).map((r) => r.value)
    if (got.length >= expectedAtLeast || Date.now() > deadline) return got
    await sleep(500)
  }
}

function checkAtomic(txns: Txn[], visible: string[]): void {
  const seen = new Set(visible)
  for (const [n, t] of txns.entries()) {
    const count = t.values.filter((v) => seen.has(v)).length
    // Whole or nothing, whatever was reported.
    expect([0, t.values.length], `transaction ${n} (${t.report}): ${count}/${t.values.length} visible`).toContain(count)
    if (t.outcome === 'committed') expect(count, `transaction ${n} reported committed`).toBe(t.values.length)
    if (t.outcome === 'aborted') expect(count, `transaction ${n} reported aborted`).toBe(0)
  }
  expect(visible.length).toBe(new Set(visible).size)
}

describe('transactions on a 3-broker cluster with broker failures', () => {
  it('the coordinator broker is killed during commitTransaction(): the commit completes or says why, and read_committed sees no partial transaction', async () => {
    const topic = 'kw-txn-kill-coordinator'
    await cluster.createTopic(topic, { partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } })
    const id = 'kw-txn-kill-coordinator'
    const p = new Producer({ bootstrapServers: cluster.bootstrapServers, transactionalId: id, requestTimeoutMs: 5000, maxBlockMs: 60_000, lingerMs: 5, logger: quiet })
    const txns: Txn[] = []
    try {
      await p.initTransactions()
      const coordinator = await coordinatorOf(id)
      for (let n = 0; n < 6; n++) {
        const kill = n === 2 ? () => cluster.kill(coordinator) : undefined
        txns.push(await runTransaction(p, topic, n, undefined, kill))
      }
      expect(cluster.isRunning(coordinator)).toBe(false)
      expect(await coordinatorOf(id)).not.toBe(coordinator)
      await cluster.restart(coordinator)
    } finally {
      await p.close()
    }
    console.log(`coordinator kill: ${txns.map((t, n) => `#${n} ${t.report}`).join('; ')}`)
    // The transactions after the kill went through the new coordinator.
    expect(txns.slice(3).every((t) => t.outcome === 'committed')).toBe(true)
    checkAtomic(txns, await readCommitted(topic, txns.filter((t) => t.outcome === 'committed').length * RECORDS_PER_TXN))
  }, 300_000)

  it('the leader of a written partition is killed mid-transaction: the commit completes or fails abortable, never partially visible', async () => {
    const topic = 'kw-txn-kill-leader'
    await cluster.createTopic(topic, { partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } })
    const p = new Producer({ bootstrapServers: cluster.bootstrapServers, transactionalId: 'kw-txn-kill-leader', requestTimeoutMs: 5000, maxBlockMs: 60_000, lingerMs: 5, logger: quiet })
    const txns: Txn[] = []
    let victim = -1
    try {
      await p.initTransactions()
      for (let n = 0; n < 5; n++) {
        const midway =
          n === 1
            ? async () => {
                victim = await leaderOf(topic, 0)
                await cluster.kill(victim)
              }
            : undefined
        txns.push(await runTransaction(p, topic, n, midway))
      }
      await cluster.restart(victim)
    } finally {
      await p.close()
    }
    console.log(`leader kill (node ${victim}): ${txns.map((t, n) => `#${n} ${t.report}`).join('; ')}`)
    expect(victim).toBeGreaterThanOrEqual(0)
    expect(txns.slice(2).every((t) => t.outcome === 'committed')).toBe(true)
    checkAtomic(txns, await readCommitted(topic, txns.filter((t) => t.outcome === 'committed').length * RECORDS_PER_TXN))
  }, 300_000)
})

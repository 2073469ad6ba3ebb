// Raw transaction protocol against real brokers (no producer): FindCoordinator for a transactional id,
// InitProducerId with it, then per transaction AddPartitionsToTxn + transactional Produce ≤ v11 + EndTxn
// ≤ v4 (the old protocol, TV1) or Produce v12+ + EndTxn v5 (TV2, KIP-890 part 2), with consumer group
// offsets through AddOffsetsToTxn/TxnOffsetCommit. kcat (librdkafka) then reads with read_committed
// and read_uncommitted, the COMMIT/ABORT markers are decoded from the broker's own segment file, and
// Kafka's consumer-groups tool reports the committed offsets. Brokers: 4.4 (TV2 by default), 4.4
// formatted with transaction.version=1 (started here), and 3.9.
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_KAFKA_VERSION, KafkaCluster, libsDir, parseFeatureList } from '../../src/broker/index.js'
import { Connection } from '../../src/network/connection.js'
import { AddOffsetsToTxnApi } from '../../src/protocol/add-offsets-to-txn.js'
import { AddPartitionsToTxnApi } from '../../src/protocol/add-partitions-to-txn.js'
import { decodeControlRecordKey, decodeEndTransactionMarker } from '../../src/protocol/control-record.js'
import { END_TXN_MAX_VERSION_TV1, EndTxnApi, type EndTxnResponse } from '../../src/protocol/end-txn.js'
import { errorInfo, ProtocolError } from '../../src/protocol/errors.js'
import { isTransactionV2Enabled, PRODUCE_MAX_VERSION_TV1, transactionVersion } from '../../src/protocol/features.js'
import { COORDINATOR_KEY_TYPE_GROUP, COORDINATOR_KEY_TYPE_TRANSACTION, coordinatorResults, FindCoordinatorApi, type FindCoordinatorResult } from '../../src/protocol/find-coordinator.js'
import { InitProducerIdApi } from '../../src/protocol/init-producer-id.js'
import { MetadataApi, type MetadataResponse } from '../../src/protocol/metadata.js'
import { ProduceApi } from '../../src/protocol/produce.js'
import { decodeRecordBatches, RecordBatchBuilder, type DecodedRecordBatch } from '../../src/protocol/record-batch.js'
import { TXN_OFFSET_COMMIT_MAX_VERSION_TV1, TxnOffsetCommitApi } from '../../src/protocol/txn-offset-commit.js'
import { ZERO_UUID } from '../../src/protocol/writer.js'
import { bootstrapServers, bootstrapServers39, brokerDataDir, brokerDataDir39 } from '../support/broker.js'

const run = promisify(execFile)
const WAIT_MS = 90_000

// Retriable answers of the transaction coordinator while it loads, moves or finishes the previous
// transaction (Java TransactionManager: CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS, ...).
const RETRY = new Set(['CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR', 'NOT_LEADER_OR_FOLLOWER', 'UNKNOWN_TOPIC_OR_PARTITION'])

/** Calls `attempt` until its error code is not a retriable coordinator answer, within WAIT_MS. */
async function retrying<T>(what: string, attempt: () => Promise<T>, code: (r: T) => number): Promise<T> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const res = await attempt()
    const name = errorInfo(code(res)).name
    if (!RETRY.has(name)) return res
    if (Date.now() > deadline) throw new Error(`${what}: still ${name} after ${WAIT_MS} ms`)
    await sleep(100)
  }
}

function parse(hostPort: string): { host: string; port: number } {
  const i = hostPort.lastIndexOf(':')
  return { host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) }
}

interface Target {
  readonly name: string
  /** Filled in by beforeAll for brokers this file starts. */
  servers: string[]
  dataDir: string | undefined
  kafkaVersion: string
  readonly expectedTransactionVersion: number
}

// The main broker is 4.x, formatted with transaction.version=2 unless KAFKA_FEATURES says otherwise.
const mainTv = parseFeatureList(process.env.KAFKA_FEATURES)['transaction.version'] ?? 2
const mainVersion = process.env.KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION
const targets: Target[] = [
  { name: `${mainVersion} (transaction.version=${mainTv})`, servers: bootstrapServers(), dataDir: brokerDataDir(), kafkaVersion: mainVersion, expectedTransactionVersion: mainTv },
  { name: `${DEFAULT_KAFKA_VERSION} formatted with transaction.version=1`, servers: [], dataDir: undefined, kafkaVersion: DEFAULT_KAFKA_VERSION, expectedTransactionVersion: 1 },
]
const servers39 = bootstrapServers39()
if (servers39 !== undefined) targets.push({ name: '3.9', servers: servers39, dataDir: brokerDataDir39(), kafkaVersion: '3.9.2', expectedTransactionVersion: 0 })

let tv1Cluster: KafkaCluster | undefined
const connections: Connection[] = []

beforeAll(async () => {
  tv1Cluster = await KafkaCluster.start({ features: { 'transaction.version': 1 }, heapMb: 512, log: (l) => process.stderr.write(`[txn-test] ${l}\n`) })
  const t = targets[1] as Target
  t.servers = tv1Cluster.bootstrapServers
  t.dataDir = tv1Cluster.dataDir(1)
}, 240_000)

afterAll(async () => {
  for (const c of connections) c.close()
  await tv1Cluster?.stop({ graceful: false })
})

async function open(hostPort: string): Promise<Connection> {
  const { host, port } = parse(hostPort)
  const c = new Connection({ host, port, clientId: 'kw-txn-protocol-test' })
  connections.push(c)
  await c.connect()
  return c
}

/** Creates `topic` through Metadata auto-creation and waits until partition 0 has a leader. */
async function autoCreateTopic(conn: Connection, topic: string): Promise<MetadataResponse> {
  const version = conn.versionFor(MetadataApi)
  const md = await retrying(`Metadata ${topic}`, async () => {
    const r = await conn.send(MetadataApi, { topics: [{ name: topic }], allowAutoTopicCreation: true }, { version })
    const t = r.topics[0]
    // LEADER_NOT_AVAILABLE while the new topic gets its leader: wait like UNKNOWN_TOPIC_OR_PARTITION.
    return { r, code: t === undefined || t.errorCode === 5 || (t.partitions[0]?.leaderId ?? -1) < 0 ? 3 : t.errorCode }
  }, (x) => x.code)
  expect(errorInfo(md.code).name).toBe('NONE')
  return md.r
}

async function findCoordinator(conn: Connection, keyType: number, key: string, version: number): Promise<FindCoordinatorResult> {
  const res = await retrying(`FindCoordinator v${version} ${key}`, async () => {
    const r = await conn.send(FindCoordinatorApi, { keyType, coordinatorKeys: [key] }, { version })
    const list = coordinatorResults(r, version, [key])
    expect(list.length).toBe(1)
    return list[0] as FindCoordinatorResult
  }, (c) => c.errorCode)
  expect(errorInfo(res.errorCode).name).toBe('NONE')
  expect(res.key).toBe(key)
  return res
}

/** Every record batch of partition 0 as the broker stored it; a half-written tail is left for the next look. */
function segmentBatches(dataDir: string, topic: string): DecodedRecordBatch[] {
  const dir = join(dataDir, `${topic}-0`)
  const out: DecodedRecordBatch[] = []
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const bytes = readFileSync(join(dir, f))
    try {
      out.push(...decodeRecordBatches(bytes))
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e
    }
  }
  return out
}

async function waitForMarkers(dataDir: string, topic: string, count: number): Promise<DecodedRecordBatch[]> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const markers = segmentBatches(dataDir, topic).filter((b) => b.isControl)
    if (markers.length >= count) return markers
    if (Date.now() > deadline) throw new Error(`${topic}: ${markers.length}/${count} transaction markers after ${WAIT_MS} ms`)
    await sleep(200)
  }
}

/** Kafka's own DumpLogSegments over partition 0: the (type, coordinator epoch) of every transaction marker it finds. */
async function kafkaToolMarkers(dataDir: string, topic: string): Promise<[string, number][]> {
  const dir = join(dataDir, `${topic}-0`)
  const files = readdirSync(dir).filter((n) => n.endsWith('.log')).sort().map((n) => join(dir, n))
  const { stdout } = await run('java', ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', `${libsDir(DEFAULT_KAFKA_VERSION)}/*`, 'org.apache.kafka.tools.DumpLogSegments', '--files', files.join(','), '--print-data-log', '--deep-iteration'], { timeout: 120_000 })
  return [...stdout.matchAll(/endTxnMarker: (\w+) coordinatorEpoch: (\d+)/g)].map((m) => [m[1] as string, Number(m[2])])
}

/** kcat (librdkafka) reads partition 0 from the beginning to its end with `isolation`; repeats until `expected` values arrive. */
async function kcatValues(servers: string[], topic: string, isolation: 'read_committed' | 'read_uncommitted', expected: number): Promise<string[]> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const { stdout } = await run('kcat', ['-C', '-b', servers.join(','), '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`, '-X', 'check.crcs=true', '-f', '%s\n'], { timeout: 60_000 })
    const values = stdout.split('\n').filter((l) => l !== '')
    if (values.length >= expected || Date.now() > deadline) return values
    await sleep(300)
  }
}

/** Kafka's consumer-groups tool: the group's committed offset of partition 0 of `topic`, or undefined. */
async function committedOffset(servers: string[], kafkaVersion: string, group: string, topic: string): Promise<number | undefined> {
  const { stdout } = await run('java', ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', `${libsDir(kafkaVersion)}/*`, 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', '--bootstrap-server', servers.join(','), '--describe', '--group', group], { timeout: 120_000 })
  for (const line of stdout.split('\n')) {
    const cols = line.trim().split(/\s+/)
    if (cols[1] === topic && cols[2] === '0') return cols[3] === '-' ? undefined : Number(cols[3])
  }
  return undefined
}

describe('raw transaction protocol against real brokers', () => {
  it('covers the 3.9 broker too, or says it did not', () => {
    if (servers39 === undefined) console.warn('KAFKA_BOOTSTRAP_39 not available: the 3.9 broker was NOT covered by this run')
    expect(targets.length).toBeGreaterThanOrEqual(2)
  })

  for (const target of targets) {
    const flows: ('TV1' | 'TV2')[] = target.expectedTransactionVersion >= 2 ? ['TV2', 'TV1'] : ['TV1']
    for (const flow of flows) {
      it(`${target.name}: ${flow} commit, abort, commit — read_committed sees only committed records, markers and group offsets match`, async () => {
        const bootstrap = await open(target.servers[0] as string)
        // transaction.version comes from the handshake's finalized features (ApiVersions v3+).
        expect(transactionVersion(bootstrap.finalizedFeatures), 'finalized transaction.version').toBe(target.expectedTransactionVersion)
        expect(isTransactionV2Enabled(bootstrap.finalizedFeatures)).toBe(target.expectedTransactionVersion >= 2)
        const tv2 = flow === 'TV2'

        const suffix = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
        const topic = `kw-txn-${flow}-${suffix}`
        const txnId = `kw-txn-${flow}-${suffix}`
        const group = `kw-txn-group-${suffix}`
        const md = await autoCreateTopic(bootstrap, topic)
        const topicMd = md.topics[0]
        const leaderId = topicMd?.partitions.find((p) => p.partitionIndex === 0)?.leaderId
        const leader = md.brokers.find((b) => b.nodeId === leaderId)
        expect(leader).toBeDefined()
        const topicId = topicMd?.topicId ?? ZERO_UUID

        // FindCoordinator for the transactional id at the highest version (batched keys on 3.9 and 4.4)
        // and at v3 (one key, top-level fields): both name the same broker.
        const fcHigh = bootstrap.versionFor(FindCoordinatorApi)
        expect(fcHigh).toBe(6) // 3.9 already advertises v6 (share groups, KIP-932 early access)
        const coord = await findCoordinator(bootstrap, COORDINATOR_KEY_TYPE_TRANSACTION, txnId, fcHigh)
        const coordV3 = await findCoordinator(bootstrap, COORDINATOR_KEY_TYPE_TRANSACTION, txnId, 3)
        expect([coordV3.nodeId, coordV3.host, coordV3.port]).toEqual([coord.nodeId, coord.host, coord.port])
        const txnConn = await open(`${coord.host}:${coord.port}`)
        const produceConn = await open(`${leader?.host}:${leader?.port}`)

        // InitProducerId with the transactional id and -1/-1 (first init).
        const ipVersion = txnConn.versionFor(InitProducerIdApi)
        expect(ipVersion).toBe(5)
        const ip = await retrying('InitProducerId', () => txnConn.send(InitProducerIdApi, { transactionalId: txnId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, { version: ipVersion }), (r) => r.errorCode)
        expect(errorInfo(ip.errorCode).name).toBe('NONE')
        expect(ip.producerId).toBeGreaterThanOrEqual(0n)
        let producerId = ip.producerId
        let epoch = ip.producerEpoch

        const produceVersion = tv2 ? produceConn.versionFor(ProduceApi) : Math.min(PRODUCE_MAX_VERSION_TV1, produceConn.versionFor(ProduceApi))
        const endTxnVersion = tv2 ? txnConn.versionFor(EndTxnApi) : Math.min(END_TXN_MAX_VERSION_TV1, txnConn.versionFor(EndTxnApi))
        const apVersion = txnConn.versionFor(AddPartitionsToTxnApi)
        expect(apVersion).toBe(3)
        if (tv2) {
          expect(produceVersion).toBeGreaterThanOrEqual(12)
          expect(endTxnVersion).toBe(5)
        }
        if (target.kafkaVersion.startsWith('4.')) {
          // A 4.x broker advertises the same ranges whatever its transaction.version (Produce v13,
          // EndTxn v5): only the finalized feature tells a client which protocol to speak.
          expect(produceConn.apiVersions.get(ProduceApi.apiKey)?.maxVersion).toBe(13)
          expect(txnConn.apiVersions.get(EndTxnApi.apiKey)?.maxVersion).toBe(5)
        }

        const groupCoord = await findCoordinator(bootstrap, COORDINATOR_KEY_TYPE_GROUP, group, fcHigh)
        const groupConn = await open(`${groupCoord.host}:${groupCoord.port}`)
        const tocVersion = tv2 ? groupConn.versionFor(TxnOffsetCommitApi) : Math.min(TXN_OFFSET_COMMIT_MAX_VERSION_TV1, groupConn.versionFor(TxnOffsetCommitApi))
        if (tv2) expect(tocVersion).toBe(5)

        const plan = [
          { commit: true, values: ['c0', 'c1', 'c2', 'c3', 'c4'], offset: 100n },
          { commit: false, values: ['a0', 'a1', 'a2', 'a3'], offset: 999n },
          { commit: true, values: ['c5', 'c6', 'c7'], offset: 200n },
        ]
        let sequence = 0
        for (const [i, txn] of plan.entries()) {
          if (!tv2) {
            // TV1: the partition joins the transaction explicitly before the first Produce to it;
            // CONCURRENT_TRANSACTIONS while the coordinator still completes the previous one.
            const ap = await retrying('AddPartitionsToTxn', () => txnConn.send(AddPartitionsToTxnApi, { transactionalId: txnId, producerId, producerEpoch: epoch, topics: [{ name: topic, partitions: [0] }] }, { version: apVersion }),
              (r) => r.resultsByTopic[0]?.resultsByPartition[0]?.partitionErrorCode ?? -1)
            expect(ap.resultsByTopic).toEqual([{ name: topic, resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 0 }] }])
          }
          const b = new RecordBatchBuilder(4096)
          // Current timestamps: records dated years back are deleted by time-based retention
          // (retention.ms 7 days) on the broker's first retention pass, 30 s after it starts.
          const now = Date.now()
          for (const v of txn.values) expect(b.tryAppend(now, Buffer.from(`k-${v}`), Buffer.from(v), null)).toBe(true)
          const batch = b.build({ producerId, producerEpoch: epoch, baseSequence: sequence, transactional: true })
          // Under TV2 the first Produce of a transaction may meet CONCURRENT_TRANSACTIONS while the previous completes.
          const pr = await retrying('Produce', () => produceConn.send(ProduceApi, {
            transactionalId: txnId, acks: -1, timeoutMs: 30_000,
            topicData: [{ name: produceVersion >= 13 ? '' : topic, topicId: produceVersion >= 13 ? topicId : ZERO_UUID, partitionData: [{ index: 0, records: batch }] }],
          }, { version: produceVersion }), (r) => r.responses[0]?.partitionResponses[0]?.errorCode ?? -1)
          expect(errorInfo(pr.responses[0]?.partitionResponses[0]?.errorCode ?? -1).name, `Produce v${produceVersion}`).toBe('NONE')
          sequence += txn.values.length

          // Offsets of a consumer group inside the transaction: AddOffsetsToTxn (TV1 only), then TxnOffsetCommit.
          if (!tv2) {
            const ao = await retrying('AddOffsetsToTxn', () => txnConn.send(AddOffsetsToTxnApi, { transactionalId: txnId, producerId, producerEpoch: epoch, groupId: group }), (r) => r.errorCode)
            expect(errorInfo(ao.errorCode).name).toBe('NONE')
          }
          const toc = await retrying('TxnOffsetCommit', () => groupConn.send(TxnOffsetCommitApi, {
            transactionalId: txnId, groupId: group, producerId, producerEpoch: epoch, generationId: -1, memberId: '', groupInstanceId: null,
            topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: txn.offset, committedLeaderEpoch: -1, committedMetadata: `txn-${i}` }] }],
          }, { version: tocVersion }), (r) => r.topics[0]?.partitions[0]?.errorCode ?? -1)
          expect(toc.topics).toEqual([{ name: topic, partitions: [{ partitionIndex: 0, errorCode: 0 }] }])

          const end: EndTxnResponse = await retrying('EndTxn', () => txnConn.send(EndTxnApi, { transactionalId: txnId, producerId, producerEpoch: epoch, committed: txn.commit }, { version: endTxnVersion }), (r) => r.errorCode)
          expect(errorInfo(end.errorCode).name, `EndTxn v${endTxnVersion}`).toBe('NONE')
          if (endTxnVersion >= 5) {
            // TV2: every EndTxn bumps the epoch and hands it back; sequences restart at 0.
            expect(end.producerId).toBe(producerId)
            expect(end.producerEpoch).toBe(epoch + 1)
            producerId = end.producerId
            epoch = end.producerEpoch
            sequence = 0
          } else {
            expect([end.producerId, end.producerEpoch]).toEqual([-1n, -1])
          }
        }

        // The markers, as the broker wrote them into the partition's segment: COMMIT, ABORT, COMMIT.
        if (target.dataDir !== undefined) {
          const markers = await waitForMarkers(target.dataDir, topic, plan.length)
          expect(markers.length).toBe(plan.length)
          const kinds = markers.map((m) => decodeControlRecordKey(m.records?.[0]?.key ?? null).typeName)
          expect(kinds).toEqual(plan.map((p) => (p.commit ? 'COMMIT' : 'ABORT')))
          for (const m of markers) {
            expect(m).toMatchObject({ isTransactional: true, crcValid: true, recordCount: 1, producerId })
            expect(decodeEndTransactionMarker(m.records?.[0]?.value ?? null).coordinatorEpoch).toBeGreaterThanOrEqual(0)
          }
          // Kafka's own tool reads the same markers from the same bytes.
          const ours = markers.map((m): [string, number] => [decodeControlRecordKey(m.records?.[0]?.key ?? null).typeName, decodeEndTransactionMarker(m.records?.[0]?.value ?? null).coordinatorEpoch])
          expect(await kafkaToolMarkers(target.dataDir, topic)).toEqual(ours)
          const data = segmentBatches(target.dataDir, topic).filter((b) => !b.isControl)
          expect(data.map((d) => d.isTransactional)).toEqual(plan.map(() => true))
        } else {
          console.warn(`${target.name}: no data dir, transaction markers not read from the segment`)
        }

        const committed = plan.filter((p) => p.commit).flatMap((p) => p.values)
        const all = plan.flatMap((p) => p.values)
        expect(await kcatValues(target.servers, topic, 'read_committed', committed.length)).toEqual(committed)
        // read_uncommitted sees the aborted records too: the abort really wrote them.
        expect(await kcatValues(target.servers, topic, 'read_uncommitted', all.length)).toEqual(all)
        // The group's offset is the last committed transaction's, not the aborted one's.
        expect(await committedOffset(target.servers, target.kafkaVersion, group, topic)).toBe(Number(plan[2]?.offset))
      }, 300_000)
    }

    it(`${target.name}: batched FindCoordinator, KIP-360 epoch bump, and a second InitProducerId fencing the first`, async () => {
      const bootstrap = await open(target.servers[0] as string)
      const suffix = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
      const txnA = `kw-fence-a-${suffix}`
      const txnB = `kw-fence-b-${suffix}`
      const topic = `kw-fence-${suffix}`
      await autoCreateTopic(bootstrap, topic)
      // v4+ batches keys (KIP-699): one request, one answer per key.
      const fc = await retrying('FindCoordinator batched', async () => {
        const r = await bootstrap.send(FindCoordinatorApi, { keyType: COORDINATOR_KEY_TYPE_TRANSACTION, coordinatorKeys: [txnA, txnB] }, { version: 4 })
        return { r, code: r.coordinators.map((c) => c.errorCode).find((c) => c !== 0) ?? 0 }
      }, (x) => x.code)
      expect(fc.r.coordinators.map((c) => c.key).sort()).toEqual([txnA, txnB].sort())
      const coord = fc.r.coordinators.find((c) => c.key === txnA) as FindCoordinatorResult
      const txnConn = await open(`${coord.host}:${coord.port}`)
      const init = (producerId: bigint, producerEpoch: number) =>
        retrying('InitProducerId', () => txnConn.send(InitProducerIdApi, { transactionalId: txnA, transactionTimeoutMs: 60_000, producerId, producerEpoch }, { version: 5 }), (r) => r.errorCode)
      const first = await init(-1n, -1)
      expect(errorInfo(first.errorCode).name).toBe('NONE')
      // KIP-360: the holder of a known id/epoch asks for a bump and keeps its producer id.
      const bumped = await init(first.producerId, first.producerEpoch)
      expect(errorInfo(bumped.errorCode).name).toBe('NONE')
      expect([bumped.producerId, bumped.producerEpoch]).toEqual([first.producerId, first.producerEpoch + 1])
      // A second instance with the same transactional id (-1/-1) fences the holder of `bumped`.
      const second = await init(-1n, -1)
      expect(errorInfo(second.errorCode).name).toBe('NONE')
      expect([second.producerId, second.producerEpoch]).toEqual([first.producerId, bumped.producerEpoch + 1])
      // TransactionCoordinator: an epoch other than the current one is PRODUCER_FENCED; KafkaApis
      // answers INVALID_PRODUCER_EPOCH instead to EndTxn/AddPartitionsToTxn below v2 (older clients).
      const zombie = { transactionalId: txnA, producerId: bumped.producerId, producerEpoch: bumped.producerEpoch }
      const endV4 = await txnConn.send(EndTxnApi, { ...zombie, committed: true }, { version: 4 })
      expect(errorInfo(endV4.errorCode).name).toBe('PRODUCER_FENCED')
      const endV1 = await txnConn.send(EndTxnApi, { ...zombie, committed: true }, { version: 1 })
      expect(errorInfo(endV1.errorCode).name).toBe('INVALID_PRODUCER_EPOCH')
      const ap = await txnConn.send(AddPartitionsToTxnApi, { ...zombie, topics: [{ name: topic, partitions: [0] }] }, { version: 3 })
      expect(ap.resultsByTopic.flatMap((t) => t.resultsByPartition.map((p) => errorInfo(p.partitionErrorCode).name))).toEqual(['PRODUCER_FENCED'])
    }, 300_000)
  }
})

/**
 * The fault proxy itself, against the real brokers (4.4 and 3.9): it rewrites advertised addresses,
 * and each fault does what the tests that rely on it assume — the broker itself answers a flipped
 * byte with CORRUPT_MESSAGE and writes nothing, a swallowed response was written but its connection
 * dies, a request dropped before forwarding never reaches the log, a delay keeps order.
 */
import { execFile } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { Connection } from '../../src/network/connection.js'
import { NetworkError } from '../../src/network/errors.js'
import { errorInfo } from '../../src/protocol/errors.js'
import { MetadataApi } from '../../src/protocol/metadata.js'
import { ProduceApi, type ProduceRequest, type ProduceResponse } from '../../src/protocol/produce.js'
import { RecordBatchBuilder } from '../../src/protocol/record-batch.js'
import { bootstrapServers, bootstrapServers39 } from '../support/broker.js'
import { FaultProxy, type FaultProxyOptions } from '../support/fault-proxy.js'
import { consumeWithKcat } from '../support/kcat.js'

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

async function startProxy(upstream: string[], options: Partial<FaultProxyOptions> = {}): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ upstream, seed: 1, ...options })
  cleanup.push(() => proxy.stop())
  return proxy
}

async function connectTo(address: string): Promise<Connection> {
  const i = address.lastIndexOf(':')
  const conn = new Connection({ host: address.slice(0, i), port: Number(address.slice(i + 1)), clientId: 'fault-proxy-test', requestTimeoutMs: 30_000 })
  cleanup.push(() => conn.close())
  await conn.connect()
  return conn
}

/** Creates `topic` (auto-creation) and waits for its leader; returns its id. */
async function topicId(conn: Connection, topic: string, partitions = 1): Promise<string> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const md = await conn.send(MetadataApi, { topics: [{ name: topic }], allowAutoTopicCreation: true })
    const t = md.topics[0]
    if (t !== undefined && t.errorCode === 0 && t.partitions.length >= partitions && t.partitions.every((p) => p.leaderId >= 0)) return t.topicId
    if (Date.now() > deadline) throw new Error(`topic ${topic} has no leader after 60 s`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

function produceRequest(topic: string, id: string, values: readonly string[]): ProduceRequest {
  const b = new RecordBatchBuilder(4096)
  for (const v of values) b.tryAppend(Date.now(), Buffer.from(`k-${v}`), Buffer.from(v), null)
  return { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, topicId: id, partitionData: [{ index: 0, records: b.build() }] }] }
}

function partitionResult(res: ProduceResponse): { errorCode: number; baseOffset: bigint } {
  const p = res.responses[0]?.partitionResponses[0]
  if (p === undefined) throw new Error('Produce response without a partition')
  return p
}

/** Runs a command and returns its stdout (with `input` on stdin). */
function run_(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => (err !== null ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve(stdout)))
    if (input !== undefined) child.stdin?.end(input)
  })
}

const unique = (name: string): string => `proxy-${name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`

const brokers: [string, () => string[] | undefined][] = [
  ['4.4', () => bootstrapServers()],
  ['3.9', () => bootstrapServers39()],
]

describe.each(brokers)('FaultProxy in front of Kafka %s', (label, servers) => {
  const upstream = (): string[] => {
    const s = servers()
    if (s === undefined) throw new Error(`no ${label} broker: run without KAFKA_SKIP_39 or set KAFKA_BOOTSTRAP_39`)
    return s
  }
  // The 3.9 broker is only absent when the run asked for that (KAFKA_SKIP_39=1); say so in the name.
  const run = label === '3.9' && process.env.KAFKA_SKIP_39 === '1' ? it.skip : it

  run('rewrites every advertised broker address in Metadata to a proxy port', async () => {
    const proxy = await startProxy(upstream())
    const conn = await connectTo(proxy.bootstrapServers[0] ?? '')
    const md = await conn.send(MetadataApi, { topics: [], allowAutoTopicCreation: false })
    expect(md.brokers.length).toBeGreaterThan(0)
    for (const b of md.brokers) {
      expect(b.host).toBe('127.0.0.1')
      expect(upstream()).not.toContain(`${b.host}:${b.port}`)
      // the rewritten address is a live proxy port in front of that broker
      const via = await connectTo(`${b.host}:${b.port}`)
      expect((await via.send(MetadataApi, { topics: [], allowAutoTopicCreation: false })).brokers.map((x) => x.nodeId)).toContain(b.nodeId)
    }
    expect(proxy.counts().metadataRewritten).toBeGreaterThanOrEqual(2)
    expect(proxy.errors).toEqual([])
  })

  run('a flipped byte in a batch is refused by the broker with CORRUPT_MESSAGE and nothing is written', async () => {
    const topic = unique('corrupt')
    const proxy = await startProxy(upstream(), { faults: { corrupt: 1 } })
    const conn = await connectTo(proxy.bootstrapServers[0] ?? '')
    const id = await topicId(conn, topic)
    const bad = partitionResult(await conn.send(ProduceApi, produceRequest(topic, id, ['a', 'b', 'c'])))
    expect(errorInfo(bad.errorCode).name).toBe('CORRUPT_MESSAGE')
    expect(proxy.counts().corrupt).toBe(1)
    expect(proxy.events[0]?.detail).toMatch(/byte (6[1-9]|[7-9]\d|\d{3,})$/)
    proxy.setFaults({})
    const good = partitionResult(await conn.send(ProduceApi, produceRequest(topic, id, ['d'])))
    expect(good.errorCode).toBe(0)
    // offset 0: the refused batch took no offsets
    expect(good.baseOffset).toBe(0n)
    expect((await consumeWithKcat(upstream(), topic)).map((r) => r.value)).toEqual(['d'])
  })

  run('a swallowed response closes the connection although the broker wrote the batch', async () => {
    const topic = unique('swallow')
    const proxy = await startProxy(upstream(), { faults: { swallowResponse: 1 } })
    const conn = await connectTo(proxy.bootstrapServers[0] ?? '')
    const id = await topicId(conn, topic)
    const closed = new Promise<NetworkError | undefined>((resolve) => conn.onClose(resolve))
    const err = await conn.send(ProduceApi, produceRequest(topic, id, ['x', 'y'])).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(NetworkError)
    expect(await closed).toBeInstanceOf(NetworkError)
    expect(conn.state).toBe('closed')
    expect(proxy.counts().swallowResponse).toBe(1)
    expect((await consumeWithKcat(upstream(), topic)).map((r) => r.value)).toEqual(['x', 'y'])
  })

  run('a request dropped before forwarding closes the connection and never reaches the log', async () => {
    const topic = unique('drop')
    const proxy = await startProxy(upstream(), { faults: { dropBeforeForward: 1 } })
    const conn = await connectTo(proxy.bootstrapServers[0] ?? '')
    const id = await topicId(conn, topic)
    const err = await conn.send(ProduceApi, produceRequest(topic, id, ['lost'])).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(NetworkError)
    expect(conn.state).toBe('closed')
    expect(proxy.counts().dropBeforeForward).toBe(1)
    proxy.setFaults({})
    const again = await connectTo(proxy.bootstrapServers[0] ?? '')
    const good = partitionResult(await again.send(ProduceApi, produceRequest(topic, id, ['kept'])))
    expect(good.errorCode).toBe(0)
    expect(good.baseOffset).toBe(0n)
    expect((await consumeWithKcat(upstream(), topic)).map((r) => r.value)).toEqual(['kept'])
  })

  run('delayed requests are all answered and keep their order on the connection', async () => {
    const topic = unique('delay')
    const proxy = await startProxy(upstream(), { faults: { delay: 0.5 }, delayMs: { min: 50, max: 250 }, seed: 7 })
    const conn = await connectTo(proxy.bootstrapServers[0] ?? '')
    const id = await topicId(conn, topic)
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => conn.send(ProduceApi, produceRequest(topic, id, [`v${i}`]))))
    const offsets = results.map((r) => partitionResult(r))
    expect(offsets.map((o) => o.errorCode)).toEqual(Array.from({ length: 20 }, () => 0))
    expect(offsets.map((o) => o.baseOffset)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)))
    // seed 7 at rate 0.5 delays some but not all of the 20 (deterministic: decideFault is pure)
    expect(proxy.counts().delay).toBeGreaterThan(0)
    expect(proxy.counts().delay).toBeLessThan(20)
    expect((await consumeWithKcat(upstream(), topic)).map((r) => r.value)).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`))
  })

  run('a client we did not write (kcat, librdkafka) sees the rewritten addresses and produces through the proxy', async () => {
    const topic = unique('kcat')
    const proxy = await startProxy(upstream())
    const conn = await connectTo(proxy.bootstrapServers[0] ?? '')
    await topicId(conn, topic)
    const listing = await run_('kcat', ['-L', '-b', proxy.bootstrapServers.join(','), '-t', topic, '-J'])
    const md = JSON.parse(listing) as { brokers: { id: number; name: string }[] }
    expect(md.brokers.length).toBeGreaterThan(0)
    for (const b of md.brokers) {
      expect(b.name).toMatch(/^127\.0\.0\.1:\d+$/)
      expect(upstream()).not.toContain(b.name)
    }
    await run_('kcat', ['-P', '-b', proxy.bootstrapServers.join(','), '-t', topic, '-p', '0', '-X', 'acks=all'], 'one\ntwo\nthree\n')
    expect(proxy.counts().produceRequests).toBeGreaterThan(0)
    expect(proxy.errors).toEqual([])
    expect((await consumeWithKcat(upstream(), topic)).map((r) => r.value)).toEqual(['one', 'two', 'three'])
    // A group consumer finds its coordinator (FindCoordinator) through the proxy too.
    const consumed = await run_('kcat', ['-b', proxy.bootstrapServers.join(','), '-G', `g-${topic}`, '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%s\n', topic])
    expect(consumed.split('\n').filter((l) => l !== '')).toEqual(['one', 'two', 'three'])
    expect(proxy.counts().findCoordinatorRewritten).toBeGreaterThan(0)
    expect(proxy.errors).toEqual([])
  })

  run('stop() closes every socket it owns and its listeners', async () => {
    const proxy = await FaultProxy.start({ upstream: upstream(), seed: 1 })
    const address = proxy.bootstrapServers[0] ?? ''
    const conn = await connectTo(address)
    const closed = new Promise<NetworkError | undefined>((resolve) => conn.onClose(resolve))
    await proxy.stop()
    expect(await closed).toBeInstanceOf(NetworkError)
    const i = address.lastIndexOf(':')
    const late = new Connection({ host: address.slice(0, i), port: Number(address.slice(i + 1)), clientId: 'late', connectionSetupTimeoutMs: 5_000 })
    cleanup.push(() => late.close())
    await expect(late.connect()).rejects.toBeInstanceOf(NetworkError)
  })
})

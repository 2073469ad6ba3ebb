/**
 * Crash behaviour against a real broker we may kill: our own single KRaft node started with the
 * harness (never the shared dev brokers). SIGKILL must fail every in-flight and queued request
 * promptly (by the socket closing, not by a timeout) and the pool must reconnect by itself after
 * the restart. SIGSTOP shows a real "broker that never answers". A client quota set on this
 * broker only shows a real throttle_time_ms (KIP-219).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../src/broker/index.js'
import { BrokerPool } from '../../src/network/broker-pool.js'
import { Connection } from '../../src/network/connection.js'
import { parseHostPort } from '../../src/network/broker-pool.js'
import { NetworkError, RequestTimeoutError } from '../../src/network/errors.js'
import { MetadataApi } from '../../src/protocol/metadata.js'

const t0 = Date.now()
const log = (l: string): void => {
  process.stderr.write(`[network-kill +${Date.now() - t0}ms] ${l}\n`)
}
const EMPTY_METADATA = { topics: [], allowAutoTopicCreation: false }
/** Far above anything a prompt failure needs: a request failing by timeout here would be a bug. */
const REQUEST_TIMEOUT_MS = 120_000

let cluster: KafkaCluster
let pool: BrokerPool

beforeAll(async () => {
  cluster = await KafkaCluster.start({ nodes: 1, heapMb: 384, log })
  pool = new BrokerPool({
    bootstrapServers: cluster.bootstrapServers,
    clientId: 'kafka-wire-kill-test',
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    reconnectBackoffMs: 50,
    reconnectBackoffMaxMs: 1000,
  })
})

afterAll(async () => {
  await pool?.close()
  await cluster?.stop({ graceful: false })
})

/** Waits (bounded) until `check` returns a value; polling, not a timing assertion. */
async function eventually<T>(what: string, check: () => T | undefined, limitMs = 90_000): Promise<T> {
  const deadline = Date.now() + limitMs
  for (;;) {
    const v = check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${limitMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('throttling by a real broker (KIP-219)', () => {
  it('reads throttle_time_ms from Metadata responses once a request quota is exceeded', async () => {
    const clientId = 'kw-throttled-client'
    const bootstrap = cluster.bootstrapServers[0] as string
    await cluster.runTool('org.apache.kafka.tools.ConfigCommand', [
      '--bootstrap-server', bootstrap, '--alter', '--add-config', 'request_percentage=0.01',
      '--entity-type', 'clients', '--entity-name', clientId,
    ])
    const throttles: number[] = []
    const { host, port } = parseHostPort(bootstrap)
    const conn = new Connection({ host, port, clientId, onThrottle: (ms, api) => api === 'Metadata' && throttles.push(ms) })
    try {
      await conn.connect()
      // One request at a time (bounded): the quota is tiny, so a throttle shows up quickly, and
      // nothing else is in flight when it does.
      for (let i = 0; i < 5000 && throttles.length === 0; i++) await conn.send(MetadataApi, EMPTY_METADATA)
      expect(throttles.length).toBe(1)
      expect(throttles[0]).toBeGreaterThan(0)
      expect(conn.throttledUntilMs).toBeGreaterThan(0)
      // The next request is held on our side (the broker has also muted the channel).
      const sentBefore = conn.requestsSent
      const held = conn.send(MetadataApi, EMPTY_METADATA).catch((e: unknown) => e)
      expect(conn.requestsSent).toBe(sentBefore)
      expect(conn.queuedCount).toBe(1)
      conn.close()
      expect(await held).toBeInstanceOf(NetworkError)
    } finally {
      conn.close()
    }
  }, 120_000)
})

describe('broker crash (SIGKILL) and restart', () => {
  it('fails all in-flight and queued requests promptly, then reconnects by itself', async () => {
    const seed = await pool.bootstrap()
    const md = await seed.send(MetadataApi, EMPTY_METADATA)
    pool.updateBrokers(md.brokers)
    const nodeId = md.brokers[0]?.nodeId as number
    const conn = await pool.connectionFor(nodeId)

    const n = 20_000
    const outcomes = Array.from({ length: n }, () =>
      conn.send(MetadataApi, EMPTY_METADATA).then(
        () => 'ok' as const,
        (e: unknown) => e,
      ),
    )
    // Kill while the pipeline is busy: some answered, 5 in flight, the rest queued.
    await outcomes[50]
    expect(conn.inFlightCount).toBeGreaterThan(0)
    expect(conn.queuedCount).toBeGreaterThan(0)
    log('killing')
    await cluster.kill(nodeId)
    log('awaiting outcomes')
    const results = await Promise.all(outcomes)
    const failures = results.filter((r) => r !== 'ok')
    expect(failures.length).toBeGreaterThan(0)
    // Every failure is a NetworkError naming the broker, caused by the socket closing, not by
    // waiting out requestTimeoutMs.
    const broker = cluster.bootstrapServers[0] as string
    const odd = failures.filter((f) => !(f instanceof NetworkError) || f instanceof RequestTimeoutError || !f.message.includes(broker))
    expect(odd).toEqual([])
    log('all settled')
    expect(conn.isReady).toBe(false)
    expect(pool.readyConnection(nodeId)).toBeUndefined()

    // While the broker is down a caller gets a prompt NetworkError, never a hang.
    await expect(pool.connectionFor(nodeId)).rejects.toBeInstanceOf(NetworkError)

    log('restarting')
    await cluster.restart(nodeId)
    // Nobody calls connectionFor: the pool's background reconnect must find the broker.
    log('waiting for reconnect')
    const back: Connection = await eventually('the pool to reconnect', () => pool.readyConnection(nodeId))
    log('reconnected')
    expect(back).not.toBe(conn)
    const after = await back.send(MetadataApi, EMPTY_METADATA)
    expect(after.brokers.map((b) => b.nodeId)).toContain(nodeId)
    expect(await pool.connectionFor(nodeId)).toBe(back)
  }, 180_000)

  it('a frozen broker (SIGSTOP) fails a request with RequestTimeoutError naming it', async () => {
    const nodeId = cluster.nodes[0]?.nodeId as number
    const conn = await pool.connectionFor(nodeId)
    cluster.pause(nodeId)
    try {
      const error = await conn.send(MetadataApi, EMPTY_METADATA, { timeoutMs: 1500 }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(RequestTimeoutError)
      expect((error as RequestTimeoutError).message).toMatch(/Metadata request \(correlation id \d+\) timed out after 1500 ms/)
      expect(conn.isReady).toBe(false)
    } finally {
      cluster.resume(nodeId)
    }
  })
})

/**
 * BrokerPool behaviour that needs control over the broker side: per-broker connections, the
 * background reconnect after a failure, backoff and clean shutdown (fake server). The real-broker
 * pool tests are in test/integration/network*.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type BrokerAddress, type BrokerEvent, BrokerPool, type InvalidBrokerReport, parseHostPort, reconnectBackoffMs } from '../../../src/network/broker-pool.js'
import { ConnectionClosedError, NetworkError } from '../../../src/network/errors.js'
import { FakeServer, handshakeThen } from '../../support/fake-server.js'

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

async function fake(handler = handshakeThen()): Promise<FakeServer> {
  const f = await FakeServer.start(handler)
  cleanup.push(() => f.close())
  return f
}

function pool(servers: string[], extra: Partial<ConstructorParameters<typeof BrokerPool>[0]> = {}): BrokerPool {
  const p = new BrokerPool({ bootstrapServers: servers, clientId: 'pool-test', reconnectBackoffMs: 10, reconnectBackoffMaxMs: 80, ...extra })
  cleanup.push(() => p.close())
  return p
}

async function eventually<T>(what: string, check: () => T | undefined, limitMs = 10_000): Promise<T> {
  const deadline = Date.now() + limitMs
  for (;;) {
    const v = check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('reconnectBackoffMs', () => {
  it('doubles per failure from the base, caps at the maximum, and jitters by ±20%', () => {
    const mid = (): number => 0.5
    expect([1, 2, 3, 4, 5, 6].map((n) => reconnectBackoffMs(n, 50, 1000, mid))).toEqual([50, 100, 200, 400, 800, 1000])
    expect(reconnectBackoffMs(1, 50, 1000, () => 0)).toBe(40)
    expect(reconnectBackoffMs(1, 50, 1000, () => 0.999999)).toBe(60)
    expect(reconnectBackoffMs(10, 50, 1000, () => 0.999999)).toBe(1000)
    expect(reconnectBackoffMs(10, 50, 1000, () => 0)).toBe(800)
  })
})

describe('parseHostPort', () => {
  it('parses host:port and [v6]:port and rejects the rest', () => {
    expect(parseHostPort('broker-1.example:9093')).toEqual({ host: 'broker-1.example', port: 9093 })
    expect(parseHostPort('[::1]:9092')).toEqual({ host: '::1', port: 9092 })
    expect(() => parseHostPort('h:0')).toThrow(/bootstrapServers/)
    expect(() => parseHostPort('h:70000')).toThrow(/expected "host:port"/)
  })
})

describe('BrokerPool (fake brokers)', () => {
  it('keeps one connection per broker id and shares concurrent connects', async () => {
    const a = await fake()
    const b = await fake()
    const p = pool([a.address])
    await p.bootstrap()
    p.updateBrokers([
      { nodeId: 1, host: '127.0.0.1', port: a.port },
      { nodeId: 2, host: '127.0.0.1', port: b.port },
    ])
    const [c1, c1again, c2] = await Promise.all([p.connectionFor(1), p.connectionFor(1), p.connectionFor(2)])
    expect(c1).toBe(c1again)
    expect(c1).not.toBe(c2)
    expect(c2.port).toBe(b.port)
    // Node 1 reuses the bootstrap connection (same address): one socket on fake a.
    expect(a.clients).toHaveLength(1)
    expect(b.clients).toHaveLength(1)
    expect(p.openConnectionCount).toBe(2)
  })

  it('closes the connection of a broker that left the metadata or moved', async () => {
    const a = await fake()
    const b = await fake()
    const p = pool([a.address])
    p.updateBrokers([{ nodeId: 1, host: '127.0.0.1', port: a.port }])
    const old = await p.connectionFor(1)
    p.updateBrokers([{ nodeId: 1, host: '127.0.0.1', port: b.port }])
    expect(old.isReady).toBe(false)
    const moved = await p.connectionFor(1)
    expect(moved.port).toBe(b.port)
    p.updateBrokers([])
    expect(moved.isReady).toBe(false)
    await expect(p.connectionFor(1)).rejects.toThrow(/unknown broker id 1/)
  })

  it('reports broker events: added, connected, disconnected (with the error), reconnected, moved, removed', async () => {
    const a = await fake()
    const b = await fake()
    const events: string[] = []
    const p = pool([a.address], { onBrokerEvent: (e: BrokerEvent) => events.push(`${e.event} ${e.nodeId}${e.error !== undefined ? ' error' : ''}`) })
    p.updateBrokers([{ nodeId: 7, host: '127.0.0.1', port: a.port }])
    const first = await p.connectionFor(7)
    a.clients[0]?.socket.destroy()
    await eventually('the first connection to notice', () => (first.isReady ? undefined : true))
    await eventually('a background reconnect', () => p.readyConnection(7))
    p.updateBrokers([{ nodeId: 7, host: '127.0.0.1', port: b.port }])
    p.updateBrokers([])
    // A broker that moves or leaves is 'removed' (its connection closes with it, no separate 'disconnected').
    expect(events).toEqual(['added 7', 'connected 7', 'disconnected 7 error', 'connected 7', 'removed 7', 'added 7', 'removed 7'])
  })

  it('reconnects a failed broker connection in the background, without a caller', async () => {
    const a = await fake()
    const p = pool([a.address])
    p.updateBrokers([{ nodeId: 7, host: '127.0.0.1', port: a.port }])
    const first = await p.connectionFor(7)
    a.clients[0]?.socket.destroy()
    await eventually('the first connection to notice', () => (first.isReady ? undefined : true))
    const second = await eventually('a background reconnect', () => p.readyConnection(7))
    expect(second).not.toBe(first)
    expect(a.clients).toHaveLength(2)
  })

  it('keeps retrying with backoff while the broker refuses, and stops when the pool closes', async () => {
    let accept = false
    // Hangs up on every connection until `accept` is set: each attempt is one accepted socket.
    const a = await fake((client) => {
      if (!accept) client.socket.destroy()
      else handshakeThen()(client)
    })
    const p = pool([a.address])
    p.updateBrokers([{ nodeId: 1, host: '127.0.0.1', port: a.port }])
    accept = true
    await p.connectionFor(1)
    accept = false
    a.clients[0]?.socket.destroy()
    await a.waitForClients(4) // three failed background attempts after the loss
    accept = true
    const back = await eventually('recovery', () => p.readyConnection(1))
    expect(back.isReady).toBe(true)
    await p.close()
    const attempts = a.clients.length
    expect(back.isReady).toBe(false)
    await new Promise((r) => setTimeout(r, 200))
    expect(a.clients.length).toBe(attempts)
  })

  it('fails a caller promptly when the broker is down and rejects pending calls on close', async () => {
    const a = await fake()
    const port = a.port
    const p = pool([a.address], { reconnectBackoffMs: 5_000, reconnectBackoffMaxMs: 5_000 })
    p.updateBrokers([{ nodeId: 1, host: '127.0.0.1', port }])
    await p.connectionFor(1)
    await a.close()
    await eventually('the connection to drop', () => (p.readyConnection(1) === undefined ? true : undefined))
    // The next attempt waits out the (long) backoff; close() must cut that wait short.
    const waiting = p.connectionFor(1)
    await p.close()
    await expect(waiting).rejects.toBeInstanceOf(ConnectionClosedError)
    await expect(p.bootstrap()).rejects.toThrow(/pool is closed/)
  })

  it('bootstrap order comes from the random source (shuffled, not list order)', async () => {
    const hangUp = await fake((client) => client.socket.destroy())
    const good = await fake()
    const reversed = pool([hangUp.address, good.address], { random: () => 0 })
    expect((await reversed.bootstrap()).port).toBe(good.port)
    expect(hangUp.clients).toHaveLength(0)
    const listOrder = pool([hangUp.address, good.address], { random: () => 0.999 })
    expect((await listOrder.bootstrap()).port).toBe(good.port)
    expect(hangUp.clients).toHaveLength(1)
  })

  it('an idle-closed connection is not reconnected in the background, only when asked for', async () => {
    const a = await fake()
    const p = pool([a.address], { connectionsMaxIdleMs: 50 })
    p.updateBrokers([{ nodeId: 1, host: '127.0.0.1', port: a.port }])
    const first = await p.connectionFor(1)
    await eventually('the idle close', () => (first.isReady ? undefined : true))
    await new Promise((r) => setTimeout(r, 150))
    expect(a.clients).toHaveLength(1)
    const second = await p.connectionFor(1)
    expect(second).not.toBe(first)
    expect(a.clients).toHaveLength(2)
  })

  it('bootstrap tries every server and names each failure', async () => {
    const hangUp = await fake((client) => client.socket.destroy())
    const p = pool([hangUp.address, hangUp.address])
    const error = await p.bootstrap().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NetworkError)
    expect((error as Error).message).toMatch(/could not connect to any bootstrap server/)
    expect(hangUp.clients).toHaveLength(2)
  })
})

describe('BrokerPool: advertised addresses are validated (issue 18, item 1)', () => {
  /** Socket handles alive in this process right now. */
  const tcpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length

  it('creates no socket handle for an advertised port outside 1..65535, however often it is tried', async () => {
    const a = await fake()
    const p = pool([a.address], { reconnectBackoffMs: 1, reconnectBackoffMaxMs: 2 })
    await p.bootstrap()
    const before = tcpHandles()
    const bad: BrokerAddress[] = [
      { nodeId: 1, host: '127.0.0.1', port: 70000 },
      { nodeId: 2, host: '127.0.0.1', port: 0 },
      { nodeId: 3, host: '127.0.0.1', port: -1 },
    ]
    // Each round is what a producer does per metadata refresh: learn the brokers, try to connect.
    for (let round = 0; round < 25; round++) {
      p.updateBrokers(bad)
      for (const b of bad) await p.connectionFor(b.nodeId).catch(() => undefined)
    }
    // Let any handle a failed connect left behind show up before counting.
    await new Promise((r) => setTimeout(r, 20))
    expect(tcpHandles() - before).toBe(0)
    await p.close()
    expect(tcpHandles() - before).toBe(0)
  })

  it('refuses bad ports, an empty host and a negative node id, naming the broker that advertised them', async () => {
    const a = await fake()
    const reports: InvalidBrokerReport[] = []
    const p = pool([a.address], { onInvalidBroker: (r) => reports.push(r) })
    await p.bootstrap()
    const bad: BrokerAddress[] = [
      { nodeId: 1, host: '127.0.0.1', port: 70000, advertisedBy: a.address },
      { nodeId: 2, host: '127.0.0.1', port: 0, advertisedBy: a.address },
      { nodeId: 4, host: '', port: a.port, advertisedBy: a.address },
      { nodeId: -5, host: '127.0.0.1', port: a.port, advertisedBy: a.address },
      { nodeId: 6, host: '127.0.0.1', port: a.port },
    ]
    p.updateBrokers(bad)
    for (const b of bad.slice(0, 4)) {
      const err = await p.connectionFor(b.nodeId).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(NetworkError)
      expect((err as Error).message).toMatch(/unknown broker id/)
    }
    expect(p.brokers.map((b) => b.nodeId)).toEqual([6])
    expect(reports.map((r) => [r.nodeId, r.advertisedBy, r.reason])).toEqual([
      [1, a.address, 'port must be an integer in 1..65535, got 70000'],
      [2, a.address, 'port must be an integer in 1..65535, got 0'],
      [4, a.address, 'host is empty'],
      [-5, a.address, 'node id must be a non-negative integer, got -5'],
    ])
    // Only the bootstrap connection reached the fake: nothing was attempted for the refused ones.
    expect(a.clients).toHaveLength(1)
  })

  it('a node that moved to an invalid address is dropped; a later valid advertisement is used again', async () => {
    const a = await fake()
    const p = pool([a.address])
    p.updateBrokers([{ nodeId: 1, host: '127.0.0.1', port: a.port }])
    const first = await p.connectionFor(1)
    p.updateBrokers([{ nodeId: 1, host: '127.0.0.1', port: 70000 }])
    expect(first.isReady).toBe(false)
    await expect(p.connectionFor(1)).rejects.toThrow(/unknown broker id 1/)
    p.updateBrokers([{ nodeId: 1, host: '127.0.0.1', port: a.port }])
    const again = await p.connectionFor(1)
    expect(again.isReady).toBe(true)
  })
})

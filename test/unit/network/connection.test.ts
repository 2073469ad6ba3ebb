/**
 * Connection behaviour driven by the misbehaving fake server (test/support/fake-server.ts): the
 * faults a real broker cannot produce. Real-broker behaviour is in test/integration/network*.
 */
import { Socket, connect as netConnect } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Connection, type ConnectionOptions } from '../../../src/network/connection.js'
import {
  ConnectionClosedError,
  ConnectionSetupTimeoutError,
  CorrelationIdMismatchError,
  InvalidFrameError,
  NetworkError,
  RequestTimeoutError,
} from '../../../src/network/errors.js'
import { type ApiVersionsRequest, ApiVersionsApi } from '../../../src/protocol/api-versions.js'
import { ProtocolError } from '../../../src/protocol/errors.js'
import { InitProducerIdApi } from '../../../src/protocol/init-producer-id.js'
import { type MetadataResponse, MetadataApi } from '../../../src/protocol/metadata.js'
import { UnsupportedApiVersionError } from '../../../src/protocol/versions.js'
import { FakeClient, type FakeHandler, type FakeRequest, FakeServer, fakeApiVersions, handshakeThen } from '../../support/fake-server.js'

const AV: ApiVersionsRequest = { clientSoftwareName: 'kafka-wire-test', clientSoftwareVersion: '1.0' }

function metadata(throttleTimeMs = 0): MetadataResponse {
  return {
    throttleTimeMs,
    brokers: [{ nodeId: 1, host: '127.0.0.1', port: 1, rack: null }],
    clusterId: 'fake',
    controllerId: 1,
    topics: [],
    clusterAuthorizedOperations: -2147483648,
    errorCode: 0,
  }
}

let fake: FakeServer | undefined
let conn: Connection | undefined

afterEach(async () => {
  vi.restoreAllMocks()
  conn?.close()
  conn = undefined
  await fake?.close()
  fake = undefined
})

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
}

async function start(handler: FakeHandler, options: Partial<ConnectionOptions> = {}): Promise<Connection> {
  fake = await FakeServer.start(handler)
  conn = new Connection({ host: '127.0.0.1', port: fake.port, clientId: 'test-client', ...options })
  return conn
}

/** Settles `p` or fails loudly after a generous guard (not a speed assertion: it turns a hang into a failure). */
async function settle<T>(p: Promise<T>, guardMs = 10_000): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let guard: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    guard = setTimeout(() => reject(new Error(`still pending after ${guardMs} ms: the client hangs`)), guardMs)
  })
  try {
    return { ok: true, value: await Promise.race([p, hang]) }
  } catch (error) {
    if (error instanceof Error && error.message.includes('the client hangs')) throw error
    return { ok: false, error }
  } finally {
    clearTimeout(guard)
  }
}

async function expectRejects(p: Promise<unknown>, type: abstract new (...args: never[]) => Error): Promise<Error> {
  const r = await settle(p)
  expect(r.ok, 'expected a rejection').toBe(false)
  const error = (r as { error: unknown }).error
  expect(error).toBeInstanceOf(type)
  return error as Error
}

/** No socket left on the fake's side and no timer left in the process beyond `baseline`. */
async function expectNoLeaks(baselineTimers: number): Promise<void> {
  await (fake as FakeServer).waitForAllSocketsClosed()
  for (let i = 0; i < 20 && timers() > baselineTimers; i++) await new Promise((r) => setImmediate(r))
  expect(timers()).toBeLessThanOrEqual(baselineTimers)
}

describe('Connection handshake', () => {
  it('sends ApiVersions at its highest version with the client id and negotiates per API', async () => {
    const c = await start(handshakeThen())
    await c.connect()
    const client = (fake as FakeServer).clients[0] as FakeClient
    const first = client.requests[0] as FakeRequest
    expect(first).toMatchObject({ apiKey: 18, apiVersion: ApiVersionsApi.maxVersion, correlationId: 0, clientId: 'test-client' })
    expect(c.isReady).toBe(true)
    expect(c.versionFor(MetadataApi)).toBe(Math.min(13, MetadataApi.maxVersion))
    expect(() => c.versionFor(InitProducerIdApi)).toThrow(UnsupportedApiVersionError)
    expect(() => c.versionFor(InitProducerIdApi)).toThrow(/InitProducerId/)
  })

  it('falls back to the version the broker lists when it answers UNSUPPORTED_VERSION (KIP-511)', async () => {
    const c = await start((client) => {
      client.onRequest = (req, cl) => {
        if (cl.requests.length === 1) {
          // What a broker does for an unknown ApiVersions version: a v0 body with error 35.
          cl.reply(req, ApiVersionsApi, { ...fakeApiVersions(), errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }] }, req.correlationId, 0)
        } else {
          cl.replyApiVersions(req)
        }
      }
    })
    await c.connect()
    const versions = (fake as FakeServer).clients[0]?.requests.map((r) => r.apiVersion)
    expect(versions).toEqual([ApiVersionsApi.maxVersion, 2])
    expect(c.versionFor(MetadataApi)).toBeGreaterThan(0)
  })

  it('fails with the broker error when ApiVersions returns another error', async () => {
    const c = await start((client) => {
      client.onRequest = (req, cl) => cl.replyApiVersions(req, { errorCode: 42 })
    })
    const error = await expectRejects(c.connect(), NetworkError)
    expect(error.message).toMatch(/ApiVersions v4 failed with INVALID_REQUEST \(42\)/)
    expect(c.state).toBe('closed')
  })

  it('reports a refused connection as a NetworkError naming the broker', async () => {
    fake = await FakeServer.start(() => undefined)
    const port = fake.port
    await fake.close()
    fake = undefined
    conn = new Connection({ host: '127.0.0.1', port, clientId: 't' })
    const error = await expectRejects(conn.connect(), NetworkError)
    expect(error.message).toContain(`127.0.0.1:${port}`)
    expect(error.message).toMatch(/ECONNREFUSED/)
    expect((error as NetworkError).retriable).toBe(true)
  })

  it('uses the socket factory it is given', async () => {
    const factory = vi.fn((o: { host: string; port: number }) => netConnect({ host: o.host, port: o.port }))
    const c = await start(handshakeThen(), { socketFactory: factory })
    await c.connect()
    expect(factory).toHaveBeenCalledTimes(1)
  })
})

describe('Connection pipelining', () => {
  it('keeps at most maxInFlightRequests outstanding, queues the rest, and matches responses in order', async () => {
    const held: FakeRequest[] = []
    const c = await start(handshakeThen((req) => held.push(req)), { maxInFlightRequests: 5 })
    await c.connect()
    const client = (fake as FakeServer).clients[0] as FakeClient
    const replies = Array.from({ length: 12 }, () => c.send(MetadataApi, { topics: [], allowAutoTopicCreation: false }))
    expect(c.inFlightCount).toBe(5)
    expect(c.queuedCount).toBe(7)
    await client.waitForRequests(6)
    expect(held).toHaveLength(5)
    // Answer one at a time: each answer frees exactly one slot.
    for (let answered = 0; answered < 12; answered++) {
      await client.waitForRequests(2 + answered)
      const req = held.shift() as FakeRequest
      client.reply(req, MetadataApi, { ...metadata(), controllerId: req.correlationId })
      const res = await replies[answered]
      expect(res?.controllerId).toBe(req.correlationId)
      expect(c.inFlightCount).toBeLessThanOrEqual(5)
    }
    expect(c.maxObservedInFlight).toBe(5)
    expect(c.queuedCount).toBe(0)
    expect(client.requests.map((r) => r.correlationId)).toEqual(Array.from({ length: 13 }, (_, i) => i))
  })

  it('resolves acks=0 style requests once written, without a response and without taking a slot', async () => {
    const c = await start(handshakeThen(), { maxInFlightRequests: 1 })
    await c.connect()
    const client = (fake as FakeServer).clients[0] as FakeClient
    const results = await Promise.all([1, 2, 3].map(() => c.send(ApiVersionsApi, AV, { expectResponse: false })))
    expect(results).toEqual([undefined, undefined, undefined])
    expect(c.inFlightCount).toBe(0)
    await client.waitForRequests(4)
  })

  it('waits for drain when the socket buffer is full (backpressure) and still delivers everything', async () => {
    const c = await start(handshakeThen(), { requestTimeoutMs: 30_000 })
    await c.connect()
    const client = (fake as FakeServer).clients[0] as FakeClient
    client.socket.pause()
    const big: ApiVersionsRequest = { clientSoftwareName: 'x'.repeat(1 << 20), clientSoftwareVersion: '1' }
    const sends = Array.from({ length: 24 }, () => c.send(ApiVersionsApi, big, { expectResponse: false }))
    expect(c.backpressureWaits).toBeGreaterThan(0)
    expect(c.queuedCount).toBeGreaterThan(0)
    client.socket.resume()
    await Promise.all(sends)
    await client.waitForRequests(25)
    expect(c.queuedCount).toBe(0)
  })

  it('times out acks=0 requests the socket cannot flush because the peer stopped reading', async () => {
    const base = timers()
    const c = await start(handshakeThen())
    await c.connect()
    const client = (fake as FakeServer).clients[0] as FakeClient
    client.socket.pause()
    const big: ApiVersionsRequest = { clientSoftwareName: 'x'.repeat(1 << 20), clientSoftwareVersion: '1' }
    const sends = Array.from({ length: 24 }, () => c.send(ApiVersionsApi, big, { expectResponse: false, timeoutMs: 300 }))
    const errors = await Promise.all(sends.map((s) => settle(s)))
    // The first megabytes fit in the kernel's buffers and resolve; the rest cannot be flushed.
    expect(errors.filter((e) => !e.ok).every((e) => !e.ok && e.error instanceof NetworkError)).toBe(true)
    expect(errors.some((e) => !e.ok && e.error instanceof RequestTimeoutError)).toBe(true)
    expect(c.state).toBe('closed')
    client.socket.resume() // so the fake notices the close
    await expectNoLeaks(base)
  })

  it('leaves no timer behind once acks=0 requests are flushed', async () => {
    const base = timers()
    const c = await start(handshakeThen())
    await c.connect()
    const idleTimers = timers()
    await c.send(ApiVersionsApi, AV, { expectResponse: false })
    expect(timers()).toBe(idleTimers)
    c.close()
    await expectNoLeaks(base)
  })

  it('calls the trace hook for every frame sent and received', async () => {
    const seen: string[] = []
    const c = await start(
      handshakeThen((req, cl) => cl.reply(req, MetadataApi, metadata())),
      { trace: (dir, frame, meta) => seen.push(`${dir}:${meta.apiKey}:v${meta.apiVersion}:#${meta.correlationId}:${frame.length > 0}`) },
    )
    await c.connect()
    await c.send(MetadataApi, { topics: [], allowAutoTopicCreation: false }, { version: 12 })
    expect(seen).toEqual(['send:18:v4:#0:true', 'receive:18:v4:#0:true', 'send:3:v12:#1:true', 'receive:3:v12:#1:true'])
  })

  it('fails only the request whose response does not decode and keeps the connection usable', async () => {
    let n = 0
    const c = await start(
      handshakeThen((req, cl) => {
        if (n++ === 0) {
          const frame = FakeClient.frame(MetadataApi, req.correlationId, req.apiVersion, metadata())
          // Same frame boundary, body cut short: the size prefix says 6 bytes.
          const cut = Buffer.alloc(10)
          cut.writeInt32BE(6, 0)
          frame.copy(cut, 4, 4, 10)
          cl.write(cut)
        } else cl.reply(req, MetadataApi, metadata())
      }),
    )
    await c.connect()
    await expectRejects(c.send(MetadataApi, { topics: [], allowAutoTopicCreation: false }), ProtocolError)
    const ok = await c.send(MetadataApi, { topics: [], allowAutoTopicCreation: false })
    expect(ok.clusterId).toBe('fake')
    expect(c.isReady).toBe(true)
  })
})

describe('Connection throttling (KIP-219)', () => {
  it('holds further requests until throttle_time_ms has passed', async () => {
    const throttles: number[] = []
    let n = 0
    const c = await start(handshakeThen((req, cl) => cl.reply(req, MetadataApi, metadata(n++ === 0 ? 300 : 0))), {
      onThrottle: (ms, api) => throttles.push(ms) && api === 'Metadata',
    })
    await c.connect()
    const client = (fake as FakeServer).clients[0] as FakeClient
    const req = { topics: [], allowAutoTopicCreation: false }
    await c.send(MetadataApi, req, { version: 12 })
    expect(throttles).toEqual([300])
    const sentBefore = c.requestsSent
    const second = c.send(MetadataApi, req, { version: 12 })
    // Not written synchronously as an unthrottled request would be.
    expect(c.requestsSent).toBe(sentBefore)
    expect(c.queuedCount).toBe(1)
    expect(c.throttledUntilMs).toBeGreaterThan(Date.now())
    await second
    expect(client.requests).toHaveLength(3)
  })

  it('a request held by a throttle gets its whole request timeout from when it is written (issue 12)', async () => {
    let n = 0
    const c = await start(handshakeThen((req, cl) => cl.reply(req, MetadataApi, metadata(n++ === 0 ? 400 : 0))))
    await c.connect()
    const req = { topics: [], allowAutoTopicCreation: false }
    await c.send(MetadataApi, req, { version: 12 })
    // Held ~400 ms by the throttle, longer than its 100 ms timeout: still answered.
    const res = await c.send(MetadataApi, req, { version: 12, timeoutMs: 100 })
    expect(res?.errorCode).toBe(0)
    expect(c.isReady).toBe(true)
  })

  it('still times out a request that was written and not answered, counting from the write', async () => {
    let n = 0
    const c = await start(handshakeThen((req, cl) => (n++ === 0 ? cl.reply(req, MetadataApi, metadata(200)) : undefined)))
    await c.connect()
    const req = { topics: [], allowAutoTopicCreation: false }
    await c.send(MetadataApi, req, { version: 12 })
    await expectRejects(c.send(MetadataApi, req, { version: 12, timeoutMs: 100 }), RequestTimeoutError)
  })

  it('ignores throttle_time_ms on versions where the broker already delayed the response', async () => {
    const c = await start(handshakeThen((req, cl) => cl.reply(req, MetadataApi, metadata(5_000))))
    await c.connect()
    await c.send(MetadataApi, { topics: [], allowAutoTopicCreation: false }, { version: 5 })
    expect(c.throttledUntilMs).toBe(0)
  })
})

describe('Connection faults (fake server)', () => {
  const req = { topics: [], allowAutoTopicCreation: false }

  it('garbage bytes: tears the connection down with InvalidFrameError naming the broker', async () => {
    const base = timers()
    const c = await start(handshakeThen((_, cl) => cl.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'))))
    await c.connect()
    const error = await expectRejects(c.send(MetadataApi, req), InvalidFrameError)
    expect(error.message).toContain(`127.0.0.1:${fake?.port}`)
    expect(error.message).toMatch(/exceeds maxResponseBytes/)
    expect(c.state).toBe('closed')
    await expectNoLeaks(base)
  })

  it('a 2 GiB size prefix: rejected before any allocation', async () => {
    const base = timers()
    const c = await start(handshakeThen((_, cl) => cl.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1]))))
    await c.connect()
    const alloc = vi.spyOn(Buffer, 'allocUnsafe')
    const error = await expectRejects(c.send(MetadataApi, req), InvalidFrameError)
    expect((error as InvalidFrameError).frameSize).toBe(0x7fffffff)
    expect(alloc.mock.calls.filter(([n]) => n > 1 << 20)).toEqual([])
    await expectNoLeaks(base)
  })

  it('a negative (0x80000000) size prefix: rejected', async () => {
    const base = timers()
    const c = await start(handshakeThen((_, cl) => cl.write(Buffer.from([0x80, 0, 0, 0]))))
    await c.connect()
    const error = await expectRejects(c.send(MetadataApi, req), InvalidFrameError)
    expect(error.message).toMatch(/-2147483648/)
    await expectNoLeaks(base)
  })

  it('a frame cut in the middle, then close: every request rejects with ConnectionClosedError', async () => {
    const base = timers()
    const c = await start(
      handshakeThen((r, cl) => {
        const full = FakeClient.frame(MetadataApi, r.correlationId, r.apiVersion, metadata())
        cl.write(full.subarray(0, full.length >> 1))
        cl.socket.end()
      }),
    )
    await c.connect()
    const sends = [c.send(MetadataApi, req), c.send(MetadataApi, req), c.send(MetadataApi, req)]
    for (const s of sends) {
      const error = await expectRejects(s, ConnectionClosedError)
      expect(error.message).toContain(`127.0.0.1:${fake?.port}`)
      expect((error as NetworkError).retriable).toBe(true)
    }
    await expectNoLeaks(base)
  })

  it('a server that closes mid-response after some complete responses', async () => {
    const base = timers()
    let n = 0
    const c = await start(
      handshakeThen((r, cl) => {
        const full = FakeClient.frame(MetadataApi, r.correlationId, r.apiVersion, metadata())
        if (n++ < 2) cl.write(full)
        else {
          cl.write(full.subarray(0, 7))
          cl.socket.destroy()
        }
      }),
    )
    await c.connect()
    const sends = [0, 1, 2, 3].map(() => c.send(MetadataApi, req))
    expect((await settle(sends[0] as Promise<unknown>)).ok).toBe(true)
    expect((await settle(sends[1] as Promise<unknown>)).ok).toBe(true)
    await expectRejects(sends[2] as Promise<unknown>, ConnectionClosedError)
    await expectRejects(sends[3] as Promise<unknown>, ConnectionClosedError)
    await expectNoLeaks(base)
  })

  it('a wrong correlation id: fatal CorrelationIdMismatchError for every request', async () => {
    const base = timers()
    const c = await start(handshakeThen((r, cl) => cl.reply(r, MetadataApi, metadata(), r.correlationId + 100)))
    await c.connect()
    const a = c.send(MetadataApi, req)
    const b = c.send(MetadataApi, req)
    const error = await expectRejects(a, CorrelationIdMismatchError)
    expect(error.message).toMatch(/correlation id 101 does not match the oldest in-flight request 1/)
    await expectRejects(b, CorrelationIdMismatchError)
    await expectRejects(c.send(MetadataApi, req), NetworkError)
    await expectNoLeaks(base)
  })

  it('an unsolicited response while nothing is in flight', async () => {
    const c = await start(handshakeThen())
    await c.connect()
    const closed = new Promise<NetworkError | undefined>((resolve) => c.onClose(resolve))
    ;(fake as FakeServer).clients[0]?.write(FakeClient.frame(MetadataApi, 77, 12, metadata()))
    const error = await closed
    expect(error).toBeInstanceOf(CorrelationIdMismatchError)
    expect(error?.message).toMatch(/while no request was in flight/)
  })

  it('a server that never answers: RequestTimeoutError, connection closed, others rejected', async () => {
    const base = timers()
    const c = await start(handshakeThen(), { requestTimeoutMs: 200 })
    await c.connect()
    const first = c.send(MetadataApi, req)
    const second = c.send(MetadataApi, req, { timeoutMs: 60_000 })
    const error = (await expectRejects(first, RequestTimeoutError)) as RequestTimeoutError
    expect(error).toMatchObject({ api: 'Metadata', correlationId: 1, timeoutMs: 200 })
    expect(error.message).toMatch(/Metadata request \(correlation id 1\) timed out after 200 ms/)
    const other = await expectRejects(second, ConnectionClosedError)
    expect(other.cause).toBe(error)
    expect(c.state).toBe('closed')
    await expectNoLeaks(base)
  })

  it('a server that accepts and never completes the handshake: ConnectionSetupTimeoutError', async () => {
    const base = timers()
    const c = await start(() => undefined, { connectionSetupTimeoutMs: 200 })
    const error = await expectRejects(c.connect(), ConnectionSetupTimeoutError)
    expect(error.message).toMatch(/timed out after 200 ms during ApiVersions handshake/)
    expect(error.message).toContain(`127.0.0.1:${fake?.port}`)
    expect(c.state).toBe('closed')
    await expectNoLeaks(base)
  })

  it('a TCP connect that never completes: ConnectionSetupTimeoutError naming the phase', async () => {
    const base = timers()
    // A socket that is never connected stands for a SYN into a black hole.
    const c = await start(() => undefined, { connectionSetupTimeoutMs: 150, socketFactory: () => new Socket() })
    const error = await expectRejects(c.connect(), ConnectionSetupTimeoutError)
    expect(error.message).toMatch(/timed out after 150 ms during TCP connect \(socketConnectionSetupTimeoutMs\)/)
    expect((fake as FakeServer).clients).toHaveLength(0)
    await expectNoLeaks(base)
  })

  it('a handshake answered with garbage fails connect()', async () => {
    const base = timers()
    const c = await start((client) => {
      client.onRequest = (_, cl) => cl.write(Buffer.from([0, 0, 0, 1, 9]))
    })
    await expectRejects(c.connect(), InvalidFrameError)
    await expectNoLeaks(base)
  })

  it('close() rejects pending and queued requests and leaves nothing behind', async () => {
    const base = timers()
    const c = await start(handshakeThen(), { maxInFlightRequests: 1 })
    await c.connect()
    const closed = vi.fn()
    c.onClose(closed)
    const sends = [c.send(MetadataApi, req), c.send(MetadataApi, req)]
    expect(c.queuedCount).toBe(1)
    c.close()
    for (const s of sends) expect((await expectRejects(s, ConnectionClosedError)).message).toMatch(/closed by the client/)
    expect(closed).toHaveBeenCalledWith(undefined)
    await expectRejects(c.send(MetadataApi, req), ConnectionClosedError)
    await expectNoLeaks(base)
  })

  it('closes an idle connection after connectionsMaxIdleMs, cleanly', async () => {
    const c = await start(handshakeThen(), { connectionsMaxIdleMs: 100 })
    await c.connect()
    const error = await settle(new Promise<NetworkError | undefined>((resolve) => c.onClose(resolve)))
    expect(error).toEqual({ ok: true, value: undefined })
    expect(c.state).toBe('closed')
    await (fake as FakeServer).waitForAllSocketsClosed()
  })

  it('rejects invalid options with the config key', () => {
    expect(() => new Connection({ host: 'h', port: 1, clientId: 'c', maxInFlightRequests: 0 })).toThrow(/maxInFlightRequests/)
    expect(() => new Connection({ host: 'h', port: 1, clientId: 'c', requestTimeoutMs: -1 })).toThrow(/requestTimeoutMs/)
  })
})

/**
 * The fault proxy's address rewriting, byte for byte: Metadata brokers and KIP-951 Produce
 * node_endpoints become proxy ports that really listen, and everything else in the response survives.
 * The upstream here is a scripted socket (the real-broker half is in test/integration/fault-proxy.test.ts):
 * a real single broker never names a second broker in a leader hint.
 */
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { FrameReader } from '../../../src/network/frame-reader.js'
import { decodeResponseFrame, encodeRequestFrame } from '../../../src/protocol/frame.js'
import { encodeResponseHeader, responseHeaderVersion } from '../../../src/protocol/headers.js'
import { MetadataApi, type MetadataResponse } from '../../../src/protocol/metadata.js'
import { ProduceApi, type ProduceResponse } from '../../../src/protocol/produce.js'
import { Writer, ZERO_UUID } from '../../../src/protocol/writer.js'
import type { ApiDefinition } from '../../../src/protocol/api.js'
import { FaultProxy } from '../../support/fault-proxy.js'

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

function responseFrame<Req, Res>(api: ApiDefinition<Req, Res>, version: number, correlationId: number, body: Res): Buffer {
  const w = new Writer(256)
  const at = w.reserveInt32()
  encodeResponseHeader(w, { correlationId }, responseHeaderVersion(api.apiKey, version >= api.firstFlexibleVersion) === 1)
  api.encodeResponse(w, body, version)
  w.patchInt32(at, w.length - 4)
  return w.finish()
}

/** An upstream that answers every request frame with `answer(apiKey, version, correlationId)`. */
async function scriptedUpstream(answer: (apiKey: number, version: number, correlationId: number) => Buffer): Promise<string> {
  const server: Server = createServer((s: Socket) => {
    const reader = new FrameReader(1 << 20, (f) => s.write(answer(f.readInt16BE(0), f.readInt16BE(2), f.readInt32BE(4))))
    s.on('data', (c: Buffer) => reader.push(c))
    s.on('error', () => undefined)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())))
  return `127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Sends one request frame to `address` and returns the first response frame body. */
async function roundTrip(address: string, frame: Buffer): Promise<Buffer> {
  const i = address.lastIndexOf(':')
  const s = connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) })
  cleanup.push(() => s.destroy())
  return await new Promise<Buffer>((resolve, reject) => {
    const reader = new FrameReader(1 << 20, (f) => resolve(Buffer.from(f)))
    s.on('data', (c: Buffer) => reader.push(c))
    s.on('error', reject)
    s.write(frame)
  })
}

async function listens(port: number): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

describe('FaultProxy address rewriting', () => {
  it('rewrites every Metadata broker to a listening proxy port and keeps the rest of the response', async () => {
    const version = 12
    const md: MetadataResponse = {
      throttleTimeMs: 7,
      brokers: [
        { nodeId: 1, host: 'broker-a.example', port: 9092, rack: 'r1' },
        { nodeId: 2, host: 'broker-b.example', port: 9093, rack: null },
        { nodeId: 3, host: '10.1.2.3', port: 19092, rack: 'r3' },
      ],
      clusterId: 'cluster-x',
      controllerId: 2,
      topics: [{ errorCode: 0, name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', isInternal: false, topicAuthorizedOperations: -2147483648, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 3, leaderEpoch: 5, replicaNodes: [3, 1], isrNodes: [3], offlineReplicas: [1] }] }],
      clusterAuthorizedOperations: -2147483648,
      errorCode: 0,
    }
    const upstream = await scriptedUpstream((_k, _v, corr) => responseFrame(MetadataApi, version, corr, md))
    const proxy = await FaultProxy.start({ upstream: [upstream], seed: 1 })
    cleanup.push(() => proxy.stop())
    const req = encodeRequestFrame(MetadataApi, version, 42, 'c', { topics: [{ name: 't' }], allowAutoTopicCreation: false })
    const { header, response } = decodeResponseFrame(MetadataApi, version, await roundTrip(proxy.bootstrapServers[0] ?? '', req))
    expect(header.correlationId).toBe(42)
    expect(response.brokers.map((b) => b.host)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1'])
    const ports = response.brokers.map((b) => b.port)
    expect(new Set(ports).size).toBe(3)
    for (const p of ports) expect(await listens(p)).toBe(true)
    // everything but the addresses is unchanged
    expect({ ...response, brokers: response.brokers.map((b) => ({ ...b, host: '', port: 0 })) }).toEqual({ ...md, brokers: md.brokers.map((b) => ({ ...b, host: '', port: 0 })) })
    expect(proxy.counts().metadataRewritten).toBe(1)
    expect(proxy.errors).toEqual([])
  })

  it('rewrites KIP-951 node_endpoints of a Produce response and leaves a response without them byte-identical', async () => {
    const version = 12
    const withHint: ProduceResponse = {
      responses: [{ name: 't', topicId: ZERO_UUID, partitionResponses: [{ index: 0, errorCode: 6, baseOffset: -1n, logAppendTimeMs: -1, logStartOffset: -1n, recordErrors: [], errorMessage: null, currentLeader: { leaderId: 9, leaderEpoch: 4 } }] }],
      throttleTimeMs: 0,
      nodeEndpoints: [{ nodeId: 9, host: 'elsewhere.example', port: 9999, rack: null }],
    }
    const plain: ProduceResponse = { ...withHint, nodeEndpoints: [], responses: [{ name: 't', topicId: ZERO_UUID, partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 12n, logAppendTimeMs: -1, logStartOffset: 0n, recordErrors: [], errorMessage: null, currentLeader: null }] }] }
    let hint = true
    const upstream = await scriptedUpstream((_k, _v, corr) => responseFrame(ProduceApi, version, corr, hint ? withHint : plain))
    const proxy = await FaultProxy.start({ upstream: [upstream], seed: 1 })
    cleanup.push(() => proxy.stop())
    const produce = { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 't', topicId: ZERO_UUID, partitionData: [{ index: 0, records: null }] }] }
    const first = decodeResponseFrame(ProduceApi, version, await roundTrip(proxy.bootstrapServers[0] ?? '', encodeRequestFrame(ProduceApi, version, 5, 'c', produce)))
    expect(first.header.correlationId).toBe(5)
    const ep = first.response.nodeEndpoints[0]
    expect(ep?.host).toBe('127.0.0.1')
    expect(ep?.nodeId).toBe(9)
    expect(await listens(ep?.port ?? 0)).toBe(true)
    expect(first.response.responses).toEqual(withHint.responses)
    expect(proxy.counts().produceEndpointsRewritten).toBe(1)
    hint = false
    const raw = await roundTrip(proxy.bootstrapServers[0] ?? '', encodeRequestFrame(ProduceApi, version, 6, 'c', produce))
    expect(raw.equals(responseFrame(ProduceApi, version, 6, plain).subarray(4))).toBe(true)
    expect(proxy.counts().produceEndpointsRewritten).toBe(1)
  })

  it('records an error and drops the connection when a response it must rewrite does not decode', async () => {
    const upstream = await scriptedUpstream((_k, _v, corr) => {
      const b = Buffer.alloc(10)
      b.writeInt32BE(6, 0)
      b.writeInt32BE(corr, 4)
      return b // a Metadata v12 response cut after its header
    })
    const proxy = await FaultProxy.start({ upstream: [upstream], seed: 1 })
    cleanup.push(() => proxy.stop())
    const address = proxy.bootstrapServers[0] ?? ''
    const i = address.lastIndexOf(':')
    const s = connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) })
    cleanup.push(() => s.destroy())
    const got: Buffer[] = []
    s.on('data', (c: Buffer) => got.push(c))
    s.write(encodeRequestFrame(MetadataApi, 12, 1, 'c', { topics: [], allowAutoTopicCreation: false }))
    await new Promise<void>((r) => s.once('close', () => r()))
    expect(got).toEqual([])
    expect(proxy.errors.length).toBe(1)
    expect(proxy.errors[0]).toMatch(/response/)
  })
})

describe('FaultProxy APIs it cannot rewrite yet', () => {
  it('refuses DescribeCluster loudly instead of letting its broker addresses bypass the proxy', async () => {
    let reached = 0
    const upstream = await scriptedUpstream(() => {
      reached++
      return Buffer.alloc(0)
    })
    const proxy = await FaultProxy.start({ upstream: [upstream], seed: 1 })
    cleanup.push(() => proxy.stop())
    const address = proxy.bootstrapServers[0] ?? ''
    const i = address.lastIndexOf(':')
    const s = connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) })
    cleanup.push(() => s.destroy())
    // DescribeCluster v0 request header (v2: flexible) with a null client id; the proxy only reads the header
    const frame = Buffer.alloc(4 + 8 + 2 + 1)
    frame.writeInt32BE(frame.length - 4, 0)
    frame.writeInt16BE(60, 4)
    frame.writeInt16BE(0, 6)
    frame.writeInt32BE(3, 8)
    frame.writeInt16BE(-1, 12)
    s.write(frame)
    await new Promise<void>((r) => s.once('close', () => r()))
    expect(reached).toBe(0)
    expect(proxy.errors[0]).toMatch(/DescribeCluster.*not rewrite/)
  })
})

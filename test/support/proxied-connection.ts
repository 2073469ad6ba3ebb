/**
 * One client connection of the fault proxy and its upstream broker connection: splits both byte
 * streams into frames, applies the fault decided for each Produce request, and rewrites broker
 * addresses in the responses that carry them.
 */
import { type Socket, connect } from 'node:net'
import { encodeResponseHeader, decodeRequestHeader, responseHeaderVersion } from '../../src/protocol/headers.js'
import { MetadataApi, type MetadataResponse } from '../../src/protocol/metadata.js'
import { ProduceApi, type ProduceRequest, type ProduceResponse } from '../../src/protocol/produce.js'
import { Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'
import { FrameReader } from '../../src/network/frame-reader.js'
import type { ApiDefinition } from '../../src/protocol/api.js'
import type { FaultDecision } from './fault-decision.js'
import { FIND_COORDINATOR_KEY, rewriteFindCoordinator } from './find-coordinator-rewrite.js'
import type { FaultEvent, ProduceTrace } from './fault-proxy.js'

/** What a connection needs from its proxy (implemented by FaultProxy). */
export interface ProxyHooks {
  /** tracks a socket so stop() can close it */
  own(s: Socket): void
  /** a timer stop() cancels */
  sleep(ms: number): Promise<void>
  /** largest frame accepted */
  readonly maxFrameBytes: number
  /** the next Produce request's ordinal and fault */
  nextDecision(): { ordinal: number; decision: FaultDecision }
  /** the delay for a uniform draw */
  delayFor(u: number): number
  /** records an injected fault */
  record(event: FaultEvent): void
  /** records a protocol or addressing error */
  error(message: string): void
  /** counts a failed broker connection */
  countUpstreamError(): void
  /** counts a rewritten response */
  countRewrite(which: 'metadataRewritten' | 'produceEndpointsRewritten' | 'findCoordinatorRewritten'): void
  /** the proxy port fronting a broker address (a listener is created on first use) */
  proxyPort(host: string, port: number): Promise<number>
  /** whether a Produce trace hook is set */
  readonly tracing: boolean
  /** passes a Produce trace entry to the hook */
  traceProduce(entry: ProduceTrace): void
}

/** APIs whose responses carry broker addresses that are not rewritten yet (DescribeCluster). */
const UNREWRITTEN_ADDRESS_APIS: ReadonlyMap<number, string> = new Map([[60, 'DescribeCluster']])

/** Bytes of the RecordBatch v2 header (baseOffset .. recordCount); records follow. */
export const RECORD_BATCH_HEADER_BYTES = 61

/** A request whose response the proxy must look at. */
interface Pending {
  readonly apiKey: number
  readonly apiVersion: number
  readonly swallow: boolean
}

/** Encodes a response frame (size, header, body) for `api` at `version`. */
function encodeResponseFrame<Req, Res>(api: ApiDefinition<Req, Res>, version: number, correlationId: number, body: Res): Buffer {
  const w = new Writer(512)
  const at = w.reserveInt32()
  encodeResponseHeader(w, { correlationId }, responseHeaderVersion(api.apiKey, version >= api.firstFlexibleVersion) === 1)
  api.encodeResponse(w, body, version)
  w.patchInt32(at, w.length - 4)
  return w.finish()
}

/** Reads a response frame body (after the size) into header and body; throws on any malformation. */
function decodeResponse<Req, Res>(api: ApiDefinition<Req, Res>, version: number, frame: Buffer): Res {
  const r = new Reader(frame)
  r.int32('correlation_id')
  if (responseHeaderVersion(api.apiKey, version >= api.firstFlexibleVersion) === 1) r.taggedFields()
  const body = api.decodeResponse(r, version)
  if (r.remaining !== 0) r.fail(`${api.name}Response`, `${r.remaining} unread bytes`)
  return body
}

function sizePrefixed(frame: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + frame.length)
  out.writeInt32BE(frame.length, 0)
  frame.copy(out, 4)
  return out
}

/** One client connection and its upstream broker connection. */
export class ProxiedConnection {
  private readonly upstreamSocket: Socket
  private readonly pending = new Map<number, Pending>()
  /** Frames are handled one at a time per direction, so a delay or a rewrite keeps their order. */
  private requestChain: Promise<void> = Promise.resolve()
  private responseChain: Promise<void> = Promise.resolve()
  private closed = false
  private readonly upstreamName: string

  constructor(
    private readonly proxy: ProxyHooks,
    private readonly client: Socket,
    host: string,
    port: number,
    private readonly id: number,
  ) {
    this.upstreamName = `${host}:${port}`
    proxy.own(client)
    client.setNoDelay(true)
    this.upstreamSocket = connect({ host, port })
    proxy.own(this.upstreamSocket)
    this.upstreamSocket.setNoDelay(true)

    const requests = new FrameReader(proxy.maxFrameBytes, (frame) => {
      // The frame may be a view into the socket chunk; handling may be asynchronous, so copy it.
      const copy = Buffer.from(frame)
      this.requestChain = this.requestChain.then(() => this.onRequest(copy)).catch((err: unknown) => this.fail(`request: ${String(err)}`))
    })
    const responses = new FrameReader(proxy.maxFrameBytes, (frame) => {
      const copy = Buffer.from(frame)
      this.responseChain = this.responseChain.then(() => this.onResponse(copy)).catch((err: unknown) => this.fail(`response: ${String(err)}`))
    })
    client.on('data', (chunk: Buffer) => {
      try {
        requests.push(chunk)
      } catch (err) {
        this.fail(`client frame: ${String(err)}`)
      }
    })
    this.upstreamSocket.on('data', (chunk: Buffer) => {
      try {
        responses.push(chunk)
      } catch (err) {
        this.fail(`broker frame: ${String(err)}`)
      }
    })
    client.on('error', () => this.close())
    client.on('close', () => this.close())
    this.upstreamSocket.on('error', () => {
      proxy.countUpstreamError()
      this.close()
    })
    this.upstreamSocket.on('close', () => this.close())
  }

  private fail(message: string): void {
    if (!this.closed) this.proxy.error(`${this.upstreamName}: ${message}`)
    this.close()
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    this.client.destroy()
    this.upstreamSocket.destroy()
  }

  private async onRequest(frame: Buffer): Promise<void> {
    if (this.closed) return
    if (frame.length < 8) return this.fail(`request frame of ${frame.length} bytes`)
    const apiKey = frame.readInt16BE(0)
    const apiVersion = frame.readInt16BE(2)
    const correlationId = frame.readInt32BE(4)
    if (UNREWRITTEN_ADDRESS_APIS.has(apiKey)) {
      // Its answer names brokers the proxy does not front yet: refuse loudly rather than let the
      // client bypass the proxy unnoticed.
      return this.fail(`${UNREWRITTEN_ADDRESS_APIS.get(apiKey) ?? apiKey} responses carry broker addresses the proxy does not rewrite yet (NotImplemented)`)
    }
    if (apiKey === MetadataApi.apiKey || apiKey === FIND_COORDINATOR_KEY) this.pending.set(correlationId, { apiKey, apiVersion, swallow: false })
    if (apiKey !== ProduceApi.apiKey) return this.forward(frame)

    const r = new Reader(frame)
    decodeRequestHeader(r, apiVersion >= ProduceApi.firstFlexibleVersion)
    // records are views into `frame`, so flipping a byte of one flips it in what is forwarded
    const request: ProduceRequest = ProduceApi.decodeRequest(r, apiVersion)
    const expectsResponse = request.acks !== 0
    const { ordinal, decision } = this.proxy.nextDecision()
    let kind = decision.kind
    if (kind === 'swallowResponse' && !expectsResponse) kind = undefined // nothing to swallow with acks=0
    const batches: { name: string; records: Uint8Array }[] = []
    for (const t of request.topicData) {
      for (const p of t.partitionData) {
        if (p.records !== null && p.records.length > RECORD_BATCH_HEADER_BYTES) batches.push({ name: `${t.name !== '' ? t.name : t.topicId}/${p.index}`, records: p.records })
      }
    }
    if (kind === 'corrupt' && batches.length === 0) kind = undefined
    if (expectsResponse) this.pending.set(correlationId, { apiKey, apiVersion, swallow: kind === 'swallowResponse' })
    if (this.proxy.tracing) {
      const traced = batches.map(({ name, records }) => {
        const v = new DataView(records.buffer, records.byteOffset, records.byteLength)
        return { partition: name, producerId: v.getBigInt64(43), producerEpoch: v.getInt16(51), baseSequence: v.getInt32(53), recordCount: v.getInt32(57) }
      })
      this.proxy.traceProduce({ direction: 'request', connection: this.id, correlationId, ordinal, fault: kind, batches: traced })
    }
    if (kind === undefined) return this.forward(frame)

    const event = { ordinal, kind, upstream: this.upstreamName, correlationId, partitions: batches.map((b) => b.name) }
    switch (kind) {
      case 'corrupt': {
        const target = batches[Math.min(batches.length - 1, Math.floor(decision.u1 * batches.length))]
        if (target === undefined) return this.forward(frame)
        // Only the records section (after the 61-byte header) is touched: the header stays
        // parseable, so the broker reaches its CRC check and answers CORRUPT_MESSAGE.
        const span = target.records.length - RECORD_BATCH_HEADER_BYTES
        const at = RECORD_BATCH_HEADER_BYTES + Math.min(span - 1, Math.floor(decision.u2 * span))
        target.records[at] = (target.records[at] ?? 0) ^ 0xff
        this.proxy.record({ ...event, detail: `${target.name} byte ${at}` })
        return this.forward(frame)
      }
      case 'swallowResponse':
        this.proxy.record(event)
        return this.forward(frame)
      case 'dropBeforeForward':
        this.proxy.record(event)
        return this.close()
      case 'delay': {
        const ms = this.proxy.delayFor(decision.u1)
        this.proxy.record({ ...event, detail: `${ms} ms` })
        await this.proxy.sleep(ms)
        return this.forward(frame)
      }
    }
  }

  private forward(frame: Buffer): void {
    if (this.closed) return
    this.write(this.upstreamSocket, this.client, frame)
  }

  /** Writes with backpressure: the reading side pauses while the writing side's buffer is full. */
  private write(to: Socket, from: Socket, frame: Buffer): void {
    if (!to.write(sizePrefixed(frame)) && !from.isPaused()) {
      from.pause()
      to.once('drain', () => from.resume())
    }
  }

  private async onResponse(frame: Buffer): Promise<void> {
    if (this.closed) return
    if (frame.length < 4) return this.fail(`response frame of ${frame.length} bytes`)
    const correlationId = frame.readInt32BE(0)
    const p = this.pending.get(correlationId)
    if (p === undefined) return this.write(this.client, this.upstreamSocket, frame)
    this.pending.delete(correlationId)
    if (p.apiKey === MetadataApi.apiKey) return this.write(this.client, this.upstreamSocket, await this.rewriteMetadata(p.apiVersion, correlationId, frame))
    if (p.apiKey === FIND_COORDINATOR_KEY) {
      const out = await rewriteFindCoordinator(frame, p.apiVersion, (host, port) => this.proxy.proxyPort(host, port))
      this.proxy.countRewrite('findCoordinatorRewritten')
      return this.write(this.client, this.upstreamSocket, out)
    }
    const produce: ProduceResponse = decodeResponse(ProduceApi, p.apiVersion, frame)
    if (this.proxy.tracing) {
      const results = produce.responses.flatMap((t) => t.partitionResponses.map((r) => ({ partition: `${t.name !== '' ? t.name : t.topicId}/${r.index}`, errorCode: r.errorCode, baseOffset: r.baseOffset })))
      this.proxy.traceProduce({ direction: 'response', connection: this.id, correlationId, swallowed: p.swallow, results })
    }
    if (p.swallow) return this.close()
    if (produce.nodeEndpoints.length === 0) return this.write(this.client, this.upstreamSocket, frame)
    const nodeEndpoints = []
    for (const n of produce.nodeEndpoints) nodeEndpoints.push({ ...n, host: '127.0.0.1', port: await this.proxy.proxyPort(n.host, n.port) })
    this.proxy.countRewrite('produceEndpointsRewritten')
    const out = encodeResponseFrame(ProduceApi, p.apiVersion, correlationId, { ...produce, nodeEndpoints })
    if (!this.closed) this.write(this.client, this.upstreamSocket, out.subarray(4))
  }

  private async rewriteMetadata(version: number, correlationId: number, frame: Buffer): Promise<Buffer> {
    const md: MetadataResponse = decodeResponse(MetadataApi, version, frame)
    const brokers = []
    for (const b of md.brokers) brokers.push({ ...b, host: '127.0.0.1', port: await this.proxy.proxyPort(b.host, b.port) })
    this.proxy.countRewrite('metadataRewritten')
    return encodeResponseFrame(MetadataApi, version, correlationId, { ...md, brokers }).subarray(4)
  }
}

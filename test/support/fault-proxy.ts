/**
 * A protocol-aware TCP proxy between a client and real Kafka brokers that injects seeded faults into
 * Produce traffic, so tests exercise the broker's own rules (CRC checks, sequence checks, the
 * duplicate cache) instead of a model of them.
 *
 * Addressing: the proxy listens on one local port per broker it has seen (the bootstrap servers at
 * start, then every broker a Metadata response names) and rewrites the `brokers` of every Metadata
 * response, the KIP-951 `node_endpoints` of Produce responses and the coordinators of FindCoordinator
 * responses (`find-coordinator-rewrite.ts`) to those ports. So a client that bootstraps from
 * {@link FaultProxy.bootstrapServers} never talks to a broker directly. DescribeCluster is NOT
 * rewritten yet: such a request, or a response the proxy cannot decode when it must rewrite it, is a
 * recorded error ({@link FaultProxy.errors}) and a dropped connection, never a silent bypass.
 *
 * Faults (one decision per Produce request, drawn from the seed and the request's global ordinal,
 * see {@link decideFault}):
 * - `corrupt`: flip one byte inside one record batch's records section. The broker checks the batch
 *   CRC before anything else (UnifiedLog.analyzeAndValidateRecords → `batch.ensureValid()`), so it
 *   answers CORRUPT_MESSAGE for that partition and writes nothing.
 * - `swallowResponse`: forward the request, wait for the broker's answer, drop it and close the
 *   connection (the broker wrote the batch, the client never learns it).
 * - `dropBeforeForward`: close the connection when the request arrives; it never reaches the broker.
 * - `delay`: hold the request (and every later frame of that connection, so order is kept) for a
 *   seeded time before forwarding.
 */
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net'
import { encodeResponseHeader, decodeRequestHeader, responseHeaderVersion } from '../../src/protocol/headers.js'
import { MetadataApi, type MetadataResponse } from '../../src/protocol/metadata.js'
import { ProduceApi, type ProduceRequest, type ProduceResponse } from '../../src/protocol/produce.js'
import { Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'
import { FrameReader } from '../../src/network/frame-reader.js'
import { FIND_COORDINATOR_KEY, rewriteFindCoordinator } from './find-coordinator-rewrite.js'
import type { ApiDefinition } from '../../src/protocol/api.js'

/** The kinds of fault the proxy injects into Produce requests. */
export type FaultKind = 'corrupt' | 'swallowResponse' | 'dropBeforeForward' | 'delay'

/** Probability of each fault per Produce request (each in [0, 1], summing to at most 1). */
export type FaultRates = Partial<Readonly<Record<FaultKind, number>>>

/** Options of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** The real brokers to bootstrap from, `host:port`. */
  readonly upstream: readonly string[]
  /** Seed of every fault decision. */
  readonly seed: number
  /** Fault probabilities; default no faults (a transparent, address-rewriting proxy). */
  readonly faults?: FaultRates
  /** Range of a `delay` fault in ms, inclusive. Default 20..300. */
  readonly delayMs?: { readonly min: number; readonly max: number }
  /** Skip faults for the first N Produce requests (e.g. let a warm-up through). Default 0. */
  readonly cleanFirst?: number
  /**
   * A scripted plan instead of the rates: the fault for the Produce request with this ordinal
   * (undefined = none). Byte positions and delays still come from the seed.
   */
  readonly plan?: (ordinal: number) => FaultKind | undefined
  /** Largest frame accepted either way; bigger size prefixes close the connection. Default 100 MiB. */
  readonly maxFrameBytes?: number
  /** How many fault events {@link FaultProxy.events} keeps (the oldest are dropped). Default 10000. */
  readonly maxEvents?: number
  /** Called for every Produce request (after the fault decision) and response: a wire log for debugging runs. */
  readonly trace?: (entry: ProduceTrace) => void
}

/** One batch of a traced Produce request, read from its RecordBatch v2 header. */
export interface TracedBatch {
  /** `topic-or-id/partition` */
  readonly partition: string
  /** producerId */
  readonly producerId: bigint
  /** producerEpoch */
  readonly producerEpoch: number
  /** baseSequence */
  readonly baseSequence: number
  /** recordCount */
  readonly recordCount: number
}

/** A Produce request or response as {@link FaultProxyOptions.trace} sees it. */
export type ProduceTrace =
  | { readonly direction: 'request'; readonly connection: number; readonly correlationId: number; readonly ordinal: number; readonly fault: FaultKind | undefined; readonly batches: readonly TracedBatch[] }
  | { readonly direction: 'response'; readonly connection: number; readonly correlationId: number; readonly swallowed: boolean; readonly results: readonly { readonly partition: string; readonly errorCode: number; readonly baseOffset: bigint }[] }

/** Counters of what the proxy saw and did. */
export interface FaultCounts {
  /** client connections accepted */
  connections: number
  /** Produce requests seen */
  produceRequests: number
  /** Produce requests with one byte of a batch flipped */
  corrupt: number
  /** Produce requests forwarded whose response was dropped with the connection */
  swallowResponse: number
  /** Produce requests dropped, with their connection, before reaching the broker */
  dropBeforeForward: number
  /** Produce requests held back before forwarding */
  delay: number
  /** Metadata responses whose broker addresses were rewritten */
  metadataRewritten: number
  /** Produce responses whose KIP-951 node endpoints were rewritten */
  produceEndpointsRewritten: number
  /** FindCoordinator responses whose coordinator addresses were rewritten */
  findCoordinatorRewritten: number
  /** Connections to a broker that failed (refused, reset) */
  upstreamErrors: number
}

/** One injected fault, for reports and debugging. */
export interface FaultEvent {
  /** ordinal of the Produce request among all the proxy saw (0-based) */
  readonly ordinal: number
  /** what was done */
  readonly kind: FaultKind
  /** the broker the request was for, `host:port` */
  readonly upstream: string
  /** correlation id of the request */
  readonly correlationId: number
  /** partitions in the request, `topic-or-id/partition` */
  readonly partitions: readonly string[]
  /** for `corrupt`: the partition whose batch was changed and the byte offset within the batch */
  readonly detail?: string
}

/** What {@link decideFault} returns for one Produce request. */
export interface FaultDecision {
  /** the fault, or undefined for none */
  readonly kind: FaultKind | undefined
  /** a second uniform draw in [0, 1): delay length, or which batch to corrupt */
  readonly u1: number
  /** a third uniform draw in [0, 1): which byte to corrupt */
  readonly u2: number
}

const KINDS: readonly FaultKind[] = ['corrupt', 'swallowResponse', 'dropBeforeForward', 'delay']

/** APIs whose responses carry broker addresses that are not rewritten yet (DescribeCluster). */
const UNREWRITTEN_ADDRESS_APIS: ReadonlyMap<number, string> = new Map([[60, 'DescribeCluster']])

/** Bytes of the RecordBatch v2 header (baseOffset .. recordCount); records follow. */
export const RECORD_BATCH_HEADER_BYTES = 61

/** lowbias32 (Chris Wellons): a well-mixed 32-bit hash, so decision n does not depend on n-1. */
function hash32(x: number): number {
  let h = x >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x7feb352d)
  h ^= h >>> 15
  h = Math.imul(h, 0x846ca68b)
  h ^= h >>> 16
  return h >>> 0
}

function uniform(seed: number, ordinal: number, salt: number): number {
  return hash32(hash32(seed ^ Math.imul(salt, 0x9e3779b9)) ^ hash32(ordinal + 0x632be5ab)) / 2 ** 32
}

/**
 * The fault for the `ordinal`-th Produce request under `seed`: a pure function, so a seed gives the
 * same decision sequence in every run. (Which request gets which ordinal still depends on the order
 * requests of different connections reach the proxy.)
 */
export function decideFault(seed: number, ordinal: number, rates: FaultRates): FaultDecision {
  const u = uniform(seed, ordinal, 1)
  let acc = 0
  let kind: FaultKind | undefined
  for (const k of KINDS) {
    acc += rates[k] ?? 0
    if (u < acc) {
      kind = k
      break
    }
  }
  return { kind, u1: uniform(seed, ordinal, 2), u2: uniform(seed, ordinal, 3) }
}

function checkRates(rates: FaultRates): void {
  let sum = 0
  for (const k of KINDS) {
    const r = rates[k] ?? 0
    if (!(r >= 0 && r <= 1)) throw new RangeError(`fault rate ${k}=${r} is outside [0, 1]`)
    sum += r
  }
  if (sum > 1 + 1e-9) throw new RangeError(`fault rates sum to ${sum}, above 1`)
}

function parseHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':')
  const port = Number(s.slice(i + 1))
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new RangeError(`not host:port: ${JSON.stringify(s)}`)
  return { host: s.slice(0, i), port }
}

/** A request whose response the proxy must look at. */
interface Pending {
  readonly apiKey: number
  readonly apiVersion: number
  readonly swallow: boolean
}

/** One local port fronting one broker address. */
interface Listener {
  readonly server: Server
  readonly port: number
  readonly upstream: { readonly host: string; readonly port: number }
}

/** The fault-injecting proxy. Create with {@link FaultProxy.start}; always {@link FaultProxy.stop}. */
export class FaultProxy {
  private readonly listeners = new Map<string, Promise<Listener>>()
  private readonly sockets = new Set<Socket>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly counters: FaultCounts = {
    connections: 0,
    produceRequests: 0,
    corrupt: 0,
    swallowResponse: 0,
    dropBeforeForward: 0,
    delay: 0,
    metadataRewritten: 0,
    produceEndpointsRewritten: 0,
    findCoordinatorRewritten: 0,
    upstreamErrors: 0,
  }
  private readonly eventLog: FaultEvent[] = []
  private readonly errorLog: string[] = []
  private rates: FaultRates
  private ordinal = 0
  private stopped = false
  private bootstrap: string[] = []

  private constructor(private readonly options: FaultProxyOptions) {
    this.rates = { ...(options.faults ?? {}) }
    checkRates(this.rates)
    const d = options.delayMs ?? { min: 20, max: 300 }
    if (!(d.min >= 0 && d.max >= d.min)) throw new RangeError(`delayMs ${d.min}..${d.max} is not a range`)
  }

  /** Starts listening in front of every upstream bootstrap server. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    if (options.upstream.length === 0) throw new RangeError('FaultProxy needs at least one upstream broker')
    const proxy = new FaultProxy(options)
    try {
      for (const s of options.upstream) {
        const { host, port } = parseHostPort(s)
        const l = await proxy.listenerFor(host, port)
        proxy.bootstrap.push(`127.0.0.1:${l.port}`)
      }
    } catch (err) {
      await proxy.stop()
      throw err
    }
    return proxy
  }

  /** Where a client should bootstrap: one proxy port per upstream bootstrap server. */
  get bootstrapServers(): string[] {
    return [...this.bootstrap]
  }

  /** A copy of the counters. */
  counts(): FaultCounts {
    return { ...this.counters }
  }

  /** The faults injected so far (at most `maxEvents`, newest last). */
  get events(): readonly FaultEvent[] {
    return this.eventLog
  }

  /** Protocol or addressing errors the proxy hit (a test should expect none). */
  get errors(): readonly string[] {
    return this.errorLog
  }

  /** Changes the fault rates from the next Produce request on (e.g. all 0 to let retries through). */
  setFaults(rates: FaultRates): void {
    checkRates(rates)
    this.rates = { ...rates }
  }

  /** Closes every listener and every socket the proxy owns, and cancels pending delays. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
    const all = await Promise.allSettled([...this.listeners.values()])
    await Promise.all(
      all.map((r) =>
        r.status === 'fulfilled' ? new Promise<void>((resolve) => r.value.server.close(() => resolve())) : Promise.resolve(),
      ),
    )
    this.listeners.clear()
  }

  /** The local listener fronting `host:port`, created on first use. */
  private listenerFor(host: string, port: number): Promise<Listener> {
    const key = `${host}:${port}`
    let l = this.listeners.get(key)
    if (l === undefined) {
      l = new Promise<Listener>((resolve, reject) => {
        if (this.stopped) {
          reject(new Error('FaultProxy is stopped'))
          return
        }
        const server = createServer((client) => this.accept(client, host, port))
        server.once('error', reject)
        server.listen(0, '127.0.0.1', () => {
          server.off('error', reject)
          server.on('error', (err) => this.errorLog.push(`listener for ${key}: ${err.message}`))
          resolve({ server, port: (server.address() as AddressInfo).port, upstream: { host, port } })
        })
      })
      this.listeners.set(key, l)
    }
    return l
  }

  private accept(client: Socket, host: string, port: number): void {
    if (this.stopped) {
      client.destroy()
      return
    }
    new ProxiedConnection(this, client, host, port, this.counters.connections++)
  }

  // ---- hooks for ProxiedConnection (kept on the proxy so the connection stays small) ----

  /** @internal */ own(s: Socket): void {
    if (this.stopped) s.destroy()
    else {
      this.sockets.add(s)
      s.once('close', () => this.sockets.delete(s))
    }
  }

  /** @internal */ sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve()
      const t = setTimeout(() => {
        this.timers.delete(t)
        resolve()
      }, ms)
      this.timers.add(t)
    })
  }

  /** @internal */ get maxFrameBytes(): number {
    return this.options.maxFrameBytes ?? 100 * 1024 * 1024
  }

  /** @internal */ nextDecision(): { ordinal: number; decision: FaultDecision } {
    const ordinal = this.ordinal++
    this.counters.produceRequests++
    const clean = ordinal < (this.options.cleanFirst ?? 0)
    const drawn = decideFault(this.options.seed, ordinal, this.rates)
    const plan = this.options.plan
    const decision = clean ? { kind: undefined, u1: 0, u2: 0 } : plan !== undefined ? { ...drawn, kind: plan(ordinal) } : drawn
    return { ordinal, decision }
  }

  /** @internal */ delayFor(u: number): number {
    const d = this.options.delayMs ?? { min: 20, max: 300 }
    return Math.floor(d.min + u * (d.max - d.min + 1))
  }

  /** @internal */ record(event: FaultEvent): void {
    this.counters[event.kind]++
    this.eventLog.push(event)
    if (this.eventLog.length > (this.options.maxEvents ?? 10_000)) this.eventLog.shift()
  }

  /** @internal */ traceProduce(entry: ProduceTrace): void {
    this.options.trace?.(entry)
  }

  /** @internal */ get tracing(): boolean {
    return this.options.trace !== undefined
  }

  /** @internal */ error(message: string): void {
    if (this.errorLog.length < 1000) this.errorLog.push(message)
  }

  /** @internal */ countUpstreamError(): void {
    this.counters.upstreamErrors++
  }

  /** @internal */ countRewrite(which: 'metadataRewritten' | 'produceEndpointsRewritten' | 'findCoordinatorRewritten'): void {
    this.counters[which]++
  }

  /** @internal */ async proxyPort(host: string, port: number): Promise<number> {
    return (await this.listenerFor(host, port)).port
  }
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
class ProxiedConnection {
  private readonly upstreamSocket: Socket
  private readonly pending = new Map<number, Pending>()
  /** Frames are handled one at a time per direction, so a delay or a rewrite keeps their order. */
  private requestChain: Promise<void> = Promise.resolve()
  private responseChain: Promise<void> = Promise.resolve()
  private closed = false
  private readonly upstreamName: string

  constructor(
    private readonly proxy: FaultProxy,
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

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
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net'
import { type FaultDecision, type FaultKind, type FaultRates, checkRates, decideFault } from './fault-decision.js'
import { ProxiedConnection, type ProxyHooks } from './proxied-connection.js'

export { decideFault, type FaultDecision, type FaultKind, type FaultRates } from './fault-decision.js'
export { RECORD_BATCH_HEADER_BYTES } from './proxied-connection.js'

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


function parseHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':')
  const port = Number(s.slice(i + 1))
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new RangeError(`not host:port: ${JSON.stringify(s)}`)
  return { host: s.slice(0, i), port }
}

/** One local port fronting one broker address. */
interface Listener {
  readonly server: Server
  readonly port: number
  readonly upstream: { readonly host: string; readonly port: number }
}

/** The fault-injecting proxy. Create with {@link FaultProxy.start}; always {@link FaultProxy.stop}. */
export class FaultProxy implements ProxyHooks {
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

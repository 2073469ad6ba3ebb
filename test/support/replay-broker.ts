/**
 * A fake Kafka broker that replays responses recorded from the real broker at test time and
 * mutates one response per connection with a seeded mutator: the black-box fuzzer of issue 18.
 *
 * ```ts
 * const rec = await recordFromBroker(realBootstrap, topic, (addr) => produceSomeRecords(addr))
 * const replay = await ReplayBroker.start(rec, { seed: 7 })
 * replay.mutateConnections(2)   // the next 2 connections each get one mutated response
 * // ... run a producer against replay.address; replay.applied lists what was done ...
 * await replay.sane()           // from now on every response is replayed as recorded
 * await replay.close()
 * ```
 *
 * Recording: a TCP proxy between a real kafka-wire producer and the real broker keeps the last
 * good response of every API (ApiVersions, Metadata, InitProducerId, Produce) byte for byte. The
 * only edits at replay time are the correlation id and the advertised port (the real broker's
 * port is patched to the replay broker's wherever it follows the advertised host), so the bytes
 * follow whatever Kafka version the harness runs.
 *
 * Mutations are byte-level on those recorded frames: bit flips; a length field (array count,
 * string or bytes length, found with the Reader's field trace) set to 0, -1 or huge; any integer
 * field set to an extreme; truncation (size prefix adjusted, or the socket closed mid-frame); the
 * size prefix inflated, negative, too small or huge; garbage appended inside or after the frame;
 * the frame of another API; and Metadata oddities (negative node id, port 0/70000/-1, unknown
 * leader, 0 or 100,000 partitions). Test-only.
 */
import { type AddressInfo, type Server, type Socket, connect as netConnect, createServer } from 'node:net'
import type { ApiDefinition } from '../../src/protocol/api.js'
import { ApiVersionsApi } from '../../src/protocol/api-versions.js'
import { decodeRequestHeader, decodeResponseHeader, responseHeaderVersion } from '../../src/protocol/headers.js'
import { InitProducerIdApi } from '../../src/protocol/init-producer-id.js'
import { type MetadataPartition, type MetadataResponse, MetadataApi } from '../../src/protocol/metadata.js'
import { type ProduceResponse, ProduceApi } from '../../src/protocol/produce.js'
import { Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'
import { FrameReader } from '../../src/network/frame-reader.js'

/** The APIs a producer uses, by api key. */
export const REPLAYED_APIS: ReadonlyMap<number, ApiDefinition<unknown, unknown>> = new Map<number, ApiDefinition<unknown, unknown>>([
  [ApiVersionsApi.apiKey, ApiVersionsApi as ApiDefinition<unknown, unknown>],
  [MetadataApi.apiKey, MetadataApi as ApiDefinition<unknown, unknown>],
  [InitProducerIdApi.apiKey, InitProducerIdApi as ApiDefinition<unknown, unknown>],
  [ProduceApi.apiKey, ProduceApi as ApiDefinition<unknown, unknown>],
])

/** One response as the real broker sent it. */
export interface RecordedResponse {
  /** api_key of the request it answered. */
  readonly apiKey: number
  /** request_api_version of the request it answered. */
  readonly apiVersion: number
  /** The frame body after the size prefix (correlation id first), as received. */
  readonly body: Buffer
}

/** What {@link recordFromBroker} captured. */
export interface Recording {
  /** Host the real broker advertised. */
  readonly host: string
  /** Port the real broker advertised (patched at replay time). */
  readonly port: number
  /** The last good response of each API, by api key. */
  readonly responses: ReadonlyMap<number, RecordedResponse>
}

/** Seeded PRNG (mulberry32): the same seed gives the same mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T
}

function int(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1))
}

function sizePrefixed(body: Buffer, prefix = body.length): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length)
  out.writeInt32BE(prefix | 0, 0)
  body.copy(out, 4)
  return out
}

/** Replaces every int32 `from` that directly follows the bytes of `host` with `to` (advertised ports). */
export function patchAdvertisedPort(body: Buffer, host: string, from: number, to: number): Buffer {
  const needle = Buffer.alloc(host.length + 4)
  needle.write(host, 0, 'latin1')
  needle.writeInt32BE(from, host.length)
  const out = Buffer.from(body)
  let at = out.indexOf(needle)
  while (at >= 0) {
    out.writeInt32BE(to, at + host.length)
    at = out.indexOf(needle, at + needle.length)
  }
  return out
}

/** Whether a decoded response is a clean one worth replaying (no error, topic with a leader). */
function isGood(apiKey: number, apiVersion: number, body: Buffer): boolean {
  const api = REPLAYED_APIS.get(apiKey)
  if (api === undefined) return false
  try {
    const r = new Reader(body)
    decodeResponseHeader(r, responseHeaderVersion(apiKey, apiVersion >= api.firstFlexibleVersion) === 1)
    const res = api.decodeResponse(r, apiVersion) as { errorCode?: number }
    if (apiKey === MetadataApi.apiKey) {
      const md = res as MetadataResponse
      return md.brokers.length > 0 && md.topics.length > 0 && md.topics.every((t) => t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0))
    }
    if (apiKey === ProduceApi.apiKey) {
      const pr = res as { responses: { partitionResponses: { errorCode: number }[] }[] }
      return pr.responses.length > 0 && pr.responses.every((t) => t.partitionResponses.every((p) => p.errorCode === 0))
    }
    return res.errorCode === 0
  } catch {
    return false
  }
}

/** Splits frames of one direction and tells each to `onFrame`. */
function framer(onFrame: (body: Buffer) => void, onError: () => void): (chunk: Buffer) => void {
  const reader = new FrameReader(256 * 1024 * 1024, (f) => onFrame(Buffer.from(f)))
  return (chunk) => {
    try {
      reader.push(chunk)
    } catch {
      onError()
    }
  }
}

/**
 * Records the responses of a real broker: `run` gets the address of a recording proxy (bootstrap
 * it, produce through it) and the last good response of every API passing through is kept.
 * Advertised ports are patched to the proxy's on the way so all traffic stays on the proxy.
 * @throws Error when `run` did not exercise all four APIs of a producer
 */
export async function recordFromBroker(realBootstrap: string, run: (proxyAddress: string) => Promise<void>): Promise<Recording> {
  const [host, portText] = realBootstrap.split(':') as [string, string]
  const realPort = Number(portText)
  const responses = new Map<number, RecordedResponse>()
  const sockets = new Set<Socket>()
  let proxyPort = 0
  const server: Server = createServer((client) => {
    const upstream = netConnect({ host, port: realPort })
    sockets.add(client)
    sockets.add(upstream)
    const pending = new Map<number, { apiKey: number; apiVersion: number }>()
    const closeBoth = (): void => {
      client.destroy()
      upstream.destroy()
    }
    for (const s of [client, upstream]) {
      s.on('error', closeBoth)
      s.on('close', () => {
        sockets.delete(s)
        closeBoth()
      })
    }
    client.on(
      'data',
      framer((req) => {
        pending.set(req.readInt32BE(4), { apiKey: req.readInt16BE(0), apiVersion: req.readInt16BE(2) })
        upstream.write(sizePrefixed(req))
      }, closeBoth),
    )
    upstream.on(
      'data',
      framer((res) => {
        const req = pending.get(res.readInt32BE(0))
        pending.delete(res.readInt32BE(0))
        if (req !== undefined && isGood(req.apiKey, req.apiVersion, res)) responses.set(req.apiKey, { ...req, body: res })
        client.write(sizePrefixed(patchAdvertisedPort(res, host, realPort, proxyPort)))
      }, closeBoth),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  proxyPort = (server.address() as AddressInfo).port
  try {
    await run(`127.0.0.1:${proxyPort}`)
  } finally {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  for (const api of REPLAYED_APIS.values()) {
    if (!responses.has(api.apiKey)) throw new Error(`recording: no good ${api.name} response passed through the proxy`)
  }
  return { host, port: realPort, responses }
}

/** The kinds of mutation; the `metadata-*` ones only apply to Metadata responses. */
export const MUTATION_KINDS = [
  'bitflip',
  'length-field',
  'int-field',
  'truncate',
  'truncate-close',
  'prefix-inflated',
  'prefix-negative',
  'prefix-small',
  'prefix-huge',
  'garbage-appended',
  'garbage-after-frame',
  'other-api',
] as const
/** Metadata-only kinds. */
export const METADATA_KINDS = ['metadata-node-id', 'metadata-port', 'metadata-unknown-leader', 'metadata-zero-partitions', 'metadata-many-partitions'] as const
/** One kind of mutation. */
export type MutationKind = (typeof MUTATION_KINDS)[number] | (typeof METADATA_KINDS)[number]
/** Every kind, in the order plans rotate through them. */
export const ALL_KINDS: readonly MutationKind[] = [...MUTATION_KINDS, ...METADATA_KINDS]

/** A mutation that was applied, for reports and reproduction. */
export interface AppliedMutation {
  /** Index of the accepted connection (0-based, per broker). */
  readonly connection: number
  /** Name of the API whose response was mutated. */
  readonly api: string
  /** What was done. */
  readonly kind: MutationKind
  /** Details: field path, values, lengths. */
  readonly detail: string
}

/** The plan for one connection. */
interface Plan {
  readonly apiKey: number
  readonly kind: MutationKind
  readonly random: () => number
  done: boolean
}

/** One traced field of a decoded response. */
interface Field {
  readonly offset: number
  readonly length: number
  readonly path: string
  readonly value: unknown
}

function traceFields(rec: RecordedResponse): Field[] {
  const api = REPLAYED_APIS.get(rec.apiKey) as ApiDefinition<unknown, unknown>
  const fields: Field[] = []
  const r = new Reader(rec.body)
  r.trace = (offset, length, path, value) => fields.push({ offset, length, path, value })
  decodeResponseHeader(r, responseHeaderVersion(rec.apiKey, rec.apiVersion >= api.firstFlexibleVersion) === 1)
  api.decodeResponse(r, rec.apiVersion)
  return fields
}

/** Decodes a request frame body (header and body) of one of the replayed APIs. */
function decodeRequest(api: ApiDefinition<unknown, unknown>, version: number, req: Buffer): unknown {
  const r = new Reader(req)
  decodeRequestHeader(r, version >= api.firstFlexibleVersion)
  return api.decodeRequest(r, version)
}

function patchInt(body: Buffer, fields: readonly Field[], path: RegExp, write: (b: Buffer, at: number) => void): void {
  const f = fields.find((x) => path.test(x.path))
  if (f === undefined) throw new Error(`replay broker: no field ${path.source} in the recorded response (fields: ${fields.map((x) => x.path).join(', ')})`)
  write(body, f.offset)
}

function uvarint(n: number): Buffer {
  const out: number[] = []
  let v = n >>> 0
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80)
    v >>>= 7
  }
  out.push(v)
  return Buffer.from(out)
}

function splice(body: Buffer, offset: number, length: number, replacement: Buffer): Buffer {
  return Buffer.concat([body.subarray(0, offset), replacement, body.subarray(offset + length)])
}

function writeInt(length: number, value: number): Buffer {
  const b = Buffer.alloc(length)
  if (length === 1) b.writeInt8(Math.max(-128, Math.min(127, value)), 0)
  else if (length === 2) b.writeInt16BE(Math.max(-32768, Math.min(32767, value)), 0)
  else if (length === 4) b.writeInt32BE(value | 0, 0)
  else b.writeBigInt64BE(BigInt(Math.trunc(value)), 0)
  return b
}

/** Whether a fixed-width numeric field (not a varint): the trace length is its width. */
function fixedInt(f: Field): boolean {
  return (typeof f.value === 'number' || typeof f.value === 'bigint' || typeof f.value === 'boolean') && [1, 2, 4, 8].includes(f.length) && !f.path.endsWith('.length')
}

/** The replay broker. See the module comment. */
export class ReplayBroker {
  /** Every mutation applied so far, in order. */
  readonly applied: AppliedMutation[] = []
  /** Connections accepted so far. */
  accepted = 0
  private budget = 0
  private plans = 0
  private readonly versionsMutated = new Set<Socket>()
  private readonly sockets = new Set<Socket>()
  private readonly bodies = new Map<number, RecordedResponse>()
  private readonly fields = new Map<number, Field[]>()
  private readonly random: () => number

  private constructor(
    private readonly server: Server,
    /** Port the replay broker listens on. */
    readonly port: number,
    private readonly recording: Recording,
    seed: number,
    private readonly kindOffset: number,
    private readonly kindWeights: Partial<Record<MutationKind, number>>,
  ) {
    this.random = rng(seed)
    for (const [key, rec] of recording.responses) {
      const body = patchAdvertisedPort(rec.body, recording.host, recording.port, port)
      const patched = { ...rec, body }
      this.bodies.set(key, patched)
      this.fields.set(key, traceFields(patched))
    }
  }

  /**
   * Starts a replay broker on a free port of 127.0.0.1 for `recording`, mutating with `seed`;
   * mutation kinds rotate through {@link ALL_KINDS} starting at `kindOffset` (default 0); a kind
   * with a weight w in `kindWeights` is kept with probability w (else the next kind is used).
   */
  static async start(recording: Recording, options: { seed: number; kindOffset?: number; kindWeights?: Partial<Record<MutationKind, number>> }): Promise<ReplayBroker> {
    let broker: ReplayBroker | undefined
    const server = createServer((socket) => (broker as ReplayBroker).accept(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    broker = new ReplayBroker(server, (server.address() as AddressInfo).port, recording, options.seed, options.kindOffset ?? 0, options.kindWeights ?? {})
    return broker
  }

  /** `127.0.0.1:port`. */
  get address(): string {
    return `127.0.0.1:${this.port}`
  }

  /** Sockets still open on the broker's side. */
  get openSockets(): number {
    return this.sockets.size
  }

  /** Each of the next `n` accepted connections gets one mutated response. */
  mutateConnections(n: number): void {
    this.budget = n
  }

  /**
   * No further mutations: every later connection is answered as recorded. A connection that got
   * a mutated ApiVersions answer is closed too: the versions a client learns are connection-scoped,
   * and a real broker changes its answer only across a restart, which closes its connections.
   */
  async sane(): Promise<void> {
    this.budget = 0
    const closing = [...this.versionsMutated].map((s) => new Promise<void>((resolve) => {
      if (s.destroyed && s.closed) resolve()
      else s.once('close', () => resolve())
    }))
    for (const s of this.versionsMutated) s.destroy()
    this.versionsMutated.clear()
    await Promise.all(closing)
    // The client sees the FIN on a later turn of the event loop: let it, as a client of a restarted
    // broker would have before sending again.
    if (closing.length > 0) for (let i = 0; i < 4; i++) await new Promise((r) => setTimeout(r, 5))
  }

  /** Resolves once every accepted socket closed, or after `timeoutMs` (returns what is left). */
  async waitForSocketsClosed(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    return this.sockets.size
  }

  /** Destroys every socket and stops listening. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private accept(socket: Socket): void {
    const index = this.accepted++
    this.sockets.add(socket)
    socket.setNoDelay(true)
    socket.on('close', () => {
      this.sockets.delete(socket)
      this.versionsMutated.delete(socket)
    })
    socket.on('error', () => socket.destroy())
    // The client hung up: release our end at once so its handle does not linger.
    socket.on('end', () => socket.destroy())
    let plan: Plan | undefined
    if (this.budget > 0) {
      this.budget--
      // Kinds in rotation from `kindOffset`, so a run of n iterations covers min(n, kinds) kinds.
      let kind = ALL_KINDS[(this.kindOffset + this.plans++) % ALL_KINDS.length] as MutationKind
      // A kind may be made rarer (the soak thins out 100,000-partition responses: ~1 s of CPU each).
      if (this.random() >= (this.kindWeights[kind] ?? 1)) kind = ALL_KINDS[(this.kindOffset + this.plans) % ALL_KINDS.length] as MutationKind
      const apiKey = (METADATA_KINDS as readonly string[]).includes(kind) ? MetadataApi.apiKey : pick(this.random, [...this.bodies.keys()])
      plan = { apiKey, kind, random: rng(Math.floor(this.random() * 2 ** 32)), done: false }
    }
    socket.on(
      'data',
      framer(
        (req) => this.answer(socket, index, req, plan),
        () => socket.destroy(),
      ),
    )
  }

  private answer(socket: Socket, index: number, req: Buffer, plan: Plan | undefined): void {
    if (socket.destroyed) return
    const apiKey = req.readInt16BE(0)
    const correlationId = req.readInt32BE(4)
    const rec = this.bodies.get(apiKey)
    // An API the recording has no answer for: a real broker would close the connection too.
    if (rec === undefined) {
      socket.destroy()
      return
    }
    const saneRec = this.saneAnswer(rec, req)
    const body = Buffer.from(saneRec.body)
    body.writeInt32BE(correlationId, 0)
    if (plan === undefined || plan.done || plan.apiKey !== apiKey) {
      socket.write(sizePrefixed(body))
      return
    }
    plan.done = true
    const api = REPLAYED_APIS.get(apiKey) as ApiDefinition<unknown, unknown>
    const out = this.mutate(plan, { ...saneRec, body }, body, correlationId)
    this.applied.push({ connection: index, api: api.name, kind: plan.kind, detail: out.detail })
    if (apiKey === ApiVersionsApi.apiKey) this.versionsMutated.add(socket)
    socket.write(out.bytes)
    if (out.close === true) socket.end(() => socket.destroy())
  }

  /**
   * The recorded response made consistent with this request, as a sane broker would answer it:
   * a Produce response names the partitions the request wrote (the recording has one), and an
   * InitProducerId that bumps an epoch (KIP-360) gets that producer id with the epoch + 1. A
   * request that does not decode (a mutated ApiVersions made the client pick another version)
   * gets the recording as is.
   */
  private saneAnswer(rec: RecordedResponse, req: Buffer): RecordedResponse {
    const version = req.readInt16BE(2)
    const api = REPLAYED_APIS.get(rec.apiKey) as ApiDefinition<unknown, unknown>
    if (rec.apiKey !== ProduceApi.apiKey && rec.apiKey !== InitProducerIdApi.apiKey) return rec
    let request: unknown
    try {
      request = decodeRequest(api, version, req)
    } catch {
      return rec
    }
    const fields = this.fields.get(rec.apiKey) ?? []
    if (rec.apiKey === InitProducerIdApi.apiKey) {
      const { producerId, producerEpoch } = request as { producerId: bigint; producerEpoch: number }
      if (producerId < 0n || producerEpoch < 0) return rec
      const body = Buffer.from(rec.body)
      patchInt(body, fields, /(^|\.)producer_id$/, (b, at) => b.writeBigInt64BE(producerId, at))
      patchInt(body, fields, /(^|\.)producer_epoch$/, (b, at) => b.writeInt16BE((producerEpoch + 1) & 0x7fff, at))
      return { ...rec, body }
    }
    const topics = (request as { topicData: { partitionData: { index: number }[] }[] }).topicData
    const indexes = topics.flatMap((t) => t.partitionData.map((p) => p.index))
    if (indexes.length === 1) {
      const body = Buffer.from(rec.body)
      patchInt(body, fields, /partition_responses\[0\]\.index$/, (b, at) => b.writeInt32BE(indexes[0] as number, at))
      return { ...rec, body }
    }
    // Several partitions in one request: one partition response each, re-encoded.
    const r = new Reader(rec.body)
    const headerFlexible = responseHeaderVersion(rec.apiKey, rec.apiVersion >= api.firstFlexibleVersion) === 1
    decodeResponseHeader(r, headerFlexible)
    const res = ProduceApi.decodeResponse(r, rec.apiVersion)
    const topic = res.responses[0]
    const template = topic?.partitionResponses[0]
    if (topic === undefined || template === undefined) return rec
    const changed: ProduceResponse = { ...res, responses: [{ ...topic, partitionResponses: indexes.map((index) => ({ ...template, index })) }] }
    const w = new Writer(256 + indexes.length * 64)
    w.int32(0)
    if (headerFlexible) w.taggedFields()
    ProduceApi.encodeResponse(w, changed, rec.apiVersion)
    return { ...rec, body: Buffer.from(w.finish()) }
  }

  private mutate(plan: Plan, rec: RecordedResponse, body: Buffer, correlationId: number): { bytes: Buffer; detail: string; close?: boolean } {
    const random = plan.random
    const fields = (rec.body.length === this.bodies.get(rec.apiKey)?.body.length ? (this.fields.get(rec.apiKey) ?? []) : traceFields(rec)).filter((f) => f.offset >= 4)
    const api = REPLAYED_APIS.get(rec.apiKey) as ApiDefinition<unknown, unknown>
    const flexible = rec.apiVersion >= api.firstFlexibleVersion
    switch (plan.kind) {
      case 'bitflip': {
        const out = Buffer.from(body)
        const n = int(random, 1, 8)
        const from = random() < 0.1 ? 0 : 4
        const at: number[] = []
        for (let i = 0; i < n; i++) {
          const bit = int(random, from * 8, out.length * 8 - 1)
          at.push(bit)
          out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7))
        }
        return { bytes: sizePrefixed(out), detail: `bits ${at.join(',')} of ${out.length} bytes` }
      }
      case 'length-field': {
        const candidates = fields.filter((f) => f.path.endsWith('.length') || typeof f.value === 'string' || f.value === null || f.value instanceof Uint8Array)
        if (candidates.length === 0) return this.fallback(body, 'no length field')
        const f = pick(random, candidates)
        const which = pick(random, ['0', '-1', 'huge'] as const)
        const isArray = f.path.endsWith('.length')
        // The length prefix: int32 (arrays, bytes) or int16 (strings) before flexible versions,
        // an unsigned varint of length+1 in flexible ones (0 = null).
        let prefixLen: number
        let replacement: Buffer
        if (flexible) {
          const r = new Reader(body, f.offset)
          r.uvarint('len')
          prefixLen = r.pos - f.offset
          replacement = uvarint(which === '0' ? 1 : which === '-1' ? 0 : 0x7fffffff)
        } else {
          prefixLen = isArray || f.value instanceof Uint8Array ? 4 : 2
          const v = which === '0' ? 0 : which === '-1' ? -1 : prefixLen === 4 ? 0x7fffffff : 0x7fff
          replacement = writeInt(prefixLen, v)
        }
        return { bytes: sizePrefixed(splice(body, f.offset, prefixLen, replacement)), detail: `${f.path} length = ${which}` }
      }
      case 'int-field': {
        const candidates = fields.filter(fixedInt)
        if (candidates.length === 0) return this.fallback(body, 'no int field')
        const f = pick(random, candidates)
        const v = pick(random, [0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 32767, -32768, 127, -128, int(random, -1000, 1000)])
        return { bytes: sizePrefixed(splice(body, f.offset, f.length, writeInt(f.length, v))), detail: `${f.path} = ${v}` }
      }
      case 'truncate': {
        const len = int(random, 4, body.length - 1)
        return { bytes: sizePrefixed(body.subarray(0, len)), detail: `body cut to ${len} of ${body.length} bytes` }
      }
      case 'truncate-close': {
        const len = int(random, 0, body.length + 3)
        return { bytes: sizePrefixed(body).subarray(0, len), detail: `frame cut to ${len} of ${body.length + 4} bytes, then closed`, close: true }
      }
      case 'prefix-inflated': {
        const extra = int(random, 1, 4096)
        return { bytes: sizePrefixed(body, body.length + extra), detail: `size prefix +${extra}` }
      }
      case 'prefix-negative': {
        const v = pick(random, [-1, -(2 ** 31), -int(random, 2, 100000)])
        return { bytes: sizePrefixed(body, v), detail: `size prefix ${v}` }
      }
      case 'prefix-small': {
        const v = int(random, 0, 3)
        return { bytes: sizePrefixed(body, v), detail: `size prefix ${v}` }
      }
      case 'prefix-huge': {
        const v = pick(random, [2 ** 31 - 1, 100 * 1024 * 1024 + 1, 2 ** 30])
        return { bytes: sizePrefixed(body, v), detail: `size prefix ${v}` }
      }
      case 'garbage-appended': {
        const junk = randomBytes(random, int(random, 1, 64))
        return { bytes: sizePrefixed(Buffer.concat([body, junk])), detail: `${junk.length} bytes appended inside the frame` }
      }
      case 'garbage-after-frame': {
        const junk = randomBytes(random, int(random, 1, 64))
        return { bytes: Buffer.concat([sizePrefixed(body), junk]), detail: `${junk.length} bytes after the frame` }
      }
      case 'other-api': {
        const others = [...this.bodies.values()].filter((r) => r.apiKey !== rec.apiKey)
        const other = pick(random, others)
        const b = Buffer.from(other.body)
        b.writeInt32BE(correlationId, 0)
        return { bytes: sizePrefixed(b), detail: `answered with the ${REPLAYED_APIS.get(other.apiKey)?.name} v${other.apiVersion} frame` }
      }
      case 'metadata-node-id':
        return this.setInts(body, fields, /^brokers\[\d+\]\.node_id$/, [-1, -5, -(2 ** 31)], random)
      case 'metadata-port':
        return this.setInts(body, fields, /^brokers\[\d+\]\.port$/, [0, 70000, -1, 65536], random)
      case 'metadata-unknown-leader':
        return this.setInts(body, fields, /partitions\[\d+\]\.leader_id$/, [99, 12345, -1, -7], random)
      case 'metadata-zero-partitions':
        return this.reencodeMetadata(rec, correlationId, 0)
      case 'metadata-many-partitions':
        return this.reencodeMetadata(rec, correlationId, 100_000)
    }
  }

  private fallback(body: Buffer, why: string): { bytes: Buffer; detail: string } {
    return { bytes: sizePrefixed(body), detail: `unchanged (${why})` }
  }

  private setInts(body: Buffer, fields: Field[], path: RegExp, values: number[], random: () => number): { bytes: Buffer; detail: string } {
    const matches = fields.filter((f) => path.test(f.path) && f.length === 4)
    if (matches.length === 0) return this.fallback(body, `no field ${path.source}`)
    const f = pick(random, matches)
    const v = pick(random, values)
    return { bytes: sizePrefixed(splice(body, f.offset, 4, writeInt(4, v))), detail: `${f.path} = ${v}` }
  }

  /** 0 or `n` partitions for the first topic (cached per recorded body: 100,000 partitions are 3 MB to encode). */
  private reencodeMetadata(rec: RecordedResponse, correlationId: number, n: number): { bytes: Buffer; detail: string } {
    // Keyed by the recording's own bytes (shared by every replay broker of a run), port patched after.
    const original = this.recording.responses.get(rec.apiKey) ?? rec
    let byCount = reencoded.get(original.body)
    if (byCount === undefined) {
      byCount = new Map()
      reencoded.set(original.body, byCount)
    }
    let out = byCount.get(n)
    if (out === undefined) {
      out = this.encodeMetadataWith(original, n)
      byCount.set(n, out)
    }
    const bytes = patchAdvertisedPort(out.bytes, this.recording.host, this.recording.port, this.port)
    bytes.writeInt32BE(correlationId, 4)
    return { bytes, detail: out.detail }
  }

  /** Re-encoded with our encoder: the partition count changes the whole layout. */
  private encodeMetadataWith(rec: RecordedResponse, n: number): { bytes: Buffer; detail: string } {
    const correlationId = 0
    const r = new Reader(rec.body)
    const headerFlexible = responseHeaderVersion(rec.apiKey, rec.apiVersion >= MetadataApi.firstFlexibleVersion) === 1
    decodeResponseHeader(r, headerFlexible)
    const md = MetadataApi.decodeResponse(r, rec.apiVersion)
    const topic = md.topics[0]
    if (topic === undefined) return this.fallback(rec.body, 'no topic')
    const template = topic.partitions[0] as MetadataPartition
    const partitions: MetadataPartition[] = []
    for (let i = 0; i < n; i++) partitions.push({ ...template, partitionIndex: i })
    const changed: MetadataResponse = { ...md, topics: [{ ...topic, partitions }, ...md.topics.slice(1)] }
    const w = new Writer(64 + n * 40)
    const at = w.reserveInt32()
    w.int32(correlationId)
    if (headerFlexible) w.taggedFields()
    MetadataApi.encodeResponse(w, changed, rec.apiVersion)
    w.patchInt32(at, w.length - 4)
    return { bytes: Buffer.from(w.finish()), detail: `${n} partitions for ${topic.name ?? '?'}` }
  }
}

/** Re-encoded Metadata frames by recorded body and partition count (see reencodeMetadata). */
const reencoded = new WeakMap<Buffer, Map<number, { bytes: Buffer; detail: string }>>()

function randomBytes(random: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256)
  return b
}

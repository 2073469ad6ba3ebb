/**
 * One TCP connection to one Kafka broker: connect, ApiVersions handshake, pipelined requests.
 *
 * ```ts
 * const conn = new Connection({ host: '127.0.0.1', port: 9092, clientId: 'app' })
 * await conn.connect()                       // TCP + ApiVersions (KIP-511 fallback)
 * const v = conn.versionFor(MetadataApi)     // highest version both sides speak, or throws
 * const res = await conn.send(MetadataApi, { topics: [], allowAutoTopicCreation: false })
 * await conn.send(ProduceApi, req, { expectResponse: false, sizeHint })  // acks=0: resolves once written
 * conn.onClose((err) => { if (err) console.warn(err.message) })  // err undefined = clean close
 * conn.close()
 * conn.inFlightCount, conn.queuedCount, conn.maxObservedInFlight  // instrumentation
 * ```
 *
 * Guarantees:
 * - Requests are written in call order; at most `maxInFlightRequests` await responses, the rest
 *   queue (acks=0 requests take no slot). Responses are matched FIFO; a wrong correlation id, a
 *   frame size outside `4..maxResponseBytes`, a socket error or close fails the connection and
 *   rejects every in-flight and queued request with a {@link NetworkError} naming the broker.
 * - Every request has a deadline (`requestTimeoutMs`, counted from the write; time held by a KIP-219 throttle does not count); one timer per
 *   connection watches the earliest. An expired *in-flight* request closes the connection (later
 *   responses could no longer be matched safely); an expired *queued* one is just rejected.
 * - `write()` returning false stops writing until `drain` (socket backpressure).
 * - A response with `throttleTimeMs > 0` holds further writes until it has passed (KIP-219), for
 *   at most `requestTimeoutMs`.
 * - After `close()` or a failure no socket, listener or timer is left behind.
 */
// Bad options are ConfigErrors (the producer's, which names the option).
import { InvalidArgumentError } from '../kafka-wire-error.js'
import { ConfigError } from '../producer/errors.js'
import { Socket, connect as netConnect } from 'node:net'
import { TLSSocket } from 'node:tls'
import type { ApiDefinition } from '../protocol/api.js'
import { ApiVersionsApi, apiVersionsRetryVersion, versionMap, type ApiVersionsResponse } from '../protocol/api-versions.js'
import { KafkaProtocolError, errorInfo } from '../protocol/errors.js'
import { decodeResponseHeader, encodeRequestHeader, responseHeaderVersion } from '../protocol/headers.js'
import { Reader } from '../protocol/reader.js'
import { type VersionRange, pickVersion } from '../protocol/versions.js'
import { Writer } from '../protocol/writer.js'
import type { Authenticator } from './authenticator.js'
import {
  ConnectionClosedError,
  ConnectionSetupTimeoutError,
  CorrelationIdMismatchError,
  InvalidBrokerAddressError,
  InvalidFrameError,
  NetworkError,
  RequestTimeoutError,
  ResponseDecodeError,
  invalidAddressReason,
} from './errors.js'
import { Fifo } from './fifo.js'
import { FrameReader, FrameSizeError } from './frame-reader.js'
import { classifyTlsError } from './tls.js'

/** The finalized features of one broker's ApiVersions answer (see {@link Connection.finalizedFeatures}). */
export type FinalizedFeatures = Pick<ApiVersionsResponse, 'finalizedFeaturesEpoch' | 'finalizedFeatures'>

/** Default `request.timeout.ms` of the Java producer. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/** Default `socket.connection.setup.timeout.ms` of the Java client. */
export const DEFAULT_CONNECTION_SETUP_TIMEOUT_MS = 10_000
/** Default `max.in.flight.requests.per.connection`. */
export const DEFAULT_MAX_IN_FLIGHT_REQUESTS = 5
/** Default largest response accepted (checked on the size prefix, before allocating). */
export const DEFAULT_MAX_RESPONSE_BYTES = 100 * 1024 * 1024
/** Default `connections.max.idle.ms` of the Java client (9 minutes). */
export const DEFAULT_CONNECTIONS_MAX_IDLE_MS = 540_000

/**
 * KIP-219: from these versions on the broker answers at once and expects the *client* to hold
 * back for `throttle_time_ms`; older versions are delayed by the broker itself. Keyed by api key;
 * APIs not listed are treated as client-throttled.
 */
const FIRST_CLIENT_THROTTLED_VERSION: ReadonlyMap<number, number> = new Map([
  [0, 6], // Produce
  [1, 8], // Fetch
  [2, 3], // ListOffsets
  [3, 6], // Metadata
  [10, 2], // FindCoordinator
  [18, 2], // ApiVersions
  [22, 1], // InitProducerId
  [24, 1], // AddPartitionsToTxn
  [26, 1], // EndTxn
])

/** Options a socket factory gets. */
export interface SocketFactoryOptions {
  /** Broker host. */
  readonly host: string
  /** Broker port. */
  readonly port: number
}

/**
 * Creates the (not yet connected) socket; replace it for TLS (`tls.connect`) or tests. The
 * connection waits for `secureConnect` on a `TLSSocket`, else for `connect`.
 */
export type SocketFactory = (options: SocketFactoryOptions) => Socket

/** What a trace hook learns about each frame. */
export interface FrameMeta {
  /** api_key of the request the frame belongs to. */
  readonly apiKey: number
  /** Version used for the request and its response. */
  readonly apiVersion: number
  /** Correlation id of the request/response pair. */
  readonly correlationId: number
}

/**
 * Called with every frame sent and received (for the CLI's `--dump`). `frame` is the whole frame
 * on send (size prefix included) and the body after the size prefix on receive; it may be a view
 * into a reused buffer, so copy it to keep it. Costs nothing when unset.
 */
export type TraceHook = (direction: 'send' | 'receive', frame: Uint8Array, meta: FrameMeta) => void

/** Configuration of one {@link Connection}. */
export interface ConnectionOptions {
  /** Broker host name or address. */
  readonly host: string
  /** Broker port. */
  readonly port: number
  /** `client.id` sent in every request header. */
  readonly clientId: string
  /** Name used in errors; defaults to `host:port`. */
  readonly brokerLabel?: string
  /** `request.timeout.ms`: per request, from `send()` to its response (default 30 000). */
  readonly requestTimeoutMs?: number
  /** `socket.connection.setup.timeout.ms`: TCP connect plus ApiVersions handshake (default 10 000). */
  readonly connectionSetupTimeoutMs?: number
  /** `max.in.flight.requests.per.connection` (default 5). */
  readonly maxInFlightRequests?: number
  /** Largest response frame accepted, checked before allocating (default 100 MiB). */
  readonly maxResponseBytes?: number
  /** `connections.max.idle.ms`: close after this long without traffic; 0 disables (default 540 000). */
  readonly connectionsMaxIdleMs?: number
  /** Socket factory (TLS, tests); default `net.connect`. */
  readonly socketFactory?: SocketFactory
  /** Called when a response asks the client to back off (KIP-219). */
  readonly onThrottle?: (throttleTimeMs: number, api: string, broker: string) => void
  /** Frame-level trace hook. */
  readonly trace?: TraceHook
  /** KIP-511 client_software_name sent in ApiVersions v3+ (default `kafka-wire`). */
  readonly clientSoftwareName?: string
  /** KIP-511 client_software_version (default `0.1.0`). */
  readonly clientSoftwareVersion?: string
  /**
   * Authenticates after ApiVersions (SASL, `sasl/authenticate.ts`), within the setup timeout. When
   * it returns a session lifetime, the connection re-authenticates before it ends (KIP-368).
   */
  readonly authenticator?: Authenticator
}

/**
 * KIP-368 timing of the Java client (`SaslClientAuthenticator.ReauthInfo`): re-authenticate at 85 %
 * of the session lifetime plus up to 10 % jitter, leaving room for latency and clock drift and
 * spreading the re-authentications of many connections.
 */
const REAUTH_AT = 0.85
const REAUTH_JITTER = 0.1

/** Per-request options of {@link Connection.send}. */
export interface SendOptions {
  /** Version to use instead of {@link Connection.versionFor}. */
  readonly version?: number
  /** False for acks=0 Produce: no response comes, the promise resolves once written. Default true. */
  readonly expectResponse?: boolean
  /** Overrides `requestTimeoutMs` for this request. */
  readonly timeoutMs?: number
  /** Expected encoded size in bytes, so the frame buffer is allocated once (e.g. batch bytes + 1 KiB). */
  readonly sizeHint?: number
  /**
   * Byte fields of at least this many bytes (a Produce request's record batches) are written from
   * the caller's buffers instead of being copied into the frame; they must not change until the
   * request settles. `sizeHint` then only needs to cover the rest.
   */
  readonly shareBytesFrom?: number
}

/** Connection lifecycle. */
export type ConnectionState = 'new' | 'connecting' | 'ready' | 'closed'

/** One request between `send()` and its settlement. */
interface PendingRequest {
  readonly api: ApiDefinition<unknown, unknown>
  readonly version: number
  readonly correlationId: number
  /** The whole frame, or its chunks in order (shared byte fields), written with one writev. */
  readonly frame: Buffer | Uint8Array[]
  /** Frame length in bytes, size prefix included. */
  readonly frameBytes: number
  readonly expectResponse: boolean
  readonly timeoutMs: number
  /** Queued: enqueue time (or throttle end) + timeoutMs; once written: write time + timeoutMs. */
  deadline: number
  readonly resolve: (value: unknown) => void
  readonly reject: (error: Error) => void
}

/** Size prefix, api key, version, correlation id, client_id length, header tags. */
const HEADER_ALLOWANCE = 4 + 2 + 2 + 4 + 2 + 1

/** Initial frame buffer per api key, learned from the last frame so the next one is allocated once. */
const sizeHints = new Map<number, number>()

/** A connection to one broker. See the module comment for its guarantees. */
export class Connection {
  /** `host:port` (or the configured label), used in every error. */
  readonly broker: string
  /** Broker host. */
  readonly host: string
  /** Broker port. */
  readonly port: number

  private readonly clientId: string
  private readonly requestTimeoutMs: number
  private readonly setupTimeoutMs: number
  private readonly maxInFlight: number
  private readonly idleMs: number
  private readonly socketFactory: SocketFactory
  private readonly onThrottle: ((throttleTimeMs: number, api: string, broker: string) => void) | undefined
  private readonly trace: TraceHook | undefined
  private readonly softwareName: string
  private readonly softwareVersion: string
  private readonly reader: FrameReader
  private readonly clientIdBytes: number

  private _state: ConnectionState = 'new'
  private socket: Socket | undefined
  private writable = true
  private nextCorrelationId = 0
  private readonly queue = new Fifo<PendingRequest>()
  private readonly inFlight = new Fifo<PendingRequest>()
  /** acks=0 requests written but not yet flushed to the kernel. */
  private readonly unflushed = new Set<PendingRequest>()
  private brokerVersions = new Map<number, VersionRange>()
  // Finalized features of the handshake's ApiVersions (transaction.version selects the transaction protocol).
  private brokerFeatures: FinalizedFeatures = { finalizedFeaturesEpoch: -1n, finalizedFeatures: [] }
  private closeListeners: ((error: NetworkError | undefined) => void)[] = []
  private closeError: NetworkError | undefined

  private timeoutTimer: NodeJS.Timeout | undefined
  private timeoutAt = Infinity
  private idleTimer: NodeJS.Timeout | undefined
  private lastActivity = 0
  private throttledUntil = 0
  private throttleTimer: NodeJS.Timeout | undefined
  private setupTimer: NodeJS.Timeout | undefined
  private failSetup: ((error: NetworkError) => void) | undefined

  private _maxObservedInFlight = 0
  private _requestsSent = 0
  private _bytesSent = 0
  private _bytesReceived = 0
  private _backpressureWaits = 0

  private readonly authenticator: Authenticator | undefined
  /** `open`: normal traffic; `draining`: re-auth due, in-flight finishing; `authenticating`: only SASL requests are written. */
  private authGate: 'open' | 'draining' | 'authenticating' = 'open'
  /** SASL requests of a re-authentication; written while every other request waits in `queue`. */
  private readonly authQueue = new Fifo<PendingRequest>()
  private reauthTimer: NodeJS.Timeout | undefined
  private _sessionLifetimeMs = 0
  private _reauthentications = 0

  /** @param options see {@link ConnectionOptions} */
  constructor(options: ConnectionOptions) {
    this.host = options.host
    this.port = options.port
    this.broker = options.brokerLabel ?? `${options.host}:${options.port}`
    this.clientId = options.clientId
    this.clientIdBytes = Buffer.byteLength(options.clientId)
    this.requestTimeoutMs = positive(options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 'requestTimeoutMs')
    this.setupTimeoutMs = positive(options.connectionSetupTimeoutMs, DEFAULT_CONNECTION_SETUP_TIMEOUT_MS, 'connectionSetupTimeoutMs')
    this.maxInFlight = positive(options.maxInFlightRequests, DEFAULT_MAX_IN_FLIGHT_REQUESTS, 'maxInFlightRequests')
    const maxResponseBytes = positive(options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES, 'maxResponseBytes')
    const idle = options.connectionsMaxIdleMs ?? DEFAULT_CONNECTIONS_MAX_IDLE_MS
    if (!(idle >= 0)) throw new ConfigError('connectionsMaxIdleMs', `must be >= 0, got ${idle}`)
    this.idleMs = idle
    this.socketFactory = options.socketFactory ?? defaultSocketFactory
    this.onThrottle = options.onThrottle
    this.trace = options.trace
    this.softwareName = options.clientSoftwareName ?? 'kafka-wire'
    this.softwareVersion = options.clientSoftwareVersion ?? '0.1.0'
    this.reader = new FrameReader(maxResponseBytes, (frame) => this.onFrame(frame))
    this.authenticator = options.authenticator
  }

  /** The session lifetime the broker granted at the last (re-)authentication, 0 when none (KIP-368). */
  get sessionLifetimeMs(): number {
    return this._sessionLifetimeMs
  }

  /** Completed KIP-368 re-authentications on this connection. */
  get reauthenticationCount(): number {
    return this._reauthentications
  }

  /** Current lifecycle state. */
  get state(): ConnectionState {
    return this._state
  }

  /** True once the handshake finished and until the connection closes. */
  get isReady(): boolean {
    return this._state === 'ready'
  }

  /** Requests written and awaiting a response. */
  get inFlightCount(): number {
    return this.inFlight.length
  }

  /** Requests waiting for an in-flight slot, the end of a throttle, or `drain`. */
  get queuedCount(): number {
    return this.queue.length
  }

  /** Highest {@link inFlightCount} ever observed (instrumentation for tests and benches). */
  get maxObservedInFlight(): number {
    return this._maxObservedInFlight
  }

  /** Requests written to the socket so far. */
  get requestsSent(): number {
    return this._requestsSent
  }

  /** Request bytes written so far (size prefixes included). */
  get bytesSent(): number {
    return this._bytesSent
  }

  /** Response bytes received so far. */
  get bytesReceived(): number {
    return this._bytesReceived
  }

  /** Times `write()` returned false and writing paused until `drain` (socket backpressure). */
  get backpressureWaits(): number {
    return this._backpressureWaits
  }

  /** Epoch ms until which writes are held for a broker throttle (0 when never throttled). */
  get throttledUntilMs(): number {
    return this.throttledUntil
  }

  /** The error the connection closed with (undefined while open or after a clean `close()`). */
  get error(): NetworkError | undefined {
    return this.closeError
  }

  /** Version ranges the broker advertised in ApiVersions, by api key. */
  get apiVersions(): ReadonlyMap<number, VersionRange> {
    return this.brokerVersions
  }

  /**
   * Finalized features from the broker's ApiVersions (v3+ tagged fields) and their epoch (-1 when
   * the broker sent none, e.g. an ApiVersions v0-v2 answer); `transactionVersion(conn.finalizedFeatures)`
   * reads `transaction.version`. Java keeps the highest epoch seen across brokers
   * (`ApiVersions.getMaxFinalizedFeaturesEpoch`); compare epochs to do the same.
   */
  get finalizedFeatures(): FinalizedFeatures {
    return this.brokerFeatures
  }

  /**
   * Registers `listener` for the close of this connection (with the error, or undefined after a
   * clean `close()`); returns a function that unregisters it. Fires at most once.
   */
  onClose(listener: (error: NetworkError | undefined) => void): () => void {
    this.closeListeners.push(listener)
    return () => {
      this.closeListeners = this.closeListeners.filter((l) => l !== listener)
    }
  }

  /**
   * Opens the socket and runs the ApiVersions handshake, both within `connectionSetupTimeoutMs`.
   * @throws ConnectionSetupTimeoutError, NetworkError (refused, reset, handshake error)
   */
  async connect(): Promise<void> {
    if (this._state !== 'new') throw new NetworkError(this.broker, `connect() called on a connection that is ${this._state}`)
    // net.connect allocates its socket handle before it refuses a bad port, and never frees it.
    const badAddress = invalidAddressReason(this.host, this.port)
    if (badAddress !== undefined) {
      const error = new InvalidBrokerAddressError(this.broker, this.host, this.port, badAddress)
      this.fail(error)
      throw error
    }
    this._state = 'connecting'
    const started = Date.now()
    let phase = 'TCP connect'
    const setupFailed = new Promise<never>((_, reject) => {
      this.failSetup = reject
    })
    // Keep an unhandled rejection from escaping when the race below already settled.
    setupFailed.catch(() => undefined)
    this.setupTimer = setTimeout(() => {
      this.fail(new ConnectionSetupTimeoutError(this.broker, phase, this.setupTimeoutMs))
    }, this.setupTimeoutMs)
    try {
      await Promise.race([this.openSocket(), setupFailed])
      phase = 'ApiVersions handshake'
      const remaining = Math.max(1, this.setupTimeoutMs - (Date.now() - started))
      // When the setup deadline is the tighter bound, its timer must win the race (clear error
      // naming socketConnectionSetupTimeoutMs), so the request's own timeout gets a margin.
      await Promise.race([this.handshake(Math.min(this.requestTimeoutMs, remaining + 1000)), setupFailed])
      if (this.authenticator !== undefined) {
        phase = 'SASL authentication'
        const left = Math.max(1, this.setupTimeoutMs - (Date.now() - started))
        const lifetime = await Promise.race([this.authenticate(false, Math.min(this.requestTimeoutMs, left + 1000)), setupFailed])
        this._sessionLifetimeMs = lifetime
      }
      if (this._state !== 'connecting') throw this.closeError ?? new ConnectionClosedError(this.broker, 'closed during setup')
      this._state = 'ready'
    } catch (err) {
      const error = err instanceof NetworkError ? err : new NetworkError(this.broker, `connection setup failed: ${describe(err)}`, err)
      this.fail(error)
      throw this.closeError ?? error
    } finally {
      clearTimeout(this.setupTimer)
      this.setupTimer = undefined
      this.failSetup = undefined
    }
    this.lastActivity = Date.now()
    this.armIdleTimer()
    this.armReauthTimer()
  }

  /**
   * The version to use for `api`: the highest both kafka-wire and this broker support.
   * @throws UnsupportedApiVersionError (from `protocol/versions.ts`) naming the API and both ranges
   */
  versionFor(api: ApiDefinition<unknown, unknown>): number {
    if (this._state !== 'ready') {
      throw new ConnectionClosedError(this.broker, `versionFor(${api.name}) on a connection that is ${this._state}`)
    }
    return pickVersion(api, this.brokerVersions.get(api.apiKey))
  }

  /**
   * Sends one request and resolves with its decoded response (or with `undefined` once written
   * when `expectResponse` is false).
   * @throws NetworkError subclasses for connection failures and timeouts; encode errors as thrown by the API
   */
  send<Req, Res>(api: ApiDefinition<Req, Res>, request: Req, options?: SendOptions & { expectResponse?: true }): Promise<Res>
  send<Req, Res>(api: ApiDefinition<Req, Res>, request: Req, options: SendOptions & { expectResponse: false }): Promise<undefined>
  send<Req, Res>(api: ApiDefinition<Req, Res>, request: Req, options?: SendOptions): Promise<Res | undefined>
  send<Req, Res>(api: ApiDefinition<Req, Res>, request: Req, options?: SendOptions): Promise<Res | undefined> {
    if (this._state !== 'ready') {
      return Promise.reject(this.closeError ?? new ConnectionClosedError(this.broker, `cannot send ${api.name}: connection is ${this._state}`))
    }
    return this.enqueue(api, request, options)
  }

  /** Closes the socket now; everything pending rejects with {@link ConnectionClosedError}. Idempotent. */
  close(): void {
    if (this._state === 'closed') return
    this.fail(new ConnectionClosedError(this.broker, 'connection closed by the client'), true)
  }

  // ---------------------------------------------------------------- internals

  private enqueue<Req, Res>(api: ApiDefinition<Req, Res>, request: Req, options: SendOptions | undefined, lane: Fifo<PendingRequest> = this.queue): Promise<Res | undefined> {
    // The handshake enqueues directly: a connection that failed meanwhile must not take new requests,
    // which no timeout check or failure would ever settle.
    if (this._state === 'closed') {
      return Promise.reject(this.closeError ?? new ConnectionClosedError(this.broker, `cannot send ${api.name}: connection is closed`))
    }
    let version: number
    let frame: Buffer | Uint8Array[]
    const correlationId = this.nextCorrelationId
    try {
      version = options?.version ?? this.versionFor(api as ApiDefinition<unknown, unknown>)
      frame = this.encode(api, request, version, correlationId, options?.sizeHint, options?.shareBytesFrom)
    } catch (err) {
      return Promise.reject(err)
    }
    // Wraps at INT32_MAX like the Java client; matching is FIFO, so reuse after 2^31 is harmless.
    this.nextCorrelationId = correlationId === 0x7fffffff ? 0 : correlationId + 1
    const timeoutMs = options?.timeoutMs ?? this.requestTimeoutMs
    return new Promise<Res | undefined>((resolve, reject) => {
      const pending: PendingRequest = {
        api: api as ApiDefinition<unknown, unknown>,
        version,
        correlationId,
        frame,
        frameBytes: frameLength(frame),
        expectResponse: options?.expectResponse ?? true,
        timeoutMs,
        // Time held by a KIP-219 throttle does not count against the request (issue 12).
        deadline: Math.max(Date.now(), this.throttledUntil) + timeoutMs,
        resolve: resolve as (value: unknown) => void,
        reject,
      }
      lane.push(pending)
      if (pending.deadline < this.timeoutAt) this.armTimeout(pending.deadline)
      this.pump()
    })
  }

  /**
   * Header (v1, or v2 for flexible versions) and body in one buffer, or in chunks when large byte
   * fields are shared; the size prefix (covering every chunk) is patched last.
   */
  private encode<Req, Res>(api: ApiDefinition<Req, Res>, request: Req, version: number, correlationId: number, sizeHint: number | undefined, shareBytesFrom: number | undefined): Buffer | Uint8Array[] {
    if (!Number.isInteger(version) || version < api.minVersion || version > api.maxVersion) {
      throw new InvalidArgumentError(`${api.name} v${version} is outside the versions kafka-wire implements (v${api.minVersion}-v${api.maxVersion})`)
    }
    const estimate = api.estimateRequestSize === undefined ? undefined : HEADER_ALLOWANCE + this.clientIdBytes + api.estimateRequestSize(request, version)
    const w = new Writer(sizeHint ?? estimate ?? sizeHints.get(api.apiKey) ?? 256)
    if (shareBytesFrom !== undefined) w.shareLargeBytes(shareBytesFrom)
    const sizeAt = w.reserveInt32()
    encodeRequestHeader(w, { apiKey: api.apiKey, apiVersion: version, correlationId, clientId: this.clientId }, version >= api.firstFlexibleVersion)
    api.encodeRequest(w, request, version)
    w.patchInt32(sizeAt, w.length - 4)
    if (sizeHint === undefined && estimate === undefined) sizeHints.set(api.apiKey, w.length)
    if (shareBytesFrom === undefined) return w.finish()
    const chunks = w.finishChunks()
    return chunks.length === 1 ? w.finish() : chunks
  }

  /** Writes queued requests while slots, throttle and socket buffer allow. */
  private pump(): void {
    const socket = this.socket
    if (socket === undefined || (this.queue.length === 0 && this.authQueue.length === 0)) return
    // Several frames ready at once (a burst, acks=0): one writev instead of a syscall per frame.
    const cork = this.queue.length > 1
    if (cork) socket.cork()
    try {
      this.writeQueued(socket)
    } finally {
      if (cork) socket.uncork()
    }
  }

  private writeQueued(socket: Socket): void {
    // During a re-authentication only its SASL requests are written; a due one waits for the drain.
    const source = this.authGate === 'open' ? this.queue : this.authGate === 'authenticating' ? this.authQueue : undefined
    if (source === undefined) return
    while (this.writable && source.length > 0) {
      const next = source.peek() as PendingRequest
      if (next.expectResponse && this.inFlight.length >= this.maxInFlight) return
      if (this.throttledUntil !== 0) {
        const wait = this.throttledUntil - Date.now()
        if (wait > 0) {
          this.armThrottleTimer(wait)
          return
        }
        this.throttledUntil = 0
      }
      source.shift()
      // The request timeout runs from the write (Java InFlightRequest.sendTimeMs); the armed timer
      // fires no later than before and re-arms for the new deadline.
      next.deadline = Date.now() + next.timeoutMs
      if (next.expectResponse) {
        this.inFlight.push(next)
        if (this.inFlight.length > this._maxObservedInFlight) this._maxObservedInFlight = this.inFlight.length
      }
      const frame = next.frame
      if (this.trace !== undefined) this.callTrace('send', Array.isArray(frame) ? Buffer.concat(frame) : frame, next)
      this._requestsSent++
      this._bytesSent += next.frameBytes
      this.lastActivity = Date.now()
      let last: Uint8Array
      if (Array.isArray(frame)) {
        // Shared chunks: corked, so they leave in one writev after the last one.
        socket.cork()
        for (let i = 0; i < frame.length - 1; i++) socket.write(frame[i] as Uint8Array)
        last = frame[frame.length - 1] as Uint8Array
      } else last = frame
      let ok: boolean
      if (next.expectResponse) {
        ok = socket.write(last)
      } else {
        this.unflushed.add(next)
        ok = socket.write(last, (err) => {
          this.unflushed.delete(next)
          if (err) next.reject(new NetworkError(this.broker, `${next.api.name} write failed`, err))
          else next.resolve(undefined)
          if (this.inFlight.length === 0 && this.queue.length === 0 && this.unflushed.size === 0) this.clearTimeoutTimer()
          this.maybeStartReauth()
        })
      }
      if (Array.isArray(frame)) socket.uncork()
      if (!ok) {
        this.writable = false
        this._backpressureWaits++
      }
    }
  }

  private onFrame(frame: Buffer): void {
    if (this._state === 'closed') return
    this._bytesReceived += frame.length + 4
    this.lastActivity = Date.now()
    const correlationId = frame.readInt32BE(0)
    const head = this.inFlight.peek()
    if (head === undefined || head.correlationId !== correlationId) {
      this.fail(new CorrelationIdMismatchError(this.broker, head === undefined ? -1 : head.correlationId, correlationId))
      return
    }
    this.inFlight.shift()
    if (this.trace !== undefined) this.callTrace('receive', frame, head)
    let response: unknown
    try {
      response = this.decode(head, frame)
    } catch (err) {
      // Bytes that do not decode as the expected response (corrupt, truncated, another API's
      // frame) mean this stream cannot be trusted any more: the request's outcome is unknown, so
      // it fails with a retriable error and the connection closes; a retry goes to a new one.
      const error = new ResponseDecodeError(this.broker, head.api.name, head.version, head.correlationId, err)
      head.reject(error)
      this.fail(new ConnectionClosedError(this.broker, `connection closed because a ${head.api.name} response could not be decoded`, error))
      return
    }
    this.noteThrottle(head, response)
    head.resolve(response)
    this.afterResponse()
  }

  /** A debugging hook must never break the connection: its exceptions are swallowed. */
  private callTrace(direction: 'send' | 'receive', frame: Uint8Array, p: PendingRequest): void {
    try {
      ;(this.trace as TraceHook)(direction, frame, meta(p))
    } catch {
      // ignored on purpose
    }
  }

  private decode(request: PendingRequest, frame: Buffer): unknown {
    const api = request.api
    const r = new Reader(frame, 0)
    // ApiVersions always answers with header v0 (KIP-511); its decoder handles a v0 fallback body.
    decodeResponseHeader(r, responseHeaderVersion(api.apiKey, request.version >= api.firstFlexibleVersion) === 1)
    return api.decodeResponse(r, request.version)
  }

  private afterResponse(): void {
    if (this.inFlight.length === 0 && this.queue.length === 0 && this.unflushed.size === 0) this.clearTimeoutTimer()
    this.maybeStartReauth()
    this.pump()
  }

  /**
   * Runs the authenticator with its requests on the SASL lane. On first connect the lane is the
   * ordinary queue (nothing else can be sent before `ready`); for a re-authentication it is
   * {@link authQueue}, while the gate holds every other request back.
   */
  private authenticate(reauthentication: boolean, timeoutMs: number): Promise<number> {
    const authenticator = this.authenticator as Authenticator
    return authenticator({
      broker: this.broker,
      versions: this.brokerVersions,
      reauthentication,
      send: async <Req, Res>(api: ApiDefinition<Req, Res>, request: Req, version: number): Promise<Res> => {
        const res = await this.enqueue(api, request, { version, timeoutMs }, reauthentication ? this.authQueue : this.queue)
        if (res === undefined) throw new NetworkError(this.broker, `${api.name} produced no response`)
        return res
      },
    })
  }

  /** KIP-368: schedules the next re-authentication when the broker limited the session. */
  private armReauthTimer(): void {
    if (this._sessionLifetimeMs <= 0 || this._state !== 'ready') return
    const delay = Math.min(2 ** 31 - 1, Math.max(1, Math.floor(this._sessionLifetimeMs * (REAUTH_AT + Math.random() * REAUTH_JITTER))))
    this.reauthTimer = setTimeout(() => {
      this.reauthTimer = undefined
      if (this._state !== 'ready') return
      // Stop writing new requests; the re-authentication starts once the in-flight ones are answered.
      this.authGate = 'draining'
      this.maybeStartReauth()
    }, delay)
    // A session timer must never keep the process alive.
    this.reauthTimer.unref()
  }

  private maybeStartReauth(): void {
    if (this.authGate !== 'draining' || this._state !== 'ready') return
    if (this.inFlight.length > 0 || this.unflushed.size > 0) return
    this.authGate = 'authenticating'
    // Re-authentication traffic is not use: an idle connection must still close after connectionsMaxIdleMs.
    const lastUse = this.lastActivity
    this.authenticate(true, this.requestTimeoutMs).then(
      (lifetime) => {
        if (this._state !== 'ready') return
        this.lastActivity = lastUse
        this._sessionLifetimeMs = lifetime
        this._reauthentications++
        this.authGate = 'open'
        this.armReauthTimer()
        this.pump()
      },
      (err: unknown) => {
        this.fail(err instanceof NetworkError ? err : new NetworkError(this.broker, `re-authentication failed: ${describe(err)}`, err))
      },
    )
  }

  private noteThrottle(request: PendingRequest, response: unknown): void {
    if (typeof response !== 'object' || response === null) return
    const t = (response as { throttleTimeMs?: unknown }).throttleTimeMs
    if (typeof t !== 'number' || !(t > 0)) return
    const first = FIRST_CLIENT_THROTTLED_VERSION.get(request.api.apiKey) ?? 0
    if (request.version < first) return
    // Honour at most requestTimeoutMs: a longer hold only guarantees that every queued request
    // times out, and one corrupt throttle_time_ms (up to 2^31-1 ms) would pin the connection for
    // weeks (issue 18). The broker mutes its side of the channel for the full throttle anyway
    // (KIP-219), so writing earlier cannot overload it.
    this.throttledUntil = Math.max(this.throttledUntil, Date.now() + Math.min(t, this.requestTimeoutMs))
    // Requests already queued are held until the throttle ends: their deadline starts then.
    this.queue.forEach((p) => {
      p.deadline = Math.max(p.deadline, this.throttledUntil + p.timeoutMs)
    })
    if (this.onThrottle !== undefined) this.onThrottle(t, request.api.name, this.broker)
  }

  /** KIP-511 dance: try our highest ApiVersions; on UNSUPPORTED_VERSION retry at the broker's highest (or v0). */
  private async handshake(timeoutMs: number): Promise<void> {
    const request = { clientSoftwareName: this.softwareName, clientSoftwareVersion: this.softwareVersion }
    let version = ApiVersionsApi.maxVersion
    const deadline = Date.now() + timeoutMs
    for (let attempt = 0; attempt < 2; attempt++) {
      const remaining = Math.max(1, deadline - Date.now())
      const res = await this.enqueue(ApiVersionsApi, request, { version, timeoutMs: remaining })
      if (res === undefined) throw new NetworkError(this.broker, 'ApiVersions produced no response')
      const retry = attempt === 0 ? apiVersionsRetryVersion(res, version) : null
      if (retry !== null) {
        version = retry
        continue
      }
      if (res.errorCode !== 0) {
        const info = errorInfo(res.errorCode)
        throw new NetworkError(this.broker, `ApiVersions v${version} failed with ${info.name} (${res.errorCode})`, new KafkaProtocolError(res.errorCode))
      }
      this.brokerVersions = versionMap(res)
      this.brokerFeatures = { finalizedFeaturesEpoch: res.finalizedFeaturesEpoch, finalizedFeatures: res.finalizedFeatures }
      return
    }
    throw new NetworkError(this.broker, 'ApiVersions: broker rejected every version tried')
  }

  private openSocket(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let socket: Socket
      try {
        socket = this.socketFactory({ host: this.host, port: this.port })
      } catch (err) {
        reject(new NetworkError(this.broker, `socket factory failed: ${describe(err)}`, err))
        return
      }
      this.socket = socket
      socket.setNoDelay(true)
      socket.on('data', (chunk: Buffer) => this.onData(chunk))
      socket.on('drain', () => {
        this.writable = true
        this.pump()
      })
      // Certificate and mTLS refusals are authentication failures, not retriable resets.
      socket.on('error', (err) => this.fail(classifyTlsError(this.broker, err) ?? new NetworkError(this.broker, `socket error: ${describe(err)}`, err)))
      socket.on('close', () => this.fail(new ConnectionClosedError(this.broker, 'connection closed by the broker')))
      const readyEvent = socket instanceof TLSSocket ? 'secureConnect' : 'connect'
      // A factory may hand over a plain socket that is already connected.
      if (readyEvent === 'connect' && !socket.connecting && socket.remoteAddress !== undefined) resolve()
      else socket.once(readyEvent, () => resolve())
      // fail() rejects via failSetup when the socket errors or closes first.
    })
  }

  private onData(chunk: Buffer): void {
    try {
      this.reader.push(chunk)
    } catch (err) {
      if (err instanceof FrameSizeError) this.fail(new InvalidFrameError(this.broker, err.size, err.max))
      else this.fail(err instanceof NetworkError ? err : new NetworkError(this.broker, `failed to process a response: ${describe(err)}`, err))
    }
  }

  /** Tears everything down once; rejects all pending work with `error`. */
  private fail(error: NetworkError, clean = false): void {
    if (this._state === 'closed') return
    this._state = 'closed'
    this.closeError = clean ? undefined : error
    this.clearTimeoutTimer()
    clearTimeout(this.idleTimer)
    this.idleTimer = undefined
    clearTimeout(this.throttleTimer)
    this.throttleTimer = undefined
    clearTimeout(this.setupTimer)
    this.setupTimer = undefined
    clearTimeout(this.reauthTimer)
    this.reauthTimer = undefined
    const socket = this.socket
    if (socket !== undefined) {
      socket.removeAllListeners('data')
      socket.removeAllListeners('drain')
      socket.removeAllListeners('close')
      socket.removeAllListeners('connect')
      socket.removeAllListeners('secureConnect')
      // Late errors after destroy must not become uncaught exceptions.
      socket.removeAllListeners('error')
      socket.on('error', () => undefined)
      socket.destroy()
    }
    this.reader.reset()
    for (const p of this.inFlight.drain()) p.reject(error)
    for (const p of this.queue.drain()) p.reject(error)
    for (const p of this.authQueue.drain()) p.reject(error)
    for (const p of this.unflushed) p.reject(error)
    this.unflushed.clear()
    if (this.failSetup !== undefined) this.failSetup(error)
    const listeners = this.closeListeners
    this.closeListeners = []
    for (const l of listeners) l(this.closeError)
  }

  private armTimeout(at: number): void {
    if (this.timeoutTimer !== undefined) clearTimeout(this.timeoutTimer)
    this.timeoutAt = at
    this.timeoutTimer = setTimeout(() => this.onTimeoutTimer(), Math.max(0, at - Date.now()))
  }

  private clearTimeoutTimer(): void {
    if (this.timeoutTimer !== undefined) clearTimeout(this.timeoutTimer)
    this.timeoutTimer = undefined
    this.timeoutAt = Infinity
  }

  /** The single request-timeout timer fired: fail expired requests, re-arm for the next deadline. */
  private onTimeoutTimer(): void {
    this.timeoutTimer = undefined
    this.timeoutAt = Infinity
    if (this._state === 'closed') return
    const now = Date.now()
    let expiredInFlight: PendingRequest | undefined
    this.inFlight.forEach((p) => {
      if (expiredInFlight === undefined && p.deadline <= now) expiredInFlight = p
    })
    // An acks=0 request the socket could not flush in time: the peer stopped reading.
    for (const p of this.unflushed) if (expiredInFlight === undefined && p.deadline <= now) expiredInFlight = p
    if (expiredInFlight !== undefined) {
      const p = expiredInFlight
      const timeout = new RequestTimeoutError(this.broker, p.api.name, p.correlationId, p.timeoutMs, true)
      this.inFlight.removeWhere((q) => q === p)
      this.unflushed.delete(p)
      p.reject(timeout)
      // Responses after the missing one can no longer be matched safely: close.
      this.fail(new ConnectionClosedError(this.broker, `connection closed because ${timeout.message.slice(this.broker.length + 2)}`, timeout))
      return
    }
    for (const p of this.queue.removeWhere((q) => q.deadline <= now)) {
      p.reject(new RequestTimeoutError(this.broker, p.api.name, p.correlationId, p.timeoutMs, false))
    }
    for (const p of this.authQueue.removeWhere((q) => q.deadline <= now)) {
      p.reject(new RequestTimeoutError(this.broker, p.api.name, p.correlationId, p.timeoutMs, false))
    }
    let next = Infinity
    this.inFlight.forEach((p) => {
      if (p.deadline < next) next = p.deadline
    })
    this.queue.forEach((p) => {
      if (p.deadline < next) next = p.deadline
    })
    this.authQueue.forEach((p) => {
      if (p.deadline < next) next = p.deadline
    })
    for (const p of this.unflushed) if (p.deadline < next) next = p.deadline
    if (next !== Infinity) this.armTimeout(next)
  }

  private armThrottleTimer(wait: number): void {
    if (this.throttleTimer !== undefined) return
    this.throttleTimer = setTimeout(() => {
      this.throttleTimer = undefined
      this.pump()
    }, wait)
  }

  /** Closes the connection after `connectionsMaxIdleMs` without traffic and with nothing pending. */
  private armIdleTimer(): void {
    if (this.idleMs === 0 || !Number.isFinite(this.idleMs)) return
    const check = (): void => {
      this.idleTimer = undefined
      if (this._state !== 'ready') return
      const idleFor = Date.now() - this.lastActivity
      const busy = this.inFlight.length > 0 || this.queue.length > 0 || this.unflushed.size > 0
      if (!busy && idleFor >= this.idleMs) {
        // A clean close: nothing was pending, and the pool must not treat it as a failure.
        this.fail(new ConnectionClosedError(this.broker, `closed after ${this.idleMs} ms idle (connectionsMaxIdleMs)`), true)
        return
      }
      this.idleTimer = setTimeout(check, busy ? this.idleMs : this.idleMs - idleFor)
      this.idleTimer.unref()
    }
    this.idleTimer = setTimeout(check, this.idleMs)
    // An idle check must never keep the process alive.
    this.idleTimer.unref()
  }
}

function frameLength(frame: Buffer | Uint8Array[]): number {
  if (!Array.isArray(frame)) return frame.length
  let n = 0
  for (const c of frame) n += c.length
  return n
}

function defaultSocketFactory(options: SocketFactoryOptions): Socket {
  return netConnect({ host: options.host, port: options.port })
}

function meta(p: PendingRequest): FrameMeta {
  return { apiKey: p.api.apiKey, apiVersion: p.version, correlationId: p.correlationId }
}

function positive(value: number | undefined, fallback: number, key: string): number {
  if (value === undefined) return fallback
  if (!(value > 0)) throw new ConfigError(key, `must be a positive number, got ${value}`)
  return value
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return typeof code === 'string' ? `${code} ${err.message}` : err.message
  }
  return String(err)
}

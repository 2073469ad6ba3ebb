/**
 * The set of broker connections of one client.
 *
 * ```ts
 * const pool = new BrokerPool({ bootstrapServers: ['127.0.0.1:9092'], clientId: 'app' })
 * const seed = await pool.bootstrap()                 // any reachable bootstrap server, random order
 * const md = await seed.send(MetadataApi, { topics: null })
 * pool.updateBrokers(md.brokers)                      // nodeId -> host:port from Metadata
 * const leader = await pool.connectionFor(md.topics[0].partitions[0].leaderId)
 * await pool.close()
 * ```
 *
 * - One connection per broker id (produce traffic is pipelined on it), created lazily.
 * - A failed connect makes the next attempt wait `reconnectBackoffMs * 2^(failures-1)`, capped at
 *   `reconnectBackoffMaxMs`, with ±20% jitter (as the Java client's `ClusterConnectionStates`).
 * - A connection lost by failure is re-established in the background with the same backoff
 *   (`reconnectInBackground`, default on), so a restarted broker is picked up without a caller;
 *   those timers are unref'd and never keep the process alive.
 * - Each connection negotiates its own API versions (brokers of one cluster can differ during
 *   rolling upgrades): ask the connection, `conn.versionFor(api)`.
 */
// Bad options are ConfigErrors (the producer's, which names the option), like the producer's own.
import { backoffMs } from './backoff.js'
import { ConfigError } from '../producer/errors.js'
import { Connection, type ConnectionOptions } from './connection.js'
import { ConnectionClosedError, NetworkError, invalidAddressReason } from './errors.js'

/** Default `reconnect.backoff.ms` of the Java client. */
export const DEFAULT_RECONNECT_BACKOFF_MS = 50
/** Default `reconnect.backoff.max.ms` of the Java client. */
export const DEFAULT_RECONNECT_BACKOFF_MAX_MS = 1000

/** A broker as listed in a Metadata response. */
export interface BrokerAddress {
  /** The broker's node id. */
  readonly nodeId: number
  /** Advertised host. */
  readonly host: string
  /** Advertised port. */
  readonly port: number
  /** Label of the broker whose response advertised this address, for logs (optional). */
  readonly advertisedBy?: string
}

/** An advertised broker address {@link BrokerPool.updateBrokers} refused, as reported to `onInvalidBroker`. */
export interface InvalidBrokerReport {
  /** The node id as advertised. */
  readonly nodeId: number
  /** The host as advertised. */
  readonly host: string
  /** The port as advertised. */
  readonly port: number
  /** The broker whose response advertised it (`host:port`), or `unknown`. */
  readonly advertisedBy: string
  /** What is wrong with it. */
  readonly reason: string
}

/**
 * What happened to a broker: it joined or left the known list (Metadata), a connection to it was
 * established, failed to establish (`failures` in a row), or closed (`error` when it failed).
 */
export interface BrokerEvent {
  readonly event: 'added' | 'removed' | 'connected' | 'connect-failed' | 'disconnected'
  readonly nodeId: number
  readonly broker: string
  readonly failures: number
  readonly error?: Error
}

/** Configuration of a {@link BrokerPool}: bootstrap list, backoff, and the options of every connection. */
export interface BrokerPoolOptions extends Omit<ConnectionOptions, 'host' | 'port' | 'brokerLabel'> {
  /** `bootstrap.servers` as `host:port` strings (IPv6 as `[::1]:9092`). */
  readonly bootstrapServers: readonly string[]
  /** `reconnect.backoff.ms` (default 50). */
  readonly reconnectBackoffMs?: number
  /** `reconnect.backoff.max.ms` (default 1000). */
  readonly reconnectBackoffMaxMs?: number
  /** Re-establish lost broker connections without waiting for a caller (default true). */
  readonly reconnectInBackground?: boolean
  /** Random source in [0, 1) for bootstrap order and jitter (tests). */
  readonly random?: () => number
  /** Called for each advertised broker address that is refused (bad port, empty host, negative node id); log it. */
  readonly onInvalidBroker?: (report: InvalidBrokerReport) => void
  /** Connection and broker-list changes, for diagnostics channels (see {@link BrokerEvent}). */
  readonly onBrokerEvent?: (event: BrokerEvent) => void
}

/**
 * Delay before the next attempt after `failures` consecutive failures: `baseMs * 2^(failures-1)`
 * capped at `maxMs`, times a ±20% jitter so clients do not reconnect in lockstep; never above `maxMs`.
 */
export function reconnectBackoffMs(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  // Java ClusterConnectionStates uses the same ExponentialBackoff (±20 % jitter, RECONNECT_BACKOFF_JITTER).
  return Math.max(0, Math.round(backoffMs(failures, baseMs, maxMs, random)))
}

/** Parses `host:port` (or `[v6]:port`), naming the config key in the error. */
export function parseHostPort(server: string, key = 'bootstrapServers'): { host: string; port: number } {
  const s = server.trim()
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:\s]+):(\d+)$/.exec(s)
  const port = m === null ? NaN : Number(m[2])
  if (m === null || !(port > 0 && port < 65536)) {
    throw new ConfigError(key, `expected "host:port", got ${JSON.stringify(server)}`)
  }
  return { host: m[1] as string, port }
}

/** Connection state of one broker id. */
interface NodeState {
  readonly address: BrokerAddress
  conn: Connection | undefined
  connecting: Promise<Connection> | undefined
  failures: number
  nextAttemptAt: number
  /** Had a connection once: keep reconnecting it in the background after failures. */
  wanted: boolean
  reconnectTimer: NodeJS.Timeout | undefined
}

/** Pending backoff wait that `close()` must be able to cut short. */
interface Wait {
  readonly timer: NodeJS.Timeout
  readonly reject: (error: Error) => void
}

/** Connections to the brokers of one cluster. See the module comment. */
export class BrokerPool {
  private readonly options: BrokerPoolOptions
  private readonly bootstrapAddresses: { host: string; port: number }[]
  private readonly backoffMs: number
  private readonly backoffMaxMs: number
  private readonly background: boolean
  private readonly random: () => number
  private readonly nodes = new Map<number, NodeState>()
  /** Connections still in `connect()`, closed at once by `close()`. */
  private readonly opening = new Set<Connection>()
  private readonly waits = new Set<Wait>()
  private bootstrapConn: Connection | undefined
  private bootstrapping: Promise<Connection> | undefined
  private closed = false

  /** @param options see {@link BrokerPoolOptions} */
  constructor(options: BrokerPoolOptions) {
    if (options.bootstrapServers.length === 0) throw new ConfigError('bootstrapServers', 'at least one "host:port" is required')
    this.options = options
    this.bootstrapAddresses = options.bootstrapServers.map((s) => parseHostPort(s))
    this.backoffMs = options.reconnectBackoffMs ?? DEFAULT_RECONNECT_BACKOFF_MS
    this.backoffMaxMs = Math.max(this.backoffMs, options.reconnectBackoffMaxMs ?? DEFAULT_RECONNECT_BACKOFF_MAX_MS)
    if (!(this.backoffMs >= 0)) throw new ConfigError('reconnectBackoffMs', `must be >= 0, got ${this.backoffMs}`)
    this.background = options.reconnectInBackground ?? true
    this.random = options.random ?? Math.random
  }

  /** The brokers known from the last {@link updateBrokers}. */
  get brokers(): BrokerAddress[] {
    return [...this.nodes.values()].map((n) => n.address)
  }

  /** Number of open connections (bootstrap included once), for leak checks. */
  get openConnectionCount(): number {
    const open = new Set<Connection>()
    for (const n of this.nodes.values()) if (n.conn?.isReady === true) open.add(n.conn)
    if (this.bootstrapConn?.isReady === true) open.add(this.bootstrapConn)
    return open.size + this.opening.size
  }

  /** The open connection to `nodeId`, if there is one right now (never connects). */
  readyConnection(nodeId: number): Connection | undefined {
    const conn = this.nodes.get(nodeId)?.conn
    return conn?.isReady === true ? conn : undefined
  }

  /**
   * Connects to one bootstrap server, trying them all in random order; reuses an open one.
   * @throws NetworkError listing every server's failure
   */
  bootstrap(): Promise<Connection> {
    if (this.closed) return Promise.reject(this.closedError())
    if (this.bootstrapConn?.isReady === true) return Promise.resolve(this.bootstrapConn)
    if (this.bootstrapping !== undefined) return this.bootstrapping
    const attempt = this.tryBootstrapServers().finally(() => {
      this.bootstrapping = undefined
    })
    this.bootstrapping = attempt
    return attempt
  }

  /**
   * Replaces the known brokers (from a Metadata response). Connections to brokers that left or
   * moved are closed; new ones are opened lazily. An address that cannot be connected to (port
   * outside 1..65535, empty host, node id not a non-negative integer) is refused and reported to
   * `onInvalidBroker`; its node is then unknown, as if the broker had left, until a later
   * response advertises it properly. No socket is ever created for it.
   */
  updateBrokers(brokers: readonly BrokerAddress[]): void {
    if (this.closed) return
    const seen = new Set<number>()
    for (const b of brokers) {
      const reason = Number.isInteger(b.nodeId) && b.nodeId >= 0 ? invalidAddressReason(b.host, b.port) : `node id must be a non-negative integer, got ${String(b.nodeId)}`
      if (reason !== undefined) {
        this.reportInvalid(b, reason)
        continue
      }
      seen.add(b.nodeId)
      const old = this.nodes.get(b.nodeId)
      if (old !== undefined && old.address.host === b.host && old.address.port === b.port) continue
      if (old !== undefined) {
        this.dropNode(old)
        this.emit('removed', b.nodeId, `${old.address.host}:${old.address.port}`, old.failures)
      }
      this.emit('added', b.nodeId, `${b.host}:${b.port}`, 0)
      const state: NodeState = {
        address: { nodeId: b.nodeId, host: b.host, port: b.port },
        conn: undefined,
        connecting: undefined,
        failures: 0,
        nextAttemptAt: 0,
        wanted: false,
        reconnectTimer: undefined,
      }
      this.nodes.set(b.nodeId, state)
      // Reuse the bootstrap connection when it already points at this broker.
      const boot = this.bootstrapConn
      if (boot?.isReady === true && boot.host === b.host && boot.port === b.port) this.adopt(state, boot)
    }
    for (const [id, state] of this.nodes) {
      if (!seen.has(id)) {
        this.dropNode(state)
        this.nodes.delete(id)
        this.emit('removed', id, `${state.address.host}:${state.address.port}`, state.failures)
      }
    }
  }

  /**
   * The connection to broker `nodeId`, opened (after any pending backoff) when there is none.
   * @throws NetworkError when the broker is unknown or the connection attempt fails
   */
  connectionFor(nodeId: number): Promise<Connection> {
    if (this.closed) return Promise.reject(this.closedError())
    const state = this.nodes.get(nodeId)
    if (state === undefined) {
      return Promise.reject(new NetworkError(`node ${nodeId}`, `unknown broker id ${nodeId}; refresh metadata (known: ${[...this.nodes.keys()].join(', ') || 'none'})`))
    }
    if (state.conn?.isReady === true) return Promise.resolve(state.conn)
    return this.startConnect(state, true)
  }

  /** Any open connection (a broker's, else the bootstrap one), bootstrapping when there is none. */
  anyConnection(): Promise<Connection> {
    if (this.closed) return Promise.reject(this.closedError())
    const open = [...this.nodes.values()].filter((n) => n.conn?.isReady === true)
    if (open.length > 0) return Promise.resolve(open[Math.floor(this.random() * open.length)]?.conn as Connection)
    return this.bootstrap()
  }

  /** Closes every connection and cancels pending reconnects; pending calls reject. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const error = this.closedError()
    for (const w of this.waits) {
      clearTimeout(w.timer)
      w.reject(error)
    }
    this.waits.clear()
    for (const state of this.nodes.values()) this.dropNode(state)
    this.nodes.clear()
    for (const conn of this.opening) conn.close()
    this.opening.clear()
    this.bootstrapConn?.close()
    this.bootstrapConn = undefined
    // Let in-progress connects observe the closed state before callers continue.
    await Promise.allSettled([this.bootstrapping])
  }

  // ---------------------------------------------------------------- internals

  private async tryBootstrapServers(): Promise<Connection> {
    const order = shuffle(this.bootstrapAddresses, this.random)
    const failures: string[] = []
    let lastError: unknown
    for (const addr of order) {
      if (this.closed) throw this.closedError()
      try {
        const conn = await this.open(addr.host, addr.port, `${addr.host}:${addr.port}`)
        this.bootstrapConn = conn
        conn.onClose(() => {
          if (this.bootstrapConn === conn) this.bootstrapConn = undefined
        })
        return conn
      } catch (err) {
        // Authentication failures (SASL, TLS certificates) are the same on every server: report
        // them as they are, never as a retriable "could not connect" (issue 13).
        if (err instanceof NetworkError && !err.retriable) throw err
        lastError = err
        failures.push(err instanceof Error ? err.message : String(err))
      }
    }
    throw new NetworkError(
      this.bootstrapAddresses.map((a) => `${a.host}:${a.port}`).join(','),
      `could not connect to any bootstrap server: ${failures.join('; ')}`,
      lastError,
    )
  }

  /** Opens and handshakes one connection; closes it if the pool closed meanwhile. */
  private async open(host: string, port: number, label: string): Promise<Connection> {
    const conn = new Connection({ ...this.options, host, port, brokerLabel: label })
    this.opening.add(conn)
    try {
      await conn.connect()
    } finally {
      this.opening.delete(conn)
    }
    if (this.closed) {
      conn.close()
      throw this.closedError()
    }
    return conn
  }

  private startConnect(state: NodeState, callerWaiting: boolean): Promise<Connection> {
    if (state.connecting !== undefined) return state.connecting
    if (state.reconnectTimer !== undefined) {
      clearTimeout(state.reconnectTimer)
      state.reconnectTimer = undefined
    }
    const { nodeId, host, port } = state.address
    const attempt = (async (): Promise<Connection> => {
      const wait = state.nextAttemptAt - Date.now()
      if (wait > 0) await this.sleep(wait, callerWaiting)
      try {
        const conn = await this.open(host, port, `${host}:${port} (node ${nodeId})`)
        if (this.nodes.get(nodeId) !== state) {
          conn.close()
          throw new ConnectionClosedError(`${host}:${port} (node ${nodeId})`, 'broker left the cluster metadata while connecting')
        }
        state.failures = 0
        this.adopt(state, conn)
        this.emit('connected', nodeId, `${host}:${port}`, 0)
        return conn
      } catch (err) {
        state.failures++
        state.nextAttemptAt = Date.now() + this.backoff(state.failures)
        this.emit('connect-failed', nodeId, `${host}:${port}`, state.failures, err)
        throw err
      }
    })()
    state.connecting = attempt
    attempt.then(
      () => {
        state.connecting = undefined
      },
      (err: unknown) => {
        state.connecting = undefined
        // Whoever started this attempt, a broker in use keeps being retried after backoff; an
        // authentication failure is not retried in the background (no reconnect storm).
        if (this.background && state.wanted && !(err instanceof NetworkError && !err.retriable)) this.scheduleReconnect(state)
      },
    )
    return attempt
  }

  private adopt(state: NodeState, conn: Connection): void {
    state.conn = conn
    state.wanted = true
    conn.onClose((error) => {
      if (state.conn !== conn) return
      state.conn = undefined
      this.emit('disconnected', state.address.nodeId, `${state.address.host}:${state.address.port}`, state.failures, error)
      // A clean close (ours, or idle) needs no reconnect; a failure does, after backoff.
      if (error === undefined || this.closed || this.nodes.get(state.address.nodeId) !== state) return
      // A failed re-authentication (KIP-368) is fatal for the credentials: no background retry.
      if (!error.retriable) return
      state.nextAttemptAt = Date.now() + this.backoff(Math.max(1, state.failures))
      if (this.background) this.scheduleReconnect(state)
    })
  }

  private emit(event: BrokerEvent['event'], nodeId: number, broker: string, failures: number, error?: unknown): void {
    const on = this.options.onBrokerEvent
    if (on === undefined) return
    try {
      on({ event, nodeId, broker, failures, ...(error instanceof Error ? { error } : {}) })
    } catch {
      // A diagnostics listener must not break the pool.
    }
  }

  private scheduleReconnect(state: NodeState): void {
    if (this.closed || state.reconnectTimer !== undefined || state.connecting !== undefined) return
    state.reconnectTimer = setTimeout(
      () => {
        state.reconnectTimer = undefined
        if (this.closed || this.nodes.get(state.address.nodeId) !== state || state.conn?.isReady === true) return
        // A failure reschedules itself (see startConnect).
        this.startConnect(state, false).catch(() => undefined)
      },
      Math.max(0, state.nextAttemptAt - Date.now()),
    )
    state.reconnectTimer.unref()
  }

  private dropNode(state: NodeState): void {
    if (state.reconnectTimer !== undefined) clearTimeout(state.reconnectTimer)
    state.reconnectTimer = undefined
    const conn = state.conn
    state.conn = undefined
    // The bootstrap connection may be shared; it is closed by close() itself.
    if (conn !== undefined && conn !== this.bootstrapConn) conn.close()
  }

  private reportInvalid(b: BrokerAddress, reason: string): void {
    const report = this.options.onInvalidBroker
    if (report === undefined) return
    try {
      report({ nodeId: b.nodeId, host: String(b.host), port: b.port, advertisedBy: b.advertisedBy ?? 'unknown', reason })
    } catch {
      // A throwing log callback must not break the metadata update.
    }
  }

  private backoff(failures: number): number {
    return reconnectBackoffMs(failures, this.backoffMs, this.backoffMaxMs, this.random)
  }

  /** A backoff wait; `close()` rejects it. Background waits do not keep the process alive. */
  private sleep(ms: number, ref: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wait: Wait = {
        timer: setTimeout(() => {
          this.waits.delete(wait)
          resolve()
        }, ms),
        reject,
      }
      if (!ref) wait.timer.unref()
      this.waits.add(wait)
    })
  }

  private closedError(): ConnectionClosedError {
    return new ConnectionClosedError('broker pool', 'the broker pool is closed')
  }
}

/** Fisher–Yates shuffle into a new array. */
function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = out[i] as T
    out[i] = out[j] as T
    out[j] = t
  }
  return out
}

/**
 * A deliberately misbehaving Kafka-ish TCP server, for the network faults a real broker cannot
 * produce (garbage bytes, cut frames, wrong correlation ids, silence). Test-only; it speaks just
 * enough of the protocol to finish an ApiVersions handshake so faults can be injected after it.
 */
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net'
import type { ApiDefinition } from '../../src/protocol/api.js'
import { type ApiVersionsResponse, ApiVersionsApi } from '../../src/protocol/api-versions.js'
import { decodeRequestHeader } from '../../src/protocol/headers.js'
import { MetadataApi } from '../../src/protocol/metadata.js'
import { SaslAuthenticateApi } from '../../src/protocol/sasl-authenticate.js'
import { SaslHandshakeApi } from '../../src/protocol/sasl-handshake.js'
import { Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'
import { FrameReader } from '../../src/network/frame-reader.js'

/** APIs the fake can parse request headers of (flexibility decides the header version). */
const KNOWN: ReadonlyMap<number, ApiDefinition<unknown, unknown>> = new Map<number, ApiDefinition<unknown, unknown>>([
  [ApiVersionsApi.apiKey, ApiVersionsApi as ApiDefinition<unknown, unknown>],
  [MetadataApi.apiKey, MetadataApi as ApiDefinition<unknown, unknown>],
  [SaslHandshakeApi.apiKey, SaslHandshakeApi as ApiDefinition<unknown, unknown>],
  [SaslAuthenticateApi.apiKey, SaslAuthenticateApi as ApiDefinition<unknown, unknown>],
])

/** A request as the fake received it. */
export interface FakeRequest {
  /** request_api_key */
  readonly apiKey: number
  /** request_api_version */
  readonly apiVersion: number
  /** correlation_id */
  readonly correlationId: number
  /** client_id */
  readonly clientId: string | null
  /** The whole frame body (after the size prefix). */
  readonly frame: Buffer
}

/** One accepted client connection of the fake. */
export class FakeClient {
  /** Requests received so far, in order. */
  readonly requests: FakeRequest[] = []
  private readonly waiters: { n: number; resolve: () => void }[] = []
  /** Called for each request after it is recorded. */
  onRequest: ((req: FakeRequest, client: FakeClient) => void) | undefined

  /** @param socket the accepted socket */
  constructor(readonly socket: Socket) {
    const reader = new FrameReader(64 * 1024 * 1024, (frame) => this.receive(Buffer.from(frame)))
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk)
      } catch {
        socket.destroy()
      }
    })
    socket.on('error', () => undefined)
  }

  private receive(frame: Buffer): void {
    const apiKey = frame.readInt16BE(0)
    const apiVersion = frame.readInt16BE(2)
    const api = KNOWN.get(apiKey)
    const flexible = api !== undefined && apiVersion >= api.firstFlexibleVersion
    const h = decodeRequestHeader(new Reader(frame), flexible)
    const req: FakeRequest = { apiKey, apiVersion, correlationId: h.correlationId, clientId: h.clientId, frame }
    this.requests.push(req)
    for (const w of this.waiters.splice(0)) {
      if (this.requests.length >= w.n) w.resolve()
      else this.waiters.push(w)
    }
    this.onRequest?.(req, this)
  }

  /** Resolves once `n` requests have arrived. */
  waitForRequests(n: number): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ n, resolve }))
  }

  /** Encodes a full response frame (size prefix + header v0/v1 + body). */
  static frame<Res>(api: ApiDefinition<unknown, Res>, correlationId: number, version: number, response: Res): Buffer {
    const w = new Writer(256)
    const at = w.reserveInt32()
    w.int32(correlationId)
    if (version >= api.firstFlexibleVersion && api.apiKey !== ApiVersionsApi.apiKey) w.taggedFields()
    api.encodeResponse(w, response, version)
    w.patchInt32(at, w.length - 4)
    return Buffer.from(w.finish())
  }

  /** Answers `req` with `response`, encoded at the request's version, optionally with another correlation id. */
  reply<Res>(req: FakeRequest, api: ApiDefinition<unknown, Res>, response: Res, correlationId = req.correlationId, version = req.apiVersion): void {
    this.socket.write(FakeClient.frame(api, correlationId, version, response))
  }

  /** Answers an ApiVersions request with {@link fakeApiVersions}. */
  replyApiVersions(req: FakeRequest, overrides?: Partial<ApiVersionsResponse>): void {
    this.reply(req, ApiVersionsApi, { ...fakeApiVersions(), ...overrides })
  }

  /** Writes raw bytes. */
  write(bytes: Uint8Array): void {
    this.socket.write(bytes)
  }
}

/** A valid ApiVersions response advertising ApiVersions v0-4 and Metadata v1-13. */
export function fakeApiVersions(): ApiVersionsResponse {
  return {
    errorCode: 0,
    apiKeys: [
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
      { apiKey: 3, minVersion: 1, maxVersion: 13 },
      { apiKey: 0, minVersion: 3, maxVersion: 12 },
    ],
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
    decodedVersion: 4,
  }
}

/** Behaviour for each accepted connection. */
export type FakeHandler = (client: FakeClient) => void

/** Handler that completes the handshake and then hands every later request to `after`. */
export function handshakeThen(after?: (req: FakeRequest, client: FakeClient) => void): FakeHandler {
  return (client) => {
    client.onRequest = (req, c) => {
      if (req.apiKey === ApiVersionsApi.apiKey && c.requests.length === 1) c.replyApiVersions(req)
      else after?.(req, c)
    }
  }
}

/** The fake server: accepts connections on 127.0.0.1 and runs `handler` for each. */
export class FakeServer {
  /** Every client accepted so far. */
  readonly clients: FakeClient[] = []
  private readonly sockets = new Set<Socket>()
  private readonly acceptWaiters: (() => void)[] = []

  private constructor(
    private readonly server: Server,
    /** Port the fake listens on. */
    readonly port: number,
  ) {}

  /** Starts a fake on a free port. */
  static async start(handler: FakeHandler): Promise<FakeServer> {
    let fake: FakeServer | undefined
    const server = createServer((socket) => {
      socket.setNoDelay(true)
      const f = fake as FakeServer
      f.sockets.add(socket)
      socket.on('close', () => f.sockets.delete(socket))
      const client = new FakeClient(socket)
      f.clients.push(client)
      handler(client)
      for (const w of f.acceptWaiters.splice(0)) w()
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    fake = new FakeServer(server, (server.address() as AddressInfo).port)
    return fake
  }

  /** `127.0.0.1:port`. */
  get address(): string {
    return `127.0.0.1:${this.port}`
  }

  /** Sockets the server still has open (a client that leaks keeps its socket here). */
  get openSockets(): number {
    return this.sockets.size
  }

  /** Resolves once at least `n` connections were accepted. */
  async waitForClients(n: number): Promise<FakeClient> {
    while (this.clients.length < n) await new Promise<void>((resolve) => this.acceptWaiters.push(resolve))
    return this.clients[n - 1] as FakeClient
  }

  /** Resolves once every accepted socket has closed (the client released its end). */
  async waitForAllSocketsClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.sockets.size > 0) {
      if (Date.now() > deadline) throw new Error(`fake server: ${this.sockets.size} client socket(s) still open after ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  /** Destroys every socket and stops listening. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

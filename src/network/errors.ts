/**
 * Errors of the network layer. Every one names the broker (`host:port`) it happened on and says
 * whether retrying on a fresh connection can help (`retriable`), so the producer's sender decides
 * retries from data, not from message text.
 */
import { KafkaWireError } from '../kafka-wire-error.js'

/** Base class: something went wrong on the connection to `broker`; the cause is attached. Retriable: a new connection may succeed. */
export class NetworkError extends KafkaWireError {
  override readonly name: string = 'NetworkError'
  /** The broker as `host:port` (plus `#nodeId` when known). */
  readonly broker: string

  /**
   * @param broker broker label, e.g. `127.0.0.1:9092`
   * @param message what happened, without the broker (it is prefixed)
   * @param cause the underlying error (socket error, decode error), if any
   */
  constructor(broker: string, message: string, cause?: unknown) {
    super(`${broker}: ${message}`, { cause, retriable: true })
    this.broker = broker
  }
}

/** The connection is closed (by us, by the peer, or after a fatal error) and the request cannot complete. */
export class ConnectionClosedError extends NetworkError {
  override readonly name: string = 'ConnectionClosedError'
}

/** A request got no response within `requestTimeoutMs`; the connection is closed with it. */
export class RequestTimeoutError extends NetworkError {
  override readonly name: string = 'RequestTimeoutError'
  /** Kafka name of the API, e.g. `Metadata`. */
  readonly api: string
  /** Correlation id of the request that timed out (-1 if it never got one). */
  readonly correlationId: number
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number

  /**
   * @param broker broker label
   * @param api Kafka API name
   * @param correlationId correlation id of the request
   * @param timeoutMs the configured timeout that expired
   * @param sent whether the request had been written to the socket
   */
  constructor(broker: string, api: string, correlationId: number, timeoutMs: number, sent: boolean) {
    super(
      broker,
      `${api} request (correlation id ${correlationId}) timed out after ${timeoutMs} ms (requestTimeoutMs)` +
        (sent ? '' : ' while still queued, before it was sent'),
    )
    this.api = api
    this.correlationId = correlationId
    this.timeoutMs = timeoutMs
  }
}

/** TCP connect plus the ApiVersions handshake did not finish within `socketConnectionSetupTimeoutMs`. */
export class ConnectionSetupTimeoutError extends NetworkError {
  override readonly name: string = 'ConnectionSetupTimeoutError'
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number

  /**
   * @param broker broker label
   * @param phase what was not finished, e.g. `TCP connect` or `ApiVersions handshake`
   * @param timeoutMs the configured setup timeout
   */
  constructor(broker: string, phase: string, timeoutMs: number) {
    super(broker, `connection setup timed out after ${timeoutMs} ms during ${phase} (socketConnectionSetupTimeoutMs)`)
    this.timeoutMs = timeoutMs
  }
}

/**
 * The peer announced a frame larger than `maxResponseBytes` (or a negative / too small one): the
 * stream is not a Kafka response stream we can trust (garbage, TLS on a plaintext port, a hostile
 * peer), so the connection is torn down before anything is allocated.
 */
export class InvalidFrameError extends NetworkError {
  override readonly name: string = 'InvalidFrameError'
  /** The size prefix as received. */
  readonly frameSize: number
  /** The configured limit. */
  readonly maxResponseBytes: number

  /**
   * @param broker broker label
   * @param frameSize the int32 size prefix as read from the wire
   * @param maxResponseBytes the configured maximum
   */
  constructor(broker: string, frameSize: number, maxResponseBytes: number) {
    super(
      broker,
      frameSize > maxResponseBytes
        ? `response size prefix ${frameSize} bytes exceeds maxResponseBytes ${maxResponseBytes}; ` +
            'not a Kafka response stream (wrong port, TLS listener, or corrupt data?)'
        : `invalid response size prefix ${frameSize} (a response needs at least 4 bytes for its correlation id)`,
    )
    this.frameSize = frameSize
    this.maxResponseBytes = maxResponseBytes
  }
}

/** A response arrived whose correlation id is not the oldest in-flight request's: the stream is out of sync. */
export class CorrelationIdMismatchError extends NetworkError {
  override readonly name: string = 'CorrelationIdMismatchError'
  /** The correlation id we expected next (-1 if nothing was in flight). */
  readonly expected: number
  /** The correlation id the response carried. */
  readonly received: number

  /**
   * @param broker broker label
   * @param expected the oldest in-flight correlation id, or -1 when none was in flight
   * @param received the correlation id read from the response header
   */
  constructor(broker: string, expected: number, received: number) {
    super(
      broker,
      expected === -1
        ? `received a response with correlation id ${received} while no request was in flight`
        : `response correlation id ${received} does not match the oldest in-flight request ${expected}`,
    )
    this.expected = expected
    this.received = received
  }
}

/**
 * A response frame arrived intact but its bytes did not decode as the expected API and version
 * (truncated, corrupt, a frame of another API). The connection is closed with it: the outcome of
 * the request is unknown and nothing more read from that stream can be trusted, so a retry on a
 * new connection is the remedy (`retriable`).
 */
export class ResponseDecodeError extends NetworkError {
  override readonly name: string = 'ResponseDecodeError'
  /** Kafka name of the API whose response did not decode, e.g. `InitProducerId`. */
  readonly api: string
  /** Version of the request (and expected response). */
  readonly apiVersion: number
  /** Correlation id of the request. */
  readonly correlationId: number

  /**
   * @param broker broker label
   * @param api Kafka API name
   * @param apiVersion the version used
   * @param correlationId correlation id of the request
   * @param cause the decoder's error (a ProtocolError naming the field, or what the decoder threw)
   */
  constructor(broker: string, api: string, apiVersion: number, correlationId: number, cause: unknown) {
    super(broker, `${api} v${apiVersion} response (correlation id ${correlationId}) could not be decoded: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
    this.api = api
    this.apiVersion = apiVersion
    this.correlationId = correlationId
  }
}

/**
 * A broker address cannot be connected to: port outside 1..65535 or an empty or malformed host,
 * as advertised in Metadata (or a Produce response's KIP-951 endpoints). No socket is created for
 * it. Retriable: a later Metadata response may advertise a usable address.
 */
export class InvalidBrokerAddressError extends NetworkError {
  override readonly name: string = 'InvalidBrokerAddressError'
  /** The advertised host, as received. */
  readonly host: string
  /** The advertised port, as received. */
  readonly port: number

  /**
   * @param broker label of the broker whose address is bad (e.g. `node 3`)
   * @param host the host as received
   * @param port the port as received
   * @param reason what is wrong with it
   */
  constructor(broker: string, host: string, port: number, reason: string) {
    super(broker, `invalid broker address ${JSON.stringify(host)}:${port}: ${reason}; no connection attempted`)
    this.host = host
    this.port = port
  }
}

/**
 * Why `host`/`port` cannot be connected to, or `undefined` when they can: port an integer in
 * 1..65535 (`net.connect` creates its socket handle before refusing a bad port, so it must never
 * see one), host non-empty, at most 255 characters, without whitespace or control characters.
 */
export function invalidAddressReason(host: unknown, port: unknown): string | undefined {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return `port must be an integer in 1..65535, got ${String(port)}`
  if (typeof host !== 'string' || host.length === 0) return 'host is empty'
  if (host.length > 255) return `host is ${host.length} characters long (at most 255)`
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(host)) return 'host contains whitespace or control characters'
  return undefined
}

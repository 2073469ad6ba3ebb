/**
 * Errors of the network layer. Every one names the broker (`host:port`) it happened on and says
 * whether retrying on a fresh connection can help (`retriable`), so the producer's sender decides
 * retries from data, not from message text.
 */
import { KafkaWireError } from '../errors.js'

/** Base class: something went wrong on the connection to `broker`; the cause is attached. */
export class NetworkError extends KafkaWireError {
  override readonly name: string = 'NetworkError'
  /** The broker as `host:port` (plus `#nodeId` when known). */
  readonly broker: string
  /** True when the same request may succeed on a new connection. */
  override readonly retriable: boolean = true

  /**
   * @param broker broker label, e.g. `127.0.0.1:9092`
   * @param message what happened, without the broker (it is prefixed)
   * @param cause the underlying error (socket error, decode error), if any
   */
  constructor(broker: string, message: string, cause?: unknown) {
    super(`${broker}: ${message}`, cause === undefined ? undefined : { cause })
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

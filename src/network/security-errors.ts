/**
 * Authentication failures of the network layer: SASL and TLS. None is retriable: the same
 * credentials or certificates fail the same way on a new connection, so the producer fails
 * pending sends at once instead of reconnecting in a loop. No message ever contains a secret.
 */
import { NetworkError } from './errors.js'

/** Kafka's SASL error codes (`org.apache.kafka.common.protocol.Errors`). */
const SASL_ERROR_NAMES: ReadonlyMap<number, string> = new Map([
  [33, 'UNSUPPORTED_SASL_MECHANISM'],
  [34, 'ILLEGAL_SASL_STATE'],
  [58, 'SASL_AUTHENTICATION_FAILED'],
])

/**
 * SASL authentication failed: the broker refused the credentials or token (SASL_AUTHENTICATION_FAILED),
 * does not enable the mechanism (UNSUPPORTED_SASL_MECHANISM), or the server's proof did not verify
 * (a SCRAM server signature mismatch, checked by the client). `mechanism` is Kafka's name for it.
 */
export class SaslAuthenticationError extends NetworkError {
  override readonly name: string = 'SaslAuthenticationError'
  override readonly retriable: boolean = false
  /** The SASL mechanism, e.g. `SCRAM-SHA-256`. */
  readonly mechanism: string
  /** Kafka error code from the broker (58, 33, 34), or -1 when the client detected the failure. */
  readonly errorCode: number
  /** Kafka error name (`SASL_AUTHENTICATION_FAILED`), or `CLIENT_SIDE_SASL_FAILURE`. */
  readonly errorName: string

  /**
   * @param broker broker label
   * @param mechanism Kafka mechanism name
   * @param detail the broker's message or the client-side reason (never a secret)
   * @param errorCode Kafka error code, -1 for a client-side failure
   */
  constructor(broker: string, mechanism: string, detail: string, errorCode = -1, cause?: unknown) {
    const errorName = errorCode === -1 ? 'CLIENT_SIDE_SASL_FAILURE' : (SASL_ERROR_NAMES.get(errorCode) ?? `error ${errorCode}`)
    super(broker, `SASL ${mechanism} authentication failed${errorCode === -1 ? '' : ` (${errorName}, code ${errorCode})`}: ${detail}`, cause)
    this.mechanism = mechanism
    this.errorCode = errorCode
    this.errorName = errorName
  }
}

/**
 * The TLS handshake failed for a reason a retry cannot fix: the broker's certificate did not verify
 * (untrusted CA, wrong host name, expired) or the broker refused ours (mTLS: missing or untrusted
 * client certificate, TLS alert 42/116). `reason` is Node's/OpenSSL's code, e.g.
 * `ERR_TLS_CERT_ALTNAME_INVALID`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`.
 */
export class SslAuthenticationError extends NetworkError {
  override readonly name: string = 'SslAuthenticationError'
  override readonly retriable: boolean = false
  /** The OpenSSL / Node error code naming the cause. */
  readonly reason: string

  /**
   * @param broker broker label
   * @param reason OpenSSL / Node error code
   * @param detail human explanation
   */
  constructor(broker: string, reason: string, detail: string, cause?: unknown) {
    super(broker, `TLS authentication failed (${reason}): ${detail}`, cause)
    this.reason = reason
  }
}

/**
 * TLS for broker connections: a socket factory that verifies the broker's certificate against
 * its host name (on by default, as Java's `ssl.endpoint.identification.algorithm=https`) and sends
 * SNI = the broker's host unless it is an IP literal (RFC 6066 §3), for bootstrap servers and
 * brokers discovered from metadata alike; and the classification of TLS failures into
 * non-retriable {@link SslAuthenticationError}s naming the certificate reason.
 */
import { isIP } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import type { SocketFactory } from './connection.js'
import { SslAuthenticationError } from './security-errors.js'
import type { SslOptions } from './security-options.js'

/** The socket factory for `ssl` (`true` = system CAs). */
export function tlsSocketFactory(ssl: SslOptions): SocketFactory {
  const base: TlsConnectionOptions = ssl === true ? {} : ssl
  return ({ host, port }) => {
    const options: TlsConnectionOptions = { ...base, host, port }
    // An explicit servername wins; otherwise SNI is the host, never an IP literal.
    if (base.servername === undefined && isIP(host) === 0) options.servername = host
    return tlsConnect(options)
  }
}

/** OpenSSL / Node codes that mean the broker's certificate did not verify. */
const PEER_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
])

/**
 * Alerts the broker sends when it refuses our certificate (mTLS). With TLS 1.3 the client's
 * handshake is already complete, so the alert arrives on the first read, looking like a reset:
 * 42 bad_certificate, 116 certificate_required, 48 unknown_ca, 45 certificate_expired,
 * 46 certificate_unknown, 43 unsupported_certificate, 44 certificate_revoked. OpenSSL 3.0 (Node 22)
 * names alert 42 `SSLV3_ALERT_BAD_CERTIFICATE`; OpenSSL 3.5 (Node 24) renamed the prefix to
 * `SSL/TLS_ALERT_` (ssl/ssl_err.c), so Node's code reads `ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE`.
 */
const ALERT_CODE = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13|SSL\/TLS)_ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_EXPIRED|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_REVOKED|HANDSHAKE_FAILURE|ACCESS_DENIED)$/

/**
 * The typed TLS failure for a socket error, or undefined when it is not a certificate or
 * handshake-refusal problem (plain resets stay retriable network errors).
 */
export function classifyTlsError(broker: string, err: unknown): SslAuthenticationError | undefined {
  if (!(err instanceof Error)) return undefined
  const code = (err as { code?: unknown }).code
  if (typeof code !== 'string') return undefined
  if (PEER_CERT_CODES.has(code)) return new SslAuthenticationError(broker, code, `the broker's certificate was rejected: ${err.message}`, err)
  const alert = ALERT_CODE.exec(code)
  if (alert !== null) {
    return new SslAuthenticationError(broker, code, `the broker refused the TLS handshake (alert ${(alert[1] as string).toLowerCase()}): ${alert[1] === 'HANDSHAKE_FAILURE' ? 'no common protocol or cipher, or a client certificate is required' : 'a client certificate is missing or not trusted by the broker'}`, err)
  }
  return undefined
}

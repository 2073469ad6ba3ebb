/**
 * The network layer: one pipelined {@link Connection} per broker, pooled by {@link BrokerPool},
 * with typed, retriability-carrying errors.
 */
export {
  Connection,
  DEFAULT_CONNECTIONS_MAX_IDLE_MS,
  DEFAULT_CONNECTION_SETUP_TIMEOUT_MS,
  DEFAULT_MAX_IN_FLIGHT_REQUESTS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ConnectionOptions,
  type ConnectionState,
  type FrameMeta,
  type SendOptions,
  type SocketFactory,
  type SocketFactoryOptions,
  type TraceHook,
} from './connection.js'
export {
  BrokerPool,
  DEFAULT_RECONNECT_BACKOFF_MAX_MS,
  DEFAULT_RECONNECT_BACKOFF_MS,
  parseHostPort,
  reconnectBackoffMs,
  type BrokerAddress,
  type BrokerPoolOptions,
  type InvalidBrokerReport,
} from './broker-pool.js'
export {
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
export { FrameReader, FrameSizeError } from './frame-reader.js'
export { type AuthenticationContext, type Authenticator } from './authenticator.js'
export { SaslAuthenticationError, SslAuthenticationError } from './security-errors.js'
export {
  SASL_MECHANISM_NAMES,
  saslOptionsProblem,
  sslOptionsProblem,
  type OAuthBearerSaslOptions,
  type OAuthBearerToken,
  type PlainSaslOptions,
  type SaslCredential,
  type SaslOptions,
  type ScramSaslOptions,
  type SslOptions,
} from './security-options.js'
export { saslAuthenticator, type SaslAuthenticationEvent } from './sasl/authenticate.js'
export { classifyTlsError, tlsSocketFactory } from './tls.js'

/**
 * kafka-wire: a Kafka producer for Node.js written from the wire protocol up.
 *
 * ```ts
 * import { Producer } from 'kafka-wire'
 * const producer = new Producer({ bootstrapServers: ['127.0.0.1:9092'], clientId: 'app', acks: 'all' })
 * const md = await producer.send({ topic: 'events', key: 'user-1', value: 'hello' })
 * await producer.close()
 * ```
 */
export { normalizeHeaders } from './producer/producer.js'
// Producer: the class, with construct signatures that infer K and V from the serializers.
export { Producer } from './producer/typed-producer.js'
export type { ProducerConstructor, InferringProducerOptions, SerializedType, SerializerOption, JsonValue, JsonObject } from './producer/typed-producer.js'
export type { ProducerRecord, RecordHeaders, HeaderValue, CloseOptions, ProducerDebugState, PartitionInfo } from './producer/producer.js'
export type { RecordMetadata, SendCallback } from './producer/producer-batch.js'
export { PRODUCER_OPTIONS, MAX_IN_FLIGHT_FOR_IDEMPOTENCE } from './producer/config.js'
export type { ProducerOptions, Acks, CompressionType, PartitionerArgs, PartitionerFunction, OptionSpec } from './producer/config.js'
export {
  KafkaWireError,
  ConfigError,
  RecordTooLargeError,
  TimeoutError,
  ProducerClosedError,
  ProducerFencedError,
  InvalidPartitionError,
  InvalidRecordError,
  TopicMetadataError,
  DeliveryOutcomeUnknownError,
  SerializationError,
  BufferAccountingError,
  TransactionStateError,
  TransactionAbortableError,
  TransactionAbortedError,
  SendBatchError,
} from './producer/errors.js'
// Transactions (issue 14): the state and the shapes of sendOffsetsToTransaction().
export type { TransactionState, TransactionOffset, TransactionGroupMetadata } from './producer/transaction-manager.js'
// One NotImplementedError for the package (protocol's; the CLI throws it too).
export { KafkaProtocolError, ProtocolError, NotImplementedError, errorInfo } from './protocol/errors.js'
export { InvalidArgumentError } from './kafka-wire-error.js'
export { UnsupportedApiVersionError } from './protocol/versions.js'
// Issue 18: what malformed or hostile broker bytes turn into (all under KafkaWireError).
export {
  NetworkError,
  RequestTimeoutError,
  ConnectionClosedError,
  ConnectionSetupTimeoutError,
  InvalidFrameError,
  CorrelationIdMismatchError,
  InvalidBrokerAddressError,
  ResponseDecodeError,
} from './network/errors.js'
export { FrameSizeError } from './network/frame-reader.js'
export { stringSerializer, bytesSerializer, jsonSerializer } from './producer/serializers.js'
export type { Serializer, BuiltInSerializerName, RawValue } from './producer/serializers.js'
export type { HeaderPair } from './producer/transport.js'
export type { ProducerInterceptor } from './producer/interceptors.js'
export type { Logger, LogLevel } from './producer/logger.js'
export { channels as diagnosticsChannels } from './producer/metrics.js'
export type { ProducerMetricsSnapshot, TopicMetricsSnapshot, NodeMetricsSnapshot, MetricConfig } from './producer/metrics.js'
export { murmur2, toPositive, partitionForKey } from './producer/partitioner.js'
export { registerCodec, restoreBuiltinCodec, CompressionError } from './compression/index.js'
export type { CodecImplementation } from './compression/index.js'
// Security (issue 13): TLS / SASL options and the typed authentication and authorization errors.
export { SaslAuthenticationError, SslAuthenticationError } from './network/security-errors.js'
export { SaslMechanismError } from './network/sasl/session.js'
export type { SslOptions, SaslOptions, SaslCredential, PlainSaslOptions, ScramSaslOptions, OAuthBearerSaslOptions, OAuthBearerToken } from './network/security-options.js'
export { TopicAuthorizationFailedError, ClusterAuthorizationFailedError } from './protocol/authorization-errors.js'

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
export { Producer, normalizeHeaders } from './producer/producer.js'
export type { ProducerRecord, RecordHeaders, HeaderValue, CloseOptions, ProducerDebugState } from './producer/producer.js'
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
  NotImplementedError,
  DeliveryOutcomeUnknownError,
  ClusterAuthorizationError,
  SerializationError,
  BufferAccountingError,
} from './producer/errors.js'
export { KafkaProtocolError, errorInfo } from './protocol/errors.js'
export { NetworkError, RequestTimeoutError } from './network/errors.js'
export { stringSerializer, bytesSerializer, jsonSerializer } from './producer/serializers.js'
export type { Serializer, BuiltInSerializerName } from './producer/serializers.js'
export type { HeaderPair } from './producer/transport.js'
export type { ProducerInterceptor } from './producer/interceptors.js'
export type { Logger, LogLevel } from './producer/logger.js'
export { channels as diagnosticsChannels } from './producer/metrics.js'
export type { ProducerMetricsSnapshot } from './producer/metrics.js'
export { murmur2, toPositive, partitionForKey } from './producer/partitioner.js'
export { registerCodec, restoreBuiltinCodec, CompressionError } from './compression/index.js'
export type { CodecImplementation } from './compression/index.js'

/**
 * `kafka-wire/schema-registry`: a Confluent Schema Registry client and Avro, JSON Schema and Protobuf
 * serializers in the Confluent wire format, for `keySerializer` / `valueSerializer`.
 *
 * ```ts
 * import { SchemaRegistryClient, avroSerializer } from 'kafka-wire/schema-registry'
 * const registry = new SchemaRegistryClient({ url: 'http://127.0.0.1:8081' })
 * const valueSerializer = avroSerializer({ registry, schema: { type: 'record', name: 'User', fields: [{ name: 'id', type: 'int' }] } })
 * ```
 */
export { SchemaRegistryClient } from './client.js'
export type { SchemaRegistryClientOptions, Schema, SchemaType, SchemaReference, RegisteredSchema, CompatibilityLevel } from './client.js'
export type { RegistryAuth, RegistryTlsOptions, HttpExchange, HttpAnswer } from './http.js'
export {
  SchemaRegistryError,
  SubjectNotFoundError,
  VersionNotFoundError,
  SchemaNotFoundError,
  IncompatibleSchemaError,
  InvalidSchemaError,
  RegistryAuthError,
  RegistryUnavailableError,
  MissingPeerDependencyError,
  SchemaValidationError,
  WireFormatError,
} from './errors.js'
export { AnswerTooLargeError } from './http.js'
export { encodeFrame, encodeProtobufFrame, encodeMessageIndexes, decodeFrame, MAGIC_BYTE, HEADER_SIZE } from './wire-format.js'
export type { WireFrame } from './wire-format.js'
export { topicNameStrategy, recordNameStrategy, topicRecordNameStrategy } from './subject-strategy.js'
export type { SubjectNameStrategy } from './subject-strategy.js'
export { createSchemaSerializer } from './serde.js'
export type { SchemaSerializer, SchemaSerializerOptions, SchemaFormat } from './serde.js'
export { avroSerializer } from './avro.js'
export type { AvroSerializerOptions } from './avro.js'
export { jsonSchemaSerializer } from './json-schema.js'
export type { JsonSchemaSerializerOptions } from './json-schema.js'
export { protobufSerializer } from './protobuf.js'
export type { ProtobufSerializerOptions } from './protobuf.js'

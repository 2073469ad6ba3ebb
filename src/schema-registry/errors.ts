/** Typed errors of the schema registry client and the schema serializers, under `KafkaWireError`. */
import { KafkaWireError } from '../kafka-wire-error.js'

/**
 * The registry answered with an error. `status` is the HTTP status and `errorCode` the registry's
 * `error_code` (Confluent REST API: 40401 subject not found, 40402 version not found, 40403 schema
 * not found, 409 incompatible, 42201 invalid schema, 5xxxx server errors), `registryMessage` its
 * `message` as sent.
 */
export class SchemaRegistryError extends KafkaWireError {
  /** HTTP status of the answer (0 when no answer arrived). */
  readonly status: number
  /** The registry's `error_code`, or the HTTP status when the body had none. */
  readonly errorCode: number
  /** The registry's `message`, verbatim. */
  readonly registryMessage: string
  constructor(message: string, status: number, errorCode: number, registryMessage: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(message, options)
    this.status = status
    this.errorCode = errorCode
    this.registryMessage = registryMessage
  }
}

/** The subject has no versions (registry error 40401). */
export class SubjectNotFoundError extends SchemaRegistryError {}

/** The subject exists but not that version (40402). */
export class VersionNotFoundError extends SchemaRegistryError {}

/** No schema with that id, or the schema is not registered under the subject (40403). */
export class SchemaNotFoundError extends SchemaRegistryError {}

/** The registry refused the schema as incompatible with the subject's compatibility level (409); `registryMessage` says why. */
export class IncompatibleSchemaError extends SchemaRegistryError {}

/** The registry could not parse the schema (42201) or refused a reference. */
export class InvalidSchemaError extends SchemaRegistryError {}

/** The registry refused the credentials (401) or the operation (403). */
export class RegistryAuthError extends SchemaRegistryError {}

/**
 * The registry could not be reached or kept failing (connection refused, timeout, 5xx or 429 after
 * every retry). Retriable: a later send may succeed.
 */
export class RegistryUnavailableError extends SchemaRegistryError {
  constructor(message: string, status: number, errorCode: number, registryMessage: string, cause?: unknown) {
    super(message, status, errorCode, registryMessage, { cause, retriable: true })
  }
}

/** An optional peer dependency a serializer needs is not installed; `packageName` says which. */
export class MissingPeerDependencyError extends KafkaWireError {
  /** The npm package to install. */
  readonly packageName: string
  constructor(packageName: string, feature: string, cause: unknown) {
    super(`${feature} needs the optional peer dependency '${packageName}', which could not be loaded: npm install ${packageName}`, { cause })
    this.packageName = packageName
  }
}

/** A value does not match the serializer's schema; `paths` name the offending fields where the format library says. */
export class SchemaValidationError extends KafkaWireError {
  /** Field paths (or the library's messages) that failed validation. */
  readonly paths: readonly string[]
  /** The subject whose schema the value was checked against. */
  readonly subject: string
  constructor(subject: string, paths: readonly string[], cause?: unknown) {
    super(`value does not match the schema of subject "${subject}"${paths.length > 0 ? `: ${paths.join('; ')}` : ''}`, { cause })
    this.paths = paths
    this.subject = subject
  }
}

/** Bytes are not in the Confluent wire format (no magic byte 0, too short, bad message indexes). */
export class WireFormatError extends KafkaWireError {}

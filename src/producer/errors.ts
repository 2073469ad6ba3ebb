/**
 * Errors the producer reports to callers. Every class carries a stable `name`; errors that come from a
 * broker keep the Kafka error name and code (see `src/protocol/errors.ts`) on `cause`.
 */

// The root lives in a leaf module so every layer can extend it; re-exported here for the producer.
import { KafkaWireError } from '../kafka-wire-error.js'
export { KafkaWireError }

/** An option passed to `new Producer()` is unknown, of the wrong type, out of range or conflicting. */
export class ConfigError extends KafkaWireError {
  /** The option at fault, in kafka-wire's camelCase (the Java name is in the message). */
  readonly option: string
  constructor(option: string, message: string) {
    super(`invalid option ${option}: ${message}`)
    this.option = option
  }
}

/** A record (or its serialized size) exceeds `maxRequestSize` (Java `max.request.size`) or `bufferMemory`. */
export class RecordTooLargeError extends KafkaWireError {
  /** Estimated size of the record in a batch, in bytes. */
  readonly size: number
  /** The limit it exceeded. */
  readonly limit: number
  constructor(size: number, limit: number, option: string) {
    super(`the record is ${size} bytes when serialized, which is larger than ${option} (${limit})`)
    this.size = size
    this.limit = limit
  }
}

/**
 * A bounded wait ran out. `option` names the setting that bounded it (`maxBlockMs`, `deliveryTimeoutMs`,
 * `requestTimeoutMs`, `timeoutMs` of `close()`), so the fix is obvious from the message.
 */
export class TimeoutError extends KafkaWireError {
  /** The option whose limit was reached. */
  readonly option: string
  /** The limit, in milliseconds. */
  readonly timeoutMs: number
  constructor(option: string, timeoutMs: number, what: string, cause?: unknown) {
    super(`${what} (${option}=${timeoutMs} ms)`, { cause, retriable: true })
    this.option = option
    this.timeoutMs = timeoutMs
  }
}

/** `send()` after `close()` began, or a pending record failed because the producer closed. */
export class ProducerClosedError extends KafkaWireError {
  constructor(message = 'the producer is closed') {
    super(message)
  }
}

/**
 * Another producer instance with the same producer id and a newer epoch exists (PRODUCER_FENCED 90,
 * or INVALID_PRODUCER_EPOCH 47 answering InitProducerId). Fatal: every pending send fails.
 * INVALID_PRODUCER_EPOCH on Produce is not fatal (KIP-588): that batch fails and the producer lives on.
 */
export class ProducerFencedError extends KafkaWireError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause })
  }
}

/** The explicit `partition` of a record is not a partition of its topic. */
export class InvalidPartitionError extends KafkaWireError {
  readonly topic: string
  readonly partition: number
  constructor(topic: string, partition: number, numPartitions?: number) {
    super(
      numPartitions === undefined
        ? `record.partition must be an integer from 0 to 2147483647, got ${String(partition)} (topic "${topic}")`
        : `partition ${partition} of topic "${topic}" does not exist (the topic has ${numPartitions} partitions: 0..${numPartitions - 1})`,
    )
    this.topic = topic
    this.partition = partition
  }
}

/** The record itself is malformed (missing topic, value not serializable…). */
export class InvalidRecordError extends KafkaWireError {}

/** The broker reported an error for a topic's metadata that will not go away by retrying. */
export class TopicMetadataError extends KafkaWireError {
  readonly topic: string
  constructor(topic: string, message: string, cause?: unknown) {
    super(`topic "${topic}": ${message}`, { cause })
    this.topic = topic
  }
}

/** A feature the caller asked for is not implemented yet: the package's one class, from the protocol layer. */
export { NotImplementedError } from '../protocol/errors.js'

/**
 * The broker refused a batch with an error that leaves it unknown whether its records were ever
 * written, and retrying cannot find out: the records are NOT reported delivered, but they may be in
 * the log (most likely they are not). Raised for OUT_OF_ORDER_SEQUENCE_NUMBER on a batch whose
 * sequences lie at or below a sequence the broker already acknowledged for the same producer epoch:
 * the broker accepted later records without this batch (it had no state for the producer, e.g. a
 * fresh producer's first batch there, or after `producer.id.expiration.ms`), and a retry could only
 * ever be refused again, or be written out of order. Carries the Kafka error name and code.
 */
export class DeliveryOutcomeUnknownError extends KafkaWireError {
  /** The Kafka error code the broker answered (45 for OUT_OF_ORDER_SEQUENCE_NUMBER). */
  readonly code: number
  /** Kafka's name for it. */
  readonly errorName: string
  constructor(code: number, errorName: string, message: string) {
    super(`${errorName} (${code}): ${message}`)
    this.code = code
    this.errorName = errorName
  }
}

/** A key or value serializer threw or its promise rejected; `cause` holds what it threw. */
export class SerializationError extends KafkaWireError {
  /** Which part of the record failed to serialize. */
  readonly part: 'key' | 'value'
  /** The record's topic. */
  readonly topic: string
  constructor(part: 'key' | 'value', topic: string, cause: unknown) {
    super(`the ${part} serializer failed for a record of topic "${topic}": ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.part = part
    this.topic = topic
  }
}

/** Internal bookkeeping of `bufferMemory` went wrong (e.g. a batch released twice): a kafka-wire bug. */
export class BufferAccountingError extends KafkaWireError {}

/**
 * A transactional method was called in a state that does not allow it (Java `IllegalStateException`),
 * e.g. `send()` before `beginTransaction()`, or `commitTransaction()` with no transaction open.
 * Nothing was changed; `state` is the transaction state at the call.
 */
export class TransactionStateError extends KafkaWireError {
  /** The transaction state when the call was made (see {@link Producer.transactionState}). */
  readonly state: string
  constructor(state: string, message: string) {
    super(`${message} (transaction state: ${state})`)
    this.state = state
  }
}

/**
 * The current transaction cannot commit (a send inside it failed, or the broker answered
 * TRANSACTION_ABORTABLE, a group or topic authorization error…): call `abortTransaction()`, then the
 * producer can begin a new transaction (Java `TransactionAbortableException` and the abortable
 * `KafkaException`s). `cause` holds what went wrong first.
 */
export class TransactionAbortableError extends KafkaWireError {
  constructor(message: string, cause: unknown) {
    super(`${message}: ${cause instanceof Error ? cause.message : String(cause)}; abort the transaction`, { cause })
  }
}

/** A record's send failed because its transaction was aborted before the record was sent (Java `TransactionAbortedException`). */
export class TransactionAbortedError extends KafkaWireError {
  constructor(message = 'the transaction was aborted before this record was sent') {
    super(message)
  }
}

/**
 * Some records of a `sendBatch()` call failed. Nothing is hidden: `results[i]` is the
 * `RecordMetadata` of record i if the broker acknowledged it, or the error it failed with; `cause`
 * is the first error.
 */
export class SendBatchError<M = unknown> extends KafkaWireError {
  /** Per record, in the order given: its metadata, or its error. */
  readonly results: ReadonlyArray<M | Error>
  /** How many records failed. */
  readonly failed: number
  constructor(results: ReadonlyArray<M | Error>, failed: number, first: Error) {
    super(`${failed} of ${results.length} record(s) of sendBatch() failed; the first: ${first.message}`, { cause: first })
    this.results = results
    this.failed = failed
  }
}

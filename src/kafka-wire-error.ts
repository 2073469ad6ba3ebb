/**
 * The root of every error kafka-wire throws or rejects with. A leaf module (no imports) so every
 * layer — protocol, network, compression, producer, CLI, broker harness — can extend it without an
 * import cycle.
 */

/** Base class of every kafka-wire error: a stable `name` (the class name) and `retriable`. */
export class KafkaWireError extends Error {
  /** True when the same operation may succeed if tried again. */
  readonly retriable: boolean
  /** @param message what happened; @param options `cause`, and `retriable` (default false) */
  constructor(message: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined)
    this.name = new.target.name
    this.retriable = options?.retriable ?? false
  }
}

/**
 * A caller passed a value that cannot be used as asked: out of range for its wire type (an int64, a
 * varint, a 32767-byte string), a field the chosen protocol version cannot carry, a buffer window
 * outside its buffer, a bad harness option. A bug at the call site, never retriable.
 */
export class InvalidArgumentError extends KafkaWireError {}

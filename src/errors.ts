/** The root of every error class kafka-wire defines (producer, protocol, network, compression). */

/** Base class of every error kafka-wire raises itself. */
export class KafkaWireError extends Error {
  /** True when the same operation may succeed if tried again. */
  readonly retriable: boolean
  constructor(message: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined)
    this.name = new.target.name
    this.retriable = options?.retriable ?? false
  }
}

/**
 * The root of kafka-wire's error hierarchy, below every layer (protocol, network, producer) so each
 * can extend it without importing upwards: `err instanceof KafkaWireError` is true for every error
 * kafka-wire raises, whatever layer it came from.
 */

/** Base class of every error kafka-wire raises. */
export class KafkaWireError extends Error {
  /** True when the same operation may succeed if tried again. */
  readonly retriable: boolean
  /**
   * @param message what happened
   * @param options `cause`: the underlying error; `retriable`: whether trying again may help (default false)
   */
  constructor(message: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined)
    this.name = new.target.name
    this.retriable = options?.retriable ?? false
  }
}

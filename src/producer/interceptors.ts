/** Producer interceptors (Java `interceptor.classes`) with Java's error isolation. */
import type { ProducerLogger } from './logger.js'

/**
 * A producer interceptor (Java `ProducerInterceptor`, option `interceptors`, Java
 * `interceptor.classes`). `onSend` runs before serialization and partitioning and may return a
 * modified record; `onAcknowledgement` runs once per record when it succeeds or fails. An interceptor
 * that throws is logged and skipped: it never fails the send.
 */
export interface ProducerInterceptor<R, M> {
  onSend?(record: R): R
  onAcknowledgement?(metadata: M | null, error: Error | null): void
}

/** The chain of interceptors, with Java's error isolation. */
export class Interceptors<R, M> {
  readonly hasAck: boolean
  private readonly list: ReadonlyArray<ProducerInterceptor<R, M>>
  private readonly logger: ProducerLogger

  constructor(list: ReadonlyArray<ProducerInterceptor<R, M>>, logger: ProducerLogger) {
    this.list = list
    this.logger = logger
    this.hasAck = list.some((i) => typeof i.onAcknowledgement === 'function')
  }

  get size(): number {
    return this.list.length
  }

  /** Runs every `onSend` in order; a throwing interceptor is reported and its result ignored. */
  onSend(record: R): R {
    let current = record
    for (let i = 0; i < this.list.length; i++) {
      const ic = this.list[i]
      if (ic?.onSend === undefined) continue
      try {
        const next = ic.onSend(current)
        if (next !== undefined && next !== null) current = next
      } catch (err) {
        this.logger.warn('interceptor onSend threw; it is skipped for this record', { interceptor: i, error: err })
      }
    }
    return current
  }

  /** Runs every `onAcknowledgement`; errors are reported, never propagated. */
  onAcknowledgement(metadata: M | null, error: Error | null): void {
    for (let i = 0; i < this.list.length; i++) {
      const ic = this.list[i]
      if (ic?.onAcknowledgement === undefined) continue
      try {
        ic.onAcknowledgement(metadata, error)
      } catch (err) {
        this.logger.warn('interceptor onAcknowledgement threw', { interceptor: i, error: err })
      }
    }
  }
}

/** The `bufferMemory` accounting: reservations by batches, FIFO waiters bounded by maxBlockMs. */
import { BufferAccountingError, TimeoutError } from './errors.js'

interface Waiter {
  readonly size: number
  readonly resolve: () => void
  readonly reject: (err: Error) => void
  timer: NodeJS.Timeout | undefined
}

/**
 * Accounting of `bufferMemory` (Java `buffer.memory`, `BufferPool`): batches reserve bytes when they are
 * created and give them back when they complete. When the pool is exhausted, allocations wait in a
 * FIFO (fair: a small request never overtakes a waiting large one), each wait bounded by `maxBlockMs`.
 *
 * Only the count is pooled, not the memory: Buffers are left to V8, which recycles them better than a
 * JS free list would.
 */
export class BufferPool {
  readonly totalMemory: number
  private available: number
  private readonly waiters: Waiter[] = []
  private readonly maxBlockMs: number

  constructor(totalMemory: number, maxBlockMs: number) {
    this.totalMemory = totalMemory
    this.available = totalMemory
    this.maxBlockMs = maxBlockMs
  }

  /** Bytes not reserved by any batch (Java metric `buffer-available-bytes`). */
  get availableMemory(): number {
    return this.available
  }

  /** Allocations waiting for memory (Java metric `waiting-threads`). */
  get queued(): number {
    return this.waiters.length
  }

  /** Reserves `size` bytes now if possible and nobody is waiting before us. */
  tryAllocate(size: number): boolean {
    if (this.waiters.length === 0 && size <= this.available) {
      this.available -= size
      return true
    }
    return false
  }

  /**
   * Reserves `size` bytes, waiting up to `maxBlockMs` (minus `alreadyWaitedMs`) in FIFO order. Rejects
   * with `TimeoutError` naming `maxBlockMs`. `size` must not exceed `totalMemory` (the caller checks).
   */
  allocate(size: number, alreadyWaitedMs = 0): Promise<void> {
    if (this.tryAllocate(size)) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { size, resolve, reject, timer: undefined }
      const remaining = Math.max(0, this.maxBlockMs - alreadyWaitedMs)
      waiter.timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
        reject(new TimeoutError('maxBlockMs', this.maxBlockMs, `failed to allocate ${size} bytes of bufferMemory (${this.totalMemory} bytes) within maxBlockMs; the producer is sending slower than records arrive`))
        // Our leaving may let the next waiter in.
        this.serve()
      }, remaining)
      this.waiters.push(waiter)
    })
  }

  /**
   * Gives `size` bytes back and wakes waiters in order. Throws `BufferAccountingError` when that
   * would free more than was reserved (a double release is a bug to see, not to clamp away).
   */
  release(size: number): void {
    if (!(size >= 0) || this.available + size > this.totalMemory) {
      throw new BufferAccountingError(`internal: releasing ${size} bytes of bufferMemory with ${this.available} of ${this.totalMemory} already free (released twice?)`)
    }
    this.available += size
    this.serve()
  }

  /** Fails every waiter (producer closing). */
  failAll(err: Error): void {
    const ws = this.waiters.splice(0)
    for (const w of ws) {
      if (w.timer !== undefined) clearTimeout(w.timer)
      w.reject(err)
    }
  }

  private serve(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0] as Waiter
      if (w.size > this.available) return
      this.waiters.shift()
      this.available -= w.size
      if (w.timer !== undefined) clearTimeout(w.timer)
      w.resolve()
    }
  }
}

/** The blocked sends of one topic (waiting for metadata or buffer memory), in send order. */
import { InvalidArgumentError } from '../kafka-wire-error.js'
import type { RecordMetadata, SendCallback } from './producer-batch.js'
import { RecordFields, type PreparedRecord } from './record-preparation.js'
import type { HeaderPair } from './transport.js'

/** What the blocked path reads of a send: a {@link PreparedRecord}'s fields, without its trace context. */
export interface BlockedSend {
  readonly topic: string
  readonly explicitPartition: number | undefined
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: HeaderPair[] | null
  readonly timestamp: number
  readonly size: number
  readonly startMs: number
  readonly callback: SendCallback | null
  readonly resolve: ((m: RecordMetadata) => void) | null
  readonly reject: ((e: Error) => void) | null
}

/** The oldest queued send, loaded by {@link SendQueue.head}; one per queue, reused. */
class HeadView extends RecordFields implements BlockedSend {
  startMs = 0
  callback: SendCallback | null = null
  resolve: ((m: RecordMetadata) => void) | null = null
  reject: ((e: Error) => void) | null = null
  constructor(topic: string) {
    super()
    this.topic = topic
  }
}

/** Explicit partitions are ≥ 0 (preparation refuses the rest): -1 stores "none". */
const NO_PARTITION = -1

/**
 * FIFO of one topic's blocked sends. At saturation most sends wait here until a batch frees memory,
 * long enough to survive several young-generation collections; kept as one object per send they
 * were copied by each scavenge and then promoted (issue 15: that was most of the GC time of a
 * producer sending faster than the broker takes). So a send's fields go into parallel arrays of a
 * ring, numbers into typed arrays, and {@link head} loads the oldest one into a reused view. It
 * counts what it served, so flush() can wait for exactly the sends made before it.
 */
export class SendQueue {
  /** Sends ever pushed. */
  pushed = 0
  private served = 0
  private first = 0
  private count = 0
  private mask: number
  private partitions: Int32Array
  private timestamps: Float64Array
  private starts: Float64Array
  private sizes: Float64Array
  private keys: Array<Buffer | null>
  private values: Array<Buffer | null>
  private headerLists: Array<HeaderPair[] | null>
  private callbacks: Array<SendCallback | null>
  private resolves: Array<((m: RecordMetadata) => void) | null>
  private rejects: Array<((e: Error) => void) | null>
  private readonly view: HeadView
  private waiters: Array<{ target: number; resolve: () => void }> = []

  /** @param capacity initial slots, a power of two (the ring doubles when full) */
  constructor(readonly topic: string, capacity = 64) {
    if (capacity < 1 || (capacity & (capacity - 1)) !== 0) throw new InvalidArgumentError(`SendQueue capacity must be a power of two, got ${capacity}`)
    this.view = new HeadView(topic)
    this.mask = capacity - 1
    this.partitions = new Int32Array(capacity)
    this.timestamps = new Float64Array(capacity)
    this.starts = new Float64Array(capacity)
    this.sizes = new Float64Array(capacity)
    this.keys = new Array<Buffer | null>(capacity).fill(null)
    this.values = new Array<Buffer | null>(capacity).fill(null)
    this.headerLists = new Array<HeaderPair[] | null>(capacity).fill(null)
    this.callbacks = new Array<SendCallback | null>(capacity).fill(null)
    this.resolves = new Array<((m: RecordMetadata) => void) | null>(capacity).fill(null)
    this.rejects = new Array<((e: Error) => void) | null>(capacity).fill(null)
  }

  /** Resolves once the first `target` sends ever pushed were served. */
  waitServed(target: number): Promise<void> {
    if (this.served >= target) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ target, resolve }))
  }

  get length(): number {
    return this.count
  }

  /** Queues a prepared record of this topic (its fields are copied; the object itself is not kept). */
  push(r: PreparedRecord): void {
    if (this.count > this.mask) this.grow()
    const i = (this.first + this.count) & this.mask
    this.partitions[i] = r.explicitPartition ?? NO_PARTITION
    this.timestamps[i] = r.timestamp
    this.starts[i] = r.startMs
    this.sizes[i] = r.size
    this.keys[i] = r.key
    this.values[i] = r.value
    this.headerLists[i] = r.headers
    this.callbacks[i] = r.callback
    this.resolves[i] = r.resolve
    this.rejects[i] = r.reject
    this.count++
    this.pushed++
  }

  /**
   * The oldest send, in a view this queue reuses: valid until {@link shift}, which the one loop
   * serving the queue calls when it is done with it. Undefined when empty.
   */
  head(): BlockedSend | undefined {
    if (this.count === 0) return undefined
    const i = this.first
    const v = this.view
    const p = this.partitions[i] as number
    v.explicitPartition = p === NO_PARTITION ? undefined : p
    v.timestamp = this.timestamps[i] as number
    v.startMs = this.starts[i] as number
    v.size = this.sizes[i] as number
    v.key = this.keys[i] ?? null
    v.value = this.values[i] ?? null
    v.headers = this.headerLists[i] ?? null
    v.callback = this.callbacks[i] ?? null
    v.resolve = this.resolves[i] ?? null
    v.reject = this.rejects[i] ?? null
    return v
  }

  /** Drops the oldest send (served: appended or failed) and wakes flush() waiters it satisfies. */
  shift(): void {
    if (this.count === 0) return
    const i = this.first
    // no caller memory kept for a served send
    this.keys[i] = null
    this.values[i] = null
    this.headerLists[i] = null
    this.callbacks[i] = null
    this.resolves[i] = null
    this.rejects[i] = null
    const v = this.view
    v.key = v.value = null
    v.headers = null
    v.callback = null
    v.resolve = v.reject = null
    this.first = (i + 1) & this.mask
    this.count--
    this.served++
    if (this.waiters.length > 0) {
      const still = []
      for (const w of this.waiters) {
        if (w.target <= this.served) w.resolve()
        else still.push(w)
      }
      this.waiters = still
    }
  }

  // Doubles the ring, the oldest send moving to slot 0.
  private grow(): void {
    const n = this.mask + 1
    const order = (a: { length: number }, i: number): number => (this.first + i) & (a.length - 1)
    const copyTyped = <T extends Int32Array | Float64Array>(a: T, make: (len: number) => T): T => {
      const b = make(n * 2)
      for (let i = 0; i < n; i++) b[i] = a[order(a, i)] as number
      return b
    }
    const copy = <T>(a: T[]): T[] => {
      const b = new Array<T>(n * 2).fill(null as T)
      for (let i = 0; i < n; i++) b[i] = a[order(a, i)] as T
      return b
    }
    this.partitions = copyTyped(this.partitions, (len) => new Int32Array(len))
    this.timestamps = copyTyped(this.timestamps, (len) => new Float64Array(len))
    this.starts = copyTyped(this.starts, (len) => new Float64Array(len))
    this.sizes = copyTyped(this.sizes, (len) => new Float64Array(len))
    this.keys = copy(this.keys)
    this.values = copy(this.values)
    this.headerLists = copy(this.headerLists)
    this.callbacks = copy(this.callbacks)
    this.resolves = copy(this.resolves)
    this.rejects = copy(this.rejects)
    this.first = 0
    this.mask = n * 2 - 1
  }
}

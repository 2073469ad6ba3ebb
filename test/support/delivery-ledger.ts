/**
 * The ledger of a produce run: what each send's promise said (acknowledged with which offset, or
 * rejected with which error), checked against the log an independent consumer read back, giving
 * lost / duplicated / reordered counts.
 */
import { KafkaProtocolError, KafkaWireError, NetworkError } from '../../src/index.js'
import type { ConsumedRecord } from './kcat.js'

/** What a run's audit found. */
export interface DeliveryReport {
  /** records handed to `send()` */
  sent: number
  /** promises resolved */
  acknowledged: number
  /** promises rejected */
  rejected: number
  /** promises neither resolved nor rejected at audit time (must be 0) */
  unsettled: number
  /** rejections by error class name */
  rejectedByError: Record<string, number>
  /** rejections whose error is not a kafka-wire class (must be 0) */
  untypedRejections: number
  /** acknowledged but not in the log: the one thing a producer must never do */
  lost: number
  /** extra copies in the log (a record written n times counts n-1) */
  duplicates: number
  /** acknowledged records of one key that the log holds out of send order */
  reorders: number
  /** acknowledged with offset -1 (acks=0, or a duplicate the broker confirmed without its offset) */
  acknowledgedWithoutOffset: number
  /** acknowledged at a partition/offset where the log holds another record */
  wrongOffset: number
  /** records in the log that were rejected to their sender (written although reported failed: allowed, but worth seeing) */
  rejectedButWritten: number
  /** a few lost records, for the failure message */
  lostSamples: string[]
}

/** Settlement states of one record. */
const PENDING = 0
const ACKED = 1
const REJECTED = 2

/** True for the error classes kafka-wire exports (what a caller can `instanceof`). */
export function isKafkaWireError(err: unknown): boolean {
  return err instanceof KafkaWireError || err instanceof NetworkError || err instanceof KafkaProtocolError
}

/**
 * Records the outcome of `total` numbered sends. Record `n` must be sent with value `valueOf(n)`
 * and key `keyOf(n)`; values must be unique.
 */
export class DeliveryLedger {
  private readonly state: Uint8Array
  private readonly partition: Int32Array
  private readonly offset: Float64Array
  private readonly errors: Record<string, number> = {}
  private untyped = 0
  private sentCount = 0

  /**
   * @param total how many records the run may send
   * @param keyOf the key of record `n`
   */
  constructor(
    readonly total: number,
    readonly keyOf: (n: number) => string,
  ) {
    this.state = new Uint8Array(total)
    this.partition = new Int32Array(total).fill(-1)
    this.offset = new Float64Array(total).fill(-1)
  }

  /** The value of record `n` (`r<n>`). */
  valueOf(n: number): string {
    return `r${n}`
  }

  /** Records that `n` was sent and attaches to its promise (which is then handled). */
  track(n: number, p: Promise<{ partition: number; offset: number }>): Promise<void> {
    this.sentCount++
    return p.then(
      (md) => {
        this.state[n] = ACKED
        this.partition[n] = md.partition
        this.offset[n] = md.offset
      },
      (err: unknown) => {
        this.state[n] = REJECTED
        const name = err instanceof Error ? err.name : typeof err
        this.errors[name] = (this.errors[name] ?? 0) + 1
        if (!isKafkaWireError(err)) this.untyped++
      },
    )
  }

  /** Compares the outcomes with `records` (the whole topic, partition and offset order). */
  audit(records: readonly ConsumedRecord[]): DeliveryReport {
    const copies = new Uint32Array(this.total)
    const at = new Map<string, number>()
    let duplicates = 0
    let reorders = 0
    let rejectedButWritten = 0
    const lastOfKey = new Map<string, number>()
    for (const r of records) {
      const n = Number(r.value.slice(1))
      if (!r.value.startsWith('r') || !Number.isInteger(n) || n < 0 || n >= this.total) throw new Error(`unexpected value ${JSON.stringify(r.value)} at ${r.partition}/${r.offset}`)
      if (r.key !== this.keyOf(n)) throw new Error(`record ${n} came back with key ${r.key}, sent with ${this.keyOf(n)}`)
      at.set(`${r.partition}/${r.offset}`, n)
      const c = (copies[n] = (copies[n] ?? 0) + 1)
      if (c > 1) {
        duplicates++
        continue
      }
      if (this.state[n] === REJECTED) rejectedButWritten++
      if (this.state[n] !== ACKED) continue
      const last = lastOfKey.get(r.key) ?? -1
      if (n < last) reorders++
      else lastOfKey.set(r.key, n)
    }
    let acknowledged = 0
    let rejected = 0
    let unsettled = 0
    let lost = 0
    let withoutOffset = 0
    let wrongOffset = 0
    const lostSamples: string[] = []
    for (let n = 0; n < this.sentCount; n++) {
      const s = this.state[n]
      if (s === PENDING) unsettled++
      else if (s === REJECTED) rejected++
      else {
        acknowledged++
        const off = this.offset[n] ?? -1
        if (off < 0) withoutOffset++
        else if (at.get(`${this.partition[n]}/${off}`) !== n && copies[n] !== 0) wrongOffset++
        if (copies[n] === 0) {
          lost++
          if (lostSamples.length < 5) lostSamples.push(`r${n} key ${this.keyOf(n)} acknowledged at ${this.partition[n]}/${off}`)
        }
      }
    }
    return {
      sent: this.sentCount,
      acknowledged,
      rejected,
      unsettled,
      rejectedByError: { ...this.errors },
      untypedRejections: this.untyped,
      lost,
      duplicates,
      reorders,
      acknowledgedWithoutOffset: withoutOffset,
      wrongOffset,
      rejectedButWritten,
      lostSamples,
    }
  }
}

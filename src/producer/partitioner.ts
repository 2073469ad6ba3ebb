/**
 * Partitioning, Java-compatible (KIP-794 built-in uniform sticky partitioner and Utils.murmur2).
 */

const M = 0x5bd1e995

/**
 * Kafka's murmur2 (Java `Utils.murmur2`): 32-bit MurmurHash2 with seed 0x9747b28c, returned as a
 * signed int32 exactly like Java. Multiplications wrap modulo 2^32 via `Math.imul`.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = 0x9747b28c ^ length
  const length4 = length & ~3
  for (let i = 0; i < length4; i += 4) {
    // Little-endian 4-byte block.
    let k = (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M)
    h ^= k
  }
  // The tail (Java's fall-through switch from 3 to 1 remaining bytes).
  const rest = length & 3
  if (rest === 3) h ^= (data[length4 + 2] as number) << 16
  if (rest >= 2) h ^= (data[length4 + 1] as number) << 8
  if (rest >= 1) {
    h ^= data[length4] as number
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** Java `Utils.toPositive`: clears the sign bit (not `Math.abs`, not `>>> 0`). */
export function toPositive(n: number): number {
  return n & 0x7fffffff
}

/** The partition of a keyed record: `toPositive(murmur2(key)) % numPartitions` over all partitions. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions
}

/**
 * Per-topic state of the uniform sticky partitioner (KIP-794, Java `BuiltInPartitioner`): unkeyed
 * records stick to one partition until about `batchSize` bytes went to it, then it switches to a
 * random partition with a known leader, so batches fill up instead of one record per partition.
 *
 * Not implemented: the adaptive load-based weighting (`partitioner.adaptive.partitioning.enable`) and
 * `partitioner.availability.timeout.ms`; the choice is uniform among available partitions.
 */
export class StickyPartitionState {
  private partition = -1
  private producedBytes = 0
  private readonly batchSize: number
  private readonly random: () => number

  constructor(batchSize: number, random: () => number = Math.random) {
    // A batch size of 0 would switch on every record; Java uses max(1, batch.size).
    this.batchSize = Math.max(1, batchSize)
    this.random = random
  }

  /** The current sticky partition, choosing one first if needed. */
  current(numPartitions: number, available: readonly number[]): number {
    if (this.partition < 0 || this.partition >= numPartitions) this.partition = this.next(numPartitions, available)
    return this.partition
  }

  /**
   * Records that `bytes` went to `partition`, and switches when enough did. Java defers the switch to
   * 2 × batch.size while the partition still has a non-full batch, so high linger does not leave
   * fractional batches behind (KAFKA-14156).
   */
  update(partition: number, bytes: number, lastBatchFull: boolean, numPartitions: number, available: readonly number[]): void {
    if (partition !== this.partition) return
    this.producedBytes += bytes
    if ((this.producedBytes >= this.batchSize && lastBatchFull) || this.producedBytes >= 2 * this.batchSize) {
      this.producedBytes = 0
      this.partition = this.next(numPartitions, available)
    }
  }

  /** Bytes counted toward the current sticky partition (tests). */
  producedBytesForTest(): number {
    return this.producedBytes
  }

  private next(numPartitions: number, available: readonly number[]): number {
    if (available.length > 0) return available[Math.floor(this.random() * available.length)] as number
    return Math.floor(this.random() * numPartitions)
  }
}

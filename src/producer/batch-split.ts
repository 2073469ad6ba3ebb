/** Splitting a batch the broker refused as too large into two halves that carry its records' completions and memory. */
import { RECORD_BATCH_OVERHEAD, estimateRecordSize } from './accumulator.js'
import { ProducerBatch } from './producer-batch.js'
import type { BatchFormat, BatchRecord } from './transport.js'

/**
 * Splits `b` (whose records were read back as `records`) in two (Java `ProducerBatch.split`); the
 * parts take over the records' callbacks and promises, its id, attempts and creation time, and share
 * its buffer-memory reservation by record count. Parts still too large are split again later.
 */
export function splitBatch(b: ProducerBatch, records: BatchRecord[], format: BatchFormat): ProducerBatch[] {
  const slots = b.detachSlots()
  const half = Math.ceil(records.length / 2)
  const parts: ProducerBatch[] = []
  for (const [from, to] of [[0, half], [half, records.length]] as const) {
    let capacity = RECORD_BATCH_OVERHEAD
    for (let i = from; i < to; i++) {
      const r = records[i]
      if (r !== undefined) capacity += estimateRecordSize(r.key, r.value, r.headers)
    }
    // Each part reserves its share of the original's reservation, by record count: together exactly
    // what the original held, and each part returns what it holds when it completes.
    const share = parts.length === 0 ? Math.floor((b.reservedBytes * (to - from)) / records.length) : b.reservedBytes - (parts[0] as ProducerBatch).reservedBytes
    const part = new ProducerBatch(b.topic, b.partition, format.create(capacity), b.createdMs, share)
    for (let i = from; i < to; i++) {
      const r = records[i]
      if (r !== undefined) part.tryAppend(r.timestamp, r.key, r.value, r.headers, slots.callbacks[i] ?? null, slots.resolves[i] ?? null, slots.rejects[i] ?? null)
    }
    part.full = true
    part.id = b.id
    part.attempts = b.attempts
    parts.push(part)
  }
  return parts
}

/** The producer's RecordBatch format: building (compressed), re-stamping producer state, and reading back a batch to split. */
import { KafkaWireError } from '../kafka-wire-error.js'
import { resolveCompression } from '../compression/index.js'
import { RecordBatchBuilder, decodeRecordBatches, restampBatch } from '../protocol/record-batch.js'
import type { ResolvedConfig } from './config.js'
import { ConfigError } from './errors.js'
import type { BatchBuilder, BatchFormat, BatchRecord } from './transport.js'

/**
 * RecordBatch v2 via `src/protocol/record-batch.ts`, compressed with the configured codec. Throws
 * `ConfigError` for an invalid compression type or level.
 */
export function createBatchFormat(config: ResolvedConfig): BatchFormat {
  let compress: ((records: Uint8Array) => Uint8Array) | undefined
  let decompress: ((codecId: number, data: Uint8Array) => Uint8Array) | undefined
  let codecId = 0
  // A transactional producer's batches carry the transactional attribute: the broker keeps their
  // records out of read_committed reads until the transaction's marker.
  const transactional = config.transactionalId !== undefined
  try {
    const c = resolveCompression(config.compressionType, config.compressionLevel)
    if (c.codecId !== 0) {
      const { codec, level } = c
      compress = (records) => codec.compress(records, level)
      // Only our own batches are decoded, so the records are at most maxRequestSize × a generous ratio.
      decompress = (_id, data) => codec.decompress(data, Math.max(64 * 1024 * 1024, config.maxRequestSize * 64))
      codecId = c.codecId
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err
    const option = config.compressionLevel !== undefined && config.compressionType !== 'none' ? 'compressionLevel' : 'compressionType'
    throw new ConfigError(option, err instanceof Error ? err.message : String(err))
  }
  return {
    create: (maxBytes: number): BatchBuilder => new RecordBatchBuilder(maxBytes),
    build: (builder, producerId, epoch, baseSequence) => {
      const b = (builder as RecordBatchBuilder).build({ compression: compress, codecId, producerId, producerEpoch: epoch, baseSequence, transactional })
      return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
    },
    restamp: (batch, producerId, epoch, baseSequence) => restampBatch(batch, producerId, epoch, baseSequence),
    decode: (batch): BatchRecord[] => {
      const out: BatchRecord[] = []
      for (const b of decodeRecordBatches(batch, decompress !== undefined ? { decompress } : {})) {
        if (b.records === null) throw new KafkaWireError('internal: cannot read back a compressed batch without its codec')
        for (const r of b.records) {
          out.push({
            timestamp: r.timestamp,
            key: r.key === null ? null : Buffer.from(r.key.buffer, r.key.byteOffset, r.key.byteLength),
            value: r.value === null ? null : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
            headers: r.headers.length === 0 ? null : r.headers.map(([k, v]) => [k, v === null ? null : Buffer.from(v.buffer, v.byteOffset, v.byteLength)]),
          })
        }
      }
      return out
    },
  }
}

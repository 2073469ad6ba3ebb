// The field trace that `dump` prints: every byte of a request frame is attributed to a field
// named with Kafka JSON spec paths, in order, without gaps or overlaps.
import { describe, expect, it } from 'vitest'
import { decodeRequestHeader } from '../../../src/protocol/headers.js'
import { encodeRequestFrame } from '../../../src/protocol/frame.js'
import { ProduceApi } from '../../../src/protocol/produce.js'
import { Reader } from '../../../src/protocol/reader.js'
import { decodeRecordBatches, RecordBatchBuilder } from '../../../src/protocol/record-batch.js'
import { ZERO_UUID } from '../../../src/protocol/writer.js'

describe('field trace', () => {
  it('annotates a Produce v9 frame field by field', () => {
    const builder = new RecordBatchBuilder(1024)
    builder.tryAppend(1700000000000, Buffer.from('key'), Buffer.from('value'), [['h', Buffer.from('v')]])
    const batch = builder.build()
    const frame = encodeRequestFrame(ProduceApi, 9, 2, 'tsk', { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: 't', topicId: ZERO_UUID, partitionData: [{ index: 0, records: batch }] }] })
    const r = new Reader(frame, 4)
    const seen: { offset: number; length: number; path: string }[] = []
    r.trace = (offset, length, path) => seen.push({ offset, length, path })
    decodeRequestHeader(r, true)
    ProduceApi.decodeRequest(r, 9)
    expect(r.remaining).toBe(0)
    const paths = seen.map((s) => s.path)
    expect(paths).toEqual([
      'request_api_key', 'request_api_version', 'correlation_id', 'client_id', '_tagged_fields.count',
      'transactional_id', 'acks', 'timeout_ms', 'topic_data.length', 'topic_data[0].name',
      'topic_data[0].partition_data.length', 'topic_data[0].partition_data[0].index', 'topic_data[0].partition_data[0].records',
      'topic_data[0].partition_data[0]._tagged_fields.count', 'topic_data[0]._tagged_fields.count', '_tagged_fields.count',
    ])
    // contiguous coverage of the whole frame after the size prefix
    let at = 4
    for (const s of seen) {
      expect(s.offset, s.path).toBe(at)
      at += s.length
    }
    expect(at).toBe(frame.length)
  })

  it('annotates a record batch down to header keys', () => {
    const builder = new RecordBatchBuilder(1024)
    builder.tryAppend(5, Buffer.from('k'), null, [['h', null]])
    const seen: string[] = []
    decodeRecordBatches(builder.build(), { trace: (_o, _l, p) => seen.push(p) })
    expect(seen).toContain('batches[0].crc')
    expect(seen).toContain('batches[0].records[0].key')
    expect(seen).toContain('batches[0].records[0].headers[0].key')
    expect(seen).toContain('batches[0].records[0].headers[0].value_length')
  })
})

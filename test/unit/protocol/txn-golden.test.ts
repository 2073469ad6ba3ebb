// The transaction APIs (issue 14) against golden bytes from Kafka's own generated message classes and
// record builders (fixtures/TxnGoldenGen.java, kafka-clients 4.4.0): our encoders must emit exactly
// those bytes, and our decoders must read them back to the same objects.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ApiDefinition } from '../../../src/protocol/api.js'
import { AddOffsetsToTxnApi, type AddOffsetsToTxnRequest } from '../../../src/protocol/add-offsets-to-txn.js'
import { AddPartitionsToTxnApi, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse } from '../../../src/protocol/add-partitions-to-txn.js'
import { ApiVersionsApi } from '../../../src/protocol/api-versions.js'
import { decodeControlRecordKey, decodeEndTransactionMarker } from '../../../src/protocol/control-record.js'
import { EndTxnApi, type EndTxnResponse } from '../../../src/protocol/end-txn.js'
import { ProtocolError } from '../../../src/protocol/errors.js'
import { isTransactionV2Enabled, transactionVersion } from '../../../src/protocol/features.js'
import { coordinatorResults, FindCoordinatorApi, type FindCoordinatorRequest, type FindCoordinatorResponse } from '../../../src/protocol/find-coordinator.js'
import { InitProducerIdApi, type InitProducerIdRequest } from '../../../src/protocol/init-producer-id.js'
import { Reader } from '../../../src/protocol/reader.js'
import { decodeRecordBatches, RecordBatchBuilder } from '../../../src/protocol/record-batch.js'
import { TxnOffsetCommitApi, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '../../../src/protocol/txn-offset-commit.js'
import { Writer } from '../../../src/protocol/writer.js'

const golden = new Map<string, string>()
for (const line of readFileSync(new URL('./fixtures/kafka-java-txn-golden.txt', import.meta.url), 'utf8').split('\n')) {
  const [name, hex] = line.split(' ')
  if (name !== undefined && name !== '') golden.set(name, hex ?? '')
}

function goldenHex(name: string): string {
  const hex = golden.get(name)
  if (hex === undefined) throw new Error(`no golden bytes for ${name}`)
  return hex
}

function encodeHex<T>(fn: (w: Writer, x: T, v: number) => void, x: T, v: number): string {
  const w = new Writer(8) // deliberately tiny: exercises growth
  fn(w, x, v)
  return w.finish().toString('hex')
}

function decodeAll<T>(fn: (r: Reader, v: number) => T, hex: string, v: number): T {
  const r = new Reader(Buffer.from(hex, 'hex'))
  const x = fn(r, v)
  expect(r.remaining).toBe(0)
  return x
}

/** Encoder emits the golden bytes; decoder reads them back to `expected`; re-encoding is stable. */
function checkRequest<Req, Res>(api: ApiDefinition<Req, Res>, v: number, req: Req, expected: Req = req): void {
  const name = `${api.name}Request.v${v}`
  const hex = goldenHex(name)
  expect(encodeHex(api.encodeRequest, req, v), name).toBe(hex)
  const back = decodeAll(api.decodeRequest, hex, v)
  expect(back, name).toEqual(expected)
  expect(encodeHex(api.encodeRequest, back, v)).toBe(hex)
  expect(api.estimateRequestSize?.(req, v), `${name} estimate`).toBeGreaterThanOrEqual(hex.length / 2)
}

function checkResponse<Req, Res>(api: ApiDefinition<Req, Res>, v: number, res: Res, label = `${api.name}Response`): void {
  const name = `${label}.v${v}`
  const hex = goldenHex(name)
  expect(encodeHex(api.encodeResponse, res, v), name).toBe(hex)
  const back = decodeAll(api.decodeResponse, hex, v)
  expect(back, name).toEqual(res)
  expect(encodeHex(api.encodeResponse, back, v)).toBe(hex)
}

describe('FindCoordinator golden bytes (v0, v1, v3, v4, v6)', () => {
  for (const v of [0, 1, 3, 4, 6]) {
    it(`v${v}`, () => {
      const req: FindCoordinatorRequest = v === 0 ? { keyType: 0, coordinatorKeys: ['group-1'] } : { keyType: 1, coordinatorKeys: v < 4 ? ['txn-1'] : ['txn-1', 'txn-2'] }
      checkRequest(FindCoordinatorApi, v, req)
      const res: FindCoordinatorResponse = v < 4
        ? { throttleTimeMs: v >= 1 ? 4 : 0, errorCode: 0, errorMessage: v >= 1 ? 'ok' : null, nodeId: 2, host: 'broker-2', port: 9093, coordinators: [] }
        : {
            throttleTimeMs: 4, errorCode: 0, errorMessage: null, nodeId: 0, host: '', port: 0,
            coordinators: [
              { key: 'txn-1', nodeId: 2, host: 'broker-2', port: 9093, errorCode: 0, errorMessage: null },
              { key: 'txn-2', nodeId: -1, host: '', port: -1, errorCode: 15, errorMessage: 'The coordinator is not available.' },
            ],
          }
      checkResponse(FindCoordinatorApi, v, res)
      const list = coordinatorResults(res, v, req.coordinatorKeys)
      expect(list[0]).toMatchObject({ key: req.coordinatorKeys[0], nodeId: 2, host: 'broker-2', port: 9093, errorCode: 0 })
      expect(list.length).toBe(v < 4 ? 1 : 2)
    })
  }

  it('refuses what an old version cannot say instead of dropping it', () => {
    const w = new Writer()
    expect(() => FindCoordinatorApi.encodeRequest(w, { keyType: 1, coordinatorKeys: ['a', 'b'] }, 3)).toThrow(/exactly one key.*v4/)
    expect(() => FindCoordinatorApi.encodeRequest(w, { keyType: 1, coordinatorKeys: [] }, 2)).toThrow(/exactly one key/)
    expect(() => FindCoordinatorApi.encodeRequest(w, { keyType: 1, coordinatorKeys: ['txn'] }, 0)).toThrow(/v0 finds only group/)
  })
})

describe('AddPartitionsToTxn golden bytes (v0, v2, v3; v4+ is broker-only)', () => {
  for (const v of [0, 2, 3]) {
    it(`v${v}`, () => {
      const req: AddPartitionsToTxnRequest = { transactionalId: 'txn-1', producerId: 4242n, producerEpoch: 7, topics: [{ name: 'orders', partitions: [0, 3, 5] }, { name: 'audit', partitions: [1] }] }
      checkRequest(AddPartitionsToTxnApi, v, req)
      const res: AddPartitionsToTxnResponse = { throttleTimeMs: 6, resultsByTopic: [{ name: 'orders', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 0 }, { partitionIndex: 3, partitionErrorCode: 51 }] }] }
      checkResponse(AddPartitionsToTxnApi, v, res)
    })
  }

  it('is capped at v3: a client never speaks the broker-to-broker versions (KAFKA-15757)', () => {
    expect(AddPartitionsToTxnApi.maxVersion).toBe(3)
  })
})

describe('AddOffsetsToTxn golden bytes (v0, v3, v4)', () => {
  for (const v of [0, 3, 4]) {
    it(`v${v}`, () => {
      const req: AddOffsetsToTxnRequest = { transactionalId: 'txn-1', producerId: 4242n, producerEpoch: 7, groupId: 'group-1' }
      checkRequest(AddOffsetsToTxnApi, v, req)
      checkResponse(AddOffsetsToTxnApi, v, { throttleTimeMs: 2, errorCode: v >= 4 ? 120 : 51 })
    })
  }
})

describe('TxnOffsetCommit golden bytes (v0, v2, v3, v5)', () => {
  for (const v of [0, 2, 3, 5]) {
    it(`v${v}`, () => {
      const req: TxnOffsetCommitRequest = {
        transactionalId: 'txn-1', groupId: 'group-1', producerId: 4242n, producerEpoch: 7,
        generationId: v >= 3 ? 12 : -1, memberId: v >= 3 ? 'member-a' : '', groupInstanceId: v === 5 ? 'instance-1' : null,
        topics: [{ name: 'input', partitions: [
          { partitionIndex: 0, committedOffset: 1234567890123n, committedLeaderEpoch: v >= 2 ? 5 : -1, committedMetadata: 'meta' },
          { partitionIndex: 4, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null },
        ] }],
      }
      checkRequest(TxnOffsetCommitApi, v, req)
      const res: TxnOffsetCommitResponse = { throttleTimeMs: 3, topics: [{ name: 'input', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 4, errorCode: v >= 3 ? 22 : 16 }] }] }
      checkResponse(TxnOffsetCommitApi, v, res)
    })
  }

  it('refuses to drop group metadata below v3 (KIP-447 fencing would be lost)', () => {
    const req: TxnOffsetCommitRequest = { transactionalId: 't', groupId: 'g', producerId: 1n, producerEpoch: 0, generationId: 3, memberId: 'm', groupInstanceId: null, topics: [] }
    expect(() => TxnOffsetCommitApi.encodeRequest(new Writer(), req, 2)).toThrow(/v3\+/)
    expect(() => TxnOffsetCommitApi.encodeRequest(new Writer(), { ...req, generationId: -1, memberId: '', groupInstanceId: 'i' }, 0)).toThrow(/v3\+/)
  })
})

describe('EndTxn golden bytes (v0, v3, v4, v5)', () => {
  for (const v of [0, 3, 4, 5]) {
    it(`v${v}`, () => {
      checkRequest(EndTxnApi, v, { transactionalId: 'txn-1', producerId: 4242n, producerEpoch: 7, committed: v !== 3 })
      const res: EndTxnResponse = { throttleTimeMs: 1, errorCode: v === 4 ? 48 : 0, producerId: v >= 5 ? 4242n : -1n, producerEpoch: v >= 5 ? 8 : -1 }
      checkResponse(EndTxnApi, v, res)
    })
  }
})

describe('InitProducerId with a transactional id (v0, v2, v4, v5)', () => {
  for (const v of [0, 2, 4, 5]) {
    it(`v${v}`, () => {
      const req: InitProducerIdRequest = { transactionalId: 'txn-1', transactionTimeoutMs: 60000, producerId: v === 5 ? 4242n : -1n, producerEpoch: v === 5 ? 7 : -1 }
      checkRequest(InitProducerIdApi, v, req)
      checkResponse(InitProducerIdApi, v, { throttleTimeMs: 0, errorCode: v === 4 ? 90 : 0, producerId: 4242n, producerEpoch: 8 })
    })
  }
})

describe('transaction.version from ApiVersions finalized features', () => {
  for (const v of [3, 4]) {
    it(`v${v}: level ${v === 4 ? 2 : 1}`, () => {
      const res = {
        errorCode: 0,
        apiKeys: [{ apiKey: 26, minVersion: 0, maxVersion: 5 }],
        throttleTimeMs: 0,
        supportedFeatures: [{ name: 'metadata.version', minVersion: 7, maxVersion: 29 }, { name: 'transaction.version', minVersion: 0, maxVersion: 2 }],
        finalizedFeaturesEpoch: 17n,
        finalizedFeatures: [{ name: 'metadata.version', minVersion: 29, maxVersion: 29 }, { name: 'transaction.version', minVersion: v === 4 ? 2 : 1, maxVersion: v === 4 ? 2 : 1 }],
        zkMigrationReady: false,
        decodedVersion: v,
      }
      checkResponse(ApiVersionsApi, v, res, 'ApiVersionsResponseTxn')
      const decoded = decodeAll(ApiVersionsApi.decodeResponse, goldenHex(`ApiVersionsResponseTxn.v${v}`), v)
      expect(transactionVersion(decoded)).toBe(v === 4 ? 2 : 1)
      expect(isTransactionV2Enabled(decoded)).toBe(v === 4)
    })
  }

  it('is 0 (the old protocol) when the broker finalizes no transaction.version', () => {
    expect(transactionVersion({ finalizedFeatures: [{ name: 'metadata.version', minVersion: 21, maxVersion: 21 }] })).toBe(0)
    expect(isTransactionV2Enabled({ finalizedFeatures: [] })).toBe(false)
  })
})

describe('transactional and control record batches (Java MemoryRecords)', () => {
  it('our builder writes the transactional batch byte for byte, and reads it back', () => {
    const b = new RecordBatchBuilder(1024)
    expect(b.tryAppend(1700000000000, Buffer.from('k1'), Buffer.from('v1'), [['h', Buffer.from('x')]])).toBe(true)
    expect(b.tryAppend(1700000000005, null, Buffer.from('value-2'), null)).toBe(true)
    const built = Buffer.from(b.build({ producerId: 4242n, producerEpoch: 7, baseSequence: 10, transactional: true }))
    expect(built.toString('hex')).toBe(goldenHex('Batch.transactional'))
    const [batch] = decodeRecordBatches(built)
    expect(batch).toMatchObject({ isTransactional: true, isControl: false, crcValid: true, producerId: 4242n, producerEpoch: 7, baseSequence: 10, recordCount: 2 })
  })

  for (const [name, type, typeName, offset] of [['Batch.commitMarker', 1, 'COMMIT', 17n], ['Batch.abortMarker', 0, 'ABORT', 18n]] as const) {
    it(`decodes the ${typeName} marker Kafka writes`, () => {
      const batches = decodeRecordBatches(Buffer.from(goldenHex(name), 'hex'))
      expect(batches.length).toBe(1)
      const batch = batches[0]
      expect(batch).toMatchObject({ baseOffset: offset, isControl: true, isTransactional: true, crcValid: true, producerId: 4242n, producerEpoch: 7, partitionLeaderEpoch: 3, recordCount: 1 })
      const rec = batch?.records?.[0]
      expect(decodeControlRecordKey(rec?.key ?? null)).toEqual({ version: 0, type, typeName })
      expect(decodeEndTransactionMarker(rec?.value ?? null)).toEqual({ version: 0, coordinatorEpoch: 9 })
    })
  }

  it('rejects malformed markers with a ProtocolError naming the field', () => {
    expect(() => decodeControlRecordKey(null)).toThrow(ProtocolError)
    expect(() => decodeControlRecordKey(Uint8Array.of(0, 0, 1))).toThrow(/4 bytes/)
    expect(() => decodeControlRecordKey(Uint8Array.of(0xff, 0xff, 0, 1))).toThrow(/key.version/)
    expect(() => decodeEndTransactionMarker(Uint8Array.of(0, 0, 0, 0, 9))).toThrow(/6 bytes/)
    expect(() => decodeEndTransactionMarker(Uint8Array.of(0x80, 0, 0, 0, 0, 9))).toThrow(/value.version/)
    expect(decodeControlRecordKey(Uint8Array.of(0, 1, 0, 42)).typeName).toBe('UNKNOWN')
  })
})

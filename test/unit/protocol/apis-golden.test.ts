// Every API at its lowest, a middle and its highest version against golden bytes produced by
// Kafka's own generated message classes (fixtures/GoldenGen.java, kafka-clients 4.4.0): our
// encoder must emit exactly those bytes, and our decoder must read them back to the same object.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ApiDefinition } from '../../../src/protocol/api.js'
import { ApiVersionsApi, type ApiVersionsRequest, type ApiVersionsResponse } from '../../../src/protocol/api-versions.js'
import { InitProducerIdApi, type InitProducerIdRequest, type InitProducerIdResponse } from '../../../src/protocol/init-producer-id.js'
import { MetadataApi, type MetadataRequest, type MetadataResponse } from '../../../src/protocol/metadata.js'
import { ProduceApi, type ProduceRequest, type ProduceResponse } from '../../../src/protocol/produce.js'
import { Reader } from '../../../src/protocol/reader.js'
import { Writer, ZERO_UUID } from '../../../src/protocol/writer.js'

const golden = new Map<string, string>()
for (const line of readFileSync(new URL('./fixtures/kafka-java-golden.txt', import.meta.url), 'utf8').split('\n')) {
  const [name, hex] = line.split(' ')
  if (name !== undefined && name !== '') golden.set(name, hex ?? '')
}
const UUID = 'ASNFZ4mrze_-3LqYdlQyEA' // Java: new Uuid(0x0123456789abcdefL, 0xfedcba9876543210L)
const BATCH = Buffer.from('000000000000000000000044ffffffff02e7fe61e90000000000000000018bcfe568000000018bcfe5680000000000000003e80000000000000000000124000000066b65790a76616c75650202680276', 'hex')

function goldenHex(name: string): string {
  const hex = golden.get(name)
  if (hex === undefined) throw new Error(`no golden bytes for ${name}`)
  return hex
}

function encode<T>(fn: (w: Writer, x: T, v: number) => void, x: T, v: number): string {
  const w = new Writer(8) // deliberately tiny: exercises growth
  fn(w, x, v)
  return w.finish().toString('hex')
}

function decode<T>(fn: (r: Reader, v: number) => T, hex: string, v: number): T {
  const r = new Reader(Buffer.from(hex, 'hex'))
  const x = fn(r, v)
  expect(r.remaining).toBe(0)
  return x
}

function check<Req, Res>(api: ApiDefinition<Req, Res>, kind: 'Request' | 'Response', v: number, value: Req | Res, compare: (decoded: Req | Res) => void): void {
  const name = `${api.name}${kind}.v${v}`
  const hex = goldenHex(name)
  if (kind === 'Request') {
    expect(encode(api.encodeRequest, value as Req, v), name).toBe(hex)
    const back = decode(api.decodeRequest, hex, v)
    compare(back)
    expect(encode(api.encodeRequest, back, v)).toBe(hex)
  } else {
    expect(encode(api.encodeResponse, value as Res, v), name).toBe(hex)
    const back = decode(api.decodeResponse, hex, v)
    compare(back)
    expect(encode(api.encodeResponse, back, v)).toBe(hex)
  }
}

describe('ApiVersions golden bytes (v0, v2, v3, v4)', () => {
  const req: ApiVersionsRequest = { clientSoftwareName: 'kafka-wire', clientSoftwareVersion: '0.1.0' }
  for (const v of [0, 2, 3, 4]) {
    it(`v${v}`, () => {
      check(ApiVersionsApi, 'Request', v, req, (d) => {
        expect(d).toEqual(v >= 3 ? req : { clientSoftwareName: '', clientSoftwareVersion: '' })
      })
      const res: ApiVersionsResponse = {
        errorCode: 0,
        apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 13 }, { apiKey: 3, minVersion: 0, maxVersion: 13 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }],
        throttleTimeMs: v >= 1 ? 7 : 0,
        supportedFeatures: v >= 3 ? [{ name: 'metadata.version', minVersion: 1, maxVersion: 27 }] : [],
        finalizedFeaturesEpoch: v >= 3 ? 42n : -1n,
        finalizedFeatures: v >= 3 ? [{ name: 'metadata.version', minVersion: 20, maxVersion: 27 }] : [],
        zkMigrationReady: v >= 3,
        decodedVersion: v,
      }
      check(ApiVersionsApi, 'Response', v, res, (d) => expect(d).toEqual(res))
    })
  }
})

describe('Metadata golden bytes (v1, v4, v9, v10, v12, v13)', () => {
  for (const v of [1, 4, 9, 10, 12, 13]) {
    it(`v${v}`, () => {
      const req: MetadataRequest = {
        topics: [v >= 10 ? { topicId: UUID, name: 'orders' } : { name: 'orders' }],
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: v >= 8,
      }
      check(MetadataApi, 'Request', v, req, (d) => expect(d).toEqual(req))
      const res: MetadataResponse = {
        throttleTimeMs: v >= 3 ? 5 : 0,
        brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: 'r1' }],
        clusterId: v >= 2 ? 'clu5ter' : null,
        controllerId: 1,
        topics: [{
          errorCode: 0,
          name: 'orders',
          topicId: v >= 10 ? UUID : ZERO_UUID,
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: v >= 7 ? 3 : -1, replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: v >= 5 ? [2] : [] }],
          topicAuthorizedOperations: v >= 8 ? 248 : -2147483648,
        }],
        clusterAuthorizedOperations: -2147483648,
        errorCode: 0,
      }
      check(MetadataApi, 'Response', v, res, (d) => expect(d).toEqual(res))
    })
  }
})

describe('Produce golden bytes (v3, v7, v9, v10, v13)', () => {
  for (const v of [3, 7, 9, 10, 13]) {
    it(`v${v}`, () => {
      const req: ProduceRequest = {
        transactionalId: null, acks: -1, timeoutMs: 30000,
        topicData: [{ name: v >= 13 ? '' : 't', topicId: v >= 13 ? UUID : ZERO_UUID, partitionData: [{ index: 0, records: BATCH }] }],
      }
      check(ProduceApi, 'Request', v, req, (d) => {
        const p = (d as ProduceRequest).topicData[0]?.partitionData[0]
        expect(Buffer.from(p?.records ?? []).equals(BATCH)).toBe(true)
        expect((d as ProduceRequest).topicData[0]?.name).toBe(v >= 13 ? '' : 't')
      })
      const res: ProduceResponse = {
        responses: [{
          name: v >= 13 ? '' : 't',
          topicId: v >= 13 ? UUID : ZERO_UUID,
          partitionResponses: [
            { index: 0, errorCode: 0, baseOffset: 1234567890123n, logAppendTimeMs: -1, logStartOffset: v >= 5 ? 100n : -1n, recordErrors: [], errorMessage: null, currentLeader: null },
            {
              index: 1, errorCode: v >= 10 ? 6 : 87, baseOffset: -1n, logAppendTimeMs: 1700000000000, logStartOffset: -1n,
              recordErrors: v >= 8 ? [{ batchIndex: 2, batchIndexErrorMessage: 'bad' }] : [],
              errorMessage: v >= 8 ? 'oops' : null,
              currentLeader: v >= 10 ? { leaderId: 2, leaderEpoch: 9 } : null,
            },
          ],
        }],
        throttleTimeMs: 11,
        nodeEndpoints: v >= 10 ? [{ nodeId: 2, host: 'b2', port: 9093, rack: null }] : [],
      }
      check(ProduceApi, 'Response', v, res, (d) => expect(d).toEqual(res))
    })
  }

  it('refuses v13 without a topic id rather than sending a zero UUID', () => {
    const w = new Writer()
    expect(() => ProduceApi.encodeRequest(w, { transactionalId: null, acks: 1, timeoutMs: 1, topicData: [{ name: 't', topicId: ZERO_UUID, partitionData: [] }] }, 13)).toThrow(/topic id/)
  })
})

describe('InitProducerId golden bytes (v0, v2, v3, v5)', () => {
  for (const v of [0, 2, 3, 5]) {
    it(`v${v}`, () => {
      const req: InitProducerIdRequest = { transactionalId: v === 3 ? 'txn-1' : null, transactionTimeoutMs: 60000, producerId: v >= 3 ? 4242n : -1n, producerEpoch: v >= 3 ? 7 : -1 }
      check(InitProducerIdApi, 'Request', v, req, (d) => expect(d).toEqual(req))
      const res: InitProducerIdResponse = { throttleTimeMs: 3, errorCode: 0, producerId: 1000n, producerEpoch: 2 }
      check(InitProducerIdApi, 'Response', v, res, (d) => expect(d).toEqual(res))
    })
  }
})

describe('size estimates', () => {
  it('are upper bounds of the encoded request body', () => {
    const cases: [ApiDefinition<never, unknown>, unknown, number][] = [
      [ProduceApi as ApiDefinition<never, unknown>, { transactionalId: 'tx', acks: -1, timeoutMs: 1, topicData: [{ name: 'topic', topicId: UUID, partitionData: [{ index: 0, records: BATCH }, { index: 1, records: null }] }] }, 13],
      [ProduceApi as ApiDefinition<never, unknown>, { transactionalId: null, acks: -1, timeoutMs: 1, topicData: [{ name: 'topic', topicId: UUID, partitionData: [{ index: 0, records: BATCH }] }] }, 3],
      [MetadataApi as ApiDefinition<never, unknown>, { topics: [{ name: 'a' }, { name: 'bbbbbbbb' }], allowAutoTopicCreation: true }, 12],
      [InitProducerIdApi as ApiDefinition<never, unknown>, { transactionalId: null, transactionTimeoutMs: 1, producerId: -1n, producerEpoch: -1 }, 5],
      [ApiVersionsApi as ApiDefinition<never, unknown>, { clientSoftwareName: 'kafka-wire', clientSoftwareVersion: '1' }, 4],
    ]
    for (const [api, req, v] of cases) {
      const w = new Writer(8)
      api.encodeRequest(w, req as never, v)
      expect(api.estimateRequestSize?.(req as never, v), api.name).toBeGreaterThanOrEqual(w.length)
    }
  })
})

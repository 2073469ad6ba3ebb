import { describe, expect, it } from 'vitest'
import { ApiVersionsApi, apiVersionsRetryVersion, versionMap, type ApiVersionsResponse } from '../../../src/protocol/api-versions.js'
import { KafkaProtocolError, ProtocolError, ERROR_CODES, ERROR_BY_NAME, errorInfo, throwIfError } from '../../../src/protocol/errors.js'
import { decodeResponseFrame, encodeRequestFrame } from '../../../src/protocol/frame.js'
import { decodeRequestHeader, decodeResponseHeader, encodeRequestHeader, encodeResponseHeader, requestHeaderVersion, responseHeaderVersion } from '../../../src/protocol/headers.js'
import { InitProducerIdApi } from '../../../src/protocol/init-producer-id.js'
import { MetadataApi } from '../../../src/protocol/metadata.js'
import { ProduceApi } from '../../../src/protocol/produce.js'
import { Reader } from '../../../src/protocol/reader.js'
import { isFlexible, pickVersion, UnsupportedApiVersionError } from '../../../src/protocol/versions.js'
import { Writer } from '../../../src/protocol/writer.js'

describe('headers', () => {
  it('request header v1 and v2 (client_id stays INT16-length)', () => {
    const w1 = new Writer()
    encodeRequestHeader(w1, { apiKey: 0, apiVersion: 7, correlationId: 2, clientId: 'tsk' }, false)
    expect(w1.finish().toString('hex')).toBe('0000' + '0007' + '00000002' + '000374736b')
    const w2 = new Writer()
    encodeRequestHeader(w2, { apiKey: 0, apiVersion: 9, correlationId: 2, clientId: null }, true)
    expect(w2.finish().toString('hex')).toBe('0000' + '0009' + '00000002' + 'ffff' + '00')
    expect(decodeRequestHeader(new Reader(w2.finish()), true)).toEqual({ apiKey: 0, apiVersion: 9, correlationId: 2, clientId: null })
  })
  it('response header v0/v1; ApiVersions always v0 (KIP-511)', () => {
    expect(responseHeaderVersion(0, true)).toBe(1)
    expect(responseHeaderVersion(0, false)).toBe(0)
    expect(responseHeaderVersion(18, true)).toBe(0)
    expect(requestHeaderVersion(true)).toBe(2)
    expect(requestHeaderVersion(false)).toBe(1)
    const w = new Writer()
    encodeResponseHeader(w, { correlationId: 5 }, true)
    expect(w.finish().toString('hex')).toBe('0000000500')
    expect(decodeResponseHeader(new Reader(w.finish()), true)).toEqual({ correlationId: 5 })
  })
  it('matches the worked ApiVersions v3 frame of the protocol reference', () => {
    const f = encodeRequestFrame(ApiVersionsApi, 3, 1, 'tsk', { clientSoftwareName: 'tsk', clientSoftwareVersion: '0.1.0' })
    expect(f.toString('hex')).toBe('00000019' + '0012' + '0003' + '00000001' + '000374736b' + '00' + '0474736b' + '06302e312e30' + '00')
  })
  it('decodes a flexible ApiVersions response after a v0 header, and a Produce v9 response after a v1 header', () => {
    const av = new Writer()
    encodeResponseHeader(av, { correlationId: 9 }, false)
    ApiVersionsApi.encodeResponse(av, { errorCode: 0, apiKeys: [], throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false, decodedVersion: 4 }, 4)
    expect(decodeResponseFrame(ApiVersionsApi, 4, av.finish()).header.correlationId).toBe(9)
    const pr = new Writer()
    encodeResponseHeader(pr, { correlationId: 10 }, true)
    ProduceApi.encodeResponse(pr, { responses: [], throttleTimeMs: 0, nodeEndpoints: [] }, 9)
    expect(decodeResponseFrame(ProduceApi, 9, pr.finish()).header.correlationId).toBe(10)
    expect(() => decodeResponseFrame(ProduceApi, 8, pr.finish())).toThrow(ProtocolError)
  })
})

describe('version negotiation', () => {
  it('picks the highest common version', () => {
    expect(pickVersion(ProduceApi, { minVersion: 0, maxVersion: 11 })).toBe(11)
    expect(pickVersion(ProduceApi, { minVersion: 0, maxVersion: 13 })).toBe(13)
    expect(pickVersion(ProduceApi, { minVersion: 0, maxVersion: 13 }, 12)).toBe(12)
    expect(pickVersion(MetadataApi, { minVersion: 0, maxVersion: 20 })).toBe(13)
    expect(pickVersion(InitProducerIdApi, { minVersion: 0, maxVersion: 6 })).toBe(5)
    expect(isFlexible(ProduceApi, 9)).toBe(true)
    expect(isFlexible(ProduceApi, 8)).toBe(false)
  })
  it('names the API when there is no common version', () => {
    expect(() => pickVersion(ProduceApi, { minVersion: 0, maxVersion: 2 })).toThrow(UnsupportedApiVersionError)
    expect(() => pickVersion(ProduceApi, { minVersion: 0, maxVersion: 2 })).toThrow(/Produce \(key 0\)/)
    expect(() => pickVersion(InitProducerIdApi, undefined)).toThrow(/InitProducerId/)
  })
  it('ApiVersions UNSUPPORTED_VERSION fallback', () => {
    const base: ApiVersionsResponse = { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false, decodedVersion: 0 }
    expect(apiVersionsRetryVersion(base, 4)).toBe(3)
    expect(apiVersionsRetryVersion({ ...base, apiKeys: [] }, 4)).toBe(0)
    expect(apiVersionsRetryVersion(base, 0)).toBeNull()
    expect(apiVersionsRetryVersion({ ...base, errorCode: 0 }, 4)).toBeNull()
    expect(versionMap(base).get(18)).toEqual({ minVersion: 0, maxVersion: 3 })
  })
  it('versionMap refuses an ApiVersions answer no broker sends (issue 18: it would pin wrong versions on the connection)', () => {
    const base: ApiVersionsResponse = { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }, { apiKey: 0, minVersion: 3, maxVersion: 13 }], throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false, decodedVersion: 4 }
    expect(versionMap(base).get(0)).toEqual({ minVersion: 3, maxVersion: 13 })
    const dup = { ...base, apiKeys: [...base.apiKeys, { apiKey: 0, minVersion: 0, maxVersion: 2 }] }
    expect(() => versionMap(dup)).toThrow(ProtocolError)
    expect(() => versionMap(dup)).toThrow(/api_keys\[2\]\.api_key: api key 0 is listed twice/)
    expect(() => versionMap({ ...base, apiKeys: [{ apiKey: 0, minVersion: 9, maxVersion: 3 }] })).toThrow(/invalid version range v9-v3/)
    expect(() => versionMap({ ...base, apiKeys: [{ apiKey: 0, minVersion: -1, maxVersion: 3 }] })).toThrow(ProtocolError)
    expect(() => versionMap({ ...base, apiKeys: [{ apiKey: -3, minVersion: 0, maxVersion: 3 }] })).toThrow(/negative api key/)
  })
  it('decodes a v0 error body even when v4 was sent', () => {
    const w = new Writer()
    w.int16(35).int32(1).int16(18).int16(0).int16(3) // v0 layout: classic array, no throttle, no tags
    const res = ApiVersionsApi.decodeResponse(new Reader(w.finish()), 4)
    expect(res.decodedVersion).toBe(0)
    expect(res.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 3 }])
  })
})

describe('error table', () => {
  it('covers the Kafka table with retriable and metadata flags', () => {
    expect(Object.keys(ERROR_CODES).length).toBeGreaterThanOrEqual(130)
    expect(ERROR_CODES[6]).toEqual({ code: 6, name: 'NOT_LEADER_OR_FOLLOWER', retriable: true, refreshMetadata: true })
    expect(ERROR_CODES[7]).toMatchObject({ name: 'REQUEST_TIMED_OUT', retriable: true, refreshMetadata: false })
    expect(ERROR_CODES[45]).toMatchObject({ name: 'OUT_OF_ORDER_SEQUENCE_NUMBER', retriable: false })
    expect(ERROR_CODES[100]).toMatchObject({ name: 'UNKNOWN_TOPIC_ID', retriable: true, refreshMetadata: true })
    expect(ERROR_BY_NAME.UNSUPPORTED_VERSION?.code).toBe(35)
    expect(errorInfo(9999).name).toBe('UNKNOWN_ERROR_CODE_9999')
  })
  it('KafkaProtocolError carries code, name and flags', () => {
    const e = new KafkaProtocolError(3, 'Produce orders-0', 'gone')
    expect(e).toBeInstanceOf(Error)
    expect([e.code, e.errorName, e.retriable, e.refreshMetadata]).toEqual([3, 'UNKNOWN_TOPIC_OR_PARTITION', true, true])
    expect(e.message).toBe('UNKNOWN_TOPIC_OR_PARTITION (3) in Produce orders-0: gone')
    expect(() => throwIfError(0)).not.toThrow()
    expect(() => throwIfError(87, 'x')).toThrow(/INVALID_RECORD/)
  })
})

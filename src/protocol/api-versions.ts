import type { ApiDefinition } from './api.js'
import { ProtocolError } from './errors.js'
import { writeArrayLength } from './fields.js'
import type { Reader } from './reader.js'
import type { VersionRange } from './versions.js'
import { Writer } from './writer.js'

/** ApiVersions request (key 18). v0-2 have no body; v3+ name the client software (KIP-511). */
export interface ApiVersionsRequest {
  /** v3+: must match `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?` or the broker answers INVALID_REQUEST. */
  readonly clientSoftwareName: string
  /** v3+: same character rule as the name. */
  readonly clientSoftwareVersion: string
}

/** One API a broker supports. */
export interface ApiVersionsResponseKey extends VersionRange {
  /** The api_key. */
  readonly apiKey: number
}

/** A feature and its version range (tagged fields, v3+). */
export interface FeatureRange {
  /** Feature name, e.g. `metadata.version`. */
  readonly name: string
  /** Lowest version (supported) or level (finalized). */
  readonly minVersion: number
  /** Highest version (supported) or level (finalized). */
  readonly maxVersion: number
}

/** ApiVersions response. Its response header is always v0 (KIP-511). */
export interface ApiVersionsResponse {
  /** Top-level error; UNSUPPORTED_VERSION (35) means "retry at a version I list for key 18". */
  readonly errorCode: number
  /** The APIs the broker supports. */
  readonly apiKeys: readonly ApiVersionsResponseKey[]
  /** v1+ */
  readonly throttleTimeMs: number
  /** v3+ tag 0 */
  readonly supportedFeatures: readonly FeatureRange[]
  /** v3+ tag 1; -1 when unknown */
  readonly finalizedFeaturesEpoch: bigint
  /** v3+ tag 2 */
  readonly finalizedFeatures: readonly FeatureRange[]
  /** v3+ tag 3 */
  readonly zkMigrationReady: boolean
  /**
   * The version the body was actually decoded as: a broker that does not know the version we
   * sent answers with a v0 body (KIP-511), which we detect from the error code.
   */
  readonly decodedVersion: number
}

const UNSUPPORTED_VERSION = 35
const FIRST_FLEXIBLE = 3

function encodeRequest(w: Writer, req: ApiVersionsRequest, v: number): void {
  if (v >= 3) {
    w.compactString(req.clientSoftwareName)
    w.compactString(req.clientSoftwareVersion)
    w.taggedFields()
  }
}

function decodeRequest(r: Reader, v: number): ApiVersionsRequest {
  if (v < 3) return { clientSoftwareName: '', clientSoftwareVersion: '' }
  const clientSoftwareName = r.compactString('client_software_name')
  const clientSoftwareVersion = r.compactString('client_software_version')
  r.taggedFields()
  return { clientSoftwareName, clientSoftwareVersion }
}

function writeFeatures(features: readonly FeatureRange[], finalized: boolean): Uint8Array {
  // Tagged-field bodies are encoded into their own small writer: their size prefix precedes them.
  const sub = new Writer(64)
  sub.compactArrayLength(features.length)
  for (const f of features) {
    sub.compactString(f.name)
    // SupportedFeatureKey is (min, max); FinalizedFeatureKey is (max level, min level).
    if (finalized) sub.int16(f.maxVersion).int16(f.minVersion)
    else sub.int16(f.minVersion).int16(f.maxVersion)
    sub.taggedFields()
  }
  return sub.finish()
}

function encodeResponse(w: Writer, res: ApiVersionsResponse, v: number): void {
  const flexible = v >= FIRST_FLEXIBLE
  w.int16(res.errorCode)
  writeArrayLength(w, res.apiKeys.length, flexible)
  for (const k of res.apiKeys) {
    w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion)
    if (flexible) w.taggedFields()
  }
  if (v >= 1) w.int32(res.throttleTimeMs)
  if (flexible) {
    const tags: { tag: number; data: Uint8Array }[] = []
    if (res.supportedFeatures.length > 0) tags.push({ tag: 0, data: writeFeatures(res.supportedFeatures, false) })
    if (res.finalizedFeaturesEpoch !== -1n) tags.push({ tag: 1, data: new Writer(8).int64(res.finalizedFeaturesEpoch).finish() })
    if (res.finalizedFeatures.length > 0) tags.push({ tag: 2, data: writeFeatures(res.finalizedFeatures, true) })
    if (res.zkMigrationReady) tags.push({ tag: 3, data: Uint8Array.of(1) })
    w.taggedFields(tags)
  }
}

function readFeatures(r: Reader, field: string, finalized: boolean): FeatureRange[] {
  return r.array(field, true, (rr) => {
    const name = rr.compactString('name')
    const a = rr.int16(finalized ? 'max_version_level' : 'min_version')
    const b = rr.int16(finalized ? 'min_version_level' : 'max_version')
    rr.taggedFields()
    return finalized ? { name, minVersion: b, maxVersion: a } : { name, minVersion: a, maxVersion: b }
  }, 4)
}

function decodeResponse(r: Reader, sentVersion: number): ApiVersionsResponse {
  // KIP-511: a broker that cannot parse our version replies with a v0 body carrying
  // UNSUPPORTED_VERSION, so peek at the error code before choosing the body layout.
  let v = sentVersion
  if (v > 0 && r.remaining >= 2 && ((r.buf[r.pos] as number) << 8 | (r.buf[r.pos + 1] as number)) === UNSUPPORTED_VERSION) v = 0
  const flexible = v >= FIRST_FLEXIBLE
  const errorCode = r.int16('error_code')
  const apiKeys = r.array('api_keys', flexible, (rr) => {
    const apiKey = rr.int16('api_key')
    const minVersion = rr.int16('min_version')
    const maxVersion = rr.int16('max_version')
    if (flexible) rr.taggedFields()
    return { apiKey, minVersion, maxVersion }
  }, 6)
  const throttleTimeMs = v >= 1 ? r.int32('throttle_time_ms') : 0
  let supportedFeatures: FeatureRange[] = []
  let finalizedFeaturesEpoch = -1n
  let finalizedFeatures: FeatureRange[] = []
  let zkMigrationReady = false
  if (flexible) {
    r.taggedFields((tag, tr) => {
      switch (tag) {
        case 0: supportedFeatures = readFeatures(tr, 'supported_features', false); return true
        case 1: finalizedFeaturesEpoch = tr.int64('finalized_features_epoch'); return true
        case 2: finalizedFeatures = readFeatures(tr, 'finalized_features', true); return true
        case 3: zkMigrationReady = tr.boolean('zk_migration_ready'); return true
        default: return false
      }
    })
  }
  return { errorCode, apiKeys, throttleTimeMs, supportedFeatures, finalizedFeaturesEpoch, finalizedFeatures, zkMigrationReady, decodedVersion: v }
}

/** ApiVersions (key 18), v0-v4. v3+ is flexible, but its *response header* stays v0 (KIP-511). */
export const ApiVersionsApi: ApiDefinition<ApiVersionsRequest, ApiVersionsResponse> = {
  apiKey: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 4,
  firstFlexibleVersion: FIRST_FLEXIBLE,
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  estimateRequestSize: (req) => 12 + Buffer.byteLength(req.clientSoftwareName) + Buffer.byteLength(req.clientSoftwareVersion),
}

/**
 * Broker-advertised ranges by api_key.
 * @throws ProtocolError for an answer no broker sends: an api key listed twice (ApiKey is the
 *   `mapKey` of ApiKeys in ApiVersionsResponse.json), a negative key or version, or min > max.
 *   Such bytes are corrupt, and using them would pin wrong versions on the connection.
 */
export function versionMap(res: ApiVersionsResponse): Map<number, VersionRange> {
  const m = new Map<number, VersionRange>()
  for (let i = 0; i < res.apiKeys.length; i++) {
    const k = res.apiKeys[i] as ApiVersionsResponseKey
    const field = `api_keys[${i}]`
    if (m.has(k.apiKey)) throw new ProtocolError(`api key ${k.apiKey} is listed twice`, `${field}.api_key`)
    if (k.apiKey < 0) throw new ProtocolError(`negative api key ${k.apiKey}`, `${field}.api_key`)
    if (k.minVersion < 0 || k.minVersion > k.maxVersion) throw new ProtocolError(`invalid version range v${k.minVersion}-v${k.maxVersion} for api key ${k.apiKey}`, `${field}.min_version`)
    m.set(k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion })
  }
  return m
}

/**
 * The UNSUPPORTED_VERSION fallback (KIP-511), following the Java client: given the response to
 * an ApiVersions request sent at `sentVersion`, returns the version to retry with, or `null`
 * when no retry makes sense (no error, a different error, or we already sent v0).
 * The broker lists its own ApiVersions range in the error response; with no such entry, use v0.
 */
export function apiVersionsRetryVersion(res: ApiVersionsResponse, sentVersion: number): number | null {
  if (res.errorCode !== UNSUPPORTED_VERSION || sentVersion === 0) return null
  const own = res.apiKeys.find((k) => k.apiKey === 18)
  if (own === undefined) return 0
  const next = Math.min(own.maxVersion, sentVersion - 1, ApiVersionsApi.maxVersion)
  return next >= 0 ? next : 0
}

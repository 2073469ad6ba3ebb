import { KafkaWireError } from '../errors.js'
import type { ApiDefinition } from './api.js'

/** A version range a broker advertises for one API in its ApiVersions response. */
export interface VersionRange {
  /** Lowest supported version, inclusive. */
  readonly minVersion: number
  /** Highest supported version, inclusive. */
  readonly maxVersion: number
}

/** Thrown when kafka-wire and a broker share no version of an API. */
export class UnsupportedApiVersionError extends KafkaWireError {
  /** The API's Kafka name. */
  readonly apiName: string
  /** The API key. */
  readonly apiKey: number

  /** @param api the API; @param broker what the broker offers, or undefined if it does not list the API */
  constructor(api: { readonly apiKey: number; readonly name: string; readonly minVersion: number; readonly maxVersion: number }, broker: VersionRange | undefined) {
    super(
      broker === undefined
        ? `broker does not support ${api.name} (key ${api.apiKey}) at all; kafka-wire needs v${api.minVersion}-v${api.maxVersion}`
        : `no common version of ${api.name} (key ${api.apiKey}): broker supports v${broker.minVersion}-v${broker.maxVersion}, kafka-wire v${api.minVersion}-v${api.maxVersion}`,
    )
    this.name = 'UnsupportedApiVersionError'
    this.apiName = api.name
    this.apiKey = api.apiKey
  }
}

/**
 * The highest version both kafka-wire (`api.minVersion..api.maxVersion`, optionally capped by
 * `cap`) and the broker support. Throws {@link UnsupportedApiVersionError} when there is none.
 */
export function pickVersion(
  api: Pick<ApiDefinition<unknown, unknown>, 'apiKey' | 'name' | 'minVersion' | 'maxVersion'>,
  broker: VersionRange | undefined,
  cap = Infinity,
): number {
  if (broker === undefined) throw new UnsupportedApiVersionError(api, undefined)
  const hi = Math.min(api.maxVersion, broker.maxVersion, cap)
  const lo = Math.max(api.minVersion, broker.minVersion)
  if (hi < lo) throw new UnsupportedApiVersionError(api, broker)
  return hi
}

/** Whether `version` of `api` is flexible (KIP-482: compact types, tagged fields, header v2/v1). */
export function isFlexible(api: Pick<ApiDefinition<unknown, unknown>, 'firstFlexibleVersion'>, version: number): boolean {
  return version >= api.firstFlexibleVersion
}

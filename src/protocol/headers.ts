import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/** The ApiVersions api_key; its response header is always v0 (KIP-511). */
export const API_VERSIONS_KEY = 18

/** Fields of a request header (RequestHeader.json). */
export interface RequestHeader {
  /** request_api_key */
  readonly apiKey: number
  /** request_api_version */
  readonly apiVersion: number
  /** correlation_id, echoed by the broker */
  readonly correlationId: number
  /** client_id; null is allowed on the wire */
  readonly clientId: string | null
}

/** Fields of a response header (ResponseHeader.json). */
export interface ResponseHeader {
  /** correlation_id of the request this answers */
  readonly correlationId: number
}

/** Request header version: v2 for flexible API versions, else v1 (v0 was removed in Kafka 4.0). */
export function requestHeaderVersion(flexible: boolean): 1 | 2 {
  return flexible ? 2 : 1
}

/**
 * Response header version: v1 for flexible API versions, else v0 — except ApiVersions, whose
 * response always has header v0 so a client can read it whatever version it sent (KIP-511).
 */
export function responseHeaderVersion(apiKey: number, flexible: boolean): 0 | 1 {
  return flexible && apiKey !== API_VERSIONS_KEY ? 1 : 0
}

/**
 * Writes a request header v1 (`flexible = false`) or v2. client_id stays an INT16-length string
 * even in v2 ("flexibleVersions": "none") so any broker can parse the header of any ApiVersions.
 */
export function encodeRequestHeader(w: Writer, h: RequestHeader, flexible: boolean): void {
  w.int16(h.apiKey)
  w.int16(h.apiVersion)
  w.int32(h.correlationId)
  w.nullableString(h.clientId)
  if (flexible) w.taggedFields()
}

/** Reads a request header v1 or v2 (tests, fake servers and `dump`). */
export function decodeRequestHeader(r: Reader, flexible: boolean): RequestHeader {
  const apiKey = r.int16('request_api_key')
  const apiVersion = r.int16('request_api_version')
  const correlationId = r.int32('correlation_id')
  const clientId = r.nullableString('client_id')
  if (flexible) r.taggedFields()
  return { apiKey, apiVersion, correlationId, clientId }
}

/**
 * Reads a response header. Pass the *header* flexibility, i.e.
 * `responseHeaderVersion(apiKey, apiFlexible) === 1`, not the API's.
 */
export function decodeResponseHeader(r: Reader, flexible: boolean): ResponseHeader {
  const correlationId = r.int32('correlation_id')
  if (flexible) r.taggedFields()
  return { correlationId }
}

/** Writes a response header v0 or v1 (tests and fake servers). */
export function encodeResponseHeader(w: Writer, h: ResponseHeader, flexible: boolean): void {
  w.int32(h.correlationId)
  if (flexible) w.taggedFields()
}

/** Byte size of a request header, for pre-sizing the request buffer. */
export function requestHeaderSize(clientId: string | null, flexible: boolean): number {
  return 8 + 2 + (clientId === null ? 0 : Buffer.byteLength(clientId, 'utf8')) + (flexible ? 1 : 0)
}
